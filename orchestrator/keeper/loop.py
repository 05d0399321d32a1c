"""The keeper as its own scheduler: one run now, then one every day at a fixed UTC hour
(the weekly cycle is simply the first run of each ISO week; see `schedule`). For cron or a
systemd timer, run once instead (docs/keeper.md)."""

from __future__ import annotations

import time
from collections.abc import Callable

from orchestrator.keeper.schedule import next_daily_check_s

__all__ = ["run_daily"]


def run_daily(
    run_once: Callable[[], None],
    *,
    at_hour_utc: int,
    on_wait: Callable[[int], None] = lambda _wake_s: None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Call `run_once`, then sleep until the next daily check (`on_wait` hears when), for
    ever: it returns only by an exception (KeeperStopped, or the operator's Ctrl-C)."""
    while True:
        run_once()
        wake_s = next_daily_check_s(int(clock()), at_hour_utc=at_hour_utc)
        on_wait(wake_s)
        sleep(max(0.0, wake_s - clock()))
