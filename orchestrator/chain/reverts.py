"""The one place where reverts from every backend become `ContractReverted`.

py-evm (eth-tester) raises `TransactionFailed("execution reverted: <reason>")`, where the
reason is either a decoded `Error(string)` text or the raw revert bytes as a Python bytes
literal; anvil and real nodes raise web3's `ContractLogicError`/`ContractCustomError` with
the revert data as hex in `.data`. Both are reduced to raw revert bytes, then decoded
against every error in our `abi/` artifacts and the npm artifacts we deploy.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_tester.exceptions import TransactionFailed
from eth_utils.abi import function_signature_to_4byte_selector
from web3.exceptions import ContractLogicError

from orchestrator.artifacts.load import NPM_ARTIFACTS, load_npm_artifact, repo_root
from orchestrator.errors import ContractReverted, SetupError

__all__ = ["decode_revert_data", "is_revert", "revert_from_exception"]

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")
_MARKER = "execution reverted"


def _abi_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _error_entries() -> Iterable[dict[str, Any]]:
    abi_dir = repo_root() / "abi"
    for path in sorted(abi_dir.glob("*.json")):
        if path.name == "manifest.json":
            continue
        yield from (e for e in json.loads(path.read_text())["abi"] if e.get("type") == "error")
    for name in NPM_ARTIFACTS:
        try:
            artifact = load_npm_artifact(name)
        except SetupError:
            continue
        yield from (e for e in artifact.abi if e.get("type") == "error")


@cache
def _error_registry() -> dict[bytes, tuple[str, tuple[str, ...]]]:
    registry: dict[bytes, tuple[str, tuple[str, ...]]] = {}
    for entry in _error_entries():
        types = tuple(_abi_type(p) for p in entry.get("inputs", []))
        selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
        registry[selector] = (str(entry["name"]), types)
    return registry


def decode_revert_data(data: bytes, *, tx_hash: str | None = None) -> ContractReverted:
    """Decode raw revert bytes into a ContractReverted with the error's name and arguments."""
    raw = "0x" + data.hex()
    if not data:
        return ContractReverted("empty revert", (), raw=raw, tx_hash=tx_hash)
    selector, payload = data[:4], data[4:]
    try:
        if selector == ERROR_STRING_SELECTOR:
            return ContractReverted(
                "Error", abi_decode(["string"], payload), raw=raw, tx_hash=tx_hash
            )
        if selector == PANIC_SELECTOR:
            return ContractReverted(
                "Panic", abi_decode(["uint256"], payload), raw=raw, tx_hash=tx_hash
            )
        known = _error_registry().get(selector)
        if known is not None:
            name, types = known
            return ContractReverted(
                name, abi_decode(list(types), payload), raw=raw, tx_hash=tx_hash
            )
    except Exception:  # noqa: S110 - an undecodable payload is reported raw below
        pass
    return ContractReverted("unknown", (raw,), raw=raw, tx_hash=tx_hash)


def _bytes_from_hex(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            return None
    return None


def is_revert(error: BaseException) -> bool:
    """True when `error` is a contract revert (on any backend), not an I/O failure."""
    if isinstance(error, ContractLogicError):
        return True
    return isinstance(error, TransactionFailed) and _MARKER in str(error)


def revert_from_exception(error: BaseException, *, tx_hash: str | None = None) -> ContractReverted:
    """Normalise a backend's revert exception. Call only when `is_revert(error)` holds."""
    if isinstance(error, ContractLogicError):
        data = _bytes_from_hex(error.data)
        if data is not None:
            return decode_revert_data(data, tx_hash=tx_hash)
        message = str(error.message or error)
        reason = message.split(":", 1)[1].strip() if ":" in message else message
        return ContractReverted("Error", (reason,), raw="", tx_hash=tx_hash)
    text = str(error.args[0]) if error.args else str(error)
    reason = text.split(f"{_MARKER}:", 1)[1].strip() if f"{_MARKER}:" in text else ""
    if reason.startswith(("b'", 'b"')):
        try:
            literal = ast.literal_eval(reason)
        except (ValueError, SyntaxError):
            literal = None
        if isinstance(literal, bytes):
            return decode_revert_data(literal, tx_hash=tx_hash)
    if not reason:
        return ContractReverted("empty revert", (), raw="0x", tx_hash=tx_hash)
    return ContractReverted("Error", (reason,), raw="", tx_hash=tx_hash)
