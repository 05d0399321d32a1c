"""Which cycle a keeper run works on, and when the next runs are due. Pure.

- Weekly: the first run in an ISO week (UTC, Monday 00:00) starts that week's cycle;
  later runs in the week resume it until every vault has an outcome.
- Daily regime check: once this week's cycle is finished, a run whose regime differs from
  the regime of the last finished cycle starts a regime cycle (bull -> bear: every
  opted-in vault to USDC; bear -> bull: back into the index), between weekly runs.
- Starting a cycle closes any other open one ("superseded"): a vault never follows two
  sets of targets at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.keeper.journal import Cycle

__all__ = ["CycleChoice", "choose_cycle", "next_daily_check_s", "next_weekly_s", "week_id"]

DAY_S = 86_400


def _utc(now_s: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(now_s, tz=datetime.UTC)


def week_id(now_s: int) -> str:
    year, week, _ = _utc(now_s).isocalendar()
    return f"weekly-{year}-W{week:02d}"


def next_weekly_s(now_s: int) -> int:
    """Monday 00:00 UTC after `now_s`."""
    day = _utc(now_s).date()
    monday = day + datetime.timedelta(days=7 - day.weekday())
    return int(datetime.datetime.combine(monday, datetime.time(), datetime.UTC).timestamp())


def next_daily_check_s(now_s: int, *, at_hour_utc: int = 0) -> int:
    """The next `at_hour_utc`:00 UTC strictly after `now_s`."""
    moment = _utc(now_s)
    slot = moment.replace(hour=at_hour_utc, minute=0, second=0, microsecond=0)
    if slot <= moment:
        slot += datetime.timedelta(days=1)
    return int(slot.timestamp())


@dataclass(frozen=True)
class CycleChoice:
    cycle_id: str | None  # None: nothing to do
    kind: str  # weekly | regime | none
    resume: bool  # the cycle exists and is open
    supersede: tuple[str, ...]  # open cycles to close first
    why: str


def choose_cycle(
    now_s: int, regime: str, *, existing: Cycle | None, open_cycles: Sequence[Cycle],
    last_finished: Cycle | None,
) -> CycleChoice:  # fmt: skip
    """`existing` is this week's cycle if the journal has it."""
    week = week_id(now_s)
    others = tuple(c.cycle_id for c in open_cycles if c.cycle_id != week)
    if existing is None:
        return CycleChoice(week, "weekly", False, others, f"first run of {week}")
    if not existing.finished:
        return CycleChoice(week, "weekly", True, others, f"{week} has vaults left")
    reference = last_finished.regime if last_finished is not None else existing.regime
    if regime != reference:
        # an open regime cycle for this regime (started on an earlier day) is resumed
        same = [c.cycle_id for c in open_cycles if c.kind == "regime" and c.regime == regime]
        rid = same[-1] if same else f"regime-{_utc(now_s).date().isoformat()}-{regime}"
        still_open = tuple(c for c in others if c != rid)
        return CycleChoice(rid, "regime", rid in others, still_open,
                           f"regime switched {reference} -> {regime}")  # fmt: skip
    if others:
        return CycleChoice(others[-1], "regime", True, others[:-1], "regime cycle has vaults left")
    return CycleChoice(None, "none", False, (), f"{week} is done and the regime is still {regime}")
