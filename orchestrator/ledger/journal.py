"""The SQLite journal of user actions, keyed by quote id: preview → confirmation →
submission → receipt and fills (or dropped). One file, shared safely by several processes.

    journal = Journal(path)
    journal.record_preview(quote_id, "buy", owner, vault, now, now + 60, preview.json())
    journal.record_confirmation(quote_id, now)
    journal.begin_submission(quote_id, op_hash, sender, nonce, None, now)  # BEFORE sending
    ... submit ...
    journal.record_receipt(quote_id, tx_hash, block, True, gas_used, gas_cost_wei, None)

**Never submit twice**: `begin_submission` inserts under a PRIMARY KEY on the quote id and
a UNIQUE user operation hash, inside `BEGIN IMMEDIATE`; a second attempt from any process
raises `AlreadySubmitted`. It must be written (and is committed, `synchronous=FULL`)
before anything is broadcast; a crash after that leaves an unfinished submission, which
`ledger.reconcile` settles from the chain and never re-sends.

Storage (`orchestrator.storage.SqliteJournal`): WAL mode, foreign keys on, every write in
one transaction, schema version in `PRAGMA user_version`. Integers that may exceed 64 bits
(token amounts, wei, nonces) are stored as decimal TEXT; addresses checksummed; hashes
0x + lower-case hex.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from orchestrator.domain.legs import FilledLeg
from orchestrator.domain.units import TokenUnits
from orchestrator.errors import (
    AccountMoved,
    AlreadySubmitted,
    PreviewExpired,
    QuoteConflict,
    QuoteNotConfirmed,
    UnknownQuote,
)
from orchestrator.ledger import _sql
from orchestrator.ledger._checks import address, hash32, new_preview, non_negative, same_preview
from orchestrator.ledger.journal_records import (
    EntryState,
    JournalEntry,
    PreviewKind,
    PreviewRecord,
    ReceiptRecord,
    SubmissionRecord,
    entry_state,
)
from orchestrator.storage import SqliteJournal

__all__ = ["SCHEMA_VERSION", "Journal"]

SCHEMA_VERSION = _sql.SCHEMA_VERSION
BUSY_TIMEOUT_S = 10.0


class Journal(SqliteJournal):
    """One connection to the journal file. Not thread-safe: one instance per thread."""

    SCHEMA_VERSION: ClassVar[int] = _sql.SCHEMA_VERSION
    MIGRATIONS: ClassVar[Mapping[int, Sequence[str]]] = _sql.MIGRATIONS
    HISTORY_TABLE: ClassVar[str] = "previews"

    def __init__(self, path: str | Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        super().__init__(path, busy_timeout_s=busy_timeout_s)

    # -- writes ----------------------------------------------------------------------------
    def record_preview(
        self,
        quote_id: str,
        kind: PreviewKind,
        owner: str,
        vault: str,
        created_at_s: int,
        expires_at_s: int,
        preview_json: str,
    ) -> None:
        """Idempotent: the same quote id with identical content is a no-op (JSON compared
        as parsed values); with different content it raises QuoteConflict."""
        given = new_preview(quote_id, kind, owner, vault, created_at_s, expires_at_s, preview_json)
        with self._write() as db:
            recorded = _sql.preview(db, quote_id)
            if recorded is None:
                _sql.insert_preview(db, given)
                return
        same_preview(recorded, given)

    def record_confirmation(self, quote_id: str, confirmed_at_s: int) -> int:
        """Records the user's confirmation; returns the recorded time (a repeated
        confirmation keeps the first). Raises PreviewExpired after the preview's expiry."""
        non_negative("confirmed_at_s", confirmed_at_s)
        with self._write() as db:
            recorded = self._require_preview(db, quote_id)
            if recorded.confirmed_at_s is not None:
                return recorded.confirmed_at_s
            if confirmed_at_s > recorded.expires_at_s:
                raise PreviewExpired(
                    quote_id, expires_at_s=recorded.expires_at_s, confirmed_at_s=confirmed_at_s
                )
            db.execute(
                "UPDATE previews SET confirmed_at_s = ? WHERE quote_id = ?",
                (confirmed_at_s, quote_id),
            )
            return confirmed_at_s

    def begin_submission(
        self,
        quote_id: str,
        user_op_hash: str,
        sender: str,
        nonce: int,
        tx_hash: str | None,
        submitted_at_s: int,
    ) -> SubmissionRecord:
        """Write this BEFORE broadcasting. Raises AlreadySubmitted if the quote id has a
        submission already, in any state, or this user operation is live (not dropped)
        under another quote id; AccountMoved if another submission at this account nonce
        has a receipt (the nonce is used). An open one at this nonce (no receipt: its fate
        unknown) does not block: the two ops share the nonce, so at most one executes, and
        settling drops the other once the nonce is used (`ledger.reconcile`)."""
        record = SubmissionRecord(
            quote_id=quote_id,
            user_op_hash=hash32("user_op_hash", user_op_hash),
            sender=address("sender", sender),
            nonce=non_negative("nonce", nonce),
            tx_hash=None if tx_hash is None else hash32("tx_hash", tx_hash),
            submitted_at_s=non_negative("submitted_at_s", submitted_at_s),
            dropped_reason=None,
        )
        try:
            with self._write() as db:
                if self._require_preview(db, quote_id).confirmed_at_s is None:
                    raise QuoteNotConfirmed(quote_id)
                used = _sql.used_at_nonce(db, record.sender, record.nonce)
                if used is not None and used.user_op_hash != record.user_op_hash:
                    raise AccountMoved(quote_id, previewed_nonce=nonce, nonce=nonce + 1)
                _sql.insert_submission(db, record)  # the guard: PRIMARY KEY + UNIQUE
        except sqlite3.IntegrityError as error:
            existing = self._submission_clashing_with(record)
            if existing is None:  # pragma: no cover - only the two constraints can fail
                raise
            state = self._state(existing.quote_id)
            raise AlreadySubmitted(existing.quote_id, existing.user_op_hash, state) from error
        return record

    def record_tx_hash(self, quote_id: str, tx_hash: str) -> None:
        """The bundle transaction's hash, once known (the latest broadcast wins)."""
        tx_hash = hash32("tx_hash", tx_hash)
        with self._write() as db:
            self._require_submission(db, quote_id)
            db.execute("UPDATE submissions SET tx_hash = ? WHERE quote_id = ?", (tx_hash, quote_id))

    def record_receipt(
        self,
        quote_id: str,
        tx_hash: str,
        block_number: int,
        success: bool,
        actual_gas_used: int,
        actual_gas_cost_wei: int,
        revert_reason: str | None,
        fills: Sequence[FilledLeg] = (),
    ) -> ReceiptRecord:
        """The op's outcome on chain, and its `fills` in the same transaction (a crash never
        leaves a receipt without its fills). Idempotent when identical; QuoteConflict
        otherwise. Recorded even over an earlier "dropped" verdict: the chain is
        authoritative."""
        given = ReceiptRecord(
            quote_id=quote_id,
            tx_hash=hash32("tx_hash", tx_hash),
            block_number=non_negative("block_number", block_number),
            success=bool(success),
            actual_gas_used=non_negative("actual_gas_used", actual_gas_used),
            actual_gas_cost_wei=non_negative("actual_gas_cost_wei", actual_gas_cost_wei),
            revert_reason=revert_reason,
        )
        legs = self._checked_fills(fills)
        with self._write() as db:
            self._require_submission(db, quote_id)
            recorded = _sql.receipt(db, quote_id)
            if recorded is None:
                _sql.insert_receipt(db, given)
                if legs:
                    _sql.insert_fills(db, quote_id, legs)
                return given
        if recorded != given:
            raise QuoteConflict(quote_id, field="receipt", recorded=recorded, given=given)
        if legs:
            self.record_fills(quote_id, legs)
        return recorded

    def record_fills(self, quote_id: str, fills: Sequence[FilledLeg]) -> None:
        """The executed legs, in leg order, of an included op. Idempotent when identical."""
        given = self._checked_fills(fills)
        with self._write() as db:
            if _sql.receipt(db, quote_id) is None:
                raise UnknownQuote(quote_id, what="receipt")
            recorded = _sql.fills(db, quote_id)
            if not recorded:
                _sql.insert_fills(db, quote_id, given)
                return
        if recorded != given:
            raise QuoteConflict(quote_id, field="fills", recorded=recorded, given=given)

    def mark_dropped(self, quote_id: str, reason: str) -> None:
        """A submission that provably never reached the chain (a no-op when already
        dropped; QuoteConflict when a receipt says it did reach it)."""
        with self._write() as db:
            current = self._require_submission(db, quote_id)
            if current.dropped_reason is not None:
                return
            receipt = _sql.receipt(db, quote_id)
            if receipt is not None:
                raise QuoteConflict(quote_id, field="receipt", recorded=receipt, given=reason)
            db.execute(
                "UPDATE submissions SET dropped_reason = ? WHERE quote_id = ?", (reason, quote_id)
            )

    def forget_receipt(self, quote_id: str) -> None:
        """The chain no longer has the receipt's block (a reorg): drop the receipt and its
        fills in one transaction, so that the submission is open again and is settled from
        the chain as it is now (included again, or dropped)."""
        with self._write() as db:
            self._require_submission(db, quote_id)
            db.execute("DELETE FROM fills WHERE quote_id = ?", (quote_id,))
            db.execute("DELETE FROM receipts WHERE quote_id = ?", (quote_id,))

    def receipts_above(self, block_number: int) -> list[ReceiptRecord]:
        """Receipts recorded in blocks above `block_number` (a chain now shorter than them
        lost those blocks)."""
        rows = self._db.execute(
            "SELECT quote_id FROM receipts WHERE block_number > ? ORDER BY block_number",
            (block_number,),
        ).fetchall()
        return [r for (q,) in rows if (r := _sql.receipt(self._db, str(q))) is not None]

    # -- queries ---------------------------------------------------------------------------
    def preview(self, quote_id: str) -> PreviewRecord | None:
        return _sql.preview(self._db, quote_id)

    def submission(self, quote_id: str) -> SubmissionRecord | None:
        return _sql.submission(self._db, quote_id)

    def receipt(self, quote_id: str) -> ReceiptRecord | None:
        return _sql.receipt(self._db, quote_id)

    def submission_by_op_hash(self, user_op_hash: str) -> SubmissionRecord | None:
        """The submission of this op (the live one first, when one was dropped before)."""
        return _sql.submission_by_op_hash(self._db, hash32("user_op_hash", user_op_hash))

    def unfinished_submissions(self) -> list[SubmissionRecord]:
        """Submitted, no receipt, not dropped: oldest first."""
        return _sql.unfinished(self._db)

    def entries(self, owner: str | None = None, vault: str | None = None) -> list[JournalEntry]:
        """Every journaled action (optionally one owner's / one vault's), oldest first."""
        with self._snapshot() as db:
            previews = _sql.previews(
                db,
                owner=None if owner is None else address("owner", owner),
                vault=None if vault is None else address("vault", vault),
            )
            return [
                JournalEntry(
                    preview=p,
                    submission=_sql.submission(db, p.quote_id),
                    receipt=_sql.receipt(db, p.quote_id),
                    fills=_sql.fills(db, p.quote_id),
                )
                for p in previews
            ]

    def gas_paid_wei(self, owner: str) -> int:
        """Σ actualGasCost of the owner's included and failed operations, in wei."""
        rows: Iterable[tuple[str]] = self._db.execute(
            "SELECT r.actual_gas_cost_wei FROM receipts r JOIN previews p USING (quote_id) "
            "WHERE p.owner = ?",
            (address("owner", owner),),
        )
        return sum(int(cost) for (cost,) in rows)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _checked_fills(fills: Sequence[FilledLeg]) -> tuple[FilledLeg, ...]:
        return tuple(
            FilledLeg(
                token=address("token", f.token),
                symbol=f.symbol,
                amount_in=TokenUnits(non_negative("amount_in", f.amount_in)),
                min_out=TokenUnits(non_negative("min_out", f.min_out)),
                amount_out=TokenUnits(non_negative("amount_out", f.amount_out)),
            )
            for f in fills
        )

    def _require_preview(self, db: sqlite3.Connection, quote_id: str) -> PreviewRecord:
        recorded = _sql.preview(db, quote_id)
        if recorded is None:
            raise UnknownQuote(quote_id)
        return recorded

    def _require_submission(self, db: sqlite3.Connection, quote_id: str) -> SubmissionRecord:
        recorded = _sql.submission(db, quote_id)
        if recorded is None:
            raise UnknownQuote(quote_id, what="submission")
        return recorded

    def _submission_clashing_with(self, record: SubmissionRecord) -> SubmissionRecord | None:
        return _sql.submission(self._db, record.quote_id) or _sql.submission_by_op_hash(
            self._db, record.user_op_hash
        )

    def _state(self, quote_id: str) -> EntryState:
        with self._snapshot() as db:
            return entry_state(
                _sql.preview(db, quote_id),
                _sql.submission(db, quote_id),
                _sql.receipt(db, quote_id),
            )
