"""The journal's schema and row mapping (private to `ledger.journal`).

Integers that may exceed SQLite's 64-bit INTEGER (token amounts, wei, uint256 nonces) are
stored as decimal TEXT and converted back to int on read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from orchestrator.domain.legs import FilledLeg
from orchestrator.domain.units import TokenUnits
from orchestrator.ledger.journal_records import PreviewRecord, ReceiptRecord, SubmissionRecord

SCHEMA_VERSION = 3

# Each version's statements, applied in order from the file's user_version up.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE previews (
            quote_id       TEXT PRIMARY KEY,
            kind           TEXT NOT NULL CHECK (kind IN ('buy', 'sell', 'withdraw', 'mandate')),
            owner          TEXT NOT NULL,
            vault          TEXT NOT NULL,
            created_at_s   INTEGER NOT NULL,
            expires_at_s   INTEGER NOT NULL,
            preview_json   TEXT NOT NULL,
            confirmed_at_s INTEGER
        ) STRICT""",
        "CREATE INDEX previews_by_owner ON previews (owner, created_at_s)",
        """CREATE TABLE submissions (
            quote_id       TEXT PRIMARY KEY REFERENCES previews (quote_id),
            user_op_hash   TEXT NOT NULL UNIQUE,
            sender         TEXT NOT NULL,
            nonce          TEXT NOT NULL,
            tx_hash        TEXT,
            submitted_at_s INTEGER NOT NULL,
            dropped_reason TEXT
        ) STRICT""",
        """CREATE TABLE receipts (
            quote_id            TEXT PRIMARY KEY REFERENCES submissions (quote_id),
            tx_hash             TEXT NOT NULL,
            block_number        INTEGER NOT NULL,
            success             INTEGER NOT NULL CHECK (success IN (0, 1)),
            actual_gas_used     INTEGER NOT NULL,
            actual_gas_cost_wei TEXT NOT NULL,
            revert_reason       TEXT
        ) STRICT""",
        """CREATE TABLE fills (
            quote_id       TEXT NOT NULL REFERENCES receipts (quote_id),
            leg            INTEGER NOT NULL,
            token          TEXT NOT NULL,
            symbol         TEXT NOT NULL,
            amount_in      TEXT NOT NULL,
            amount_out_min TEXT NOT NULL,
            amount_out     TEXT NOT NULL,
            PRIMARY KEY (quote_id, leg)
        ) STRICT""",
    ),
    # 2: previews of kind 'send' (a token sent out of the smart account). SQLite cannot
    # change a CHECK in place: the table is rebuilt (foreign keys are off during
    # migrations and checked before the commit; see storage.py).
    2: (
        """CREATE TABLE previews_v2 (
            quote_id       TEXT PRIMARY KEY,
            kind           TEXT NOT NULL
                           CHECK (kind IN ('buy', 'sell', 'withdraw', 'mandate', 'send')),
            owner          TEXT NOT NULL,
            vault          TEXT NOT NULL,
            created_at_s   INTEGER NOT NULL,
            expires_at_s   INTEGER NOT NULL,
            preview_json   TEXT NOT NULL,
            confirmed_at_s INTEGER
        ) STRICT""",
        "INSERT INTO previews_v2 SELECT quote_id, kind, owner, vault, created_at_s, "
        "expires_at_s, preview_json, confirmed_at_s FROM previews",
        "DROP TABLE previews",
        "ALTER TABLE previews_v2 RENAME TO previews",
        "CREATE INDEX previews_by_owner ON previews (owner, created_at_s)",
    ),
    # 3: a user operation hash is unique among live submissions only. A submission the
    # bundler rejected (dropped: provably never on chain) must not block a fresh preview of
    # the same trade, whose op can hash the same (same nonce, calldata, deadline, fees).
    # The table is rebuilt because SQLite cannot drop a column's UNIQUE constraint
    # (migrations run before foreign keys are switched on, see orchestrator.storage).
    3: (
        """CREATE TABLE submissions_v2 (
            quote_id       TEXT PRIMARY KEY REFERENCES previews (quote_id),
            user_op_hash   TEXT NOT NULL,
            sender         TEXT NOT NULL,
            nonce          TEXT NOT NULL,
            tx_hash        TEXT,
            submitted_at_s INTEGER NOT NULL,
            dropped_reason TEXT
        ) STRICT""",
        "INSERT INTO submissions_v2 SELECT * FROM submissions",
        "DROP TABLE submissions",
        "ALTER TABLE submissions_v2 RENAME TO submissions",
        "CREATE UNIQUE INDEX submissions_live_op ON submissions (user_op_hash) "
        "WHERE dropped_reason IS NULL",
        "CREATE INDEX submissions_by_op ON submissions (user_op_hash)",
        "CREATE INDEX submissions_by_nonce ON submissions (sender, nonce)",
    ),
}


