"""A damaged journal is never silently replaced (issue 15): corrupt, truncated or emptied,
the open stops with JournalDamaged naming the file, and the file is kept byte for byte.
A v1 journal (the op hash UNIQUE over every submission) migrates to v2 with its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestrator.errors import JournalDamaged
from orchestrator.keeper.journal import KeeperJournal
from orchestrator.ledger import _sql
from orchestrator.ledger.journal import Journal

OWNER = "0x00000000000000000000000000000000000000A1"
VAULT = "0x00000000000000000000000000000000000000B2"
OP_HASH = "0x" + "ab" * 32


def _filled(path: Path, count: int = 40) -> None:
    with Journal(path) as journal:
        for i in range(count):
            quote = f"q{i}"
            body = '{"x": "' + "y" * 900 + '"}'
            journal.record_preview(quote, "buy", OWNER, VAULT, 1_000, 1_060, body)
            journal.record_confirmation(quote, 1_010)
            journal.begin_submission(quote, f"0x{i + 1:064x}", OWNER, i, None, 1_020)


def test_a_truncated_journal_is_refused_named_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _filled(path)
    data = path.read_bytes()
    assert len(data) > 8_192
    path.write_bytes(data[: len(data) // 2])
    before = path.read_bytes()
    with pytest.raises(JournalDamaged) as caught:
        Journal(path)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    assert "journal rebuild" in (caught.value.hint or "")
    assert path.read_bytes() == before  # kept as it was: nothing rewritten


def test_a_corrupt_page_fails_the_integrity_check(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _filled(path)
    data = bytearray(path.read_bytes())
    for offset in range(4_096 + 8, 4_096 + 2_000):  # page 2: a b-tree page, header kept
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(JournalDamaged, match=r"corrupt|cannot read"):
        Journal(path)


def test_an_emptied_journal_is_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _filled(path, 2)
    sidecar = path.with_name("journal.sqlite.history")
    assert sidecar.exists()  # written when the journal was seen holding rows
    path.write_bytes(b"")
    for leftover in tmp_path.glob("journal.sqlite-*"):  # -wal, -shm
        leftover.unlink()
    with pytest.raises(JournalDamaged, match=r"empty \(0 bytes\).*held 2 entries"):
        Journal(path)
    assert path.read_bytes() == b""  # not recreated
    path.unlink()
    with pytest.raises(JournalDamaged, match="is missing"):
        Journal(path)
    assert not path.exists()


def test_a_new_journal_without_history_opens_and_writes_no_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    assert not path.with_name("journal.sqlite.history").exists()
    path.unlink()
    Journal(path).close()  # an empty journal deleted: nothing was lost, a new one is fine


def test_the_keeper_journal_is_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "keeper-local.sqlite"
    with KeeperJournal(path) as journal:
        journal.start_cycle(
            "2026-W48", kind="weekly", regime="bull", targets_date="2026-11-30",
            weights_bps={"WETH": 10_000}, now_s=1,
        )  # fmt: skip
    path.write_bytes(b"")
    for leftover in tmp_path.glob("keeper-local.sqlite-*"):
        leftover.unlink()
    with pytest.raises(JournalDamaged):
        KeeperJournal(path)


def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _filled(path, 3)
    with Journal(path) as journal:
        copy = journal.backup(tmp_path / "backups" / "copy.sqlite")
    with Journal(copy) as restored:
        assert [e.preview.quote_id for e in restored.entries()] == ["q0", "q1", "q2"]


def test_a_version_1_journal_migrates_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    for statement in _sql.MIGRATIONS[1]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO previews VALUES ('q1', 'buy', ?, ?, 1000, 1060, '{}', 1010)",
               (OWNER, VAULT))  # fmt: skip
    db.execute("INSERT INTO submissions VALUES ('q1', ?, ?, '7', NULL, 1020, NULL)",
               (OP_HASH, OWNER))  # fmt: skip
    db.execute("INSERT INTO receipts VALUES ('q1', ?, 12, 1, 100, '5', NULL)", (OP_HASH,))
    db.close()
    with Journal(path) as journal:
        assert journal.schema_version == 3
        assert journal.submission("q1") is not None
        assert journal.receipt("q1") is not None
        assert [e.state for e in journal.entries()] == ["included"]
