"""Injected crashes for the reliability tests: `INDEXVAULT_CRASH_AT=confirm.broadcast`
(or `point:N`, the Nth time it is reached; several comma-separated) kills this process
with SIGKILL at that point, no cleanup, no atexit, like a power cut. Unset (always, in
normal use) it costs one environment look-up.

The points of the confirm path, in order (each between two journal steps, or around the
broadcast): confirm.confirmed (confirmation journaled), confirm.journaled (submission
journaled, nothing sent), confirm.broadcast (sent to the bundler or node, no receipt yet),
confirm.done (receipt and fills journaled, in one transaction).
The keeper has its own (`keeper.cycle.CRASH_ENV`: signed, broadcast, done)."""

from __future__ import annotations

import os
import signal

__all__ = ["CRASH_ENV", "CRASH_POINTS", "crash_point"]

CRASH_ENV = "INDEXVAULT_CRASH_AT"
CRASH_POINTS = (
    "confirm.confirmed",
    "confirm.journaled",
    "confirm.broadcast",
    "confirm.done",
)
_reached: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here if $INDEXVAULT_CRASH_AT names this point (see the module docstring)."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    for item in spec.split(","):
        where, _, nth = item.strip().partition(":")
        if where != name:
            continue
        _reached[name] = _reached.get(name, 0) + 1
        if _reached[name] == int(nth or "1"):
            os.kill(os.getpid(), signal.SIGKILL)
