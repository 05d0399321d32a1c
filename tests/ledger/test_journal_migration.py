"""Journal schema 1 -> 2 (previews of kind 'send'): a journal file written by the previous
version opens, keeps every row and its links, and accepts the new kind; the CHECK still
refuses a kind nobody defined."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestrator.ledger import _sql
from orchestrator.ledger.journal import Journal

OWNER = "0x" + "11" * 20
VAULT = "0x" + "22" * 20


def _version_1_file(path: Path) -> None:
    """A journal as version 1 wrote it: its schema, one buy previewed, confirmed,
    submitted and included."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    for statement in _sql.MIGRATIONS[1]:
        db.execute(statement)
    db.execute(
        "INSERT INTO previews VALUES ('q1', 'buy', ?, ?, 100, 200, '{\"kind\": \"buy\"}', 150)",
        (OWNER, VAULT),
    )
    db.execute("INSERT INTO submissions VALUES ('q1', '0xop', ?, '0', '0xtx', 160, NULL)", (OWNER,))
    db.execute("INSERT INTO receipts VALUES ('q1', '0xtx', 7, 1, 21000, '1000', NULL)")
    db.execute("PRAGMA user_version = 1")
    db.close()


def test_a_version_1_journal_migrates_and_accepts_send(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _version_1_file(path)
    with Journal(path) as journal:
        assert journal.schema_version == 3
        (entry,) = journal.entries(owner=OWNER)
        assert entry.preview.kind == "buy"
        assert entry.preview.confirmed_at_s == 150
        assert entry.submission is not None
        assert entry.receipt is not None
        assert entry.receipt.block_number == 7
        journal.record_preview("q2", "send", OWNER, VAULT, 300, 400, '{"kind": "send"}')
        assert journal.preview("q2") is not None
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO previews VALUES ('q3', 'gift', ?, ?, 1, 2, '{}', NULL)", (OWNER, VAULT)
        )
    db.close()


def test_foreign_keys_are_enforced_after_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _version_1_file(path)
    with Journal(path) as journal:
        assert journal._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            journal._db.execute(
                "INSERT INTO submissions VALUES ('nope', '0xop2', ?, '1', NULL, 1, NULL)",
                (OWNER,),
            )
