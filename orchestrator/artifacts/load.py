"""Load compiled artifacts: ours from `abi/`, third-party ones from `node_modules/` as shipped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from orchestrator.errors import SetupError

__all__ = ["NPM_ARTIFACTS", "Artifact", "load_artifact", "load_npm_artifact", "repo_root"]


def repo_root() -> Path:
    """The repository root (the folder holding `pyproject.toml` and `abi/`)."""
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str  # creation code, 0x-prefixed
    deployed_bytecode: str
    source: str  # where it came from (abi/X.json or node_modules/...)


# Third-party contracts deployed exactly as shipped in their npm packages.
NPM_ARTIFACTS: dict[str, str] = {
    "UniswapV3Factory": (
        "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json"
    ),
    "UniswapV3Pool": "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    "SwapRouter02": (
        "@uniswap/swap-router-contracts/artifacts/contracts/SwapRouter02.sol/SwapRouter02.json"
    ),
    "QuoterV2": "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/"
        "NonfungiblePositionManager.json"
    ),
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
    "EntryPoint": "@account-abstraction/contracts/artifacts/EntryPoint.json",
    "SimpleAccount": "@account-abstraction/contracts/artifacts/SimpleAccount.json",
    "SimpleAccountFactory": "@account-abstraction/contracts/artifacts/SimpleAccountFactory.json",
}


def _hex(value: Any) -> str:
    if isinstance(value, dict):  # solc/forge style {"object": "..."}
        value = value.get("object", "")
    text = str(value or "")
    return text if text.startswith("0x") else "0x" + text


def _read(name: str, path: Path, *, missing: str, hint: str) -> Artifact:
    if not path.is_file():
        raise SetupError(missing, hint=hint)
    data = json.loads(path.read_text())
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=_hex(data.get("bytecode")),
        deployed_bytecode=_hex(data.get("deployedBytecode")),
        source=str(path.relative_to(repo_root())),
    )


@cache
def load_npm_artifact(name: str) -> Artifact:
    """A shipped artifact from node_modules, e.g. `load_npm_artifact("SwapRouter02")`."""
    if name not in NPM_ARTIFACTS:
        raise SetupError(f"no npm artifact is registered under the name {name!r}")
    relative = f"node_modules/{NPM_ARTIFACTS[name]}"
    return _read(
        name,
        repo_root() / relative,
        missing=f"{relative} is missing: the npm packages are not installed",
        hint="Run `make demo` or `make test` (they run `npm ci`), or `npm ci` yourself.",
    )


@cache
def load_artifact(name: str) -> Artifact:
    """One of our own contracts, compiled into `abi/<name>.json` by `make abi`."""
    return _read(
        name,
        repo_root() / "abi" / f"{name}.json",
        missing=f"abi/{name}.json is missing",
        hint="Run `make abi` to compile the contracts under contracts/.",
    )
