"""The outcome of one included user operation, decoded from the bundle's receipt logs.

Both submitters produce a `UserOpResult`: the self-bundler from its own transaction
receipt, the bundler client from `eth_getUserOperationReceipt` (whose JSON is parsed by
`UserOpResult.from_rpc`, and which `to_rpc` writes back in the same ERC-4337 shape).

The EntryPoint's events give the facts: `UserOperationEvent` (success, actualGasCost,
actualGasUsed), `UserOperationRevertReason` (the calls' revert bytes, decoded here,
unwrapping BaseAccount's `ExecuteError(index, error)`), `AccountDeployed`. The logs that
belong to the op are those its execution emitted: after `BeforeExecution` (or the
previous op's `UserOperationEvent`) up to its own `UserOperationEvent`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from eth_utils.address import to_checksum_address

from orchestrator.chain.abi import decode as abi_decode
from orchestrator.chain.vault_binding import (
    ACCOUNT_DEPLOYED,
    BEFORE_EXECUTION,
    USER_OPERATION_EVENT,
    USER_OPERATION_PREFUND_TOO_LOW,
    USER_OPERATION_REVERT_REASON,
)
from orchestrator.errors import ContractReverted, UnexpectedAnswer
from orchestrator.wallet.smart_account import decode_account_revert

__all__ = [
    "ACCOUNT_DEPLOYED_TOPIC",
    "BEFORE_EXECUTION_TOPIC",
    "USER_OPERATION_EVENT_TOPIC",
    "USER_OPERATION_REVERT_REASON_TOPIC",
    "LogEntry",
    "UserOpResult",
    "decode_user_op_result",
]

USER_OPERATION_EVENT_TOPIC = USER_OPERATION_EVENT.topic_hex
USER_OPERATION_REVERT_REASON_TOPIC = USER_OPERATION_REVERT_REASON.topic_hex
ACCOUNT_DEPLOYED_TOPIC = ACCOUNT_DEPLOYED.topic_hex
BEFORE_EXECUTION_TOPIC = BEFORE_EXECUTION.topic_hex
PREFUND_TOO_LOW_TOPIC = USER_OPERATION_PREFUND_TOO_LOW.topic_hex
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def _hex(value: Any) -> str:
    """0x-prefixed lower-case hex from bytes/HexBytes/str."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return (text if text.startswith("0x") else "0x" + text).lower()


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(str(value), 16)


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = str(value)
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


@dataclass(frozen=True)
class LogEntry:
    """A log in one normalised shape, whichever client produced it."""

    address: str
    topics: tuple[str, ...]
    data: bytes
    log_index: int

    @classmethod
    def parse(cls, log: Mapping[str, Any]) -> LogEntry:
        return cls(
            address=to_checksum_address(str(_hex(log["address"]))),
            topics=tuple(_hex(t) for t in log["topics"]),
            data=_bytes(log.get("data", b"")),
            log_index=_int(log.get("logIndex", 0)),
        )

    def to_rpc(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "topics": list(self.topics),
            "data": "0x" + self.data.hex(),
            "logIndex": hex(self.log_index),
        }


