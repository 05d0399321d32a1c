"""Public networks by configuration: the shipped `deploy/networks/<name>.json` (chain id,
block time, explorer, every canonical address with the publisher's page it came from),
completed by the user with only an RPC URL and, optionally, a bundler URL:

    1. deploy/networks/<name>.json                 shipped with the code (no URLs)
    2. $INDEXVAULT_HOME/networks/<name>.json       the user's: any subset of the fields
                                                   (usually just rpc_url, bundler_url)
    3. INDEXVAULT_<NAME>_RPC_URL, INDEXVAULT_<NAME>_BUNDLER_URL   (NAME upper-cased, '-'
                                                   as '_'): win over both files

Later layers override earlier ones field by field (`contracts` address by address). A
missing field or a malformed file is a ConfigError naming the file and the field, never a
raw validation dump.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from orchestrator.artifacts.load import repo_root
from orchestrator.errors import ConfigError

__all__ = [
    "CONTRACT_NAMES",
    "NetworkContracts",
    "NetworkFile",
    "SourcedAddress",
    "env_var",
    "load_network_file",
    "shipped_network_path",
    "shipped_networks",
]

# What each address-book entry is, in the words a failure message uses.
CONTRACT_NAMES: dict[str, str] = {
    "deterministic_deployer": "the deterministic deployment proxy",
    "multicall3": "Multicall3",
    "entry_point": "the ERC-4337 EntryPoint v0.8",
    "simple_account_factory": "SimpleAccountFactory v0.8",
    "weth9": "WETH9",
    "usdc": "USDC",
    "uniswap_v3_factory": "the Uniswap V3 factory",
    "nonfungible_position_manager": "Uniswap V3 NonfungiblePositionManager",
    "swap_router02": "Uniswap SwapRouter02",
    "quoter_v2": "Uniswap QuoterV2",
}


class SourcedAddress(BaseModel):
    """One canonical address and where it was published."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str
    source: str

    @field_validator("address")
    @classmethod
    def _checksummed(cls, value: str) -> str:
        if not is_address(value):
            raise ValueError(f"{value!r} is not an address")
        return to_checksum_address(value)


class NetworkContracts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    deterministic_deployer: SourcedAddress
    multicall3: SourcedAddress
    entry_point: SourcedAddress
    simple_account_factory: SourcedAddress
    weth9: SourcedAddress
    usdc: SourcedAddress
    uniswap_v3_factory: SourcedAddress
    nonfungible_position_manager: SourcedAddress
    swap_router02: SourcedAddress
    quoter_v2: SourcedAddress

    def items(self) -> list[tuple[str, SourcedAddress]]:
        return [(name, getattr(self, name)) for name in CONTRACT_NAMES]


class NetworkFile(BaseModel):
    """A public network: what is shipped plus the user's URLs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    chain_id: int
    block_time_s: int  # the chain's shortest time between blocks (the VaultFactory's minBlockTime)
    explorer_url: str
    contracts: NetworkContracts
    usdc_decimals: int = 6
    faucets: tuple[str, ...] = ()
    notes: str = ""
    rpc_url: str | None = None
    bundler_url: str | None = None
    keeper_address: str | None = None
    market_data: Path | None = None  # the CSV the test market and targets come from


def shipped_network_path(name: str) -> Path:
    return repo_root() / "deploy" / "networks" / f"{name}.json"


def shipped_networks() -> list[str]:
    folder = repo_root() / "deploy" / "networks"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def env_var(name: str, field: str) -> str:
    """INDEXVAULT_SEPOLIA_RPC_URL for ("sepolia", "rpc_url")."""
    return f"INDEXVAULT_{name.upper().replace('-', '_')}_{field.upper()}"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})",
            hint="Fix the file; it must be one JSON object.",
        ) from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold one JSON object, not {type(data).__name__}")
    return data


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _in_words(error: ValidationError, sources: list[Path]) -> str:
    """pydantic's errors as one sentence per field: "contracts.usdc.address is missing"."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "the file"
        kind = item["type"]
        if kind == "missing":
            problems.append(f"{where} is missing")
        elif kind == "extra_forbidden":
            problems.append(f"{where} is not a known field")
        else:
            problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    files = " + ".join(str(p) for p in sources) or "the environment"
    return f"network file {files}: " + "; ".join(problems)


def load_network_file(name: str, home: Path) -> NetworkFile | None:
    """The network `name` from the shipped file, the user's file and the environment;
    None when neither file exists (not a public network this code knows)."""
    shipped = shipped_network_path(name)
    user = home / "networks" / f"{name}.json"
    sources = [p for p in (shipped, user) if p.exists()]
    if not sources:
        return None
    data: dict[str, Any] = {"name": name}
    for path in sources:
        data = _merge(data, _read_json(path))
    for field in ("rpc_url", "bundler_url"):
        value = os.environ.get(env_var(name, field))
        if value:
            data[field] = value
    try:
        return NetworkFile.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            _in_words(error, sources),
            hint=f"Compare with {shipped if shipped.exists() else 'deploy/networks/sepolia.json'}; "
            f"usually only rpc_url (or {env_var(name, 'rpc_url')}) needs adding.",
        ) from error
