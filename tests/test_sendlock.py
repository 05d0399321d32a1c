"""One sender at a time per home and network (orchestrator.sendlock): another process is
refused with its pid, a killed holder releases the lock, and the web server's shared mode
lets one process's threads share the flock while other processes stay out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from orchestrator.errors import SendLockBusy, TransientError
from orchestrator.sendlock import lock_path, send_lock, share_in_process
from orchestrator.service import share_send_lock

HOLD = """
import sys
from pathlib import Path
from orchestrator.sendlock import send_lock
with send_lock(Path(sys.argv[1]), sys.argv[2], wait_s=0):
    print("held", flush=True)
    sys.stdin.readline()
"""


@contextmanager
def _held_elsewhere(home: Path, network: str = "local") -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock until the block ends (it says "held" first)."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home), network],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)


def _free(home: Path, network: str = "local") -> bool:
    try:
        with send_lock(home, network, wait_s=0):
            return True
    except SendLockBusy:
        return False


def test_a_second_sender_is_refused_at_once_naming_the_holder(tmp_path: Path) -> None:
    with _held_elsewhere(tmp_path) as holder:
        with pytest.raises(SendLockBusy) as caught, send_lock(tmp_path, "local", wait_s=0):
            pytest.fail("entered a lock another process holds")
        error = caught.value
        assert isinstance(error, TransientError)  # retry later
        assert error.pid == holder.pid
        assert str(error) == (
            f"another indexvault command is sending trades on network 'local' (pid "
            f"{holder.pid}); wait for it to finish"
        )
        assert _free(tmp_path, "sepolia")  # per network
        assert _free(tmp_path / "other-home")  # per home


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    with _held_elsewhere(tmp_path) as holder:
        assert not _free(tmp_path)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        assert _free(tmp_path)
    assert lock_path(tmp_path, "local").exists()


def test_exclusive_mode_excludes_another_thread_of_the_process(tmp_path: Path) -> None:
    with send_lock(tmp_path, "local", wait_s=0):
        refused: list[BaseException] = []
        thread = threading.Thread(target=lambda: refused.append(_busy(tmp_path)))
        thread.start()
        thread.join()
        assert isinstance(refused[0], SendLockBusy)
        assert refused[0].pid == os.getpid()


def _busy(home: Path) -> BaseException:
    try:
        with send_lock(home, "local", wait_s=0):
            return AssertionError("not excluded")
    except SendLockBusy as error:
        return error


@pytest.fixture
def shared() -> Iterator[None]:
    share_send_lock(True)
    try:
        yield
    finally:
        share_in_process(False)


@pytest.mark.usefixtures("shared")
def test_shared_mode_threads_share_the_flock_other_processes_stay_out(tmp_path: Path) -> None:
    inside = threading.Barrier(3)  # both threads inside at once, and the test
    leave = threading.Event()
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with send_lock(tmp_path, "local", wait_s=0):
                inside.wait(timeout=30)
                leave.wait(timeout=30)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            inside.abort()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait(timeout=30)  # both threads hold it now
    child = subprocess.run(
        [sys.executable, "-c", HOLD, str(tmp_path), "local"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode != 0
    assert "another indexvault command is sending" in child.stderr
    leave.set()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    share_in_process(False)
    assert _free(tmp_path)  # the last thread out released the flock
