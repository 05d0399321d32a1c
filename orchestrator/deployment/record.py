"""The deployment file `deploy/deployments/<network>.json` and the solc standard-JSON input
a block explorer needs to verify the source.

The file is rewritten after every transaction, so a run killed half-way leaves what it
did on record; the chain, not the file, decides what is left to do (plan.Step.done).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from orchestrator.artifacts.build import COMPILER_SETTINGS, contract_sources, sources_hash
from orchestrator.artifacts.load import load_artifact, repo_root
from orchestrator.localmarket.addressbook import TokenEntry

__all__ = [
    "DEPLOYMENTS_ENV",
    "DeploymentRecord",
    "PlatformRecord",
    "SentTx",
    "TestMarketRecord",
    "compiler_info",
    "deployment_path",
    "deployments_dir",
    "standard_json_input",
]

DEPLOYMENTS_ENV = "INDEXVAULT_DEPLOYMENTS"  # another folder than deploy/deployments (tests)
_IMPORT = re.compile(r'^\s*import\s+(?:[^"\']*\s+from\s+)?["\']([^"\']+)["\']', re.MULTILINE)


def deployments_dir() -> Path:
    folder = os.environ.get(DEPLOYMENTS_ENV)
    return Path(folder).expanduser() if folder else repo_root() / "deploy" / "deployments"


def deployment_path(network: str) -> Path:
    return deployments_dir() / f"{network}.json"


class SentTx(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: str
    tx_hash: str
    block: int
    gas_used: int


class PlatformRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    vault_factory: str
    index_vault_implementation: str  # the factory's second CREATE (nonce 2; 1 is BatchSettlement)
    salt: str
    admin: str
    usdc: str
    uniswap_v3_factory: str
    fee_recipient: str
    fee_bps: int
    min_block_time_s: int
    constructor_arguments: str  # ABI-encoded, 0x-hex: what an explorer's verification asks


class TestMarketRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    market_source: str
    market_is_synthetic: bool
    market_date: str
    pool_depth_usd: str
    observation_cardinality: int
    tokens: tuple[TokenEntry, ...]


class DeploymentRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    network: str
    chain_id: int
    deployer: str
    platform: PlatformRecord
    compiler: dict[str, Any]  # {"version": ..., "settings": ...}
    sources_hash: str
    standard_json_input: str  # file name beside this one
    transactions: tuple[SentTx, ...] = ()
    test_market: TestMarketRecord | None = None

    @property
    def gas_used(self) -> int:
        return sum(t.gas_used for t in self.transactions)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".json.tmp")
        scratch.write_text(self.model_dump_json(indent=2) + "\n")
        scratch.replace(path)

    @classmethod
    def load(cls, path: Path) -> DeploymentRecord:
        return cls.model_validate_json(path.read_text())


def _resolve(importer: str, target: str, remappings: list[str]) -> str:
    if target.startswith("."):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), target))
    for mapping in remappings:
        prefix, _, replacement = mapping.partition("=")
        if target.startswith(prefix):
            return replacement + target[len(prefix) :]
    return target


def standard_json_input(root: Path | None = None) -> dict[str, Any]:
    """What `make abi` compiled, as one self-contained standard-JSON input: our sources and
    every file they import (OpenZeppelin, Uniswap) under the names the build gave them."""
    root = root or repo_root()
    remappings = list(COMPILER_SETTINGS["remappings"])
    sources: dict[str, str] = dict(contract_sources(root))
    pending = list(sources)
    while pending:
        name = pending.pop()
        for target in _IMPORT.findall(sources[name]):
            resolved = _resolve(name, target, remappings)
            if resolved not in sources:
                sources[resolved] = (root / resolved).read_text()
                pending.append(resolved)
    settings = {k: v for k, v in COMPILER_SETTINGS.items() if k != "outputSelection"}
    settings["outputSelection"] = {"*": {"*": ["abi", "evm.bytecode.object"]}}
    return {
        "language": "Solidity",
        "sources": {name: {"content": sources[name]} for name in sorted(sources)},
        "settings": settings,
    }


def compiler_info() -> tuple[dict[str, Any], str]:
    """The compiler version and settings of abi/VaultFactory.json, and the sources hash."""
    artifact = json.loads((repo_root() / "abi" / "VaultFactory.json").read_text())
    load_artifact("VaultFactory")  # the same checks as every load
    return dict(artifact["compiler"]), sources_hash()
