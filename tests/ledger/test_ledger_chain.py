"""The ledger against real vaults on the local market (eth-tester and anvil):
holdings rebuilt from events equal the vault's balances; and reconcile settles a
journal's unfinished user operations from the chain (crash after submit, never sent,
nonce taken by another op, a reverted op), without sending anything."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from web3.contract import Contract

from orchestrator.chain import Transactor
from orchestrator.chain.bindings import bind_ours
from orchestrator.chain.uniswap import QuoteRequest, quote_batched
from orchestrator.chain.vault_binding import (
    LegStruct,
    mandate_struct,
    owner_salt,
    usdc_amount_for,
)
from orchestrator.domain.mandate import Mandate
from orchestrator.errors import AlreadySubmitted
from orchestrator.execution import SelfBundler
from orchestrator.ledger import (
    Journal,
    Price,
    group_actions,
    pnl,
    read_log,
    read_vault_events,
    reconcile,
    replay,
)
from orchestrator.ledger.event_records import Sold, VaultCreated
from orchestrator.localmarket.deploy import LOCAL_MIN_BLOCK_TIME_S, deploy_vault_factory
from orchestrator.service import LocalMarket
from orchestrator.wallet import (
    AAContracts,
    Call,
    UserOperation,
    deploy_account_abstraction,
    prepare_user_op,
    sign_user_op,
    smart_account,
    user_op_hash,
)
from tests.vaults.platform import VaultPlatform

FEE_BPS = 10
USDC = 10**6
LEG_USDC = 500 * USDC
GAS_BUY = 1_500_000


def _tuples(legs: Sequence[LegStruct]) -> list[tuple[str, int, int, int]]:
    """Plain tuples for web3's encoder (it rebuilds tuples by their type)."""
    return [tuple(leg) for leg in legs]  # type: ignore[misc]


@pytest.fixture(scope="module")
def platform(market: LocalMarket) -> VaultPlatform:
    c = market.book.contracts
    factory = deploy_vault_factory(
        market.deployer,
        admin=market.deployer.address,
        usdc=c.usdc,
        uniswap_v3_factory=c.uniswap_v3_factory,
        fee_recipient=market.chain.accounts[5].address,
        fee_bps=FEE_BPS,
        min_block_time_s=LOCAL_MIN_BLOCK_TIME_S,
    )
    return VaultPlatform(factory)


@pytest.fixture(scope="module")
def aa(market: LocalMarket, platform: VaultPlatform) -> AAContracts:
    """Deployed before any test's snapshot, like the platform."""
    return deploy_account_abstraction(market.deployer)


@dataclass
class Env:
    market: LocalMarket
    platform: VaultPlatform
    usdc: Contract

    def balance(self, token: str, holder: str) -> int:
        erc20 = bind_ours(self.market.chain.w3, "TestToken", token)
        return int(erc20.functions.balanceOf(holder).call())

    def legs(self, count: int, usdc_each: int = LEG_USDC, start: int = 0) -> list[LegStruct]:
        c, tokens = self.market.book.contracts, self.market.book.tokens[start : start + count]
        requests = [QuoteRequest(c.usdc, t.address, t.fee, usdc_each) for t in tokens]
        quotes = quote_batched(self.market.chain, c.quoter_v2, c.multicall3, requests)
        return [
            LegStruct(t.address, t.fee, usdc_each, q.amount_out)  # type: ignore[union-attr]
            for t, q in zip(tokens, quotes, strict=True)
        ]

    def deadline(self) -> int:
        return self.market.chain.timestamp() + 600


@pytest.fixture
def env(platform: VaultPlatform, aa: AAContracts, fresh_market: LocalMarket) -> Env:
    usdc = bind_ours(fresh_market.chain.w3, "TestToken", fresh_market.book.contracts.usdc)
    return Env(fresh_market, platform, usdc)


