"""One SQLite file that must not lose a write: the base of both journals (the user's,
`ledger.journal`, and the keeper's, `keeper.journal`).

- WAL mode, foreign keys on, `synchronous = FULL`: a committed row is on disk before the
  caller goes on (and, in both journals, before anything is broadcast);
- the schema is created or migrated in one `BEGIN IMMEDIATE` transaction, from the file's
  `PRAGMA user_version` up (two processes opening a new file at once: the second sees the
  first's tables); a newer schema, or a SQLite file that is something else, is refused;
- `_write()` is one `BEGIN IMMEDIATE` transaction (read-then-write checks inside it cannot
  interleave with another process's writes); `_snapshot()` several reads of one state.

Integrity: every open runs `PRAGMA quick_check`; a file SQLite cannot read, or that fails
the check, raises `JournalDamaged` and is never replaced or written to. An *emptied* file
(0 bytes, or deleted) cannot be told from a new one by SQLite, so each journal keeps a
sidecar, `<file>.history`, written the first time the journal is seen holding rows (on
open or close): a journal that is missing or 0 bytes while its sidecar exists was
emptied, and is refused the same way. Starting over on purpose means removing both files
(or `indexvault journal rebuild`, which moves the damaged one aside). `backup(dest)` copies
a consistent snapshot with SQLite's online backup API.

Not thread-safe: one instance per thread."""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from orchestrator.errors import JournalDamaged, JournalUnusable

__all__ = ["SqliteJournal"]


class SqliteJournal:
    """Subclasses set SCHEMA_VERSION and MIGRATIONS (each version's statements)."""

    SCHEMA_VERSION: ClassVar[int] = 0
    MIGRATIONS: ClassVar[Mapping[int, Sequence[str]]] = {}
    HISTORY_TABLE: ClassVar[str] = ""  # rows here mean the journal has history to keep

    def __init__(self, path: str | Path, *, busy_timeout_s: float, rows_by_name: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._refuse_emptied()
        try:
            self._db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
        except sqlite3.Error as error:
            raise JournalUnusable(str(self.path), f"cannot open: {error}") from error
        if rows_by_name:
            self._db.row_factory = sqlite3.Row
        try:
            self._open_schema()
            self._note_history()
        except BaseException:
            self._db.close()
            raise

    # -- integrity ---------------------------------------------------------------------------
    @property
    def history_path(self) -> Path:
        return self.path.with_name(self.path.name + ".history")

    def _refuse_emptied(self) -> None:
        sidecar = self.history_path
        if not sidecar.exists():
            return
        size = self.path.stat().st_size if self.path.exists() else None
        if size:
            return
        try:
            seen = json.loads(sidecar.read_text())
        except (OSError, ValueError):
            seen = {}
        what = "is missing" if size is None else "is empty (0 bytes)"
        raise JournalDamaged(
            str(self.path),
            f"{what}, but it held {seen.get('rows', 'some')} entries (seen "
            f"{seen.get('seen_at', '?')}, per {sidecar.name}): its history was lost, and it "
            "is not recreated silently",
        )

    def _note_history(self) -> None:
        """Write the sidecar once the journal holds rows (see the module docstring)."""
        if not self.HISTORY_TABLE or self.history_path.exists():
            return
        try:
            query = f"SELECT count(*) FROM {self.HISTORY_TABLE}"  # noqa: S608 - a class constant
            rows = int(self._db.execute(query).fetchone()[0])
        except sqlite3.Error:
            return
        if rows:
            now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            self.history_path.write_text(json.dumps({"rows": rows, "seen_at": now}) + "\n")

    def _check_integrity(self) -> None:
        try:
            rows = [str(r[0]) for r in self._db.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as error:
            raise JournalDamaged(str(self.path), f"SQLite cannot read it ({error})") from error
        if rows != ["ok"]:
            found = "; ".join(rows[:3])
            raise JournalDamaged(str(self.path), f"corrupt or truncated (integrity check: {found})")

    def backup(self, dest: str | Path) -> Path:
        """A consistent copy of the journal at `dest` (SQLite's online backup API)."""
        target = Path(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(target)
        try:
            self._db.backup(copy)
        finally:
            copy.close()
        return target

    def _open_schema(self) -> None:
        path = str(self.path)
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            # off while the schema migrates (a table rebuilt under its children is SQLite's
            # way to change a constraint); checked before that commits, then on for good
            self._db.execute("PRAGMA foreign_keys = OFF")
            self._db.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as error:
            if existed and "not a database" not in str(error):
                raise JournalDamaged(path, f"SQLite cannot read it ({error})") from error
            raise JournalUnusable(path, f"not usable as a SQLite database ({error})") from error
        if existed:
            self._check_integrity()
        if str(mode).lower() != "wal":
            raise JournalUnusable(path, f"cannot use WAL mode (got {mode!r}); use a real file")
        with self._write() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > self.SCHEMA_VERSION:
                raise JournalUnusable(
                    path,
                    f"schema version {version} is newer than this code's ({self.SCHEMA_VERSION})",
                )
            if version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise JournalUnusable(path, "a SQLite database that is not a journal")
            for step in range(version + 1, self.SCHEMA_VERSION + 1):
                for statement in self.MIGRATIONS[step]:
                    db.execute(statement)  # foreign keys off: a table may be rebuilt
            if (
                version
                and version < self.SCHEMA_VERSION
                and db.execute("PRAGMA foreign_key_check").fetchone()
            ):
                raise JournalDamaged(path, "rows reference missing rows after migration")
            db.execute(f"PRAGMA user_version = {self.SCHEMA_VERSION}")
        self._db.execute("PRAGMA foreign_keys = ON")

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        try:
            self._note_history()
        finally:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; IMMEDIATE takes the write lock first. A write the disk
        refuses (full, read-only, I/O error) is JournalUnusable, said in words: the row
        was not written, so nothing that waits on it (a broadcast) happened either."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise self._unwritable(error) from error
        try:
            yield self._db
        except BaseException as error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.OperationalError) and _is_disk_error(error):
                raise self._unwritable(error) from error
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise self._unwritable(error) from error

    def _unwritable(self, error: sqlite3.OperationalError) -> JournalUnusable:
        if not _is_disk_error(error):
            return JournalUnusable(str(self.path), f"cannot write: {error}")
        return JournalUnusable(
            str(self.path),
            f"cannot write ({error}): the disk is full, or the file or its folder is "
            "read-only; nothing was recorded, and nothing that waits on it was sent",
        )

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads seeing one consistent state."""
        self._db.execute("BEGIN")
        try:
            yield self._db
        finally:
            self._db.execute("COMMIT")


def _is_disk_error(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return any(w in text for w in ("disk is full", "readonly", "read-only", "disk i/o"))
