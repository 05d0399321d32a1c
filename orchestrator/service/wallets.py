"""Wallets for the front ends: keystores (Web3 Secret Storage v3, one file per wallet) and
the smart account each owner gets on a set of ERC-4337 contracts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestrator.chain.backends import connect_rpc
from orchestrator.errors import PasswordRejected
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
    "MIN_PASSWORD_LENGTH",
    "Keystore",
    "WalletInfo",
    "check_new_password",
    "default_smart_account",
    "keystore",
    "keystore_signer",
    "smart_account_addresses",
]

# MetaMask's minimum for a new password; an existing keystore opens with whatever it has.
MIN_PASSWORD_LENGTH = 8


def check_new_password(password: str) -> None:
    """A password for a keystore about to be written: at least MIN_PASSWORD_LENGTH
    characters (PasswordRejected otherwise, saying how many it has)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(
            f"it has {len(password)} character{'s' if len(password) != 1 else ''}; a new "
            f"password needs at least {MIN_PASSWORD_LENGTH}",
            hint=f"Choose a password of {MIN_PASSWORD_LENGTH} characters or more "
            "(a few words are easy to remember and hard to guess).",
        )


def default_smart_account(owner: str) -> str:
    """The smart account `owner` gets on the canonical SimpleAccountFactory v0.8 (salt 0):
    the same address on every chain that has it, the local node included; computed off
    chain, no RPC."""
    return SmartAccount.counterfactual(CANONICAL_V08, owner, 0).address


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
