"""The keeper's own daily scheduler (keeper/loop.py), on a fake clock."""

from __future__ import annotations

import datetime

import pytest

from orchestrator.keeper.loop import run_daily

MONDAY_9H = int(datetime.datetime(2026, 11, 23, 9, tzinfo=datetime.UTC).timestamp())


class _Stop(Exception):
    pass


def test_runs_now_then_every_day_at_the_hour() -> None:
    now = [float(MONDAY_9H)]
    runs: list[int] = []
    waits: list[int] = []

    def run_once() -> None:
        runs.append(int(now[0]))
        if len(runs) == 3:
            raise _Stop

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(_Stop):
        run_daily(run_once, at_hour_utc=6, on_wait=waits.append, clock=lambda: now[0],
                  sleep=sleep)  # fmt: skip
    six = MONDAY_9H - 3 * 3600
    assert runs == [MONDAY_9H, six + 86_400, six + 2 * 86_400]
    assert waits == runs[1:]
