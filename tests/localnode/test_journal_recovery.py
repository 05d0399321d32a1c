"""A damaged journal on a real local network (issue 15: a half-truncated journal stopped
`holdings` with a hint that did not say how to recover; an emptied one was silently
recreated): every command stops naming the file and keeps it; `journal backup` copies it;
`journal rebuild` moves it aside and rebuilds from the chain what the chain can tell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import JournalDamaged
from orchestrator.ledger.journal import Journal
from orchestrator.wallet.keystore import Keystore
from tests.local_network import local_network

pytestmark = pytest.mark.anvil

PASSWORD = "recovery password"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with local_network(tmp_path_factory.mktemp("recovery"), "--tokens", "4") as folder:
        Keystore(folder / "keystores").create("rita", PASSWORD, scrypt_n=16)
        yield folder


def _run(home: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": PASSWORD}
    return CliRunner().invoke(app, list(args), env=env)


def _ops(home: Path) -> list[tuple[str, str, int]]:
    """(kind, op hash, fills) of every included entry."""
    with Journal(home / "journal.sqlite") as journal:
        return sorted(
            (e.preview.kind, e.submission.user_op_hash, len(e.fills))
            for e in journal.entries()
            if e.state == "included" and e.submission is not None
        )


def test_a_truncated_journal_stops_every_command_and_rebuild_recovers(home: Path) -> None:
    assert _run(home, "local", "fund", "--usdc", "3000", "-w", "rita").exit_code == 0
    trades = (("buy", "500"), ("buy", "300"), ("sell", "--percent", "50"))
    for args in trades:
        done = _run(home, *args, "--yes", "-w", "rita")
        assert done.exit_code == 0, done.output
    before = _ops(home)
    assert [kind for kind, _, _ in before] == ["buy", "buy", "sell"]

    path = home / "journal.sqlite"
    with Journal(path) as journal:  # everything in the main file, then cut it in half
        journal._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    damaged = path.read_bytes()

    for args in (("holdings",), ("log",), ("buy", "100", "--yes")):
        refused = _run(home, *args, "-w", "rita")
        assert isinstance(refused.exception, JournalDamaged), refused.output
        assert str(path) in str(refused.exception)
        assert "journal rebuild" in (refused.exception.hint or "")
    assert path.read_bytes() == damaged  # kept as it was

    backup = _run(home, "journal", "backup", "--to", str(home / "copy.sqlite"))
    assert backup.exit_code == 0, backup.output
    assert "(damaged: copied as it is)" in backup.output
    assert (home / "copy.sqlite").read_bytes() == damaged

    rebuilt = _run(home, "journal", "rebuild", "-w", "rita")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "the damaged journal was kept as" in rebuilt.output
    assert "3 operation(s) of smart account" in rebuilt.output
    assert "3 added (2 buy, 1 sell)" in rebuilt.output
    assert "what the chain cannot tell" in rebuilt.output
    # the journal moved aside (its -wal, -shm and .history side files moved beside it)
    side = ("-wal", "-shm", ".history")
    aside = next(p for p in home.glob("journal.sqlite.damaged-*") if not p.name.endswith(side))
    assert aside.read_bytes() == damaged
    assert [(k, h) for k, h, _ in _ops(home)] == [(k, h) for k, h, _ in before]
    assert all(fills for _, _, fills in _ops(home))  # fills from the vault's Swapped events
    log = _run(home, "log", "-w", "rita")
    assert log.exit_code == 0, log.output
    assert log.output.count(" buy ") == 2
    again = _run(home, "journal", "rebuild", "-w", "rita")  # over a healthy journal: no-op
    assert "0 added (none), 3 journaled already" in again.output
    done = _run(home, "buy", "100", "--yes", "-w", "rita")
    assert done.exit_code == 0, done.output


def test_a_healthy_journal_backs_up_consistently(home: Path) -> None:
    copy = home / "healthy.sqlite"
    done = _run(home, "journal", "backup", "--to", str(copy))
    assert done.exit_code == 0, done.output
    assert "damaged" not in done.output
    with Journal(copy) as restored, Journal(home / "journal.sqlite") as live:
        assert [e.preview.quote_id for e in restored.entries()] == [
            e.preview.quote_id for e in live.entries()
        ]
    refused = _run(home, "journal", "backup", "--to", str(copy))  # never overwritten
    assert refused.exit_code != 0
    assert "exists already" in str(refused.exception)
