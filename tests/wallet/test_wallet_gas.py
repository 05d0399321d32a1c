"""The arithmetic behind the gas estimate (the on-chain comparison with actualGasUsed is in
test_wallet_flow.py)."""

from __future__ import annotations

from eth_account import Account
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.chain import abi
from orchestrator.chain.fees import Fees
from orchestrator.wallet import UserOperation
from orchestrator.wallet.gas import (
    BUNDLE_OVERHEAD_GAS,
    GENEROUS_CALL_GAS,
    PENALTY_FREE_UNUSED_GAS,
    TX_BASE_GAS,
    MeasuredGas,
    _execution_gas_upper_bound,
    dummy_signature,
    estimate_from_simulations,
    gas_simulations,
    pre_verification_gas,
)


@settings(max_examples=300, deadline=None)
@given(
    execution=st.integers(min_value=0, max_value=5_000_000),
    slack=st.integers(min_value=PENALTY_FREE_UNUSED_GAS + 1, max_value=9_000_000),
    pre_op=st.integers(min_value=0, max_value=2_000_000),
    post=st.integers(min_value=0, max_value=2_000),
)
def test_execution_gas_bound_is_an_upper_bound_and_tight(
    execution: int, slack: int, pre_op: int, post: int
) -> None:
    """Replays the EntryPoint's charge (10 % penalty on unused call gas above 40k, integer
    division, then post-execution gas) and checks the solver brackets the true E."""
    limit = execution + slack
    paid = pre_op + execution + (limit - execution) * 10 // 100 + post
    bound = _execution_gas_upper_bound(paid, pre_op, limit)
    assert bound >= execution  # always an upper bound
    if slack > PENALTY_FREE_UNUSED_GAS + post * 10 // 9 + 2:  # penalty recognised: tight
        assert bound <= execution + post * 10 // 9 + 2


def test_without_a_penalty_everything_after_validation_counts() -> None:
    assert _execution_gas_upper_bound(paid_gas=150_000, pre_op_gas=100_000,
                                      call_gas_limit=60_000) == 50_000  # fmt: skip


def _op(call_data: bytes) -> UserOperation:
    return UserOperation(
        sender="0x" + "11" * 20, nonce=0, call_data=call_data, call_gas_limit=1,
        verification_gas_limit=1, pre_verification_gas=1, max_fee_per_gas_wei=1,
        max_priority_fee_per_gas_wei=1,
    )  # fmt: skip


def test_pre_verification_gas_charges_calldata_at_16_and_4() -> None:
    base = pre_verification_gas(_op(b""))
    assert base > TX_BASE_GAS + BUNDLE_OVERHEAD_GAS
    assert pre_verification_gas(_op(b"\xff" * 32)) - base == 32 * 16 + (16 - 4)
    # (+32 non-zero bytes of data, and the length word's low byte goes from 0 to 0x20)
    assert pre_verification_gas(_op(b"\x00" * 32)) - base == 32 * 4 + (16 - 4)


def test_placeholder_signature_is_well_formed_and_nobodys() -> None:
    signature = dummy_signature()
    assert len(signature) == 65
    assert signature[64] in (27, 28)
    recovered = Account._recover_hash(keccak(text="placeholder"), signature=signature)
    assert recovered != "0x" + "00" * 20


def _execution_result(pre_op_gas: int, paid_wei: int) -> bytes:
    return abi.encode(
        ["(uint256,uint256,uint256,uint256,bool,bytes)"],
        [(pre_op_gas, paid_wei, 1, 0, True, b"")],
    )


def _measured(deposit_wei: int) -> tuple[MeasuredGas, int]:
    """Feed the estimator a measured op (validation 100k, execution 1M under the generous
    limit) and an account deposit; returns the result and the max fee used."""
    fees = Fees(base_fee_per_gas=5, max_priority_fee_per_gas=1, max_fee_per_gas=11)
    sims = gas_simulations("0x" + "22" * 20, _op(b"\x01" * 100), fees)
    pre_op = 100_000 + sims.pre_verification_gas
    execution = 1_000_000
    paid_gas = pre_op + execution + (GENEROUS_CALL_GAS - execution) * 10 // 100
    outputs = [
        _execution_result(pre_op, 0),
        _execution_result(pre_op, paid_gas * sims.max_fee),
        deposit_wei.to_bytes(32, "big"),
    ]
    return estimate_from_simulations(sims, outputs), sims.max_fee


def test_likely_gas_follows_the_entry_points_charge_with_the_final_limits() -> None:
    measured, _ = _measured(deposit_wei=0)
    e = measured.estimate
    assert 1_000_000 <= e.execution_gas <= 1_000_002  # the solver's bound: tight, never low
    unused = e.call_gas_limit - e.execution_gas
    assert unused > PENALTY_FREE_UNUSED_GAS
    pre_op = e.validation_gas + e.pre_verification_gas
    assert e.likely_gas == pre_op + e.execution_gas + unused * 10 // 100
    assert measured.verify is None  # measured and final op both top up the deposit


def test_a_deposit_covering_only_the_final_prefund_asks_for_a_verifying_simulation() -> None:
    """The measured op (generous limits) paid missing funds; the final one will not: its
    validation is cheaper, which the formula cannot know."""
    probe, max_fee = _measured(deposit_wei=0)
    final_prefund = probe.estimate.max_gas * max_fee
    covered, _ = _measured(deposit_wei=final_prefund + 1)
    assert covered.verify is not None
    assert covered.verify.block == "pending"
    rich, _ = _measured(deposit_wei=10**30)  # covers the generous prefund too: same path
    assert rich.verify is None
