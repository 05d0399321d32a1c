"""The local node: one anvil running in the background, its state in a file, that every
command (and a bundler, and a web page) talks to over JSON-RPC.

Files in the node's folder (`$INDEXVAULT_HOME/local/`):
    anvil.json         pid, port, RPC URL, command line, start time (the pid file)
    anvil.log          anvil's output (appended at each start)
    anvil-state.json   the chain: loaded at start, dumped every `state_interval_s`
                       seconds and on a clean stop (anvil's `--state`/`--state-interval`)

`start_node` resumes the chain from the state file when there is one (the clock restarts
from the saved chain's time, never behind it); `stop_node` stops anvil with SIGTERM, on
which anvil writes the state file a last time. `connect_node` is what every command
uses: a clear error when the node is not running, and how to start it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from orchestrator.chain.anvil import ANVIL_GAS_LIMIT, anvil_binary
from orchestrator.chain.backends import DEV_ACCOUNT_BALANCE_WEI, Chain, connect_rpc, dev_accounts
from orchestrator.chain.daemon import (
    DaemonRecord,
    StopOutcome,
    alive,
    forget,
    free_port,
    log_tail,
    port_in_use,
    read_record,
    spawn,
    stop,
)
from orchestrator.errors import ChainStateLost, ConfigError, NodeNotRunning

__all__ = [
    "DEFAULT_STATE_INTERVAL_S",
    "NODE",
    "NodeNotRunning",
    "NodeStarted",
    "NodeStatus",
    "NodeStopped",
    "connect_node",
    "node_status",
    "start_node",
    "state_file",
    "stop_node",
]

NODE = "anvil"
DEFAULT_STATE_INTERVAL_S = 30
STARTUP_TIMEOUT_S = 60.0


def node_not_running(folder: Path, *, record: DaemonRecord | None = None) -> NodeNotRunning:
    """The local node is down: never started, stopped (no record), or crashed (a record
    whose process is gone: the end of its log says why)."""
    if record is None:
        message = "the local node is not running"
    else:
        message = (
            f"the local node (anvil, pid {record.pid}, {record.url}) is not running: it "
            f"crashed or was killed. The end of {record.log}:\n" + log_tail(Path(record.log), 5)
        )
    saved = _saved_at(state_file(folder))
    hint = "Start it with `indexvault local up`"
    hint += f" (it resumes the chain saved at {saved})." if saved else "."
    return NodeNotRunning(message, folder=folder, crashed=record is not None, hint=hint)


def state_file(folder: Path) -> Path:
    return folder / "anvil-state.json"


_RESET_HINT = (
    "Restore the file from a copy if you have one, then `indexvault local up`; or start a "
    "new local chain with `indexvault local up --reset` (local test balances are lost)."
)


def check_state_file(path: Path) -> None:
    """ChainStateLost unless `path` holds a readable anvil state (JSON)."""
    if not path.exists():
        raise ChainStateLost(
            path, "is missing, but this local network had a chain", hint=_RESET_HINT
        )
    if path.stat().st_size == 0:
        raise ChainStateLost(path, "is empty (0 bytes)", hint=_RESET_HINT)
    try:
        json.loads(path.read_bytes())
    except ValueError as error:
        raise ChainStateLost(
            path, f"is unreadable (truncated or corrupt: {error.__class__.__name__} at "
            f"{getattr(error, 'pos', '?')})", hint=_RESET_HINT,
        ) from error  # fmt: skip


def _saved_at(path: Path) -> str | None:
    if not path.exists():
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(path.stat().st_mtime))


def _answers(url: str) -> bool:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        return httpx.post(url, json=body, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class NodeStarted:
    record: DaemonRecord
    resumed: bool  # the chain came from the state file
    already_running: bool  # nothing was started: it was up
    note: str | None = None  # e.g. the remembered port was taken


def _choose_port(folder: Path, port: int | None) -> tuple[int, str | None]:
    """The explicit port (refused if in use), else the last one used (if still free),
    else a free one."""
    if port is not None:
        if port_in_use(port):
            raise ConfigError(
                f"port {port} on 127.0.0.1 is in use by another program",
                hint="Pick another with --port, or stop the program using it.",
            )
        return port, None
    remembered = _remembered_port(folder)
    if remembered is not None and not port_in_use(remembered):
        return remembered, None
    chosen = free_port()
    if remembered is None:
        return chosen, None
    return chosen, f"port {remembered} is taken by another program: the node now uses {chosen}"


def _remembered_port(folder: Path) -> int | None:
    path = folder / "anvil.port"
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def start_node(
    folder: Path,
    *,
    chain_id: int | None = None,
    port: int | None = None,
    state_interval_s: int = DEFAULT_STATE_INTERVAL_S,
    expect_state: bool = False,
) -> NodeStarted:
    """Start anvil in the background on the chain saved in `folder` (a new chain when
    there is none). Already running: nothing is started. A stale record (crash, kill,
    reboot) is cleared first; the state file survives it. `expect_state`: the folder had
    a chain (its market was deployed), so a missing, empty or unreadable state file is
    ChainStateLost, never silently a new empty chain."""
    record = read_record(folder, NODE)
    if record is not None:
        if alive(record) and _answers(record.url):
            return NodeStarted(record, resumed=True, already_running=True)
        forget(folder, NODE)
    if state_interval_s < 1:
        raise ConfigError(f"the state interval must be at least 1 s, got {state_interval_s}")
    chosen, note = _choose_port(folder, port)
    state = state_file(folder)
    if expect_state:
        check_state_file(state)
    resumed = state.exists() and state.stat().st_size > 0
    url = f"http://127.0.0.1:{chosen}"
    argv = [
        str(anvil_binary()),
        "--port",
        str(chosen),
        "--host",
        "127.0.0.1",
        "--silent",
        "--gas-limit",
        str(ANVIL_GAS_LIMIT),
        "--hardfork",
        "prague",
        "--state",
        str(state),
        "--state-interval",
        str(state_interval_s),
    ]
    if chain_id is not None:
        argv += ["--chain-id", str(chain_id)]
    record = spawn(
        folder,
        NODE,
        argv,
        port=chosen,
        url=url,
        ready=lambda: _answers(url),
        startup_timeout_s=STARTUP_TIMEOUT_S,
    )
    (folder / "anvil.port").write_text(f"{chosen}\n")
    chain = connect_rpc(url, kind="anvil")
    if resumed:
        _resume_clock(chain)
    else:
        for account in dev_accounts():
            chain.set_balance(account.address, DEV_ACCOUNT_BALANCE_WEI)
    return NodeStarted(record, resumed=resumed, already_running=False, note=note)


def _resume_clock(chain: Chain) -> None:
    """anvil reloaded from a state file mines its next block at the wall-clock time, even
    when the saved chain is ahead of it (`local advance`): time would run backwards and a
    pool's TWAP read would revert. Restart the clock from the saved chain's time instead."""
    latest = chain.timestamp()
    if latest >= int(time.time()):
        chain.set_time(latest + 1)


def connect_node(folder: Path, *, expected_chain_id: int | None = None) -> Chain:
    """The running local node, with the development accounts; NodeNotRunning if it is
    down (never started, stopped, crashed)."""
    record = read_record(folder, NODE)
    if record is None:
        raise node_not_running(folder)
    if not alive(record):
        raise node_not_running(folder, record=record)
    chain = connect_rpc(record.url, expected_chain_id=expected_chain_id, kind="anvil")
    chain.accounts = dev_accounts()
    return chain


@dataclass(frozen=True)
class NodeStatus:
    folder: Path
    record: DaemonRecord | None
    running: bool
    chain_id: int | None = None
    block: int | None = None
    chain_time_s: int | None = None
    state_saved_at: str | None = None
    problem: str | None = None  # why it is not running, when it should be


def node_status(folder: Path) -> NodeStatus:
    saved = _saved_at(state_file(folder))
    record = read_record(folder, NODE)
    if record is None:
        return NodeStatus(folder, None, False, state_saved_at=saved)
    if not alive(record):
        problem = f"anvil (pid {record.pid}) is gone: crashed or killed. The end of its log:\n"
        return NodeStatus(
            folder,
            record,
            False,
            state_saved_at=saved,
            problem=problem + log_tail(Path(record.log), 5),
        )
    try:
        chain = connect_rpc(record.url, kind="anvil", timeout_s=5)
        latest = chain.w3.eth.get_block("latest")
    except Exception as error:  # alive but not answering: say so, do not guess
        return NodeStatus(
            folder,
            record,
            False,
            state_saved_at=saved,
            problem=f"anvil (pid {record.pid}) does not answer: {error}",
        )
    return NodeStatus(
        folder,
        record,
        True,
        chain_id=chain.chain_id,
        block=int(latest["number"]),
        chain_time_s=int(latest["timestamp"]),
        state_saved_at=saved,
    )


@dataclass(frozen=True)
class NodeStopped:
    record: DaemonRecord | None  # None: nothing was recorded as running
    outcome: StopOutcome | None
    state_saved_at: str | None  # the state file's time after the stop


def stop_node(folder: Path, *, timeout_s: float = 30.0) -> NodeStopped:
    """SIGTERM anvil (it writes its state file on the way out); SIGKILL after `timeout_s`
    (the state is then the last periodic dump)."""
    stopped = stop(folder, NODE, timeout_s=timeout_s)
    saved = _saved_at(state_file(folder))
    if stopped is None:
        return NodeStopped(None, None, saved)
    return NodeStopped(stopped[0], stopped[1], saved)
