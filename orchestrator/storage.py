"""One SQLite file that must not lose a write: the base of both journals (the user's,
`ledger.journal`, and the keeper's, `keeper.journal`).

- WAL mode, foreign keys on, `synchronous = FULL`: a committed row is on disk before the
  caller goes on (and, in both journals, before anything is broadcast);
- the schema is created or migrated in one `BEGIN IMMEDIATE` transaction, from the file's
  `PRAGMA user_version` up (two processes opening a new file at once: the second sees the
  first's tables); a newer schema, or a SQLite file that is something else, is refused;
- `_write()` is one `BEGIN IMMEDIATE` transaction (read-then-write checks inside it cannot
  interleave with another process's writes); `_snapshot()` several reads of one state.

Not thread-safe: one instance per thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from orchestrator.errors import JournalUnusable

__all__ = ["SqliteJournal"]


class SqliteJournal:
    """Subclasses set SCHEMA_VERSION and MIGRATIONS (each version's statements)."""

    SCHEMA_VERSION: ClassVar[int] = 0
    MIGRATIONS: ClassVar[Mapping[int, Sequence[str]]] = {}

    def __init__(self, path: str | Path, *, busy_timeout_s: float, rows_by_name: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
        except sqlite3.Error as error:
            raise JournalUnusable(str(self.path), f"cannot open: {error}") from error
        if rows_by_name:
            self._db.row_factory = sqlite3.Row
        try:
            self._open_schema()
        except BaseException:
            self._db.close()
            raise

    def _open_schema(self) -> None:
        path = str(self.path)
        try:
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            # off while the schema migrates (a table rebuilt under its children is SQLite's
            # way to change a constraint); checked before that commits, then on for good
            self._db.execute("PRAGMA foreign_keys = OFF")
            self._db.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as error:
            raise JournalUnusable(path, f"not usable as a SQLite database ({error})") from error
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
                    db.execute(statement)
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise JournalUnusable(path, f"rows without their parent after migrating: {broken}")
            db.execute(f"PRAGMA user_version = {self.SCHEMA_VERSION}")
        self._db.execute("PRAGMA foreign_keys = ON")

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
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
        """One write transaction; IMMEDIATE takes the write lock first."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads seeing one consistent state."""
        self._db.execute("BEGIN")
        try:
            yield self._db
        finally:
            self._db.execute("COMMIT")
