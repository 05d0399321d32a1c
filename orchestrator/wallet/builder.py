"""Assemble a user operation for a smart account: nonce, initCode, callData, gas, fees.

    prepared = prepare_user_op(chain, account, [Call(usdc, 0, approve), Call(vault, 0, buy)])
    prepared.estimate.likely_cost_wei, prepared.estimate.max_cost_wei   # for the preview
    signed = sign_user_op(prepared.op, owner_key, entry_point=..., chain_id=...)
    result = submitter.submit(signed)                                    # execution/

The op is unsigned; its hash (`prepared.user_op_hash`) does not cover the signature, so
it identifies the operation from the preview onwards (idempotency key for the journal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.chain.backends import Chain
from orchestrator.chain.fees import Fees, suggest_fees
from orchestrator.wallet.gas import UserOpGasEstimate, estimate_user_op_gas
from orchestrator.wallet.smart_account import Call, SmartAccount, encode_calls
from orchestrator.wallet.userop import UserOperation
from orchestrator.wallet.userop_signing import user_op_hash

__all__ = ["PreparedUserOp", "prepare_user_op", "unsigned_user_op"]


@dataclass(frozen=True)
class PreparedUserOp:
    op: UserOperation  # unsigned, gas and fees filled in
    estimate: UserOpGasEstimate
    user_op_hash: bytes  # EntryPoint.getUserOpHash(op): the same once signed
    deploys_account: bool
    funding_shortfall_wei: int  # > 0: send this much ETH to the account before submitting

    @property
    def user_op_hash_hex(self) -> str:
        return "0x" + self.user_op_hash.hex()


def unsigned_user_op(
    chain: Chain, account: SmartAccount, calls: Sequence[Call], *, nonce_key: int = 0
) -> UserOperation:
    """The op with nonce, initCode (only while the account has no code) and callData; gas
    and fees zero. Reads the chain twice (code, nonce)."""
    deployed = account.is_deployed(chain)
    return UserOperation(
        sender=account.address,
        nonce=account.nonce(chain, nonce_key),
        call_data=encode_calls(calls),
        call_gas_limit=0,
        verification_gas_limit=0,
        pre_verification_gas=0,
        max_fee_per_gas_wei=0,
        max_priority_fee_per_gas_wei=0,
        factory=None if deployed else account.aa.simple_account_factory,
        factory_data=b"" if deployed else account.factory_data,
    )


def prepare_user_op(
    chain: Chain,
    account: SmartAccount,
    calls: Sequence[Call],
    *,
    nonce_key: int = 0,
    fees: Fees | None = None,
) -> PreparedUserOp:
    """A ready-to-sign op: gas measured by simulation, fees from `suggest_fees`. Raises
    CallWouldRevert if its calls would revert, before anything is signed."""
    fees = fees or suggest_fees(chain.w3)
    draft = unsigned_user_op(chain, account, calls, nonce_key=nonce_key)
    estimate = estimate_user_op_gas(chain, account.aa.entry_point, draft, fees=fees)
    op = estimate.apply(draft)
    available = account.balance_wei(chain) + account.deposit_wei(chain)
    return PreparedUserOp(
        op=op,
        estimate=estimate,
        user_op_hash=user_op_hash(op, entry_point=account.aa.entry_point, chain_id=chain.chain_id),
        deploys_account=draft.factory is not None,
        funding_shortfall_wei=max(op.max_cost_wei - available, 0),
    )
