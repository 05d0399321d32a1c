"""One thread that owns the facade's sessions; every route hands its call to it.

Why one thread: a Session (its web3 provider, the journal's SQLite connection, the
trading context's cached nonce and facts) is synchronous and not thread-safe, and a
SQLite connection may only be used by the thread that opened it. Running every facade
call on one dedicated worker serialises them in arrival order, so two confirmations can
never interleave their nonce reads and journal writes, while the event loop stays free to
serve static files and other requests. One user drives a local page, so the throughput
of one worker is plenty; the worker is the only place a session is ever touched.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["FacadeThread"]

T = TypeVar("T")
_STOP = object()


class FacadeThread:
    """A single worker thread: `await facade.call(fn, *args)` runs `fn` on it."""

    def __init__(self, name: str = "indexvault-facade") -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            future, fn, args = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as error:  # handed to the awaiting route
                future.set_exception(error)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((future, fn, args))
        return future

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the facade thread and wait for it without blocking the loop."""
        if threading.current_thread() is self._thread:
            return fn(*args)
        return await asyncio.wrap_future(self.submit(fn, *args))

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Blocking form (startup, shutdown, tests)."""
        if threading.current_thread() is self._thread:
            return fn(*args)
        return self.submit(fn, *args).result()

    def stop(self) -> None:
        self._jobs.put(_STOP)
        self._thread.join(timeout=10)
