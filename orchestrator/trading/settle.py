"""Settle on every start: before a session does anything on a network, the journal's
submissions left open there (a process that died between "journaled" and "receipt
recorded") are settled from the chain, and each says so in one line.

Only while this process can take the network's send lock at once (`orchestrator.sendlock`):
every sender holds it from before it journals until it has recorded the outcome, so an
open submission while the lock is free belongs to a process that is gone. If another
command holds it, its open submissions are its own business: nothing is settled now.

For each open submission (`ledger.reconcile`, reads only, never re-sends):
- its UserOperationEvent is found → the receipt and each leg's fill are recorded
  (included, or failed with its decoded revert);
- the account's nonce moved past it and its event is not there → dropped: another
  operation used the nonce, so it can never land; its quote is dead, a fresh preview gets
  a fresh quote id;
- otherwise (no trace yet: it may be in a bundler's mempool) → left open, said as pending.
  An op with no trace is never declared dropped after some time: it could still land, and
  a trade repeated in the belief that it was dropped would then execute twice (the crash
  soak found exactly that with a time-based verdict). The account's next operation is
  built on the chain's nonce, which is the open op's, so at most one of the two executes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.chain.backends import Chain
from orchestrator.errors import SendLockBusy, TransientError
from orchestrator.ledger.journal import Journal
from orchestrator.ledger.reconcile import ReconcileReport, Settlement, reconcile
from orchestrator.preview.model import Preview
from orchestrator.sendlock import send_lock
from orchestrator.trading.confirm import fills_from

__all__ = ["Settled", "settle_open"]

REORG_DEPTH = 64  # blocks: a receipt deeper under the head than this is final
REORG_AGE_S = 3_600  # a receipt recorded longer ago is final


@dataclass(frozen=True)
class Settled:
    quote_id: str
    kind: str
    state: str  # included, failed, dropped, pending
    detail: str

    @property
    def line(self) -> str:
        if self.state == "pending":
            return (
                f"{self.kind} {self.quote_id[:8]} from an earlier run is still open "
                f"({self.detail}); it will not be sent again, and your next operation "
                "replaces it (both take the account's next nonce: at most one executes)"
            )
        head = f"settled {self.kind} {self.quote_id[:8]} from an earlier run"
        return f"{head}: {self.state} {self.detail}"


def _open_here(journal: Journal, chain_id: int) -> dict[str, Preview]:
    """The open submissions whose preview is for this chain, with their previews."""
    found: dict[str, Preview] = {}
    for sub in journal.unfinished_submissions():
        record = journal.preview(sub.quote_id)
        if record is None:
            continue
        if json.loads(record.preview_json).get("chain_id") != chain_id:
            continue
        found[sub.quote_id] = Preview.model_validate_json(record.preview_json)
    return found


def settle_open(
    chain: Chain,
    entry_point: str,
    journal: Journal,
    *,
    home: Path,
    network: str,
    now_s: int | None = None,
    from_block: int = 0,
) -> list[Settled]:
    """Settle this chain's open submissions (see the module docstring); [] when there are
    none, or another command is sending on this network right now. First, a recent
    receipt whose transaction the node no longer has in its block (a reorg, shorter or at
    the same height, or a local snapshot reverted) is forgotten, so that its submission is
    settled again."""
    reorged = _reorged(chain, journal)
    previews = _open_here(journal, chain.chain_id)
    if not previews:
        return []
    try:
        with send_lock(home, network, wait_s=0):
            report = _reconcile(
                chain, entry_point, journal, only=set(previews), from_block=from_block,
                now_s=int(time.time()) if now_s is None else now_s,
                fills_of=lambda q, result: fills_from(previews[q], result, previews[q].vault),
            )  # fmt: skip
    except SendLockBusy:
        return []
    if report is None:  # the node did not answer: said, and tried again next time
        return [Settled(q, p.kind.value, "pending", "not settled now: the node did not answer")
                for q, p in previews.items()]  # fmt: skip
    return [_said(previews[s.quote_id], s, reorged.get(s.quote_id)) for s in report.settlements]


def _reorged(chain: Chain, journal: Journal) -> dict[str, int]:
    """Forget this chain's recent receipts (at most REORG_AGE_S old, in a block at most
    REORG_DEPTH below the head or anywhere above it) whose transaction the node no longer
    has in that block: a reorg (the chain shorter, or other blocks at the same heights), or
    a local snapshot reverted. A receipt far above the head (a chain started afresh under
    the same id) is not a reorg. Asking for the transaction, not comparing heights, also
    keeps a lagging node's stale head from passing for a reorg. Quote id -> the lost block."""
    try:
        head = chain.block_number()
        lost = {}
        now_s = int(time.time())
        for receipt in journal.receipts_above(max(0, head - REORG_DEPTH)):
            record = journal.preview(receipt.quote_id)
            submission = journal.submission(receipt.quote_id)
            if record is None or submission is None:
                continue
            if json.loads(record.preview_json).get("chain_id") != chain.chain_id:
                continue
            if receipt.block_number > head + REORG_DEPTH:
                continue
            if now_s - submission.submitted_at_s > REORG_AGE_S:
                continue
            mined = chain.receipt(bytes.fromhex(receipt.tx_hash[2:]))
            if mined is not None and int(mined["blockNumber"]) == receipt.block_number:
                continue  # still where it was recorded
            journal.forget_receipt(receipt.quote_id)
            lost[receipt.quote_id] = receipt.block_number
    except TransientError:
        return {}
    return lost


def _reconcile(*args: Any, **kwargs: Any) -> ReconcileReport | None:
    """`reconcile`, or None when the node gives no usable answer (settling is retried by
    the next session; a read command should not fail for it)."""
    try:
        return reconcile(*args, **kwargs)
    except TransientError:
        return None


def _said(preview: Preview, settlement: Settlement, lost_block: int | None) -> Settled:
    detail = settlement.detail
    if lost_block is not None:
        detail += f" (its block {lost_block} is no longer on the chain: a reorg)"
    result = settlement.result
    if result is not None and result.success and preview.legs:
        filled = sum(1 for f in fills_from(preview, result, preview.vault) if f.amount_out)
        detail += f", {filled} of {len(preview.legs)} legs filled"
    return Settled(preview.quote_id, preview.kind.value, settlement.state, detail)
