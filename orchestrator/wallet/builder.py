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
from orchestrator.chain.calls import call_batch
from orchestrator.chain.fees import Fees, suggest_fees
from orchestrator.errors import ContractReverted
from orchestrator.wallet.gas import (
    GasSimulations,
    UserOpGasEstimate,
    finish_estimate,
    gas_simulations,
)
from orchestrator.wallet.smart_account import Call, SmartAccount, encode_calls
from orchestrator.wallet.userop import UserOperation
from orchestrator.wallet.userop_signing import user_op_hash

__all__ = [
    "DraftUserOp",
    "PreparedUserOp",
    "draft_from",
    "draft_user_op",
    "prepare_user_op",
    "unsigned_user_op",
]


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


def _unsigned(
    account: SmartAccount, calls: Sequence[Call], *, deployed: bool, nonce: int
) -> UserOperation:
    return UserOperation(
        sender=account.address,
        nonce=nonce,
        call_data=encode_calls(calls),
        call_gas_limit=0,
        verification_gas_limit=0,
        pre_verification_gas=0,
        max_fee_per_gas_wei=0,
        max_priority_fee_per_gas_wei=0,
        factory=None if deployed else account.aa.simple_account_factory,
        factory_data=b"" if deployed else account.factory_data,
    )


def unsigned_user_op(
    chain: Chain, account: SmartAccount, calls: Sequence[Call], *, nonce_key: int = 0
) -> UserOperation:
    """The op with nonce, initCode (only while the account has no code) and callData; gas
    and fees zero. Reads the chain twice (code, nonce)."""
    deployed = account.is_deployed(chain)
    return _unsigned(account, calls, deployed=deployed, nonce=account.nonce(chain, nonce_key))


@dataclass(frozen=True)
class DraftUserOp:
    """An op before its gas is known, with the simulations that will measure it (not yet
    sent: a caller may batch them with its own reads)."""

    op: UserOperation  # nonce, initCode, callData; gas and fees zero
    sims: GasSimulations

    @property
    def deploys_account(self) -> bool:
        return self.op.factory is not None

    def complete(
        self,
        chain: Chain,
        outputs: Sequence[bytes | ContractReverted],
        *,
        fees: Fees | None = None,
    ) -> PreparedOp:
        """The op with the limits measured by `outputs` (the answers to `sims.calls`; one
        more simulation when the analytic likely gas does not apply) and `fees` (default:
        the ones simulated with). Raises CallWouldRevert / ContractReverted like the
        estimator."""
        estimate = finish_estimate(chain, self.sims, outputs, fees=fees)
        return PreparedOp(estimate.apply(self.op), estimate)


@dataclass(frozen=True)
class PreparedOp:
    op: UserOperation  # unsigned, gas and fees filled in
    estimate: UserOpGasEstimate


def draft_from(
    account: SmartAccount,
    calls: Sequence[Call],
    *,
    deployed: bool,
    nonce: int,
    fees: Fees,
) -> DraftUserOp:
    """Pure: the unsigned op and its gas simulations, from facts read elsewhere (whether the
    account is deployed, its nonce, the fees)."""
    op = _unsigned(account, calls, deployed=deployed, nonce=nonce)
    return DraftUserOp(op, gas_simulations(account.aa.entry_point, op, fees))


def draft_user_op(
    chain: Chain,
    account: SmartAccount,
    calls: Sequence[Call],
    *,
    nonce_key: int = 0,
    fees: Fees | None = None,
) -> DraftUserOp:
    """The unsigned op and its gas simulations. Reads code, nonce and fees."""
    fees = fees or suggest_fees(chain)
    draft = unsigned_user_op(chain, account, calls, nonce_key=nonce_key)
    return DraftUserOp(draft, gas_simulations(account.aa.entry_point, draft, fees))


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
    draft = draft_user_op(chain, account, calls, nonce_key=nonce_key, fees=fees)
    prepared = draft.complete(chain, call_batch(chain, draft.sims.calls))
    op = prepared.op
    available = account.balance_wei(chain) + account.deposit_wei(chain)
    return PreparedUserOp(
        op=op,
        estimate=prepared.estimate,
        user_op_hash=user_op_hash(op, entry_point=account.aa.entry_point, chain_id=chain.chain_id),
        deploys_account=draft.deploys_account,
        funding_shortfall_wei=max(op.max_cost_wei - available, 0),
    )
