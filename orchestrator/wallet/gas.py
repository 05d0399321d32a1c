"""Gas limits and cost of a user operation, measured by simulation (no bundler, no key).

Two `simulateHandleOp` dry runs (see `orchestrator.wallet.simulation`), independent of
each other, so they go to the node as one batch (`gas_simulations` builds them; a preview
adds its quotes to the same batch). They use the real maxFeePerGas with the priority fee
raised to it, so the gas price the EntryPoint charges is exactly maxFeePerGas whatever the
base fee, "paid" divides back into gas, and the required prefund (hence whether the
account must top up its deposit, which costs gas) is the real one:

1. **probe**: the op with empty callData, then its calls run from the EntryPoint as the
   simulation's `target` call: do the calls succeed, and if not, with what revert? A
   revert stops here with `CallWouldRevert` (decoded, naming the failing call).
2. **measure**: the op with generous limits. Validation gas V = preOpGas −
   preVerificationGas. Execution gas E is read back from what the EntryPoint charged:
   `paid − preOpGas = E + ⌊(callGasLimit − E)/10⌋ + post`, where the second term is the
   EntryPoint's 10 % penalty on unused call gas and `post` ≥ 0 the few hundred gas of
   post-execution bookkeeping; solving for E with post = 0 gives an upper bound.

Final limits: verificationGasLimit = V + 10 % + 10 000; callGasLimit = E + 15 % + 10 000
(the 15 % covers the 63/64 rule through ~8 nested calls, which consumption alone does
not show). preVerificationGas = 21 000 + the calldata gas of a one-op `handleOps`
transaction + `BUNDLE_OVERHEAD_GAS` (the EntryPoint work no limit meters: the refund
store, the event, paying the beneficiary).

Likely gas is what the EntryPoint will charge with those limits, computed with its own
formula: preOpGas + E + the unused-gas penalty on (callGasLimit − E) (within the few
hundred gas of `post`). That holds when the final op takes the same validation path as
the measured one. It does not when the account's EntryPoint deposit covers the final op's
prefund but not the generous one's: the measured op paid the missing funds (a transfer
and a deposit write, ~9-25k gas) and the real one will not. The deposit is read in the
same batch; only in that case a third simulation, with the final limits, measures the
likely gas (a second round trip). The final signed op is still run through `handleOps`
by the self-bundler, or validated by the bundler, before it is sent.

Cost: likely = likely gas × (next base fee + tip), max = every limit added up
× maxFeePerGas, i.e. the EntryPoint's required prefund: the user can never be charged more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from eth_account import Account
from eth_utils.crypto import keccak

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import EthCall, call_batch
from orchestrator.chain.fees import Fees
from orchestrator.chain.vault_binding import DEPOSIT_OF, HANDLE_OPS
from orchestrator.errors import CallWouldRevert, ContractReverted, InputError, InsufficientPrefund
from orchestrator.wallet.simulation import decode_execution_result, simulation_call
from orchestrator.wallet.smart_account import decode_account_revert
from orchestrator.wallet.userop import UserOperation

__all__ = [
    "BUNDLE_OVERHEAD_GAS",
    "CALL_BUFFER_GAS",
    "CALL_MARGIN_PCT",
    "VERIFICATION_BUFFER_GAS",
    "VERIFICATION_MARGIN_PCT",
    "GasSimulations",
    "MeasuredGas",
    "UserOpGasEstimate",
    "check_prefund",
    "dummy_signature",
    "estimate_from_simulations",
    "finish_estimate",
    "gas_simulations",
    "pre_verification_gas",
    "with_verification",
]

VERIFICATION_MARGIN_PCT = 10
VERIFICATION_BUFFER_GAS = 10_000
CALL_MARGIN_PCT = 15
CALL_BUFFER_GAS = 10_000
# Unmetered EntryPoint work per one-op bundle: measured at ~17k (the refund SSTORE, the
# UserOperationEvent, paying the beneficiary); 25k also covers a cold beneficiary. The
# flow tests check that the op pays at least what its bundle transaction cost.
BUNDLE_OVERHEAD_GAS = 25_000
TX_BASE_GAS = 21_000
GENEROUS_VERIFICATION_GAS = 3_000_000
GENEROUS_CALL_GAS = 20_000_000  # a 100-leg first buy executes ~10.5M
PENALTY_FREE_UNUSED_GAS = 40_000  # EntryPoint PENALTY_GAS_THRESHOLD
_PLACEHOLDER_BENEFICIARY = "0x" + "ff" * 20


@cache
def dummy_signature() -> bytes:
    """A well-formed 65-byte signature from a throwaway key: it recovers to an address
    that is nobody's owner, so validation reports a signature failure instead of
    reverting (OpenZeppelin's ECDSA.recover reverts on malformed signatures)."""
    signer = Account.from_key(keccak(text="indexvault user-op gas estimation placeholder"))
    return bytes(signer.unsafe_sign_hash(keccak(text="placeholder")).signature)


def _calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def pre_verification_gas(op: UserOperation) -> int:
    """Gas the EntryPoint cannot meter for `op`: the bundle transaction's base cost and the
    op's calldata (as the one op of a `handleOps` call), plus the unmetered overhead."""
    signed_like = op.replace(signature=op.signature or dummy_signature())
    calldata = HANDLE_OPS.call([signed_like.packed().as_abi_tuple()], _PLACEHOLDER_BENEFICIARY)
    return TX_BASE_GAS + _calldata_gas(calldata) + BUNDLE_OVERHEAD_GAS


@dataclass(frozen=True)
class UserOpGasEstimate:
    """Limits to put in the op and what it will cost. Gas in gas units, money in wei."""

    verification_gas_limit: int
    call_gas_limit: int
    pre_verification_gas: int
    validation_gas: int  # measured, with account creation when the op carries initCode
    execution_gas: int  # upper bound of the measured execution gas
    likely_gas: int  # the simulated actualGasUsed with these limits
    max_fee_per_gas_wei: int
    max_priority_fee_per_gas_wei: int
    likely_fee_per_gas_wei: int  # next block's base fee + tip, capped by the max fee

    @property
    def max_gas(self) -> int:
        return self.verification_gas_limit + self.call_gas_limit + self.pre_verification_gas

    @property
    def likely_cost_wei(self) -> int:
        return self.likely_gas * self.likely_fee_per_gas_wei

    @property
    def max_cost_wei(self) -> int:
        """The EntryPoint's required prefund: the most the account can be charged."""
        return self.max_gas * self.max_fee_per_gas_wei

    def apply(self, op: UserOperation) -> UserOperation:
        """`op` with these limits and fees (any signature is dropped: it would be stale)."""
        return op.replace(
            verification_gas_limit=self.verification_gas_limit,
            call_gas_limit=self.call_gas_limit,
            pre_verification_gas=self.pre_verification_gas,
            max_fee_per_gas_wei=self.max_fee_per_gas_wei,
            max_priority_fee_per_gas_wei=self.max_priority_fee_per_gas_wei,
            signature=b"",
        )


def _execution_gas_upper_bound(paid_gas: int, pre_op_gas: int, call_gas_limit: int) -> int:
    """Solve paid − preOpGas = E + ⌊(limit − E)·10/100⌋ + post (post ≥ 0) for the largest
    E: the penalty applies when limit > E + 40 000, which a generous limit ensures."""
    after_validation = paid_gas - pre_op_gas
    with_penalty = -(-(10 * after_validation - call_gas_limit + 10) // 9)  # ceil division
    if call_gas_limit > with_penalty + PENALTY_FREE_UNUSED_GAS:
        return max(with_penalty, 0)
    return after_validation  # no penalty was charged: everything after validation is E


def _penalty(call_gas_limit: int, execution_gas: int) -> int:
    """EntryPoint v0.8's charge for unused call gas: 10 % of it, when over 40 000."""
    unused = call_gas_limit - execution_gas
    return unused * 10 // 100 if unused > PENALTY_FREE_UNUSED_GAS else 0


@dataclass(frozen=True)
class GasSimulations:
    """The reads that measure an op, built but not sent: `calls` = (probe, measure, the
    sender's EntryPoint deposit)."""

    entry_point: str
    base: UserOperation  # the op as simulated: placeholder signature, flat fees
    pre_verification_gas: int
    fees: Fees
    calls: tuple[EthCall, EthCall, EthCall]

    @property
    def max_fee(self) -> int:
        return self.base.max_fee_per_gas_wei

    @property
    def generous_prefund_wei(self) -> int:
        gas = GENEROUS_VERIFICATION_GAS + GENEROUS_CALL_GAS + self.pre_verification_gas
        return gas * self.max_fee


@dataclass(frozen=True)
class MeasuredGas:
    """The analytic estimate, and the simulation to run when it cannot be trusted (the
    final op will skip the deposit top-up the measured one paid), else None."""

    estimate: UserOpGasEstimate
    verify: EthCall | None


def gas_simulations(entry_point: str, op: UserOperation, fees: Fees) -> GasSimulations:
    """Build the probe and measure simulations of `op` (its sender, nonce, initCode and
    callData; gas fields and signature are ignored). Pure: nothing is sent."""
    if op.paymaster is not None:
        raise InputError(
            f"the local estimator does not handle paymasters (op uses {op.paymaster})",
            hint="Estimate paymaster ops with the bundler (BundlerClient.estimate).",
        )
    max_fee = max(fees.max_fee_per_gas, 1)
    flat = {"max_fee_per_gas_wei": max_fee, "max_priority_fee_per_gas_wei": max_fee}
    base = op.replace(signature=dummy_signature(), **flat)
    # calldata is priced per byte: price the gas words at the generous limits' width (no
    # narrower than the final ones), not at the draft's zeros
    pvg = pre_verification_gas(
        base.replace(
            verification_gas_limit=GENEROUS_VERIFICATION_GAS,
            call_gas_limit=GENEROUS_CALL_GAS,
            pre_verification_gas=2**24 - 1,
        )
    )
    probe = simulation_call(
        entry_point,
        base.replace(
            call_data=b"",
            call_gas_limit=0,
            verification_gas_limit=GENEROUS_VERIFICATION_GAS,
            pre_verification_gas=pvg,
        ),
        target=op.sender,
        target_call_data=op.call_data,
    )
    measure = simulation_call(
        entry_point,
        base.replace(
            verification_gas_limit=GENEROUS_VERIFICATION_GAS,
            call_gas_limit=GENEROUS_CALL_GAS,
            pre_verification_gas=pvg,
        ),
    )
    deposit = EthCall(to=entry_point, data=DEPOSIT_OF.call(op.sender))
    return GasSimulations(entry_point, base, pvg, fees, (probe, measure, deposit))


def estimate_from_simulations(
    sims: GasSimulations, outputs: Sequence[bytes | ContractReverted], *, fees: Fees | None = None
) -> MeasuredGas:
    """Limits, likely gas and fees from the answers to `sims.calls`; the op's fees are
    `fees` (default: the simulations' own; gas measured at one fee is the same at another).
    Raises CallWouldRevert when the calls would revert, ContractReverted(FailedOp) when
    validation would fail."""
    probe_out, measure_out, deposit_out = outputs
    probe = decode_execution_result(probe_out)
    if not probe.target_success:
        index, inner = decode_account_revert(probe.target_result)
        raise CallWouldRevert(inner, call_index=index)
    measured = decode_execution_result(measure_out)
    pvg, max_fee = sims.pre_verification_gas, sims.max_fee
    validation_gas = measured.pre_op_gas - pvg
    execution_gas = _execution_gas_upper_bound(
        measured.paid_wei // max_fee, measured.pre_op_gas, GENEROUS_CALL_GAS
    )
    # An inner call that runs out of gas leaves 1/64 unused in the outer frame, so the
    # measured use of an op too big for the generous limit lands just below it: treat
    # anything above 95 % of it as "did not fit" rather than as a measurement.
    if execution_gas * 100 >= GENEROUS_CALL_GAS * 95:
        raise InputError(
            f"the operation's calls need about {execution_gas} gas, more than the "
            f"{GENEROUS_CALL_GAS} this estimator allows",
            hint="Split the calls over several user operations.",
        )

    verification_limit = (
        validation_gas * (100 + VERIFICATION_MARGIN_PCT) // 100 + VERIFICATION_BUFFER_GAS
    )
    call_limit = execution_gas * (100 + CALL_MARGIN_PCT) // 100 + CALL_BUFFER_GAS
    fees = fees or sims.fees
    max_fee = max(fees.max_fee_per_gas, 1)
    estimate = UserOpGasEstimate(
        verification_gas_limit=verification_limit,
        call_gas_limit=call_limit,
        pre_verification_gas=pvg,
        validation_gas=validation_gas,
        execution_gas=execution_gas,
        likely_gas=measured.pre_op_gas + execution_gas + _penalty(call_limit, execution_gas),
        max_fee_per_gas_wei=max_fee,
        max_priority_fee_per_gas_wei=min(fees.max_priority_fee_per_gas, max_fee),
        likely_fee_per_gas_wei=min(fees.likely_fee_per_gas, max_fee),
    )
    if isinstance(deposit_out, ContractReverted):
        raise deposit_out
    deposit = int.from_bytes(deposit_out, "big")
    # the EntryPoint asks the account for funds unless deposit > required prefund
    same_path = (deposit > estimate.max_gas * max_fee) == (deposit > sims.generous_prefund_wei)
    if same_path:
        return MeasuredGas(estimate, None)
    final = sims.base.replace(
        verification_gas_limit=verification_limit, call_gas_limit=call_limit,
        pre_verification_gas=pvg, max_fee_per_gas_wei=max_fee, max_priority_fee_per_gas_wei=max_fee,
    )  # fmt: skip
    return MeasuredGas(estimate, simulation_call(sims.entry_point, final))


def with_verification(measured: MeasuredGas, output: bytes | ContractReverted) -> UserOpGasEstimate:
    """The estimate with its likely gas from the final-limits simulation's answer."""
    verified = decode_execution_result(output)
    estimate = measured.estimate
    return replace(estimate, likely_gas=verified.paid_wei // estimate.max_fee_per_gas_wei)


def finish_estimate(
    chain: Chain,
    sims: GasSimulations,
    outputs: Sequence[bytes | ContractReverted],
    *,
    fees: Fees | None = None,
) -> UserOpGasEstimate:
    """The estimate from the answers to `sims.calls`, with the verifying simulation run
    when the analytic likely gas does not apply. Raises as `estimate_from_simulations`."""
    measured = estimate_from_simulations(sims, outputs, fees=fees)
    if measured.verify is None:
        return measured.estimate
    (output,) = call_batch(chain, [measured.verify])
    return with_verification(measured, output)


def check_prefund(chain: Chain, op: UserOperation, *, deposit_wei: int | None = None) -> None:
    """Raise InsufficientPrefund unless the sender's ETH plus EntryPoint deposit covers
    the op's maximum cost (what the EntryPoint demands up front)."""
    balance = chain.balance_wei(op.sender)
    available = balance + (deposit_wei or 0)
    if available < op.max_cost_wei:
        raise InsufficientPrefund(
            sender=op.sender, available_wei=available, required_wei=op.max_cost_wei
        )
