"""Wallets for the front ends: keystores (Web3 Secret Storage v3, one file per wallet) and
the smart account each owner gets on a set of ERC-4337 contracts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestrator.chain.backends import connect_rpc
from orchestrator.wallet.keystore import Keystore, WalletInfo
from orchestrator.wallet.signers import KeystoreSigner
from orchestrator.wallet.smart_account import (
    CANONICAL_V08,
    AAContracts,
    SmartAccount,
    smart_account,
)

__all__ = [
    "CANONICAL_V08",
    "Keystore",
    "WalletInfo",
    "keystore",
    "keystore_signer",
    "smart_account_addresses",
]


def keystore(directory: Path | None = None) -> Keystore:
    """The keystores in `directory` (default: $INDEXVAULT_HOME/keystores)."""
    return Keystore(directory)


def smart_account_addresses(
    wallets: list[WalletInfo],
    *,
    factory: str,
    entry_point: str | None,
    salt: int,
    rpc_url: str | None,
) -> dict[str, str]:
    """Each readable wallet's smart account on SimpleAccountFactory `factory`: computed off
    chain, or with `rpc_url` checked against the factory's own getAddress."""
    aa = AAContracts(
        entry_point=entry_point or CANONICAL_V08.entry_point, simple_account_factory=factory
    )
    owners = {w.name: w.owner for w in wallets if w.owner is not None}
    if rpc_url is None:
        return {n: SmartAccount.counterfactual(aa, o, salt).address for n, o in owners.items()}
    with connect_rpc(rpc_url) as chain:
        return {n: smart_account(chain, aa, o, salt).address for n, o in owners.items()}


def keystore_signer(
    name: str, password: Callable[[], str], *, directory: Path | None = None
) -> KeystoreSigner:
    """Signs for keystore wallet `name`; `password()` is asked when it first signs (or when
    `unlock()` is called)."""
    return KeystoreSigner(Keystore(directory), name, password)
