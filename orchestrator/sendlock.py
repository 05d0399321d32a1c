"""One sender at a time per home and network: an advisory `flock` on
`$INDEXVAULT_HOME/locks/send-<network>.lock`.

Every operation that sends (confirming or submitting a buy, sell, withdrawal or mandate;
a keeper run) holds the lock while it checks the account's nonce, journals, broadcasts and
waits for the outcome; reads never take it. So two commands never race for one nonce, and
an open submission in the journal while nobody holds the lock belongs to a process that
died: the next command settles it (`ledger.settle`).

    with send_lock(home, "local"):          # waits up to `wait_s`, then SendLockBusy
        ... confirm ...

A second sender waits up to `wait_s` (default 15 s, `$INDEXVAULT_LOCK_WAIT_S`; 0: refuse
at once) and then gets `SendLockBusy` naming the holder's pid. The lock is the kernel's:
a process that dies (even by SIGKILL) releases it.

Shared mode (a web server: one process, several threads): `share_in_process(True)` makes
the threads of this process share one flock, refcounted; the first thread in takes it,
the last one out releases it. Other processes are still excluded. Within the process the
journal's own guards (one live submission per account nonce, one per quote id) keep two
threads from both reporting one nonce as done.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import SendLockBusy

__all__ = ["LOCK_WAIT_ENV", "lock_path", "send_lock", "share_in_process", "shared_in_process"]

LOCK_WAIT_ENV = "INDEXVAULT_LOCK_WAIT_S"
DEFAULT_WAIT_S = 15.0
_POLL_S = 0.05


@dataclass
class _Held:
    fd: int
    count: int


_shared = False
_registry: dict[Path, _Held] = {}
_registry_lock = threading.Lock()


def share_in_process(enabled: bool) -> None:
    """Let this process's threads share one lock (refcounted) instead of excluding each
    other (a web server with several worker threads)."""
    global _shared
    _shared = enabled


def shared_in_process() -> bool:
    return _shared


def lock_path(home: Path, network: str) -> Path:
    return home / "locks" / f"send-{network}.lock"


def _default_wait_s() -> float:
    raw = os.environ.get(LOCK_WAIT_ENV)
    if raw is None:
        return DEFAULT_WAIT_S
    try:
        return max(0.0, float(raw))
    except ValueError:
        return DEFAULT_WAIT_S


def _holder(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _take(path: Path, network: str, wait_s: float) -> int:
    """An fd holding the exclusive flock on `path`, or SendLockBusy after `wait_s`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise SendLockBusy(network, pid=_holder(path), path=path, waited_s=wait_s) from None
            time.sleep(_POLL_S)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def send_lock(home: Path, network: str, *, wait_s: float | None = None) -> Iterator[None]:
    """Hold the network's send lock for the block (see the module docstring)."""
    path = lock_path(home, network).resolve()
    wait = _default_wait_s() if wait_s is None else wait_s
    if not _shared:
        fd = _take(path, network, wait)
        try:
            yield
        finally:
            _release(fd)
        return
    with _registry_lock:
        held = _registry.get(path)
        if held is None:
            held = _registry[path] = _Held(_take(path, network, wait), 0)
        held.count += 1
    try:
        yield
    finally:
        with _registry_lock:
            held.count -= 1
            if held.count == 0:
                del _registry[path]
                _release(held.fd)
