"""The journal's own commands in the facade: a consistent copy (`journal_backup`) and a
rebuild from the chain (`journal_rebuild`), for when the journal is damaged or lost.

A damaged journal (JournalDamaged: corrupt, truncated, emptied) is never replaced in
place: the rebuild moves it aside (`journal.sqlite.damaged-<UTC time>`, with its -wal,
-shm and .history files) and keeps it, then builds a new one from what the chain says
(orchestrator.ledger.rebuild, which also says what the chain cannot tell)."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

from pydantic import BaseModel

from orchestrator.errors import InputError, JournalDamaged
from orchestrator.ledger.journal import Journal
from orchestrator.ledger.rebuild import rebuild_journal
from orchestrator.networks import indexvault_home
from orchestrator.service.session import open_session

__all__ = ["BackupDone", "RebuildDone", "journal_backup", "journal_path", "journal_rebuild"]

_SIDE_FILES = ("-wal", "-shm", ".history")


class BackupDone(BaseModel):
    source: Path
    copied_to: Path
    damaged: bool  # the journal was damaged: copied byte for byte, as it is


class RebuildDone(BaseModel):
    journal: Path
    account: str
    operations_on_chain: int
    added: int
    already_there: int
    kinds: dict[str, int]
    unknown_kind: int
    moved_aside: Path | None  # where the damaged journal was kept
    cannot_tell: tuple[str, ...]


def journal_path() -> Path:
    return indexvault_home() / "journal.sqlite"


def _stamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def journal_backup(dest: Path | None = None) -> BackupDone:
    """A copy of the journal: SQLite's online backup API when it is healthy (consistent
    even while another command writes), the file as it is when it is damaged."""
    source = journal_path()
    if not source.exists():
        raise InputError(f"there is no journal at {source} to back up")
    target = dest or indexvault_home() / "backups" / f"journal-{_stamp()}.sqlite"
    if target.exists():
        raise InputError(f"{target} exists already; it is never overwritten",
                         hint="Name another file with --to.")  # fmt: skip
    try:
        with Journal(source) as journal:
            journal.backup(target)
        return BackupDone(source=source, copied_to=target, damaged=False)
    except JournalDamaged:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        for suffix in _SIDE_FILES[:1]:
            side = source.with_name(source.name + suffix)
            if side.exists():
                shutil.copy2(side, target.with_name(target.name + suffix))
        return BackupDone(source=source, copied_to=target, damaged=True)


def _move_aside(path: Path) -> Path:
    aside = path.with_name(f"{path.name}.damaged-{_stamp()}")
    if path.exists():
        path.rename(aside)
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(aside.with_name(aside.name + suffix))
    return aside


def journal_rebuild(
    network: str, wallet: str, *, keystore_dir: Path | None = None, from_block: int | None = None
) -> RebuildDone:
    """Add to the journal every operation of `wallet`'s smart account on `network` that it
    lacks, from the chain; a damaged journal is first moved aside and kept."""
    path = journal_path()
    moved: Path | None = None
    try:
        Journal(path).close()
    except JournalDamaged:
        moved = _move_aside(path)
    with open_session(network, wallet, keystore_dir=keystore_dir) as session:
        book = session.book
        symbols = {t.address.lower(): t.symbol for t in book.tokens}
        assert session.owner is not None  # a wallet was given
        done = rebuild_journal(
            session.chain, session.journal, entry_point=book.contracts.entry_point,
            owner=session.owner, account=session.account, vault=session.vault,
            symbols=symbols,
            from_block=book.deployed_from_block if from_block is None else from_block,
        )  # fmt: skip
    return RebuildDone(
        journal=path, account=done.account, operations_on_chain=done.operations_on_chain,
        added=len(done.added), already_there=done.already_there, kinds=done.kinds,
        unknown_kind=done.unknown_kind, moved_aside=moved, cannot_tell=done.cannot_tell,
    )  # fmt: skip
