"""The arithmetic behind the gas estimate (the on-chain comparison with actualGasUsed is in
test_wallet_flow.py)."""

from __future__ import annotations

from eth_account import Account
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.wallet import UserOperation
from orchestrator.wallet.gas import (
    BUNDLE_OVERHEAD_GAS,
    PENALTY_FREE_UNUSED_GAS,
    TX_BASE_GAS,
    _execution_gas_upper_bound,
    dummy_signature,
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
