"""Submit a signed user operation and wait for its result: one protocol, two ways.

- `BundlerClient` (orchestrator.execution.bundler_client): `eth_sendUserOperation` to an
  ERC-4337 bundler, when a bundler URL is configured.
- `SelfBundler`: a local key calls `EntryPoint.handleOps([op], beneficiary)` itself (local
  chains, or a testnet without a bundler). It simulates the call first, like a bundler,
  so a rejected op costs nothing; the beneficiary (default: the bundler key) is repaid
  the op's actualGasCost by the EntryPoint.

Idempotency: an op is identified by its hash (EntryPoint.getUserOpHash). `submit` looks
the hash up first and returns the existing result (`already_included=True`) instead of
sending again. The EntryPoint would refuse a second execution anyway (AA25: nonce spent;
AA10 for the op that created the account), and that refusal is also answered with the
existing result when the hash is found.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.chain.reverts import decode_revert_data, is_revert, revert_from_exception
from orchestrator.chain.transactor import Transactor, TxParams
from orchestrator.chain.transport import seconds_from_env
from orchestrator.chain.vault_binding import DEPOSIT_OF, GET_NONCE, HANDLE_OPS
from orchestrator.crashpoints import crash_point
from orchestrator.errors import (
    MAYBE_ALREADY_INCLUDED,
    ConfigError,
    ContractReverted,
    InputError,
    UserOpRejected,
)
from orchestrator.execution.userop_result import (
    USER_OPERATION_EVENT_TOPIC,
    UserOpResult,
    decode_user_op_result,
)
from orchestrator.wallet.gas import check_prefund
from orchestrator.wallet.userop import SIGNATURE_LENGTH, UserOperation
from orchestrator.wallet.userop_signing import user_op_hash

__all__ = [
    "HANDLE_OPS_OVERHEAD_GAS",
    "SelfBundler",
    "UserOpSubmitter",
    "handle_ops_gas_limit",
    "rejection_from_revert",
    "submitter_for",
]

HANDLE_OPS_OVERHEAD_GAS = 100_000
INCLUSION_TIMEOUT_ENV = "INDEXVAULT_INCLUSION_TIMEOUT_S"  # how long a confirm waits (120 s)
DEFAULT_INCLUSION_TIMEOUT_S = 120.0
BUNDLER_TIMEOUT_ENV = "INDEXVAULT_BUNDLER_TIMEOUT_S"  # one bundler request's answer (30 s)
DEFAULT_BUNDLER_TIMEOUT_S = 30.0
LOCAL_POLL_INTERVAL_S = 0.05
PUBLIC_POLL_INTERVAL_S = 1.0
# How far back receipt look-ups search by default (RPC providers cap eth_getLogs ranges).
# A caller that knows when an op was first sent (the journal) passes that block instead.
DEFAULT_LOOKBACK_BLOCKS = 10_000


@runtime_checkable
class UserOpSubmitter(Protocol):
    """What the buy/sell flow calls. Both implementations are idempotent per op hash."""

    @property
    def entry_point(self) -> str: ...

    def submit(self, op: UserOperation, *, timeout_s: float = 120.0) -> UserOpResult:
        """Send `op` (signed) and wait until it is included; or return the result it
        already has. Raises UserOpRejected when the EntryPoint/bundler refuses it."""
        ...

    def receipt(self, user_op_hash: bytes | str) -> UserOpResult | None:
        """The result of an included op, or None if it is not (yet) on chain."""
        ...

    def fit(self, op: UserOperation) -> UserOperation:
        """`op` (unsigned) with gas limits this submitter accepts; the preview calls it
        before the op is hashed and shown."""
        ...


def handle_ops_gas_limit(op: UserOperation) -> int:
    """A `handleOps([op])` transaction gas limit: every limit of the op, 10 % for the
    63/64 rule on the EntryPoint's inner calls, and a fixed overhead for the bundle."""
    return op.max_gas * 11 // 10 + HANDLE_OPS_OVERHEAD_GAS


def _hash_hex(value: bytes | str) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value.lower() if value.startswith("0x") else "0x" + value.lower()


def rejection_from_revert(error: ContractReverted, *, user_op_hash: str) -> ContractReverted:
    """`FailedOp(index, reason)` / `FailedOpWithRevert(index, reason, inner)` from the
    EntryPoint become UserOpRejected with the reason; other reverts pass through."""
    if error.error_name == "FailedOp" and len(error.error_args) == 2:
        return UserOpRejected(
            str(error.error_args[1]), user_op_hash=user_op_hash, raw=error.raw,
            tx_hash=error.tx_hash,
        )  # fmt: skip
    if error.error_name == "FailedOpWithRevert" and len(error.error_args) == 3:
        inner = decode_revert_data(bytes(error.error_args[2]))
        return UserOpRejected(
            str(error.error_args[1]), user_op_hash=user_op_hash, inner=inner, raw=error.raw,
            tx_hash=error.tx_hash,
        )  # fmt: skip
    return error


