"""Wallet errors: each names the wallet or value that caused it and says what to do next.

InputError (orchestrator.errors)
├── InvalidWalletName        a name that cannot be a keystore file name
├── UnknownWallet            no keystore by that name (lists the known ones)
├── DuplicateWallet          a keystore by that name exists: never overwritten
├── MalformedKey             an import that is not a 32-byte secp256k1 private key
├── WrongPassword            the password does not open that keystore
├── PasswordRejected         an empty password, or the two entries differ
├── InvalidUserOperation     a user operation field out of range (EntryPoint limits)
└── InsufficientPrefund      the smart account cannot pay the operation's max gas cost
ConfigError
└── KeystoreCorrupt          a keystore file that is not Web3 Secret Storage v3 JSON
ContractReverted
└── CallWouldRevert          a simulated operation's calls revert (decoded, with index)
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.errors import ConfigError, ContractReverted, InputError

__all__ = [
    "CallWouldRevert",
    "DuplicateWallet",
    "InsufficientPrefund",
    "InvalidUserOperation",
    "InvalidWalletName",
    "KeystoreCorrupt",
    "MalformedKey",
    "PasswordRejected",
    "UnknownWallet",
    "WrongPassword",
]


class InvalidWalletName(InputError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name!r} is not a valid wallet name",
            hint="Use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit.",
        )
        self.name = name


class UnknownWallet(InputError):
    def __init__(self, name: str, *, known: tuple[str, ...], directory: Path) -> None:
        listed = ", ".join(known) if known else "none"
        super().__init__(
            f"no wallet named {name!r} in {directory} (known: {listed})",
            hint="Run `indexvault wallet list`, or create one with `indexvault wallet create`.",
        )
        self.name = name
        self.known = known
        self.directory = directory


class DuplicateWallet(InputError):
    def __init__(self, name: str, *, path: Path) -> None:
        super().__init__(
            f"a wallet named {name!r} already exists ({path}); it was left untouched",
            hint="Pick another name. Keystores are never overwritten.",
        )
        self.name = name
        self.path = path


class MalformedKey(InputError):
    def __init__(self, problem: str) -> None:
        # Never echo the key material itself: only what is wrong with it.
        super().__init__(
            f"not a private key: {problem}",
            hint="Give 64 hex digits (optionally 0x-prefixed), a secp256k1 private key.",
        )
        self.problem = problem


class WrongPassword(InputError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"wrong password for wallet {name!r}",
            hint="Try again; check INDEXVAULT_PASSWORD if you set it for automation.",
        )
        self.name = name


class PasswordRejected(InputError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"password rejected: {problem}", hint="Enter a non-empty password.")
        self.problem = problem


class KeystoreCorrupt(ConfigError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path} is not a usable Web3 Secret Storage v3 keystore: {problem}",
            hint="Restore the file from a backup, or import the key again under a new name.",
        )
        self.path = path
        self.problem = problem


class InvalidUserOperation(InputError):
    def __init__(self, field: str, value: object, problem: str) -> None:
        super().__init__(
            f"user operation field {field}={value!r}: {problem}",
            hint="Build user operations with orchestrator.wallet.prepare_user_op.",
        )
        self.field = field
        self.value = value
        self.problem = problem


class InsufficientPrefund(InputError):
    def __init__(self, *, sender: str, available_wei: int, required_wei: int) -> None:
        super().__init__(
            f"smart account {sender} holds {available_wei} wei (balance + EntryPoint deposit) "
            f"but the operation may cost up to {required_wei} wei",
            hint=f"Send at least {required_wei - available_wei} wei to {sender} first.",
        )
        self.sender = sender
        self.available_wei = available_wei
        self.required_wei = required_wei


class CallWouldRevert(ContractReverted):
    """The operation would pass validation but its calls would revert (found by simulation,
    before anything is signed or sent). `call_index` is the failing call in a batch."""

    def __init__(self, inner: ContractReverted, *, call_index: int | None) -> None:
        where = f"call #{call_index}" if call_index is not None else "the call"
        super().__init__(
            inner.error_name,
            inner.error_args,
            raw=inner.raw,
            hint=f"{where} of the user operation would revert; nothing was sent.",
        )
        self.inner = inner
        self.call_index = call_index