def test_holdings_rebuilt_from_events_equal_the_vault_balances(env: Env) -> None:
    chain = env.market.chain
    owner, keeper = Transactor(chain, chain.accounts[1]), Transactor(chain, chain.accounts[2])
    vault, _ = env.platform.create_vault(owner, owner.address, owner_salt("ledger"))

    def buy(legs: list[LegStruct], extra_cash: int) -> int:
        amount = usdc_amount_for(sum(leg.amount_in for leg in legs), FEE_BPS) + extra_cash
        env.market.fund_usdc(owner.address, amount)
        owner.send(env.usdc.functions.approve(vault.address, amount), gas=80_000)
        owner.send(vault.functions.buy(amount, _tuples(legs), FEE_BPS, env.deadline()), gas=GAS_BUY)
        return amount

    deposits = buy(env.legs(3), extra_cash=40 * USDC) + buy(env.legs(2, start=1), extra_cash=0)
    tokens = [t.address for t in env.market.book.tokens[:3]]
    # fraction mode: amount_in is the amount the vault will sell (the previewed amount)
    fees = [env.market.book.tokens[i].fee for i in range(3)]
    sells = [LegStruct(t, fee, env.balance(t, vault.address) * 4_000 // 10_000, 1)
             for t, fee in zip(tokens, fees, strict=True)]  # fmt: skip
    owner_usdc = env.balance(env.usdc.address, owner.address)
    owner.send(vault.functions.sell(_tuples(sells), 0, 4_000, FEE_BPS, env.deadline()), gas=GAS_BUY)
    paid = env.balance(env.usdc.address, owner.address) - owner_usdc

    first = env.market.book.tokens[0]
    mandate = Mandate(keeper.address, 100, 3_600, 1_800, 50 * USDC, 7 * 24 * 3_600, 200 * USDC)
    allowed = [(t.address, t.fee) for t in env.market.book.tokens[:3]]
    owner.send(vault.functions.setMandate(mandate_struct(mandate), allowed), gas=500_000)
    chain.increase_time(1_900)  # let the TWAP window fill
    amount = env.balance(first.address, vault.address) // 10
    _, floor = vault.functions.oracleQuote(first.address, first.fee, amount, True).call()
    keeper.send(vault.functions.rebalance([(first.address, first.fee, amount, floor)], [],
                                          env.deadline()), gas=GAS_BUY)  # fmt: skip
    owner.send(vault.functions.revokeKeeper(), gas=100_000)
    owner.send(vault.functions.withdrawInKind([tokens[1], env.usdc.address]), gas=300_000)

    events = read_vault_events(chain, vault.address)
    actions = group_actions(events)
    assert [a.kind for a in actions] == [
        "vault_created", "buy", "buy", "sell", "mandate", "rebalance", "keeper_revoked",
        "withdraw",
    ]  # fmt: skip
    assert [len(a.swaps) for a in actions] == [0, 3, 2, 3, 0, 1, 0, 0]
    created = actions[0].event
    assert isinstance(created, VaultCreated)
    assert (created.owner, created.vault) == (owner.address, vault.address)
    sold = actions[3].event
    assert isinstance(sold, Sold)
    assert sold.paid_usdc == paid
    block = chain.w3.eth.get_block(actions[5].block_number)
    assert actions[5].timestamp_s == block["timestamp"]
    assert actions[4].event.mandate == mandate  # type: ignore[attr-defined]
    # the same history when eth_getLogs ranges are capped at 2 blocks
    assert read_vault_events(chain, vault.address, max_block_range=2) == events

    book = replay(actions, usdc=env.usdc.address)
    held = book.holdings()
    for token in [t.address for t in env.market.book.tokens]:
        assert held.get(token, 0) == env.balance(token, vault.address), token
    assert book.cash_usdc == env.balance(env.usdc.address, vault.address) == 0  # withdrawn
    assert held[tokens[1]] == 0
    assert held[tokens[0]] > 0
    assert book.deposits_usdc == deposits
    report = pnl(book, {t: Price(1, 10**12) for t in tokens})
    assert report.equity_usdc + report.withdrawals_usdc - report.deposits_usdc == (
        report.net_pnl_usdc
    )


def _call(contract: Contract, function: str, *args: object) -> Call:
    return Call(contract.address, 0, bytes.fromhex(contract.encode_abi(function, args=args)[2:]))


def test_reconcile_settles_unfinished_user_operations_from_the_chain(
    env: Env, aa: AAContracts, tmp_path: Path
) -> None:
    chain, w3 = env.market.chain, env.market.chain.w3
    owner = Account.from_key(keccak(text="ledger reconcile owner"))
    account = smart_account(chain, aa, owner.address)
    chain.set_balance(account.address, 10**18)
    env.market.fund_usdc(account.address, 5 * LEG_USDC)
    vault, _ = env.platform.create_vault(env.market.deployer, account.address, owner_salt())
    bundler = SelfBundler(chain, aa.entry_point, Transactor(chain, chain.accounts[1]))
    journal = Journal(tmp_path / "journal.sqlite")

    def sign(op: UserOperation) -> UserOperation:
        return sign_user_op(op, owner, entry_point=aa.entry_point, chain_id=chain.chain_id)

    def journaled(
        quote_id: str,
        kind: str,
        calls: list[Call],
        tamper: Callable[[UserOperation], UserOperation] = lambda op: op,
    ) -> UserOperation:
        """Preview, confirm, begin_submission (before sending), then the signed op."""
        op = tamper(prepare_user_op(chain, account, calls).op)
        now = chain.timestamp()
        journal.record_preview(quote_id, kind, account.address, vault.address, now, now + 600,  # type: ignore[arg-type]
                               json.dumps({"quote": quote_id}))  # fmt: skip
        journal.record_confirmation(quote_id, now)
        op_hash = "0x" + user_op_hash(op, entry_point=aa.entry_point, chain_id=chain.chain_id).hex()
        journal.begin_submission(quote_id, op_hash, account.address, op.nonce, None, now)
        return sign(op)

    def buy_calls(legs: list[LegStruct]) -> list[Call]:
        amount = usdc_amount_for(sum(leg.amount_in for leg in legs), FEE_BPS)
        buy = _call(vault, "buy", amount, _tuples(legs), FEE_BPS, env.deadline())
        return [_call(env.usdc, "approve", vault.address, amount), buy]

    # (a) submitted, then the process "crashed" before recording the outcome
    result = bundler.submit(journaled("q-buy", "buy", buy_calls(env.legs(2))))
    assert result.success
    # (b) journaled and signed but never sent; another op (not journaled) takes its nonce
    journaled("q-lost", "withdraw", [_call(vault, "withdrawInKind", [env.usdc.address])])
    bundler.submit(sign(prepare_user_op(chain, account, [_call(vault, "revokeKeeper")]).op))
    # (c) a buy whose second leg under-delivers, forced through: included, charged, reverted
    legs = env.legs(2)
    quoted = legs[1].min_out.to_bytes(32, "big")
    greedy = (legs[1].min_out * 2).to_bytes(32, "big")

    def make_greedy(op: UserOperation) -> UserOperation:
        assert op.call_data.count(quoted) == 1
        return op.replace(call_data=op.call_data.replace(quoted, greedy))

    failed = bundler.submit(journaled("q-greedy", "buy", buy_calls(legs), make_greedy))
    assert not failed.success
    # (d) journaled, never sent, nothing else happened: it never reached the chain
    journaled("q-never", "sell", [_call(vault, "revokeKeeper")])

    sent = w3.eth.get_transaction_count(bundler.bundler.address)
    block = w3.eth.block_number
    assert {s.quote_id for s in journal.unfinished_submissions()} == {
        "q-buy", "q-lost", "q-greedy", "q-never",
    }  # fmt: skip
    report = reconcile(chain, aa.entry_point, journal, now_s=chain.timestamp() + 10_000)
    assert (w3.eth.get_transaction_count(bundler.bundler.address), w3.eth.block_number) == (
        sent, block,
    )  # fmt: skip  # reading only: nothing sent, nothing mined
    assert report.quote_ids("included") == ("q-buy",)
    assert report.quote_ids("failed") == ("q-greedy",)
    assert report.quote_ids("dropped") == ("q-lost",)
    assert report.quote_ids("pending") == ("q-never",)  # however old: no proof it is dead
    assert [s.quote_id for s in journal.unfinished_submissions()] == ["q-never"]

    receipt = journal.receipt("q-buy")
    assert receipt is not None
    assert (receipt.tx_hash, receipt.block_number, receipt.actual_gas_cost_wei) == (
        result.transaction_hash, result.block_number, result.actual_gas_cost_wei,
    )  # fmt: skip
    bad = journal.receipt("q-greedy")
    assert bad is not None
    assert not bad.success
    assert bad.revert_reason is not None
    assert bad.revert_reason.startswith("call 1: InsufficientOutput(")
    lost, never = journal.submission("q-lost"), journal.submission("q-never")
    assert lost is not None
    assert lost.dropped_reason is not None
    assert lost.dropped_reason.startswith("nonce 1 was used by another operation")
    assert never is not None
    assert never.dropped_reason is None
    with pytest.raises(AlreadySubmitted) as caught:  # (c) of the brief: never twice
        journal.begin_submission("q-buy", "0x" + "77" * 32, account.address, 9, None, 0)
    assert caught.value.state == "included"
    assert journal.gas_paid_wei(account.address) == (
        result.actual_gas_cost_wei + failed.actual_gas_cost_wei
    )
    # (d) the account's next op is built on q-never's nonce: once it lands, q-never is dead
    other = [_call(vault, "withdrawInKind", [env.usdc.address])]
    bundler.submit(sign(prepare_user_op(chain, account, other).op))
    later = reconcile(chain, aa.entry_point, journal)
    assert later.quote_ids("dropped") == ("q-never",)
    never = journal.submission("q-never")
    assert never is not None
    assert never.dropped_reason is not None
    assert never.dropped_reason.startswith(f"nonce {never.nonce} was used by another operation")
    assert reconcile(chain, aa.entry_point, journal).settlements == ()  # nothing left

    rows = read_log(chain, journal, vault.address)
    assert [(r.kind, r.quote_id) for r in rows[:2]] == [("vault_created", None), ("buy", "q-buy")]
    assert (rows[1].gas_wei, rows[1].tx_hash) == (
        result.actual_gas_cost_wei, result.transaction_hash,
    )  # fmt: skip
    assert {(r.kind, r.quote_id) for r in rows[2:]} == {
        ("dropped", "q-lost"), ("failed", "q-greedy"), ("keeper_revoked", None),
        ("dropped", "q-never"), ("withdraw", None),
    }  # fmt: skip
    journal.close()
