"""The local ERC-4337 bundler: Pimlico's alto (npm `@pimlico/alto`, pinned in package.json),
run unpatched beside the local node.

alto recognises the EntryPoint version by its address, so the node must hold EntryPoint
v0.8 at its canonical address (`orchestrator.chain.canonical`). It runs with
`--safe-mode false` (anvil has no `debug_traceCall` tracer for the ERC-7562 rules), an
executor key (sends the bundles, is repaid by each op) and a utility key (refills the
executor), both development accounts of the local node. Files in the node's folder:
`alto.json` (pid, port, URL: the pid file) and `alto.log`.

alto listens on every interface (it has no host option); its keys are the local node's
development keys, worthless anywhere else.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
from eth_account.signers.local import LocalAccount

from orchestrator.artifacts.load import repo_root
from orchestrator.chain.daemon import (
    DaemonRecord,
    StopOutcome,
    alive,
    forget,
    free_port,
    log_tail,
    read_record,
    spawn,
    stop,
)
from orchestrator.errors import SetupError

__all__ = [
    "BUNDLER",
    "BundlerStatus",
    "alto_entry_point",
    "bundler_status",
    "start_bundler",
    "stop_bundler",
]

BUNDLER = "alto"
STARTUP_TIMEOUT_S = 120.0  # node.js loads alto's ~300 packages: ~3 s idle, 15 s+ when busy
# How often alto polls the node for new blocks and receipts (ms). Its default (1000) is a
# public chain's block time; anvil mines each bundle at once.
POLL_INTERVAL_MS = 50


def alto_entry_point() -> Path:
    """alto's CLI script in node_modules (run with the `node` on PATH)."""
    path = repo_root() / "node_modules" / "@pimlico" / "alto" / "esm" / "cli" / "alto.js"
    if not path.is_file():
        raise SetupError(
            "the bundler is not installed (node_modules/@pimlico/alto is missing)",
            hint="Run `make demo` or `make test` once; they run `npm ci`.",
        )
    return path


def _node_binary() -> str:
    found = shutil.which("node")
    if found is None:
        raise SetupError("node (Node.js 20+) is not on PATH; the bundler needs it")
    return found


def _supported(url: str) -> list[str] | None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_supportedEntryPoints", "params": []}
    try:
        reply = httpx.post(url, json=body, timeout=2.0).json()
    except (httpx.HTTPError, ValueError):
        return None
    result = reply.get("result") if isinstance(reply, dict) else None
    return [str(a).lower() for a in result] if isinstance(result, list) else None


def start_bundler(
    folder: Path,
    *,
    rpc_url: str,
    entry_point: str,
    executor: LocalAccount,
    utility: LocalAccount,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
) -> DaemonRecord:
    """Start alto against `rpc_url` (the node must be up with the EntryPoint deployed).
    Already running against the same node: returned as is."""
    record = read_record(folder, BUNDLER)
    if record is not None:
        if alive(record) and rpc_url in record.argv and _supported(record.url):
            return record
        if alive(record):  # a bundler for another node URL (the node moved port)
            stop(folder, BUNDLER)
        forget(folder, BUNDLER)
    chosen = port or free_port()
    url = f"http://127.0.0.1:{chosen}"
    argv = [
        _node_binary(),
        str(alto_entry_point()),
        "--entrypoints",
        entry_point,
        "--executor-private-keys",
        "0x" + bytes(executor.key).hex(),
        "--utility-private-key",
        "0x" + bytes(utility.key).hex(),
        "--rpc-url",
        rpc_url,
        "--port",
        str(chosen),
        "--safe-mode",
        "false",
        "--block-time",
        str(POLL_INTERVAL_MS),
        "--log-level",
        "warn",
        "--min-bundle-interval",
        "20",
        *extra_args,
    ]
    wanted = entry_point.lower()

    def ready() -> bool:
        return wanted in (_supported(url) or [])

    return spawn(
        folder,
        BUNDLER,
        argv,
        port=chosen,
        url=url,
        ready=ready,
        startup_timeout_s=STARTUP_TIMEOUT_S,
    )


@dataclass(frozen=True)
class BundlerStatus:
    record: DaemonRecord | None
    running: bool
    entry_points: tuple[str, ...] = ()
    problem: str | None = None


def bundler_status(folder: Path) -> BundlerStatus:
    record = read_record(folder, BUNDLER)
    if record is None:
        return BundlerStatus(None, False)
    if not alive(record):
        return BundlerStatus(
            record,
            False,
            problem=(
                f"alto (pid {record.pid}) is gone: crashed or killed. The end of its log:\n"
                + log_tail(Path(record.log), 5)
            ),
        )
    supported = _supported(record.url)
    if supported is None:
        return BundlerStatus(record, False, problem=f"alto (pid {record.pid}) does not answer")
    return BundlerStatus(record, True, entry_points=tuple(supported))


def stop_bundler(folder: Path) -> tuple[DaemonRecord, StopOutcome] | None:
    return stop(folder, BUNDLER, timeout_s=10.0)