class SelfBundler:
    """`handleOps` from a local key. One op per bundle; not thread-safe (the Transactor)."""

    def __init__(
        self,
        chain: Chain,
        entry_point: str,
        bundler: Transactor,
        *,
        beneficiary: str | None = None,
        search_from_block: int | None = None,
        preflight: bool = True,
    ) -> None:
        self.chain = chain
        self._entry_point = to_checksum_address(entry_point)
        self.bundler = bundler
        self.beneficiary = to_checksum_address(beneficiary or bundler.address)
        if search_from_block is None:
            latest = chain.block_number()
            search_from_block = max(latest - DEFAULT_LOOKBACK_BLOCKS, 0)
        self.search_from_block = search_from_block  # where receipt look-ups start
        self.preflight = preflight

    @property
    def entry_point(self) -> str:
        return self._entry_point

    def user_op_hash(self, op: UserOperation) -> str:
        digest = user_op_hash(op, entry_point=self._entry_point, chain_id=self.chain.chain_id)
        return "0x" + digest.hex()

    def fit(self, op: UserOperation) -> UserOperation:
        """The simulated limits are what `handleOps` needs: nothing to add."""
        return op

    # -- look-up ---------------------------------------------------------------------------
    def receipt(self, user_op_hash: bytes | str) -> UserOpResult | None:
        wanted = _hash_hex(user_op_hash)
        logs = self.chain.logs(
            self._entry_point,
            [USER_OPERATION_EVENT_TOPIC, wanted],
            from_block=self.search_from_block,
            to_block="latest",
        )
        if not logs:
            return None
        tx_receipt = self.chain.receipt(logs[0]["transactionHash"])
        return None if tx_receipt is None else self._decode(wanted, tx_receipt)

    def _decode(self, wanted: str, tx_receipt: object) -> UserOpResult | None:
        receipt = dict(tx_receipt)  # type: ignore[call-overload]
        return decode_user_op_result(
            logs=receipt["logs"],
            entry_point=self._entry_point,
            user_op_hash=wanted,
            transaction_hash=receipt["transactionHash"].to_0x_hex(),
            block_number=int(receipt["blockNumber"]),
            bundle_gas_used=int(receipt["gasUsed"]),
        )

    # -- submission ------------------------------------------------------------------------
    def _nonce_spent(self, op: UserOperation) -> bool:
        """Whether `op`'s nonce is used already (by it or by another op): only then can it
        be included, so only then is the (slower) log search worth making."""
        key, sequence = op.nonce >> 64, op.nonce & (2**64 - 1)
        data = call_raw(self.chain, self._entry_point, GET_NONCE.call(op.sender, key))
        (current,) = GET_NONCE.decode(data)
        return (int(current) & (2**64 - 1)) > sequence

    def submit(self, op: UserOperation, *, timeout_s: float = 120.0) -> UserOpResult:
        wanted = self.user_op_hash(op)
        if self._nonce_spent(op):
            existing = self.receipt(wanted)
            if existing is not None:
                return existing.as_already_included()
        if len(op.signature) != SIGNATURE_LENGTH:
            raise InputError(
                f"user operation {wanted} is not signed ({len(op.signature)}-byte signature)",
                hint="Sign it with orchestrator.wallet.sign_user_op first.",
            )
        gas = handle_ops_gas_limit(op)
        data = HANDLE_OPS.call([op.packed().as_abi_tuple()], self.beneficiary)
        call: TxParams = {"to": self._entry_point, "data": HexBytes(data)}
        try:
            if self.preflight:
                deposit = DEPOSIT_OF.call(op.sender)
                (deposit_wei,) = DEPOSIT_OF.decode(call_raw(self.chain, self._entry_point, deposit))
                check_prefund(self.chain, op, deposit_wei=int(deposit_wei))
                call_raw(self.chain, self._entry_point, data, sender=self.bundler.address, gas=gas)
            sent = self.bundler.send_nowait(call, gas=gas)
            crash_point("confirm.broadcast")
            tx_receipt = self.bundler.wait(sent, timeout_s=timeout_s)
        except Exception as error:
            if isinstance(error, ContractReverted):
                reverted = error
            elif is_revert(error):  # the preflight eth_call's raw backend exception
                reverted = revert_from_exception(error)
            else:
                raise
            rejection = rejection_from_revert(reverted, user_op_hash=wanted)
            if isinstance(rejection, UserOpRejected) and rejection.code in MAYBE_ALREADY_INCLUDED:
                included = self.receipt(wanted)  # spent by this very op: done
                if included is not None:
                    return included.as_already_included()
            raise rejection from error
        result = self._decode(wanted, tx_receipt)
        if result is None:
            raise ConfigError(
                f"handleOps {tx_receipt['transactionHash'].to_0x_hex()} succeeded but emitted "
                f"no UserOperationEvent for {wanted}",
                hint="Check that the EntryPoint address is right for this chain.",
            )
        return result


def submitter_for(
    chain: Chain,
    entry_point: str,
    *,
    bundler_url: str | None = None,
    bundler_key: Transactor | None = None,
) -> UserOpSubmitter:
    """A bundler client when a bundler URL is configured, else a self-bundler that sends
    `handleOps` from `bundler_key` (which pays the transaction and is repaid by the op)."""
    if bundler_url:
        from orchestrator.execution.bundler_client import BundlerClient

        # a local node mines each bundle at once: poll its receipt every 50 ms, not 1 s
        poll_s = LOCAL_POLL_INTERVAL_S if chain.is_local else PUBLIC_POLL_INTERVAL_S
        return BundlerClient(
            bundler_url,
            entry_point=entry_point,
            chain_id=chain.chain_id,
            poll_interval_s=poll_s,
            inclusion_timeout_s=seconds_from_env(
                INCLUSION_TIMEOUT_ENV, DEFAULT_INCLUSION_TIMEOUT_S
            ),
            timeout_s=seconds_from_env(BUNDLER_TIMEOUT_ENV, DEFAULT_BUNDLER_TIMEOUT_S),
        )
    if bundler_key is None:
        raise InputError(
            "no bundler URL is configured and no key was given to self-bundle with",
            hint="Set bundler_url (an ERC-4337 bundler's RPC URL for this chain) in the "
            "network file, $INDEXVAULT_HOME/networks/NAME.json; only the local network "
            "self-bundles, from a dev account.",
        )
    return SelfBundler(chain, entry_point, bundler_key)
