"""Settle the journal's unfinished submissions from the chain, after a crash or restart.
Reads only: it never sends or re-sends anything.

For each submission with no receipt and not dropped, in this order (so that an op landing
meanwhile is never mistaken for a dropped one):
1. the account's EntryPoint nonce for the op's key, at block B;
2. the EntryPoint's `UserOperationEvent` for the op's hash (eth_getLogs up to ≥ B), and
   the recorded bundle transaction, if any (a mined one is searched for the event too).
Then (`decide`, pure):
- the event exists → the receipt is recorded (`UserOperationRevertReason` decoded into
  the revert reason when it failed): included or failed;
- the nonce is past the op's and its event is not there → another operation used the
  nonce: dropped. This is the only way an op is found dead, because it is the only proof:
  an op with no trace may still sit in a bundler's mempool (or another's, if it was
  shared) and land at any time;
- otherwise (no trace, a bundle transaction pending, or mined without it) → left open.
  It is never sent again, and it never blocks the account: the next operation of the
  account is built on the chain's nonce, which is this op's, so the two are exclusive and
  at most one of them ever executes. Once one lands, the other is dropped by the rule above.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from eth_utils.address import to_checksum_address

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.chain.vault_binding import GET_NONCE
from orchestrator.domain.legs import FilledLeg
from orchestrator.execution.userop_result import (
    USER_OPERATION_EVENT_TOPIC,
    UserOpResult,
    decode_user_op_result,
)
from orchestrator.ledger.journal import Journal
from orchestrator.ledger.journal_records import SubmissionRecord

__all__ = [
    "ChainFacts",
    "ReconcileReport",
    "Settlement",
    "decide",
    "reconcile",
    "revert_text",
]

SEQUENCE_MASK = 2**64 - 1
TxStatus = Literal["none", "pending", "mined", "unknown"]
SettledState = Literal["included", "failed", "dropped", "pending"]


@dataclass(frozen=True)
class ChainFacts:
    """What the chain says about one submitted op."""

    result: UserOpResult | None  # its UserOperationEvent, when found
    next_sequence: int  # the account's next nonce sequence for the op's key
    tx_status: TxStatus  # of the recorded bundle transaction ("none": none recorded)


@dataclass(frozen=True)
class Settlement:
    quote_id: str
    state: SettledState
    detail: str
    result: UserOpResult | None = None  # the op's outcome when it was found on chain


@dataclass(frozen=True)
class ReconcileReport:
    settlements: tuple[Settlement, ...]

    def quote_ids(self, state: SettledState) -> tuple[str, ...]:
        return tuple(s.quote_id for s in self.settlements if s.state == state)


def revert_text(result: UserOpResult) -> str | None:
    """The decoded revert of a failed op, e.g. "call 1: InsufficientOutput('0x…', 5, 7)"."""
    if result.success or result.revert is None:
        return None
    error = result.revert
    text = f"{error.error_name}({', '.join(repr(a) for a in error.error_args)})"
    return text if result.revert_call_index is None else f"call {result.revert_call_index}: {text}"


def decide(sub: SubmissionRecord, facts: ChainFacts, *, now_s: int) -> Settlement:
    """Pure: the verdict for one unfinished submission (see the module docstring)."""
    if facts.result is not None:
        result = facts.result
        state: SettledState = "included" if result.success else "failed"
        where = f"in block {result.block_number} ({result.transaction_hash})"
        return Settlement(sub.quote_id, state, where, result)
    sequence = sub.nonce & SEQUENCE_MASK
    if facts.next_sequence > sequence:
        return Settlement(
            sub.quote_id,
            "dropped",
            f"nonce {sequence} was used by another operation (the account is at "
            f"{facts.next_sequence}); preview again",
        )
    age_s = max(0, now_s - sub.submitted_at_s)
    where = {
        "pending": f"its bundle transaction {sub.tx_hash} is pending",
        "mined": f"bundle transaction {sub.tx_hash} did not include it",
        "unknown": f"the node does not know its bundle transaction {sub.tx_hash}",
    }.get(facts.tx_status, "no trace on chain yet")
    return Settlement(sub.quote_id, "pending", f"{where}, {_age(age_s)} after it was sent")


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7_200:
        return f"{seconds // 60} min"
    return f"{seconds // 3_600} h"


def reconcile(
    chain: Chain,
    entry_point: str,
    journal: Journal,
    *,
    from_block: int = 0,
    now_s: int | None = None,
    only: set[str] | None = None,
    fills_of: Callable[[str, UserOpResult], Sequence[FilledLeg]] | None = None,
) -> ReconcileReport:
    """Find each unfinished submission's outcome on chain and record it in the journal.
    `from_block`: where the EntryPoint log search starts (a block before the oldest
    unfinished submission; RPC providers cap eth_getLogs ranges). `only`: these quote ids
    (e.g. one chain's), default every unfinished submission. `fills_of(quote_id, result)`:
    each included op's fills, recorded with its receipt in one transaction."""
    now = int(time.time()) if now_s is None else now_s
    reader = _ChainReader(chain, entry_point, from_block)
    settlements = []
    for sub in journal.unfinished_submissions():
        if only is not None and sub.quote_id not in only:
            continue
        facts = reader.facts(sub)
        verdict = decide(sub, facts, now_s=now)
        if facts.result is not None:
            r = facts.result
            fills = fills_of(sub.quote_id, r) if fills_of is not None and r.success else ()
            journal.record_receipt(
                sub.quote_id, r.transaction_hash, r.block_number, r.success,
                r.actual_gas_used, r.actual_gas_cost_wei, revert_text(r), fills,
            )  # fmt: skip
        elif verdict.state == "dropped":
            journal.mark_dropped(sub.quote_id, verdict.detail)
        settlements.append(verdict)
    return ReconcileReport(tuple(settlements))


class _ChainReader:
    def __init__(self, chain: Chain, entry_point: str, from_block: int) -> None:
        self.chain = chain
        self.entry_point = to_checksum_address(entry_point)
        self.from_block = from_block

    def facts(self, sub: SubmissionRecord) -> ChainFacts:
        block = self.chain.block_number()  # nonce first: see the module docstring
        key = sub.nonce >> 64
        data = call_raw(self.chain, self.entry_point, GET_NONCE.call(sub.sender, key), block=block)
        (nonce,) = GET_NONCE.decode(data)
        result = self._find(sub.user_op_hash)
        status: TxStatus = "none"
        if sub.tx_hash is not None:
            status, mined = self._transaction(sub.tx_hash, sub.user_op_hash)
            result = result or mined
        return ChainFacts(result, int(nonce) & SEQUENCE_MASK, status)

    def _find(self, user_op_hash: str) -> UserOpResult | None:
        topics = [USER_OPERATION_EVENT_TOPIC, user_op_hash]
        logs = self.chain.logs(
            self.entry_point, topics, from_block=self.from_block, to_block="latest"
        )
        if not logs:
            return None
        return self._decode(logs[0]["transactionHash"].to_0x_hex(), user_op_hash)

    def _transaction(self, tx_hash: str, user_op_hash: str) -> tuple[TxStatus, UserOpResult | None]:
        tx = self.chain.transaction(tx_hash)
        if tx is None:
            return "unknown", None
        if tx.get("blockNumber") is None:
            return "pending", None
        return "mined", self._decode(tx_hash, user_op_hash)

    def _decode(self, tx_hash: str, user_op_hash: str) -> UserOpResult | None:
        receipt = self.chain.receipt(bytes.fromhex(tx_hash[2:]))
        if receipt is None:
            return None
        return decode_user_op_result(
            logs=receipt["logs"],
            entry_point=self.entry_point,
            user_op_hash=user_op_hash,
            transaction_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            bundle_gas_used=int(receipt["gasUsed"]),
        )
