"""Web3 Secret Storage v3 keystores, one file per wallet, in a per-user directory.

The directory is `$INDEXVAULT_HOME/keystores/` (default `~/.indexvault/keystores/`), or any
directory given explicitly (tests use temporary ones). A wallet's name is its file name:
`<name>.json`. Files are written atomically with mode 0600 and are never overwritten: a
second wallet with the same name (compared case-insensitively, for case-insensitive file
systems) is refused.

Passwords are only ever passed through to eth-account: never logged, stored, or put in an
error message or a repr. Keys are encrypted with scrypt at eth-account's default work
factor (n = 2**18); a lighter `scrypt_n` is used only when a caller asks for it (tests).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from orchestrator.errors import (
    DuplicateWallet,
    InvalidWalletName,
    KeystoreCorrupt,
    MalformedKey,
    PasswordRejected,
    UnknownWallet,
    WrongPassword,
)

__all__ = [
    "HOME_ENV",
    "Keystore",
    "WalletInfo",
    "default_keystore_dir",
    "parse_private_key",
]

HOME_ENV = "INDEXVAULT_HOME"
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")


def default_keystore_dir() -> Path:
    """`$INDEXVAULT_HOME/keystores`, else `~/.indexvault/keystores`."""
    home = os.environ.get(HOME_ENV)
    base = Path(home).expanduser() if home else Path.home() / ".indexvault"
    return base / "keystores"


def parse_private_key(text: str) -> bytes:
    """32 key bytes from hex text (0x optional, surrounding whitespace ignored). The error
    says what is wrong without repeating the input."""
    stripped = text.strip()
    digits = stripped[2:] if stripped[:2].lower() == "0x" else stripped
    if not digits:
        raise MalformedKey("it is empty")
    if not _HEX_KEY.match(digits):
        if len(digits) != 64:
            raise MalformedKey(f"it has {len(digits)} characters after any 0x, not 64")
        raise MalformedKey("it contains characters that are not hex digits")
    value = int(digits, 16)
    if not 0 < value < SECP256K1_ORDER:
        raise MalformedKey("it is zero or not below the secp256k1 group order")
    return bytes.fromhex(digits)


@dataclass(frozen=True)
class WalletInfo:
    """A keystore on disk. `owner` is the checksummed address it unlocks (from the file's
    `address` field; None with a `problem` when the file is unreadable)."""

    name: str
    owner: str | None
    path: Path
    problem: str | None = None


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidWalletName(str(name))
    return name


def _check_password(password: str) -> None:
    if not isinstance(password, str) or password == "":
        raise PasswordRejected("it is empty")


def _read_keystore(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KeystoreCorrupt(path, f"unreadable JSON ({type(error).__name__})") from None
    if not isinstance(data, dict) or data.get("version") != 3 or "crypto" not in data:
        raise KeystoreCorrupt(path, "missing version 3 or the crypto section")
    address = data.get("address")
    if not isinstance(address, str) or not re.fullmatch(r"(0x)?[0-9a-fA-F]{40}", address):
        raise KeystoreCorrupt(path, "missing or malformed address field")
    return data


def _owner_of(data: dict[str, Any]) -> str:
    address = str(data["address"])
    return to_checksum_address(address if address.startswith("0x") else "0x" + address)


class Keystore:
    """The keystores in one directory. Cheap to construct; touches the disk per call."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_keystore_dir()

    def __repr__(self) -> str:
        return f"Keystore({str(self.directory)!r})"

    # -- reading ---------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        return self.directory / f"{_check_name(name)}.json"

    def names(self) -> tuple[str, ...]:
        if not self.directory.is_dir():
            return ()
        return tuple(sorted(p.stem for p in self.directory.glob("*.json") if _NAME.match(p.stem)))

    def list(self) -> list[WalletInfo]:
        """Every wallet, sorted by name; an unreadable file is listed with its problem."""
        wallets: list[WalletInfo] = []
        for name in self.names():
            path = self._path(name)
            try:
                wallets.append(WalletInfo(name, _owner_of(_read_keystore(path)), path))
            except KeystoreCorrupt as error:
                wallets.append(WalletInfo(name, None, path, problem=error.problem))
        return wallets

    def get(self, name: str) -> WalletInfo:
        path = self._path(name)
        if not path.is_file():
            raise UnknownWallet(name, known=self.names(), directory=self.directory)
        return WalletInfo(name, _owner_of(_read_keystore(path)), path)

    def unlock(self, name: str, password: str) -> LocalAccount:
        """The wallet's signing key. Raises WrongPassword (naming the wallet) on a bad one."""
        path = self._path(name)
        if not path.is_file():
            raise UnknownWallet(name, known=self.names(), directory=self.directory)
        data = _read_keystore(path)
        try:
            key = Account.decrypt(data, password)
        except ValueError as error:
            if "MAC mismatch" in str(error):
                raise WrongPassword(name) from None
            raise KeystoreCorrupt(path, str(error)) from None
        except (KeyError, TypeError) as error:
            raise KeystoreCorrupt(path, f"malformed crypto section ({error})") from None
        account: LocalAccount = Account.from_key(key)
        if account.address != _owner_of(data):
            raise KeystoreCorrupt(path, "the decrypted key does not match the address field")
        return account

    # -- writing ---------------------------------------------------------------------
    def create(self, name: str, password: str, *, scrypt_n: int | None = None) -> WalletInfo:
        """A new random key, encrypted under `password`."""
        _check_name(name)
        return self._store(name, bytes(Account.create().key), password, scrypt_n)

    def import_key(
        self, name: str, private_key: str, password: str, *, scrypt_n: int | None = None
    ) -> WalletInfo:
        """An existing key given as hex text. MalformedKey says what is wrong with it."""
        _check_name(name)
        return self._store(name, parse_private_key(private_key), password, scrypt_n)

    def _store(self, name: str, key: bytes, password: str, scrypt_n: int | None) -> WalletInfo:
        _check_password(password)
        if scrypt_n is not None and (scrypt_n < 2 or scrypt_n & (scrypt_n - 1)):
            raise PasswordRejected(f"scrypt n must be a power of two >= 2, got {scrypt_n}")
        final = self._path(name)
        self.ensure_name_free(name)
        keystore = Account.encrypt(key, password, kdf="scrypt", iterations=scrypt_n)
        self._write_new(final, json.dumps(keystore, indent=2) + "\n")
        return WalletInfo(name, _owner_of(keystore), final)

    def ensure_name_free(self, name: str) -> None:
        """Raise InvalidWalletName or DuplicateWallet now (front ends call this before
        prompting; the write itself checks again, atomically)."""
        final = self._path(name)
        for existing in self.names():
            if existing.lower() == name.lower():
                raise DuplicateWallet(name, path=self.directory / f"{existing}.json")
        if final.exists():
            raise DuplicateWallet(name, path=final)

    def _write_new(self, final: Path, text: str) -> None:
        """Write `text` to a fresh 0600 temp file, then link it into place: the link fails
        if `final` exists, so no keystore is ever overwritten or seen half-written."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w") as handle:
                os.fchmod(handle.fileno(), 0o600)  # mkstemp already does; be explicit
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, final)
            except FileExistsError:
                raise DuplicateWallet(final.stem, path=final) from None
            except OSError:  # a file system without hard links: exclusive create, then replace
                try:
                    os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                except FileExistsError:
                    raise DuplicateWallet(final.stem, path=final) from None
                os.replace(tmp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        with contextlib.suppress(OSError):  # persist the directory entry too
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
