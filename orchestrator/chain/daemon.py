"""A background process that outlives the command that started it: the local node's anvil
and its bundler.

Each daemon has a record `<folder>/<name>.json` (pid, port, URL, argv, start time: the
pid file) and a log `<folder>/<name>.log`. It runs in its own session and process group
(so a Ctrl-C in the shell that started it does not reach it), with stdin closed and
stdout/stderr appended to the log. `stop` sends SIGTERM to the group, waits, and only
then SIGKILLs. A record whose pid is gone, or now belongs to another program, is stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from orchestrator.errors import ConfigError, RpcUnavailable

__all__ = [
    "DaemonRecord",
    "StopOutcome",
    "alive",
    "forget",
    "free_port",
    "log_tail",
    "port_in_use",
    "read_record",
    "spawn",
    "stop",
]


@dataclass(frozen=True)
class DaemonRecord:
    name: str
    pid: int
    port: int
    url: str
    argv: tuple[str, ...]
    started_at_s: int
    log: str

    def save(self, folder: Path) -> None:
        path = folder / f"{self.name}.json"
        scratch = path.with_suffix(".json.tmp")
        scratch.write_text(json.dumps(asdict(self), indent=2) + "\n")
        scratch.replace(path)  # atomic: a reader never sees half a record


def read_record(folder: Path, name: str) -> DaemonRecord | None:
    path = folder / f"{name}.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return DaemonRecord(**{**data, "argv": tuple(data["argv"])})
    except (ValueError, TypeError, KeyError) as error:
        raise ConfigError(
            f"{path} is not a valid process record ({type(error).__name__}: {error})",
            hint=f"If no {name} is running, delete {path} and start again.",
        ) from error


def forget(folder: Path, name: str) -> None:
    (folder / f"{name}.json").unlink(missing_ok=True)


def alive(record: DaemonRecord) -> bool:
    """The recorded process is running and is still the program we started: its command
    line is the recorded one (a pid can be reused by an unrelated process)."""
    try:
        cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if cmdline.rstrip(b"\0").split(b"\0") != [a.encode() for a in record.argv]:
        return False
    return _running(record.pid)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def log_tail(path: Path, lines: int = 8) -> str:
    if not path.exists():
        return "(no log)"
    text = path.read_text(errors="replace").rstrip().splitlines()
    return "\n".join(text[-lines:]) or "(empty log)"


def spawn(
    folder: Path,
    name: str,
    argv: Sequence[str],
    *,
    port: int,
    url: str,
    ready: Callable[[], bool],
    startup_timeout_s: float,
    env: dict[str, str] | None = None,
) -> DaemonRecord:
    """Start `argv` detached, wait until `ready()` (or the process exits, or the timeout),
    then write its record. On failure the process is stopped and the log tail is shown."""
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"{name}.log"
    with log_path.open("ab") as log:
        log.write(f"\n--- {name} started {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
        log.flush()
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session and process group: survives us
            env=env,
        )
    record = DaemonRecord(
        name=name,
        pid=process.pid,
        port=port,
        url=url,
        argv=tuple(argv),
        started_at_s=int(time.time()),
        log=str(log_path),
    )
    deadline = time.monotonic() + startup_timeout_s
    while True:
        code = process.poll()
        if code is not None:
            raise RpcUnavailable(
                f"{name} exited at start (code {code}); the end of {log_path}:\n"
                + log_tail(log_path),
                hint="Read the log above; `indexvault local status` shows what is running.",
            )
        if ready():
            break
        if time.monotonic() > deadline:
            _terminate(process.pid, timeout_s=5)
            raise RpcUnavailable(
                f"{name} did not answer on {url} within {startup_timeout_s:.0f} s; the end "
                f"of {log_path}:\n" + log_tail(log_path),
                hint="The machine may be very busy: try again, or read the log.",
            )
        time.sleep(0.1)
    record.save(folder)
    return record


def _terminate(pid: int, *, timeout_s: float) -> bool:
    """SIGTERM the process group, wait; SIGKILL after `timeout_s`. True: exited on TERM."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _running(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while _running(pid):
        time.sleep(0.05)
    return False


def _running(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # our child: reap it, or it stays a zombie
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(FileNotFoundError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return False


StopOutcome = Literal["stopped", "killed", "not running"]


def stop(
    folder: Path, name: str, *, timeout_s: float = 30.0
) -> tuple[DaemonRecord, StopOutcome] | None:
    """Stop the recorded daemon and forget its record. None: there was no record.
    "stopped": it exited on SIGTERM; "killed": it did not within `timeout_s`; "not
    running": the record was stale (crashed, killed, or the machine restarted)."""
    record = read_record(folder, name)
    if record is None:
        return None
    outcome: StopOutcome = "not running"
    if alive(record):
        outcome = "stopped" if _terminate(record.pid, timeout_s=timeout_s) else "killed"
    forget(folder, name)
    return record, outcome