# -- rows ------------------------------------------------------------------------------------
# Full statements, no string building: every value is a bound parameter.
_PREVIEW_BY_ID = (
    "SELECT quote_id, kind, owner, vault, created_at_s, expires_at_s, preview_json, "
    "confirmed_at_s FROM previews WHERE quote_id = ?"
)
_PREVIEWS = (
    "SELECT quote_id, kind, owner, vault, created_at_s, expires_at_s, preview_json, "
    "confirmed_at_s FROM previews WHERE (?1 IS NULL OR owner = ?1) AND (?2 IS NULL OR vault = ?2) "
    "ORDER BY created_at_s, quote_id"
)
_SUBMISSION_BY_ID = (
    "SELECT quote_id, user_op_hash, sender, nonce, tx_hash, submitted_at_s, dropped_reason "
    "FROM submissions WHERE quote_id = ?"
)
_SUBMISSION_BY_OP_HASH = (
    "SELECT quote_id, user_op_hash, sender, nonce, tx_hash, submitted_at_s, dropped_reason "
    "FROM submissions WHERE user_op_hash = ? ORDER BY dropped_reason IS NULL DESC, "
    "submitted_at_s DESC"
)
_USED_AT_NONCE = (
    "SELECT s.quote_id, s.user_op_hash, s.sender, s.nonce, s.tx_hash, s.submitted_at_s, "
    "s.dropped_reason FROM submissions s JOIN receipts r ON r.quote_id = s.quote_id "
    "WHERE s.sender = ? AND s.nonce = ?"
)
_UNFINISHED = (
    "SELECT quote_id, user_op_hash, sender, nonce, tx_hash, submitted_at_s, dropped_reason "
    "FROM submissions WHERE dropped_reason IS NULL "
    "AND quote_id NOT IN (SELECT quote_id FROM receipts) ORDER BY submitted_at_s, quote_id"
)
_RECEIPT_BY_ID = (
    "SELECT quote_id, tx_hash, block_number, success, actual_gas_used, actual_gas_cost_wei, "
    "revert_reason FROM receipts WHERE quote_id = ?"
)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _preview(row: Any) -> PreviewRecord:
    q, kind, owner, vault, created, expires, body, confirmed = row
    return PreviewRecord(
        str(q), kind, str(owner), str(vault), int(created), int(expires), str(body),
        _optional_int(confirmed),
    )  # fmt: skip


def _submission(row: Any) -> SubmissionRecord:
    q, op_hash, sender, nonce, tx_hash, submitted, dropped = row
    return SubmissionRecord(
        str(q), str(op_hash), str(sender), int(nonce), _optional_str(tx_hash), int(submitted),
        _optional_str(dropped),
    )  # fmt: skip


def _receipt(row: Any) -> ReceiptRecord:
    q, tx_hash, block, success, used, cost, reason = row
    return ReceiptRecord(
        str(q), str(tx_hash), int(block), bool(success), int(used), int(cost),
        _optional_str(reason),
    )  # fmt: skip


def preview(db: sqlite3.Connection, quote_id: str) -> PreviewRecord | None:
    row = db.execute(_PREVIEW_BY_ID, (quote_id,)).fetchone()
    return None if row is None else _preview(row)


def previews(
    db: sqlite3.Connection, *, owner: str | None, vault: str | None
) -> list[PreviewRecord]:
    return [_preview(row) for row in db.execute(_PREVIEWS, (owner, vault))]


def submission(db: sqlite3.Connection, quote_id: str) -> SubmissionRecord | None:
    row = db.execute(_SUBMISSION_BY_ID, (quote_id,)).fetchone()
    return None if row is None else _submission(row)


def submission_by_op_hash(db: sqlite3.Connection, user_op_hash: str) -> SubmissionRecord | None:
    row = db.execute(_SUBMISSION_BY_OP_HASH, (user_op_hash,)).fetchone()
    return None if row is None else _submission(row)


def used_at_nonce(db: sqlite3.Connection, sender: str, nonce: int) -> SubmissionRecord | None:
    """A submission at this account nonce that has a receipt (the nonce is used by it)."""
    row = db.execute(_USED_AT_NONCE, (sender, str(nonce))).fetchone()
    return None if row is None else _submission(row)


def unfinished(db: sqlite3.Connection) -> list[SubmissionRecord]:
    return [_submission(row) for row in db.execute(_UNFINISHED)]


def receipt(db: sqlite3.Connection, quote_id: str) -> ReceiptRecord | None:
    row = db.execute(_RECEIPT_BY_ID, (quote_id,)).fetchone()
    return None if row is None else _receipt(row)


def fills(db: sqlite3.Connection, quote_id: str) -> tuple[FilledLeg, ...]:
    rows = db.execute(
        "SELECT token, symbol, amount_in, amount_out_min, amount_out FROM fills "
        "WHERE quote_id = ? ORDER BY leg",
        (quote_id,),
    )
    return tuple(
        FilledLeg(
            token=str(t),
            symbol=str(s),
            amount_in=TokenUnits(int(a)),
            min_out=TokenUnits(int(m)),
            amount_out=TokenUnits(int(o)),
        )
        for t, s, a, m, o in rows
    )


def insert_preview(db: sqlite3.Connection, p: PreviewRecord) -> None:
    db.execute(
        "INSERT INTO previews VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        (p.quote_id, p.kind, p.owner, p.vault, p.created_at_s, p.expires_at_s, p.preview_json),
    )


def insert_submission(db: sqlite3.Connection, s: SubmissionRecord) -> None:
    db.execute(
        "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, NULL)",
        (s.quote_id, s.user_op_hash, s.sender, str(s.nonce), s.tx_hash, s.submitted_at_s),
    )


def insert_receipt(db: sqlite3.Connection, r: ReceiptRecord) -> None:
    db.execute(
        "INSERT INTO receipts VALUES (?, ?, ?, ?, ?, ?, ?)",
        (r.quote_id, r.tx_hash, r.block_number, int(r.success), r.actual_gas_used,
         str(r.actual_gas_cost_wei), r.revert_reason),
    )  # fmt: skip


def insert_fills(db: sqlite3.Connection, quote_id: str, legs: Sequence[FilledLeg]) -> None:
    db.executemany(
        "INSERT INTO fills VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (quote_id, i, f.token, f.symbol, str(f.amount_in), str(f.min_out),
             str(f.amount_out))
            for i, f in enumerate(legs)
        ],
    )  # fmt: skip
