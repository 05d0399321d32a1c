"""`local up|status|down` as a user runs them (each a process of its own): the node keeps
running after `up` returns, in its own session; `up` again changes nothing; `down` saves
the chain and stops both processes; a command on a stopped node says how to start it;
`up` resumes the saved chain (clock never behind it) and replaces it only with --reset.
Then what goes wrong: a crashed node, a stale pid file, a port in use."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.chain.daemon import DaemonRecord, read_record
from orchestrator.chain.localnode import (
    NodeNotRunning,
    connect_node,
    node_status,
    start_node,
    state_file,
    stop_node,
)
from orchestrator.errors import ConfigError
from tests.local_network import gone

pytestmark = pytest.mark.anvil


def _cli(home: Path, *args: str, answer: str = "") -> tuple[int, str]:
    env = {**os.environ, "INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": "x"}
    done = subprocess.run(
        [sys.executable, "-c", "from orchestrator.cli import main; main()", *args],
        env=env, input=answer, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def _ok(home: Path, *args: str) -> str:
    code, output = _cli(home, *args)
    assert code == 0, output
    return output


def _records(home: Path) -> tuple[DaemonRecord, DaemonRecord]:
    node, bundler = read_record(home / "local", "anvil"), read_record(home / "local", "alto")
    assert node is not None
    assert bundler is not None
    return node, bundler


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A home whose processes are always stopped, whatever the test did."""
    yield tmp_path
    _cli(tmp_path, "local", "down")


def test_up_status_down_resume_reset(home: Path) -> None:
    up = _ok(home, "local", "up", "--tokens", "4", "--state-interval", "1")
    assert "local network ready: 4 tokens" in up
    node, bundler = _records(home)
    for record in (node, bundler):  # outlived `up`, each in its own session
        assert not gone(record.pid)
        assert os.getsid(record.pid) == record.pid

    status = _ok(home, "local", "status")
    assert f"node      running: {node.url}  pid {node.pid}" in status
    assert f"bundler   running: {bundler.url}  pid {bundler.pid} (alto)" in status
    assert "chain id  31337" in status
    assert "clock     " in status

    again = _ok(home, "local", "up")
    assert "node already running" in again
    assert _records(home)[0].pid == node.pid  # nothing new was started
    _ok(home, "local", "advance", "3h")
    chain = connect_node(home / "local")
    block, clock = chain.w3.eth.block_number, chain.timestamp()
    chain.close()

    down = _ok(home, "local", "down")
    assert f"node (pid {node.pid}): stopped; chain saved at" in down
    assert gone(node.pid)
    assert gone(bundler.pid)
    assert state_file(home / "local").stat().st_size > 0
    code, refused = _cli(home, "local", "advance", "1m")  # any command that needs the node
    assert code == 2
    assert "the local node is not running" in refused
    assert "Start it with `indexvault local up` (it resumes the chain saved at" in refused

    resumed = _ok(home, "local", "up")
    assert "chain resumed" in resumed
    assert "the market on the resumed chain, unchanged" in resumed
    chain = connect_node(home / "local")
    assert chain.w3.eth.block_number >= block  # the chain as it was, not a new one
    assert chain.timestamp() >= clock  # the clock did not run back to the wall clock
    chain.close()

    code, kept = _cli(home, "local", "up", "--reset", answer="n\n")  # asks; "no" keeps it
    assert code == 2
    assert "--reset replaces the running local chain (chain id 31337" in kept
    assert "its market of 4 tokens" in kept
    assert "0 vaults worth $0.00 at mid prices" in kept
    assert "nothing was changed" in kept
    replaced = _ok(home, "local", "up", "--reset", "--yes", "--tokens", "5")
    assert "new chain" in replaced
    assert "local network ready: 5 tokens" in replaced


@pytest.fixture
def node_dir(tmp_path: Path) -> Iterator[Path]:
    """A bare node (no market, no bundler): the process-level cases."""
    yield tmp_path
    stop_node(tmp_path, timeout_s=10)


def _wait_for(predicate: object, what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_crashed_node_says_so_and_up_resumes_its_last_saved_state(node_dir: Path) -> None:
    started = start_node(node_dir, state_interval_s=1)
    chain = connect_node(node_dir)
    chain.mine(5)
    mined = chain.w3.eth.block_number
    chain.close()
    state = state_file(node_dir)
    _wait_for(lambda: state.exists() and state.stat().st_size > 0, "a periodic state dump")
    saved_at = state.stat().st_mtime_ns
    _wait_for(lambda: state.stat().st_mtime_ns > saved_at, "a dump after the mining")

    os.kill(started.record.pid, signal.SIGKILL)  # a crash: no clean shutdown
    _wait_for(lambda: gone(started.record.pid), "anvil to die")
    with pytest.raises(NodeNotRunning) as caught:
        connect_node(node_dir)
    assert caught.value.crashed
    assert f"pid {started.record.pid}" in str(caught.value)
    assert "crashed or was killed" in str(caught.value)
    assert "it resumes the chain saved at" in caught.value.hint
    status = node_status(node_dir)
    assert not status.running
    assert status.problem is not None
    assert "crashed or killed" in status.problem

    again = start_node(node_dir)  # the stale record is cleared, the saved chain resumed
    assert again.resumed
    assert again.record.pid != started.record.pid
    chain = connect_node(node_dir)
    assert chain.w3.eth.block_number >= mined
    chain.close()


def test_a_stale_pid_file_naming_another_program_is_not_trusted(node_dir: Path) -> None:
    impostor = DaemonRecord(
        name="anvil", pid=os.getpid(), port=1, url="http://127.0.0.1:1",
        argv=("/usr/bin/anvil", "--port", "1"), started_at_s=0, log=str(node_dir / "a.log"),
    )  # fmt: skip
    node_dir.mkdir(exist_ok=True)
    impostor.save(node_dir)
    with pytest.raises(NodeNotRunning, match="crashed or was killed"):
        connect_node(node_dir)  # our own pid is alive, but it is not that anvil
    started = start_node(node_dir)
    assert not started.already_running
    assert started.record.pid != os.getpid()


def test_a_port_in_use_is_refused_or_avoided(node_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        with pytest.raises(ConfigError, match=f"port {port} on 127.0.0.1 is in use") as caught:
            start_node(node_dir, port=port)
        assert "--port" in caught.value.hint
        assert read_record(node_dir, "anvil") is None  # nothing was started

        (node_dir / "anvil.port").write_text(f"{port}\n")  # the port it used last time
        started = start_node(node_dir)
        assert started.record.port != port
        assert started.note == f"port {port} is taken by another program: the node now uses " + (
            f"{started.record.port}"
        )
