"""The facade thread: every call runs on its one thread, in arrival order; errors reach the
caller; the event loop is not blocked meanwhile."""

from __future__ import annotations

import asyncio
import threading

import pytest

from orchestrator.errors import InputError
from orchestrator.web import FacadeThread


def test_calls_run_on_one_thread_in_order() -> None:
    facade = FacadeThread()
    seen: list[tuple[int, str]] = []
    try:

        async def main() -> None:
            def job(i: int) -> int:
                seen.append((i, threading.current_thread().name))
                return i * i

            results = await asyncio.gather(*(facade.call(job, i) for i in range(20)))
            assert results == [i * i for i in range(20)]

        asyncio.run(main())
    finally:
        facade.stop()
    assert [i for i, _ in seen] == list(range(20))
    assert {name for _, name in seen} == {"indexvault-facade"}


def test_an_error_reaches_the_caller() -> None:
    facade = FacadeThread()

    def refuse() -> None:
        raise InputError("no", hint="yes")

    try:
        with pytest.raises(InputError):
            facade.run(refuse)
        assert facade.run(lambda: 7) == 7  # the thread lives on
    finally:
        facade.stop()


def test_the_loop_runs_while_the_facade_works() -> None:
    facade = FacadeThread()
    release = threading.Event()
    try:

        async def main() -> bool:
            busy = asyncio.ensure_future(facade.call(release.wait, 30))
            await asyncio.sleep(0)  # the loop is free: this coroutine goes on
            assert not busy.done()
            release.set()
            return bool(await busy)

        assert asyncio.run(main()) is True
    finally:
        facade.stop()
