"""The keeper's operator side of the facade: its status (from its journal alone, no node)
and its daily loop; a single run is `Session.keeper_run`."""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable

from pydantic.dataclasses import dataclass

from orchestrator.errors import ConfigError, InputError, KeeperStopped, TransientError
from orchestrator.keeper.cycle import CycleReport
from orchestrator.keeper.journal import Action, Cycle, KeeperJournal
from orchestrator.keeper.loop import run_daily
from orchestrator.keeper.schedule import next_daily_check_s, next_weekly_s
from orchestrator.networks import open_chain, resolve_network
from orchestrator.service.session import keeper_journal_path, open_session
from orchestrator.wallet.signers import Signer

__all__ = ["KeeperStatus", "keeper_daily", "keeper_run_once", "keeper_status"]

BACKOFF_ENV = "INDEXVAULT_KEEPER_BACKOFF_S"  # the first retry's delay (doubles); default 1 s
ATTEMPTS = 4


@dataclass(frozen=True)
class KeeperStatus:
    cycles: list[Cycle]  # the most recent first
    actions: list[Action]  # each vault's outcome in the most recent cycle
    next_daily_check_s: int
    next_weekly_s: int
    # The clock every time above is on: the chain's (what the keeper runs on), or the wall
    # clock when the node did not answer.
    clock: str = "chain"
    now_s: int | None = None


def _chain_now(network: str) -> int | None:
    """The chain's clock (None when its node does not answer): on a local chain it runs
    ahead of the wall clock after `local advance`, and the keeper runs on it."""
    config = resolve_network(network)  # an unknown network is refused here, in words
    try:
        with open_chain(config) as (chain, _):
            return chain.timestamp()
    except (TransientError, ConfigError):
        return None


def keeper_status(network: str, *, now_s: int | None = None) -> KeeperStatus:
    """The journal's recent cycles and the latest one's per-vault outcomes, and when the
    next runs are due from `now_s` (default: the chain's clock, else the wall clock; never
    in the past of the chain)."""
    chain_now = _chain_now(network)
    wall = int(time.time())
    now = now_s if now_s is not None else (max(chain_now, wall) if chain_now else wall)
    clock = "chain" if chain_now is not None or now_s is not None else "wall"
    path = keeper_journal_path(network)
    cycles: list[Cycle] = []
    actions: list[Action] = []
    if path.exists():
        with KeeperJournal(path) as journal:
            cycles = journal.cycles()
            actions = journal.actions(cycles[0].cycle_id) if cycles else []
    return KeeperStatus(
        cycles, actions, next_daily_check_s(now), next_weekly_s(now), clock=clock, now_s=now
    )


def keeper_daily(
    network: str,
    signer: Signer | None,
    *,
    at_hour_utc: int,
    as_of: datetime.date | None,
    on_report: Callable[[CycleReport, str], None],
    on_wait: Callable[[int], None],
) -> None:
    """The keeper as its own daily scheduler (`keeper.loop.run_daily`): each run opens the
    network afresh, so a node restarted between runs is simply picked up again."""
    if not 0 <= at_hour_utc <= 23:
        raise InputError(f"--at-hour must be 0..23, got {at_hour_utc}")

    def run_once() -> None:
        on_report(*keeper_run_once(network, signer, as_of=as_of))

    run_daily(run_once, at_hour_utc=at_hour_utc, on_wait=on_wait)


def keeper_run_once(
    network: str,
    signer: Signer | None,
    *,
    as_of: datetime.date | None = None,
    dry_run: bool = False,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[CycleReport, str]:
    """One keeper run (its report and the keeper's address). A transient failure (the
    node down, the send lock held...) is retried `attempts` times with doubling delays
    ($INDEXVAULT_KEEPER_BACKOFF_S, default 1 s), whether it happens while connecting or
    inside the run; then KeeperStopped says why. The next run resumes the cycle."""
    delay = float(os.environ.get(BACKOFF_ENV, "1.0"))
    for attempt in range(1, attempts + 1):
        try:
            with open_session(network, signer=signer) as session:
                session.keeper_backoff_s = delay
                report = session.keeper_run(as_of=as_of, dry_run=dry_run)
                return report, session.keeper_key_address()
        except KeeperStopped:
            raise  # the run already retried its own steps: never 4 runs of 4 attempts
        except TransientError as error:
            if attempt == attempts:
                raise KeeperStopped(
                    f"the keeper stopped after {attempt} attempts: {error}",
                    hint="Check the node (and `indexvault local status` on the local "
                    "network); the next run resumes this cycle where it stopped (nothing "
                    "signed is lost or sent twice).",
                ) from error
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
