"""Bind a contract ABI to an address: the one place addresses become checksummed."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.contract import Contract

from orchestrator.artifacts.load import load_artifact, load_npm_artifact

__all__ = ["Contract", "bind", "bind_npm", "bind_ours"]


def bind(w3: Web3, address: str, abi: list[dict[str, Any]]) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)


def bind_ours(w3: Web3, name: str, address: str) -> Contract:
    """One of our contracts (abi/<name>.json) at `address`."""
    return bind(w3, address, load_artifact(name).abi)


def bind_npm(w3: Web3, name: str, address: str) -> Contract:
    """A shipped npm artifact (Uniswap, WETH9, EntryPoint) at `address`."""
    return bind(w3, address, load_npm_artifact(name).abi)