@dataclass(frozen=True)
class UserOpResult:
    """One included user operation. Amounts in wei, gas in gas units."""

    user_op_hash: str
    entry_point: str
    sender: str
    nonce: int
    success: bool
    actual_gas_cost_wei: int
    actual_gas_used: int
    transaction_hash: str
    block_number: int
    bundle_gas_used: int  # gasUsed of the whole bundle transaction
    account_deployed: bool
    # the calls' decoded revert when success is False (compared through revert_data)
    revert: ContractReverted | None = field(compare=False)
    revert_call_index: int | None  # which call of an executeBatch reverted
    revert_data: bytes
    logs: tuple[LogEntry, ...]  # what the op's execution emitted
    bundle_logs: tuple[LogEntry, ...] = ()  # every log of the bundle transaction
    already_included: bool = False  # True when a resubmission found it already on chain

    def as_already_included(self) -> UserOpResult:
        return replace(self, already_included=True)

    # -- ERC-4337 eth_getUserOperationReceipt shape ----------------------------------------
    def to_rpc(self) -> dict[str, Any]:
        return {
            "userOpHash": self.user_op_hash,
            "entryPoint": self.entry_point,
            "sender": self.sender,
            "nonce": hex(self.nonce),
            "paymaster": ZERO_ADDRESS,
            "actualGasCost": hex(self.actual_gas_cost_wei),
            "actualGasUsed": hex(self.actual_gas_used),
            "success": self.success,
            "reason": "0x" + self.revert_data.hex(),
            "logs": [log.to_rpc() for log in self.logs],
            "receipt": {
                "transactionHash": self.transaction_hash,
                "blockNumber": hex(self.block_number),
                "gasUsed": hex(self.bundle_gas_used),
                "status": "0x1",
                "logs": [log.to_rpc() for log in self.bundle_logs],
            },
        }

    @classmethod
    def from_rpc(cls, data: Mapping[str, Any], *, entry_point: str) -> UserOpResult:
        """Parse a bundler's receipt. Trusts its numbers; decodes the revert and the
        deployment from the bundle's logs when the receipt carries them."""
        try:
            receipt = data.get("receipt") or {}
            receipt_logs = [LogEntry.parse(log) for log in receipt.get("logs") or []]
            user_op_hash = _hex(data["userOpHash"])
            facts = _scan(receipt_logs, entry_point, user_op_hash)
            revert_data = facts.revert_data
            reason = data.get("reason")
            if not revert_data and isinstance(reason, str) and reason.startswith("0x"):
                revert_data = _bytes(reason)
            success = bool(data["success"])
            index, revert = (None, None)
            if not success and revert_data:
                index, revert = decode_account_revert(revert_data)
            own_logs = data.get("logs")
            return cls(
                user_op_hash=user_op_hash,
                entry_point=to_checksum_address(entry_point),
                sender=to_checksum_address(str(data["sender"])),
                nonce=_int(data["nonce"]),
                success=success,
                actual_gas_cost_wei=_int(data["actualGasCost"]),
                actual_gas_used=_int(data["actualGasUsed"]),
                transaction_hash=_hex(receipt.get("transactionHash", "0x")),
                block_number=_int(receipt.get("blockNumber", "0x0")),
                bundle_gas_used=_int(receipt.get("gasUsed", "0x0")),
                account_deployed=facts.deployed,
                revert=revert,
                revert_call_index=index,
                revert_data=revert_data,
                logs=(
                    tuple(LogEntry.parse(log) for log in own_logs)
                    if own_logs is not None
                    else facts.logs
                ),
                bundle_logs=tuple(receipt_logs),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UnexpectedAnswer(
                "the bundler",
                f"malformed eth_getUserOperationReceipt result: {type(error).__name__}: {error}",
            ) from error


@dataclass(frozen=True)
class _Facts:
    found: bool
    success: bool
    nonce: int
    sender: str
    actual_gas_cost_wei: int
    actual_gas_used: int
    deployed: bool
    revert_data: bytes
    logs: tuple[LogEntry, ...]


def _scan(logs: Iterable[LogEntry], entry_point: str, user_op_hash: str) -> _Facts:
    """Find `user_op_hash`'s events among a bundle's logs."""
    ep = to_checksum_address(entry_point)
    deployed = False
    revert_data = b""
    pending: list[LogEntry] = []
    for log in sorted(logs, key=lambda entry: entry.log_index):
        from_ep = log.address == ep and log.topics
        topic = log.topics[0] if from_ep else ""
        if topic == BEFORE_EXECUTION_TOPIC:
            pending = []
            continue
        ours = from_ep and len(log.topics) > 1 and log.topics[1] == user_op_hash
        if ours and topic == ACCOUNT_DEPLOYED_TOPIC:
            deployed = True
            continue
        if ours and topic == USER_OPERATION_REVERT_REASON_TOPIC:
            (_nonce, reason) = abi_decode(["uint256", "bytes"], log.data)
            revert_data = bytes(reason)
            continue
        if from_ep and topic == USER_OPERATION_EVENT_TOPIC:
            if ours:
                nonce, success, cost, used = abi_decode(
                    ["uint256", "bool", "uint256", "uint256"], log.data
                )
                sender = to_checksum_address("0x" + log.topics[2][-40:])
                return _Facts(
                    True, bool(success), int(nonce), sender, int(cost), int(used),
                    deployed, revert_data, tuple(pending),
                )  # fmt: skip
            pending = []  # the previous op's logs end here
            continue
        if from_ep and topic in (USER_OPERATION_REVERT_REASON_TOPIC, PREFUND_TOO_LOW_TOPIC):
            continue  # another op's bookkeeping
        pending.append(log)
    return _Facts(False, False, 0, ZERO_ADDRESS, 0, 0, deployed, revert_data, ())


def decode_user_op_result(
    *,
    logs: Iterable[Mapping[str, Any]],
    entry_point: str,
    user_op_hash: str,
    transaction_hash: str,
    block_number: int,
    bundle_gas_used: int,
) -> UserOpResult | None:
    """The op's result from its bundle transaction's logs; None if the op is not in it."""
    bundle_logs = tuple(LogEntry.parse(log) for log in logs)
    facts = _scan(bundle_logs, entry_point, _hex(user_op_hash))
    if not facts.found:
        return None
    index, revert = (None, None)
    if not facts.success and facts.revert_data:
        index, revert = decode_account_revert(facts.revert_data)
    return UserOpResult(
        user_op_hash=_hex(user_op_hash),
        entry_point=to_checksum_address(entry_point),
        sender=facts.sender,
        nonce=facts.nonce,
        success=facts.success,
        actual_gas_cost_wei=facts.actual_gas_cost_wei,
        actual_gas_used=facts.actual_gas_used,
        transaction_hash=_hex(transaction_hash),
        block_number=block_number,
        bundle_gas_used=bundle_gas_used,
        account_deployed=facts.deployed,
        revert=revert,
        revert_call_index=index,
        revert_data=facts.revert_data,
        logs=facts.logs,
        bundle_logs=bundle_logs,
    )
