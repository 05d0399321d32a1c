"""Who signs a user operation for its owner: a key in this process (a keystore, unlocked
only when something is signed), or nobody here (the web page: the browser signs and the
signature is checked against the owner, `orchestrator.trading.confirm.submit`).

A session is opened with the owner's address (a keystore file holds it unencrypted), so
reading holdings, P&L, the log or the mandate never needs a password."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from eth_account.signers.local import LocalAccount
from eth_typing import Hash32

from orchestrator.wallet.keystore import Keystore

__all__ = ["KeystoreSigner", "LocalKeySigner", "Signer"]


class Signer(Protocol):
    """Signs 32-byte digests for `owner` (a raw 65-byte ECDSA signature, no prefix: what
    SimpleAccount v0.8 recovers from the EIP-712 user-operation hash)."""

    @property
    def owner(self) -> str: ...

    def sign_hash(self, digest: bytes) -> bytes: ...


@dataclass(frozen=True)
class LocalKeySigner:
    """A key already in memory (tests, the demo, the local keeper)."""

    account: LocalAccount

    @property
    def owner(self) -> str:
        return str(self.account.address)

    def sign_hash(self, digest: bytes) -> bytes:
        return bytes(self.account.unsafe_sign_hash(Hash32(digest)).signature)


@dataclass
class KeystoreSigner:
    """A keystore wallet: its address is read from the file; `password()` is called, and the
    key decrypted, only the first time something is signed."""

    keystore: Keystore
    name: str
    password: Callable[[], str]
    _account: LocalAccount | None = field(default=None, repr=False)

    @property
    def owner(self) -> str:
        owner = self.keystore.get(self.name).owner
        assert owner is not None  # get() raises for an unreadable file
        return owner

    def unlock(self) -> LocalAccount:
        if self._account is None:
            self._account = self.keystore.unlock(self.name, self.password())
        return self._account

    def sign_hash(self, digest: bytes) -> bytes:
        return bytes(self.unlock().unsafe_sign_hash(Hash32(digest)).signature)
