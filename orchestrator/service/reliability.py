"""The facade's reliability switches: one-line notices for a front end to print (what a
session settled on start), and the web server's shared send lock.

    on_notice(typer.echo)        # the CLI: print each notice as it happens
    share_send_lock(True)        # a web server: its threads share one send lock
"""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.sendlock import share_in_process

__all__ = ["notify", "on_notice", "share_send_lock"]

_sinks: list[Callable[[str], None]] = []


def on_notice(sink: Callable[[str], None] | None) -> None:
    """Send every notice (one line each) to `sink`; None: stop."""
    _sinks.clear()
    if sink is not None:
        _sinks.append(sink)


def notify(line: str) -> None:
    for sink in _sinks:
        sink(line)


def share_send_lock(enabled: bool = True) -> None:
    """A web server (one process, several threads) calls this once: its threads then share
    one flock of each network's send lock, refcounted (the first in takes it, the last out
    releases it), instead of refusing each other; other processes stay excluded."""
    share_in_process(enabled)
