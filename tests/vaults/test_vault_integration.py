"""IndexVault on the real local market, on eth-tester and anvil: the owner's flows and a
keeper bounded by its mandate. Contract properties in depth live in tests/forge/."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest
from web3.contract import Contract
from web3.logs import DISCARD

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
from orchestrator.errors import ContractReverted
from orchestrator.keeper.reads import discover_vaults
from orchestrator.localmarket.deploy import LOCAL_MIN_BLOCK_TIME_S, deploy_vault_factory
from orchestrator.service import LocalMarket
from tests.vaults.platform import VaultPlatform

FEE_BPS = 10
LEG_USDC = 1_000 * 10**6
GAS_BUY = 1_500_000
GAS_REBALANCE = 1_500_000


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


@dataclass
class Env:
    market: LocalMarket
    platform: VaultPlatform
    owner: Transactor
    keeper: Transactor
    vault: Contract
    usdc: Contract

    def balance(self, token: str, holder: str) -> int:
        return int(
            bind_ours(self.market.chain.w3, "TestToken", token).functions.balanceOf(holder).call()
        )


@pytest.fixture
def env(platform: VaultPlatform, fresh_market: LocalMarket) -> Iterator[Env]:
    chain = fresh_market.chain
    owner, keeper = Transactor(chain, chain.accounts[1]), Transactor(chain, chain.accounts[2])
    vault, _ = platform.create_vault(owner, owner.address, owner_salt())
    usdc = bind_ours(chain.w3, "TestToken", fresh_market.book.contracts.usdc)
    yield Env(fresh_market, platform, owner, keeper, vault, usdc)
    owner.resync()
    keeper.resync()


def _quoted_legs(env: Env, count: int = 3) -> list[LegStruct]:
    c, tokens = env.market.book.contracts, env.market.book.tokens[:count]
    requests = [QuoteRequest(c.usdc, t.address, t.fee, LEG_USDC) for t in tokens]
    quotes = quote_batched(env.market.chain, c.quoter_v2, c.multicall3, requests)
    return [
        LegStruct(t.address, t.fee, LEG_USDC, q.amount_out)  # type: ignore[union-attr]
        for t, q in zip(tokens, quotes, strict=True)
    ]


def _buy(env: Env, legs: list[LegStruct]) -> int:
    amount = usdc_amount_for(sum(leg.amount_in for leg in legs), FEE_BPS)
    env.market.fund_usdc(env.owner.address, amount)
    env.owner.send(env.usdc.functions.approve(env.vault.address, amount), gas=80_000)
    deadline = env.market.chain.timestamp() + 600
    env.owner.send(env.vault.functions.buy(amount, _tuples(legs), FEE_BPS, deadline), gas=GAS_BUY)
    return amount


def test_vault_is_created_where_predicted_and_registered(env: Env) -> None:
    assert env.vault.address == env.platform.predict_vault(env.owner.address, owner_salt())
    chain = env.market.chain
    factory = env.platform.factory.address
    discovered = discover_vaults(chain, factory, from_block=0, to_block=chain.block_number())
    assert (env.vault.address, env.owner.address) in [(v, o) for v, o, _ in discovered]  # the log
    assert env.vault.functions.owner().call() == env.owner.address
    with pytest.raises(ContractReverted) as caught:  # only the factory initialises, once
        env.keeper.send(env.vault.functions.initialize(env.keeper.address), gas=100_000)
    assert caught.value.error_name == "NotFactory"
    assert caught.value.error_args[0].lower() == env.keeper.address.lower()


def test_buy_delivers_every_quoted_leg_and_takes_the_exact_fee(env: Env) -> None:
    legs = _quoted_legs(env)
    fee_recipient = env.market.chain.accounts[5].address
    factory = env.platform.factory.address
    held_before = env.balance(env.usdc.address, factory)
    amount = _buy(env, legs)
    for leg in legs:
        assert env.balance(leg.token, env.vault.address) == leg.min_out  # exactly the quote
    fee = amount * FEE_BPS // 10_000  # held by the factory until claimed, for the recipient
    assert env.balance(env.usdc.address, factory) - held_before == fee
    assert env.usdc.functions.allowance(env.owner.address, env.vault.address).call() == 0
    receipt = env.market.chain.w3.eth.get_transaction_receipt(
        env.market.chain.w3.eth.get_block("latest")["transactions"][-1]
    )
    bought = env.vault.events.Bought().process_receipt(receipt, errors=DISCARD)
    swapped = env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert bought[0]["args"]["usdcIn"] == amount
    assert [e["args"]["amountOut"] for e in swapped] == [leg.min_out for leg in legs]
    paid_before = env.balance(env.usdc.address, fee_recipient)
    env.keeper.send(env.platform.factory.functions.claimFees(), gas=100_000)  # anyone may claim
    assert env.balance(env.usdc.address, fee_recipient) - paid_before == held_before + fee


def test_an_under_delivering_leg_reverts_the_whole_buy_with_its_numbers(env: Env) -> None:
    legs = _quoted_legs(env)
    greedy = LegStruct(legs[1].token, legs[1].fee, legs[1].amount_in, legs[1].min_out + 1)
    with pytest.raises(ContractReverted) as caught:
        _buy(env, [legs[0], greedy, legs[2]])
    assert caught.value.error_name == "InsufficientOutput"
    token, out, minimum = caught.value.error_args
    assert token.lower() == greedy.token.lower()
    assert (out, minimum) == (legs[1].min_out, greedy.min_out)
    for leg in legs:  # nothing was bought
        assert env.balance(leg.token, env.vault.address) == 0


def test_selling_half_pays_the_owner_usdc_and_keeps_the_rest(env: Env) -> None:
    legs = _quoted_legs(env)
    _buy(env, legs)
    held = {leg.token: env.balance(leg.token, env.vault.address) for leg in legs}
    # fraction mode: amount_in is the amount the vault will sell (the previewed amount)
    sells = [LegStruct(leg.token, leg.fee, held[leg.token] * 5_000 // 10_000, 1) for leg in legs]
    before = env.balance(env.usdc.address, env.owner.address)
    deadline = env.market.chain.timestamp() + 600
    env.owner.send(env.vault.functions.sell(_tuples(sells), 0, 5_000, 100, deadline), gas=GAS_BUY)
    paid = env.balance(env.usdc.address, env.owner.address) - before
    assert paid > 0.95 * 1_500 * 10**6  # half of ~3,000 USDC, less fees and impact
    for token, amount in held.items():
        assert env.balance(token, env.vault.address) == amount - amount * 5_000 // 10_000


def test_withdraw_in_kind_returns_every_token_to_the_owner(env: Env) -> None:
    legs = _quoted_legs(env)
    _buy(env, legs)
    tokens = [leg.token for leg in legs] + [env.usdc.address]
    held = {t: env.balance(t, env.vault.address) for t in tokens}
    env.owner.send(env.vault.functions.withdrawInKind(tokens), gas=400_000)
    for token in tokens:
        assert env.balance(token, env.vault.address) == 0
        assert env.balance(token, env.owner.address) >= held[token]


def test_keeper_rebalances_only_within_the_mandate(env: Env) -> None:
    legs = _quoted_legs(env)
    _buy(env, legs)
    mandate = Mandate(
        keeper=env.keeper.address,
        max_slippage_bps=100,
        min_interval_s=3_600,
        twap_window_s=1_800,
        loss_budget_usdc=50 * 10**6,
        loss_window_s=7 * 24 * 3_600,
        loss_cap_usdc=200 * 10**6,
    )
    allowed = [(leg.token, leg.fee) for leg in legs]
    env.owner.send(env.vault.functions.setMandate(mandate_struct(mandate), allowed), gas=500_000)
    env.market.chain.increase_time(1_900)  # let the TWAP window fill

    token = legs[0]
    amount = env.balance(token.token, env.vault.address) // 10
    oracle_out, floor = env.vault.functions.oracleQuote(token.token, token.fee, amount, True).call()
    assert 0 < floor < oracle_out
    deadline = env.market.chain.timestamp() + 600

    with pytest.raises(ContractReverted) as stranger:
        env.owner.send(
            env.vault.functions.rebalance([(token.token, token.fee, amount, floor)], [], deadline),
            gas=GAS_REBALANCE,
        )
    assert stranger.value.error_name == "NotKeeper"

    with pytest.raises(ContractReverted) as greedy:  # min-out 0: a self-sandwich is refused
        env.keeper.send(
            env.vault.functions.rebalance([(token.token, token.fee, amount, 0)], [], deadline),
            gas=GAS_REBALANCE,
        )
    assert greedy.value.error_name == "MinOutBelowOracle"
    assert greedy.value.error_args[2] == floor

    usdc_before = env.balance(env.usdc.address, env.vault.address)
    keeper_usdc = env.balance(env.usdc.address, env.keeper.address)
    env.keeper.send(
        env.vault.functions.rebalance([(token.token, token.fee, amount, floor)], [], deadline),
        gas=GAS_REBALANCE,
    )
    assert env.balance(env.usdc.address, env.vault.address) - usdc_before >= floor  # proceeds stay
    assert env.balance(env.usdc.address, env.keeper.address) == keeper_usdc  # keeper got nothing

    with pytest.raises(ContractReverted) as too_soon:
        env.keeper.send(
            env.vault.functions.rebalance([(token.token, token.fee, amount, floor)], [], deadline),
            gas=GAS_REBALANCE,
        )
    assert too_soon.value.error_name == "RebalanceTooSoon"
