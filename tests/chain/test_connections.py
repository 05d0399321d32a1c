"""Connecting: unreachable nodes, wrong chain ids, anvil always cleaned up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from orchestrator.chain import connect, connect_anvil, connect_rpc
from orchestrator.chain.anvil import AnvilProcess
from orchestrator.errors import ConfigError, RpcUnavailable, WrongChain


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_unreachable_rpc_says_so_plainly() -> None:
    with pytest.raises(
        RpcUnavailable,
        match=r"the node at http://127\.0\.0\.1:9 did not answer eth_chainId: it refused the "
        r"connection",
    ):
        connect_rpc("http://127.0.0.1:9", timeout_s=2)


def test_unknown_chain_target_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown chain 'mainnet-please'"):
        connect("mainnet-please")


@pytest.mark.anvil
def test_wrong_chain_id_is_refused() -> None:
    with AnvilProcess() as node:
        actual = connect_rpc(node.url).chain_id
        with pytest.raises(WrongChain) as caught:
            connect_rpc(node.url, expected_chain_id=actual + 1)
    assert (caught.value.expected, caught.value.actual) == (actual + 1, actual)
    assert "configured for chain id" in str(caught.value)


@pytest.mark.anvil
def test_anvil_is_terminated_on_close_and_on_error() -> None:
    chain = connect_anvil()
    pid = chain._on_close[0].__self__.pid  # type: ignore[attr-defined]
    chain.close()
    assert not _alive(pid)

    pids = []

    def crash_inside() -> None:
        with AnvilProcess() as node:
            pids.append(node.pid)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        crash_inside()
    assert not _alive(pids[0])


@pytest.mark.anvil
def test_anvil_dies_with_a_killed_parent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Even SIGKILL of the Python process (no finaliser runs) leaves no anvil behind."""
    script = textwrap.dedent(
        """
        import sys, time
        from orchestrator.chain.anvil import AnvilProcess
        node = AnvilProcess()
        print(node.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    anvil_pid = int(parent.stdout.readline())
    assert _alive(anvil_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(anvil_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(anvil_pid)
