"""The keeper's journal (SQLite): discovered vaults, cycles, and one action per vault per
cycle — the idempotency key is (cycle_id, vault).

A rebalance is signed, journaled with its nonce, hash and raw bytes, and only then
broadcast, so a process killed at any point can be resumed: a restart finds the action
`submitted`, looks for its receipt, and if the chain has none re-broadcasts the *same*
signed bytes (same nonce: at most one of them can ever be mined). Amounts that may exceed
64 bits are TEXT.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from pydantic.dataclasses import dataclass

from orchestrator.errors import InvalidValue
from orchestrator.storage import SqliteJournal

__all__ = ["Action", "ActionState", "Cycle", "KeeperJournal"]

SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 30.0

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
    """CREATE TABLE vaults (
        vault         TEXT PRIMARY KEY,
        owner         TEXT NOT NULL,
        created_block INTEGER NOT NULL
    ) STRICT""",
    """CREATE TABLE cycles (
        cycle_id      TEXT PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('weekly', 'regime')),
        regime        TEXT NOT NULL CHECK (regime IN ('bull', 'bear')),
        targets_date  TEXT NOT NULL,
        weights_json  TEXT NOT NULL,
        started_at_s  INTEGER NOT NULL,
        finished_at_s INTEGER,
        closed_reason TEXT
    ) STRICT""",
    """CREATE TABLE actions (
        cycle_id     TEXT NOT NULL REFERENCES cycles (cycle_id),
        vault        TEXT NOT NULL REFERENCES vaults (vault),
        state        TEXT NOT NULL CHECK (state IN
                        ('pending', 'waiting', 'submitted', 'done', 'skipped', 'failed')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        reason       TEXT,
        nonce        INTEGER,
        tx_hash      TEXT,
        raw_tx       TEXT,
        legs         INTEGER,
        gas_used     INTEGER,
        loss_usdc    TEXT,
        block_number INTEGER,
        updated_at_s INTEGER NOT NULL,
        PRIMARY KEY (cycle_id, vault)
    ) STRICT""",
    "CREATE UNIQUE INDEX actions_by_tx ON actions (tx_hash) WHERE tx_hash IS NOT NULL",
)

# Version 2: a batch (BatchSettlement.settle) is one transaction for several vaults, so the
# vaults' actions share its hash; each (cycle, vault) still has at most one action.
_BATCHES = (
    "DROP INDEX actions_by_tx",
    "CREATE INDEX actions_by_tx ON actions (tx_hash) WHERE tx_hash IS NOT NULL",
)

OPEN_STATES = ("pending", "waiting", "submitted")


class ActionState(StrEnum):
    PENDING = "pending"  # planned this cycle, nothing signed yet
    WAITING = "waiting"  # not possible yet (interval, transient error): a later run retries
    SUBMITTED = "submitted"  # signed and journaled; maybe broadcast; receipt unknown
    DONE = "done"  # mined and succeeded
    SKIPPED = "skipped"  # nothing to do (not opted in, within bands, superseded)
    FAILED = "failed"  # reverted (decoded reason) after the allowed attempts


@dataclass(frozen=True)
class Cycle:
    cycle_id: str
    kind: str  # weekly | regime
    regime: str
    targets_date: str
    weights_bps: dict[str, int]
    started_at_s: int
    finished_at_s: int | None
    closed_reason: str | None

    @property
    def finished(self) -> bool:
        return self.finished_at_s is not None


@dataclass(frozen=True)
class Action:
    cycle_id: str
    vault: str
    state: ActionState
    attempts: int
    reason: str | None
    nonce: int | None
    tx_hash: str | None
    raw_tx: str | None
    legs: int | None
    gas_used: int | None
    loss_usdc: int | None
    block_number: int | None
    updated_at_s: int


def _cycle(row: sqlite3.Row) -> Cycle:
    return Cycle(
        row["cycle_id"], row["kind"], row["regime"], row["targets_date"],
        {str(k): int(v) for k, v in json.loads(row["weights_json"]).items()},
        row["started_at_s"], row["finished_at_s"], row["closed_reason"],
    )  # fmt: skip


def _action(row: sqlite3.Row) -> Action:
    loss = row["loss_usdc"]
    return Action(
        row["cycle_id"], row["vault"], ActionState(row["state"]), row["attempts"],
        row["reason"], row["nonce"], row["tx_hash"], row["raw_tx"], row["legs"],
        row["gas_used"], None if loss is None else int(loss), row["block_number"],
        row["updated_at_s"],
    )  # fmt: skip


class KeeperJournal(SqliteJournal):
    """One file per keeper and network. Writes are short `BEGIN IMMEDIATE` transactions
    with `synchronous = FULL`: a row written is on disk before anything is broadcast."""

    SCHEMA_VERSION = SCHEMA_VERSION
    MIGRATIONS: ClassVar[Mapping[int, Sequence[str]]] = {1: _SCHEMA, 2: _BATCHES}
    HISTORY_TABLE: ClassVar[str] = "cycles"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, busy_timeout_s=BUSY_TIMEOUT_S, rows_by_name=True)

    # -- meta and vaults -------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                (key, value, value),
            )

    def add_vaults(self, found: Sequence[tuple[str, str, int]], *, scanned_to: int) -> None:
        """Record (vault, owner, block) rows and the last block scanned, atomically."""
        with self._write() as db:
            db.executemany("INSERT OR IGNORE INTO vaults VALUES (?, ?, ?)", found)
            db.execute(
                "INSERT INTO meta VALUES ('scanned_to_block', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(scanned_to),),
            )

    def vaults(self) -> list[tuple[str, str]]:
        rows = self._db.execute("SELECT vault, owner FROM vaults ORDER BY created_block, vault")
        return [(str(v), str(o)) for v, o in rows]

    # -- cycles ----------------------------------------------------------------------------
    def start_cycle(
        self, cycle_id: str, *, kind: str, regime: str, targets_date: str,
        weights_bps: dict[str, int], now_s: int,
    ) -> Cycle:  # fmt: skip
        """Create the cycle if it does not exist; return it either way (a restart resumes
        the cycle with the targets it started with)."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO cycles VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                (cycle_id, kind, regime, targets_date,
                 json.dumps(weights_bps, sort_keys=True), now_s),
            )  # fmt: skip
        cycle = self.cycle(cycle_id)
        assert cycle is not None
        return cycle

    def cycle(self, cycle_id: str) -> Cycle | None:
        row = self._db.execute("SELECT * FROM cycles WHERE cycle_id = ?", (cycle_id,)).fetchone()
        return None if row is None else _cycle(row)

    def cycles(self, limit: int = 20) -> list[Cycle]:
        rows = self._db.execute(
            "SELECT * FROM cycles ORDER BY started_at_s DESC, rowid DESC LIMIT ?", (limit,)
        )
        return [_cycle(r) for r in rows]

    def open_cycles(self) -> list[Cycle]:
        rows = self._db.execute(
            "SELECT * FROM cycles WHERE finished_at_s IS NULL ORDER BY started_at_s, rowid"
        )
        return [_cycle(r) for r in rows]

    def last_finished(self) -> Cycle | None:
        row = self._db.execute(
            "SELECT * FROM cycles WHERE finished_at_s IS NOT NULL "
            "ORDER BY finished_at_s DESC, rowid DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _cycle(row)

    def finish_cycle(self, cycle_id: str, now_s: int, reason: str | None = None) -> None:
        """Close the cycle; actions still waiting become skipped with `reason`."""
        with self._write() as db:
            if reason is not None:
                db.execute(
                    "UPDATE actions SET state = 'skipped', reason = ?, updated_at_s = ? "
                    "WHERE cycle_id = ? AND state IN ('pending', 'waiting')",
                    (reason, now_s, cycle_id),
                )
            db.execute(
                "UPDATE cycles SET finished_at_s = ?, closed_reason = ? WHERE cycle_id = ?",
                (now_s, reason, cycle_id),
            )

    # -- actions ---------------------------------------------------------------------------
    def action(self, cycle_id: str, vault: str) -> Action | None:
        row = self._db.execute(
            "SELECT * FROM actions WHERE cycle_id = ? AND vault = ?", (cycle_id, vault)
        ).fetchone()
        return None if row is None else _action(row)

    def actions(self, cycle_id: str) -> list[Action]:
        rows = self._db.execute(
            "SELECT * FROM actions WHERE cycle_id = ? ORDER BY rowid", (cycle_id,)
        )
        return [_action(r) for r in rows]

    def submit_batch(
        self, cycle_id: str, members: Sequence[tuple[str, int, str | None]], *, now_s: int,
        nonce: int, tx_hash: str, raw_tx: str,
    ) -> None:  # fmt: skip
        """Journal one signed batch for every member vault (vault, legs, reason) in one
        write: either every vault's action is `submitted` with the batch's bytes, or none is."""
        with self._write() as db:
            for vault, legs, reason in members:
                row = db.execute(
                    "SELECT state, attempts FROM actions WHERE cycle_id = ? AND vault = ?",
                    (cycle_id, vault),
                ).fetchone()
                if row is not None and row["state"] not in ("pending", "waiting"):
                    raise InvalidValue(
                        f"{cycle_id}/{vault} is {row['state']}; a batch cannot include it",
                        name="state", value=row["state"],
                    )  # fmt: skip
                attempts = (0 if row is None else int(row["attempts"])) + 1
                db.execute(
                    "INSERT INTO actions (cycle_id, vault, state, attempts, reason, nonce, "
                    "tx_hash, raw_tx, legs, updated_at_s) VALUES (?, ?, 'submitted', ?, ?, ?, ?, "
                    "?, ?, ?) ON CONFLICT (cycle_id, vault) DO UPDATE SET state = 'submitted', "
                    "attempts = excluded.attempts, reason = excluded.reason, nonce = "
                    "excluded.nonce, tx_hash = excluded.tx_hash, raw_tx = excluded.raw_tx, "
                    "legs = excluded.legs, updated_at_s = excluded.updated_at_s",
                    (cycle_id, vault, attempts, reason, nonce, tx_hash, raw_tx, legs, now_s),
                )

    def sharing_tx(self, tx_hash: str) -> int:
        """How many actions one transaction settles (1, or a batch's size)."""
        row = self._db.execute("SELECT COUNT(*) FROM actions WHERE tx_hash = ?", (tx_hash,))
        return int(row.fetchone()[0])

    def submitted(self) -> list[Action]:
        rows = self._db.execute("SELECT * FROM actions WHERE state = 'submitted' ORDER BY nonce")
        return [_action(r) for r in rows]

    def open_actions(self, cycle_id: str) -> int:
        marks = ", ".join("?" * len(OPEN_STATES))
        row = self._db.execute(
            f"SELECT COUNT(*) FROM actions WHERE cycle_id = ? AND state IN ({marks})",  # noqa: S608
            (cycle_id, *OPEN_STATES),
        ).fetchone()
        return int(row[0])

    def settle(
        self, cycle_id: str, vault: str, state: ActionState, *, now_s: int,
        reason: str | None = None, count_attempt: bool = False, **fields: Any,
    ) -> None:  # fmt: skip
        """Upsert the action's state. Refuses to move an action out of `submitted` except
        to done/failed (and to `waiting` when its transaction was provably never mined):
        a signed transaction is never forgotten."""
        allowed = {"legs", "gas_used", "loss_usdc", "block_number", "nonce", "tx_hash",
                   "raw_tx"}  # fmt: skip
        unknown = set(fields) - allowed
        if unknown:
            raise InvalidValue(
                f"unknown action fields {sorted(unknown)}", name="fields", value=sorted(unknown)
            )
        values = {k: (str(v) if k == "loss_usdc" and v is not None else v)
                  for k, v in fields.items()}  # fmt: skip
        with self._write() as db:
            row = db.execute(
                "SELECT state, attempts FROM actions WHERE cycle_id = ? AND vault = ?",
                (cycle_id, vault),
            ).fetchone()
            attempts = (0 if row is None else int(row["attempts"])) + int(count_attempt)
            if row is None:
                db.execute(
                    "INSERT INTO actions (cycle_id, vault, state, attempts, reason, updated_at_s)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (cycle_id, vault, state.value, attempts, reason, now_s),
                )
            else:
                if row["state"] == "submitted" and state not in (
                    ActionState.DONE,
                    ActionState.FAILED,
                    ActionState.WAITING,
                ):
                    raise InvalidValue(
                        f"{cycle_id}/{vault} is submitted; cannot become {state}",
                        name="state",
                        value=state,
                    )
                if row["state"] in ("done", "skipped", "failed") and state is not row["state"]:
                    raise InvalidValue(
                        f"{cycle_id}/{vault} is final ({row['state']})", name="state", value=state
                    )
                db.execute(
                    "UPDATE actions SET state = ?, attempts = ?, reason = ?, updated_at_s = ? "
                    "WHERE cycle_id = ? AND vault = ?",
                    (state.value, attempts, reason, now_s, cycle_id, vault),
                )
            for key, value in values.items():
                db.execute(
                    f"UPDATE actions SET {key} = ? WHERE cycle_id = ? AND vault = ?",  # noqa: S608
                    (value, cycle_id, vault),
                )
