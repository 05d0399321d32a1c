"""User operations end to end on the local market (eth-tester and anvil): the first op
deploys the smart account through initCode and runs a USDC approve + transfer batch,
self-bundled through EntryPoint.handleOps; then a second op, replays, reverts, refusals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_signature_to_4byte_selector as selector
from eth_utils.crypto import keccak

from orchestrator.chain import Transactor
from orchestrator.chain.bindings import bind_npm, bind_ours
from orchestrator.errors import CallWouldRevert, InsufficientPrefund, UserOpRejected
from orchestrator.execution import SelfBundler, UserOpSubmitter
from orchestrator.service import LocalMarket
from orchestrator.wallet import (
    AAContracts,
    Call,
    SmartAccount,
    prepare_user_op,
    sign_user_op,
    smart_account,
)

USDC = 10**6
# Stated margins of the estimate (orchestrator.wallet.gas): the likely gas is the simulated
# actualGasUsed, so it must land within 1 %; the max (every limit, what the prefund covers)
# must be an upper bound and no more than 40 % above the actual use.
LIKELY_TOLERANCE_PCT = 1
MAX_OVERHEAD_PCT = 40


@dataclass
class Setup:
    market: LocalMarket
    aa: AAContracts
    owner: LocalAccount
    account: SmartAccount
    bundler: SelfBundler
    usdc: Any
    recipient: str

    def sign(self, op: Any) -> Any:
        return sign_user_op(
            op, self.owner, entry_point=self.aa.entry_point, chain_id=self.market.chain.chain_id
        )

    def approve(self, amount: int) -> Call:
        data = selector("approve(address,uint256)") + abi_encode(
            ["address", "uint256"], [self.recipient, amount]
        )
        return Call(self.usdc.address, 0, data)

    def transfer(self, amount: int) -> Call:
        data = selector("transfer(address,uint256)") + abi_encode(
            ["address", "uint256"], [self.recipient, amount]
        )
        return Call(self.usdc.address, 0, data)

    def eth(self, address: str) -> int:
        return int(self.market.chain.w3.eth.get_balance(address))


@pytest.fixture
def setup(
    fresh_market: LocalMarket, market_aa: AAContracts, request: pytest.FixtureRequest
) -> Setup:
    chain = fresh_market.chain
    owner = Account.from_key(keccak(text=f"flow owner {request.node.name}"))
    account = smart_account(chain, market_aa, owner.address)
    fresh_market.fund_usdc(account.address, 1_000 * USDC)
    chain.set_balance(account.address, 10**18)
    bundler = SelfBundler(
        chain,
        market_aa.entry_point,
        Transactor(chain, chain.accounts[1]),
        beneficiary=chain.accounts[5].address,
    )
    usdc = bind_ours(chain.w3, "TestToken", fresh_market.book.contracts.usdc)
    return Setup(fresh_market, market_aa, owner, account, bundler, usdc, chain.accounts[3].address)


def _assert_estimate_honest(estimate: Any, actual_gas_used: int) -> None:
    assert actual_gas_used <= estimate.max_gas
    assert estimate.max_gas * 100 <= actual_gas_used * (100 + MAX_OVERHEAD_PCT)
    assert (
        abs(estimate.likely_gas - actual_gas_used) * 100 <= actual_gas_used * LIKELY_TOLERANCE_PCT
    )


def test_first_op_deploys_the_account_and_runs_the_batch_then_a_second_op(setup: Setup) -> None:
    s, chain = setup, setup.market.chain
    assert isinstance(s.bundler, UserOpSubmitter)
    assert not s.account.is_deployed(chain)
    recipient_before = int(s.usdc.functions.balanceOf(s.recipient).call())
    beneficiary_before = s.eth(s.bundler.beneficiary)
    account_eth_before = s.eth(s.account.address)

    prepared = prepare_user_op(chain, s.account, [s.approve(300 * USDC), s.transfer(250 * USDC)])
    assert prepared.deploys_account
    assert prepared.op.nonce == 0
    assert prepared.op.factory == s.aa.simple_account_factory
    assert prepared.funding_shortfall_wei == 0
    result = s.bundler.submit(s.sign(prepared.op))

    assert result.success
    assert result.account_deployed
    assert not result.already_included
    assert result.user_op_hash == prepared.user_op_hash_hex
    assert s.account.is_deployed(chain)
    assert int(s.usdc.functions.balanceOf(s.recipient).call()) - recipient_before == 250 * USDC
    assert int(s.usdc.functions.balanceOf(s.account.address).call()) == 750 * USDC
    assert int(s.usdc.functions.allowance(s.account.address, s.recipient).call()) == 300 * USDC
    # the op's own logs: USDC Approval then Transfer, nothing of the EntryPoint's
    assert [log.address for log in result.logs] == [s.usdc.address, s.usdc.address]
    approval = keccak(text="Approval(address,address,uint256)")
    assert result.logs[0].topics[0] == "0x" + approval.hex()
    # gas accounting: the account paid exactly actualGasCost (the unused prefund is now
    # its EntryPoint deposit), and the beneficiary received exactly that
    deposit = s.account.deposit_wei(chain)
    assert account_eth_before - s.eth(s.account.address) - deposit == result.actual_gas_cost_wei
    assert s.eth(s.bundler.beneficiary) - beneficiary_before == result.actual_gas_cost_wei
    assert result.actual_gas_cost_wei <= result.actual_gas_used * prepared.op.max_fee_per_gas_wei
    # the op paid at least what the bundle transaction cost (preVerificationGas is enough)
    assert result.bundle_gas_used <= result.actual_gas_used
    _assert_estimate_honest(prepared.estimate, result.actual_gas_used)

    second = prepare_user_op(chain, s.account, [s.transfer(100 * USDC)])
    assert second.op.nonce == 1
    assert second.op.factory is None
    assert not second.deploys_account
    result2 = s.bundler.submit(s.sign(second.op))
    assert result2.success
    assert not result2.account_deployed
    assert result2.nonce == 1
    assert int(s.usdc.functions.balanceOf(s.account.address).call()) == 650 * USDC
    _assert_estimate_honest(second.estimate, result2.actual_gas_used)
    assert result2.actual_gas_used < result.actual_gas_used  # no account creation this time
    print(  # numbers for the report (pytest -s)
        f"\n[{chain.kind}] first op: actualGasUsed {result.actual_gas_used} (estimate likely "
        f"{prepared.estimate.likely_gas}, max {prepared.estimate.max_gas}), bundle tx gas "
        f"{result.bundle_gas_used}; second op: actualGasUsed {result2.actual_gas_used} "
        f"(likely {second.estimate.likely_gas}, max {second.estimate.max_gas}), bundle tx gas "
        f"{result2.bundle_gas_used}"
    )


def _blind(s: Setup) -> SelfBundler:
    """A self-bundler that never finds receipts: sends straight to handleOps."""
    blind = SelfBundler(s.market.chain, s.aa.entry_point, s.bundler.bundler)
    blind.receipt = lambda _hash: None  # type: ignore[method-assign]
    return blind


@pytest.mark.parametrize("which", ["first-op", "second-op"])
def test_resubmitting_the_same_op_returns_the_existing_result(setup: Setup, which: str) -> None:
    s, chain = setup, setup.market.chain
    if which == "second-op":
        s.bundler.submit(s.sign(prepare_user_op(chain, s.account, [s.approve(1)]).op))
    signed = s.sign(prepare_user_op(chain, s.account, [s.transfer(10 * USDC)]).op)
    first = s.bundler.submit(signed)
    balance = int(s.usdc.functions.balanceOf(s.account.address).call())
    nonce = s.account.nonce(chain)
    bundler_nonce = chain.w3.eth.get_transaction_count(s.bundler.bundler.address)

    again = s.bundler.submit(signed)
    assert again.already_included
    assert not first.already_included
    assert (again.transaction_hash, again.actual_gas_used) == (
        first.transaction_hash, first.actual_gas_used,
    )  # fmt: skip
    assert chain.w3.eth.get_transaction_count(s.bundler.bundler.address) == bundler_nonce
    assert s.bundler.receipt(first.user_op_hash) == first

    # A look-up that misses (the op landed meanwhile): the EntryPoint's refusal is answered
    # with the existing result all the same.
    lookups: list[object] = []

    def late_receipt(digest: bytes | str) -> Any:
        lookups.append(digest)
        return None if len(lookups) == 1 else s.bundler.receipt(digest)

    late = SelfBundler(chain, s.aa.entry_point, s.bundler.bundler)
    late.receipt = late_receipt  # type: ignore[method-assign]
    assert late.submit(signed).already_included
    assert len(lookups) == 2  # missed first, found after the EntryPoint's refusal

    # Sent straight to handleOps, bypassing the look-up: the EntryPoint refuses it (the
    # spent nonce; or, for the op that created the account, its initCode), nothing runs.
    with pytest.raises(UserOpRejected) as caught:
        _blind(s).submit(signed)
    assert caught.value.error_name == "FailedOp"
    expected = (
        "AA10 sender already constructed" if which == "first-op" else ("AA25 invalid account nonce")
    )
    assert caught.value.reason == expected
    assert s.account.nonce(chain) == nonce
    assert int(s.usdc.functions.balanceOf(s.account.address).call()) == balance
    assert int(s.usdc.functions.balanceOf(s.account.address).call()) == 990 * USDC


def test_another_op_reusing_a_nonce_is_rejected_cleanly(setup: Setup) -> None:
    s, chain = setup, setup.market.chain
    s.bundler.submit(s.sign(prepare_user_op(chain, s.account, [s.approve(1)]).op))
    first = prepare_user_op(chain, s.account, [s.transfer(10 * USDC)])
    s.bundler.submit(s.sign(first.op))
    stale = first.op.replace(call_data=prepare_user_op(
        chain, s.account, [s.transfer(20 * USDC)]
    ).op.call_data)  # fmt: skip
    assert stale.nonce == first.op.nonce == 1
    with pytest.raises(UserOpRejected) as caught:
        s.bundler.submit(s.sign(stale))  # a different hash: no receipt to fall back on
    assert caught.value.reason == "AA25 invalid account nonce"
    assert "already be included" in caught.value.hint
    assert int(s.usdc.functions.balanceOf(s.account.address).call()) == 990 * USDC
    assert s.account.nonce(chain) == 2


def test_reverting_call_is_caught_by_the_estimate_and_decoded_when_executed(setup: Setup) -> None:
    s, chain = setup, setup.market.chain
    too_much = 5_000 * USDC
    with pytest.raises(CallWouldRevert) as caught:
        prepare_user_op(chain, s.account, [s.approve(1), s.transfer(too_much)])
    assert caught.value.call_index == 1
    assert caught.value.error_name == "ERC20InsufficientBalance"
    assert caught.value.error_args[1:] == (1_000 * USDC, too_much)
    assert not s.account.is_deployed(chain)  # nothing was sent

    # Forced through anyway (limits of a same-shaped op that passes): it is included,
    # charged, the nonce is spent, the whole batch rolled back, the reason decoded.
    fine = prepare_user_op(chain, s.account, [s.approve(1), s.transfer(1 * USDC)])
    doomed = fine.op.replace(
        call_data=fine.op.call_data.replace(
            (1 * USDC).to_bytes(32, "big"), too_much.to_bytes(32, "big")
        )
    )
    result = s.bundler.submit(s.sign(doomed))
    assert not result.success
    assert result.account_deployed  # validation (and creation) happened before execution
    assert result.revert is not None
    assert result.revert.error_name == "ERC20InsufficientBalance"
    assert result.revert_call_index == 1
    assert result.revert.error_args[2] == too_much
    assert result.actual_gas_cost_wei > 0
    assert s.account.nonce(chain) == 1
    assert int(s.usdc.functions.allowance(s.account.address, s.recipient).call()) == 0
    assert int(s.usdc.functions.balanceOf(s.account.address).call()) == 1_000 * USDC


def test_op_signed_by_another_key_is_refused_before_sending(setup: Setup) -> None:
    s, chain = setup, setup.market.chain
    op = prepare_user_op(chain, s.account, [s.transfer(1 * USDC)]).op
    intruder = Account.from_key(keccak(text="not the owner"))
    forged = sign_user_op(op, intruder, entry_point=s.aa.entry_point, chain_id=chain.chain_id)
    sent_before = chain.w3.eth.get_transaction_count(s.bundler.bundler.address)
    with pytest.raises(UserOpRejected) as caught:
        s.bundler.submit(forged)
    assert caught.value.code == "AA24"
    assert "owner's key" in caught.value.hint
    assert chain.w3.eth.get_transaction_count(s.bundler.bundler.address) == sent_before
    assert not s.account.is_deployed(chain)


def test_unfunded_account_is_told_how_much_to_send(setup: Setup) -> None:
    s, chain = setup, setup.market.chain
    owner = Account.from_key(keccak(text="unfunded owner"))  # its account holds no ETH
    s.owner, s.account = owner, smart_account(chain, s.aa, owner.address)
    prepared = prepare_user_op(chain, s.account, [s.approve(1)])
    assert prepared.funding_shortfall_wei == prepared.op.max_cost_wei > 0
    with pytest.raises(InsufficientPrefund) as caught:
        s.bundler.submit(s.sign(prepared.op))
    assert caught.value.required_wei == prepared.op.max_cost_wei
    in_eth = f"{Decimal(prepared.op.max_cost_wei).scaleb(-18):,f}".rstrip("0").rstrip(".")
    assert f"Send at least {in_eth} ETH to" in caught.value.hint  # in ETH, not wei


def test_a_deposit_at_the_entry_point_can_pay_instead_of_the_balance(setup: Setup) -> None:
    s, chain = setup, setup.market.chain
    owner = Account.from_key(keccak(text="deposit-paying owner"))
    s.owner, s.account = owner, smart_account(chain, s.aa, owner.address)
    entry_point = bind_npm(chain.w3, "EntryPoint", s.aa.entry_point)
    Transactor(chain, chain.accounts[2]).send(
        entry_point.functions.depositTo(s.account.address), value=10**17, gas=100_000
    )
    assert s.eth(s.account.address) == 0
    prepared = prepare_user_op(chain, s.account, [s.approve(1)])
    assert prepared.funding_shortfall_wei == 0
    result = s.bundler.submit(s.sign(prepared.op))
    assert result.success
    assert result.account_deployed
    assert s.account.deposit_wei(chain) == 10**17 - result.actual_gas_cost_wei
    assert s.eth(s.account.address) == 0
    _assert_estimate_honest(prepared.estimate, result.actual_gas_used)
