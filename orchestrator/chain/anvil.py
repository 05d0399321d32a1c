"""Spawn the npm-installed anvil on a free port and make sure it always goes away.

Three layers keep stray nodes from outliving us: the context manager (normal exit and
exceptions, including KeyboardInterrupt), an atexit hook (interpreter shutdown), and
PR_SET_PDEATHSIG on Linux (the kernel signals anvil if our process dies abruptly).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx

from orchestrator.artifacts.load import repo_root
from orchestrator.chain.daemon import free_port
from orchestrator.errors import RpcUnavailable, SetupError

__all__ = ["ANVIL_GAS_LIMIT", "AnvilProcess", "anvil_binary"]

ANVIL_GAS_LIMIT = 30_000_000
_LIVE: set[subprocess.Popen[bytes]] = set()


def anvil_binary() -> Path:
    path = repo_root() / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if not path.is_file():
        raise SetupError(
            "anvil is not installed (node_modules/@foundry-rs/anvil-linux-amd64 is missing)",
            hint="Run `make test` or `make demo` once; they run `npm ci`.",
        )
    return path


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@atexit.register
def _terminate_all() -> None:
    for process in list(_LIVE):
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    _LIVE.discard(process)


class AnvilProcess:
    """A running anvil. Use as a context manager; `url` is its JSON-RPC endpoint."""

    def __init__(self, *, extra_args: tuple[str, ...] = (), startup_timeout_s: float = 20.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            str(anvil_binary()),
            "--port", str(self.port),
            "--host", "127.0.0.1",
            "--silent",
            "--gas-limit", str(ANVIL_GAS_LIMIT),
            "--hardfork", "prague",
            *extra_args,
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if os.name == "posix" else None,
        )
        _LIVE.add(self.process)
        try:
            self._wait_ready(startup_timeout_s)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RpcUnavailable(
                    f"anvil exited at start (code {self.process.returncode}): {err}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.post(self.url, json=body, timeout=1.0).status_code == 200:
                    return
            time.sleep(0.05)
        raise RpcUnavailable(f"anvil did not answer on {self.url} within {timeout_s:.0f} s")

    def stop(self) -> None:
        _stop(self.process)

    def __enter__(self) -> AnvilProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
