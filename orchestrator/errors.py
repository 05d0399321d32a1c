"""One exception tree for indexvault, grouped by what the caller should do.

    IndexVaultError                 every error we raise; carries `hint` (what to do next)
    ├── SetupError                  the machine is not set up (npm, abi/): run `make ...`
    ├── ConfigError                 a setting is wrong (unknown network, bad option)
    ├── InputError                  a user's input is wrong (amount, symbol, date)
    ├── MarketDataError             a market file is malformed: names file, row, problem
    ├── StrategyError               the rules cannot be satisfied (impossible cap, empty universe)
    └── ChainError                  anything that came back from a chain
        ├── RpcUnavailable          the node did not answer: retry later / check the URL
        ├── WrongChain              connected to a chain with another id than configured
        ├── ContractReverted        a call reverted: decoded custom error name and arguments
        └── MissingContract         an address that should hold code holds none

Front ends (CLI, web) print `str(error)` and `error.hint`; they never show a traceback
for an IndexVaultError.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ChainError",
    "ConfigError",
    "ContractReverted",
    "IndexVaultError",
    "InputError",
    "MarketDataError",
    "MissingContract",
    "RpcUnavailable",
    "SetupError",
    "StrategyError",
    "WrongChain",
]


class IndexVaultError(Exception):
    """Base class. `hint` says what the user can do about it."""

    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint if hint is not None else self.default_hint


class SetupError(IndexVaultError):
    default_hint = "Run `make demo` or `make test` once: they install everything this needs."


class ConfigError(IndexVaultError):
    pass


class InputError(IndexVaultError):
    pass


class MarketDataError(IndexVaultError):
    """A market data file or source is unusable. Carries where the problem is."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        row: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if path is not None:
            where = f"{path}"
            if row is not None:
                where += f", row {row}"
            where += ": "
        super().__init__(f"{where}{problem}", hint=hint)
        self.path = path
        self.row = row
        self.problem = problem


class StrategyError(IndexVaultError):
    pass


class ChainError(IndexVaultError):
    pass


class RpcUnavailable(ChainError):
    default_hint = "Check that the node is running and the RPC URL is right, then try again."


class WrongChain(ChainError):
    def __init__(self, *, expected: int, actual: int, url: str) -> None:
        super().__init__(
            f"{url} is chain id {actual}, but this network is configured for chain id {expected}",
            hint="Point the RPC URL at the configured network, or pick the network that matches.",
        )
        self.expected = expected
        self.actual = actual


class MissingContract(ChainError):
    def __init__(self, *, name: str, address: str) -> None:
        super().__init__(
            f"{name} at {address} has no code on this chain",
            hint="Check the network's address book, or deploy the contract first.",
        )
        self.name = name
        self.address = address


class ContractReverted(ChainError):
    """A transaction or call reverted. `error_name`/`error_args` are the decoded custom
    error (or "Error"/[reason] for a revert string, "Panic"/[code] for a panic, or
    "unknown"/[raw hex] when nothing matched)."""

    def __init__(
        self,
        error_name: str,
        error_args: Sequence[Any] = (),
        *,
        raw: str = "",
        tx_hash: str | None = None,
        hint: str | None = None,
    ) -> None:
        shown = ", ".join(repr(a) for a in error_args)
        message = f"reverted with {error_name}({shown})"
        if tx_hash:
            message += f" in {tx_hash}"
        super().__init__(message, hint=hint)
        self.error_name = error_name
        self.error_args = tuple(error_args)
        self.raw = raw
        self.tx_hash = tx_hash
