"""One exception tree for indexvault, grouped by what the caller should do next.

    IndexVaultError                 every error we raise: the values that caused it, and `hint`
    ├── InputError                  fix your input, then try again (nothing was sent)
    │   ├── NotEnoughFunds          an amount above what a holder has (amount, available)
    │   │   ├── InsufficientPrefund the smart account cannot pay the op's most gas cost
    │   │   └── DeployerUnderfunded the deployer holds less ETH (or USDC) than a deploy needs
    │   ├── NoVault                 this wallet has no vault yet: buy first
    │   ├── InvalidMandate          a mandate limit the vault would refuse (name, value, range)
    │   ├── MarketDataError         a market file or source is unusable (path, row, problem)
    │   ├── StrategyError           the strategy's rules cannot be satisfied
    │   ├── BuildError              the compiler rejected contracts/ (file:line problems)
    │   ├── InvalidWalletName       a name that cannot be a keystore file name
    │   ├── UnknownWallet           no keystore by that name (lists the known ones)
    │   ├── DuplicateWallet         a keystore by that name exists: never overwritten
    │   ├── MalformedKey            an import that is not a secp256k1 private key
    │   ├── WrongPassword           the password does not open that keystore
    │   ├── PasswordRejected        an empty or too short password, or two entries that differ
    │   ├── InvalidUserOperation    a user-operation field (or signature) out of range
    │   ├── UnknownQuote            no preview (or submission) journaled under a quote id
    │   ├── QuoteNotConfirmed       a submission for a preview nobody confirmed
    │   ├── AlreadySubmitted        that quote id was submitted before: never twice
    │   ├── EarlierRunLanded        an earlier run's open op executed after all: look first
    │   ├── MissingPrice            a held token without a price to value it at
    │   ├── TransactionRejected     the node refused a signed transaction (`reason`)
    │   ├── OriginRejected          a state-changing web request from another page (`origin`)
    │   └── ConfigError             fix the setup: a setting, file, network or address book
    │       ├── SetupError          the machine is not set up: run `make setup`
    │       ├── KeystoreCorrupt     a keystore file that is not Web3 Secret Storage v3
    │       ├── JournalUnusable     a journal file that is not one (or is newer)
    │       │   └── JournalDamaged  corrupt, truncated or emptied: kept; rebuild or restore it
    │       ├── ChainStateLost      the local node's state file is gone or unreadable
    │       ├── WrongChain          the node is another chain than configured
    │       ├── MissingContract     an address that should hold code holds none
    │       ├── AddressBookMismatch a network's address book is wrong (contract, address, fix)
    │       ├── NotDeployed         indexvault is not deployed on this network yet
    │       └── BundlerError        the bundler refused a request (not the EntryPoint)
    ├── PreviewOutdated             preview again: what was reviewed no longer holds (nothing sent)
    │   ├── PreviewExpired          the time to confirm it ran out
    │   ├── PriceUpdated            a leg's fresh quote is below the min-out reviewed
    │   └── AccountMoved            the smart account sent another operation since
    ├── ContractReverted            the chain refused a call: decoded error name and arguments
    │   ├── CallWouldRevert         found by simulation, before anything was signed
    │   ├── UserOpRejected          the EntryPoint (or bundler) refused the op: it did not run
    │   └── OperationReverted       included, but its calls reverted: gas paid, funds unmoved
    ├── TransientError              retry later: nothing is known to have changed (the keeper
    │   │                           retries these, and only these)
    │   ├── RpcUnavailable          the node (or bundler) gave no usable answer
    │   │   ├── NodeNotRunning      the local node is down (never started, stopped, crashed)
    │   │   ├── BundlerUnreachable  the bundler refused the connection: nothing delivered
    │   │   └── UserOpNotSent       so the op was not sent: preview again once it is back
    │   ├── NotIncludedYet          sent, but not on chain within the wait: look again later
    │   │   ├── UserOpNotIncluded   a bundler took the op; no receipt yet, never re-sent
    │   │   └── ReceiptNotOnChain   a bundler's receipt in a block the node does not have
    │   ├── ChainMoved              the chain kept changing while a preview read it
    │   ├── SendLockBusy            another command is sending on this network (its pid)
    │   └── KeeperStopped           the keeper gave up after its retries; the next run resumes
    └── InternalError               report a bug: an invariant broke (carries the values)
        ├── InvalidValue            a function got a value outside its domain (a ValueError)
        ├── QuoteConflict           one quote id recorded again with other content
        ├── EventsInconsistent      a vault's events do not add up
        └── UnexpectedAnswer        a node or bundler answered outside its protocol

Callers branch on these classes and on the values they carry, never on message text: the
one place that reads a node's error text is `orchestrator.chain` (it turns it into a class
or a field, e.g. `TransactionRejected.reason`). Front ends (CLI, web) print `str(error)`
and `error.hint`; they never show a traceback for an IndexVaultError.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "MAYBE_ALREADY_INCLUDED",
    "AccountMoved",
    "AddressBookMismatch",
    "AlreadySubmitted",
    "BuildError",
    "BundlerError",
    "BundlerUnreachable",
    "CallWouldRevert",
    "ChainMoved",
    "ChainStateLost",
    "ConfigError",
    "ContractReverted",
    "DeployerUnderfunded",
    "DuplicateWallet",
    "EarlierRunLanded",
    "EventsInconsistent",
    "IndexVaultError",
    "InputError",
    "InsufficientPrefund",
    "InternalError",
    "InvalidMandate",
    "InvalidUserOperation",
    "InvalidValue",
    "InvalidWalletName",
    "JournalDamaged",
    "JournalUnusable",
    "KeeperStopped",
    "KeystoreCorrupt",
    "MalformedKey",
    "MarketDataError",
    "MissingContract",
    "MissingPrice",
    "NoVault",
    "NodeNotRunning",
    "NotDeployed",
    "NotEnoughFunds",
    "NotIncludedYet",
    "OperationReverted",
    "OriginRejected",
    "PasswordRejected",
    "PreviewExpired",
    "PreviewOutdated",
    "PriceUpdated",
    "QuoteConflict",
    "QuoteNotConfirmed",
    "ReceiptNotOnChain",
    "RejectionReason",
    "RpcUnavailable",
    "SendLockBusy",
    "SetupError",
    "StrategyError",
    "TransactionRejected",
    "TransientError",
    "UnexpectedAnswer",
    "UnknownQuote",
    "UnknownWallet",
    "UserOpNotIncluded",
    "UserOpNotSent",
    "UserOpRejected",
    "WrongChain",
    "WrongPassword",
]


def _units(amount: int, decimals: int) -> str:
    """Base units in whole tokens, for messages (exact; trailing zeros dropped)."""
    whole = f"{Decimal(amount).scaleb(-decimals):,f}"
    return whole.rstrip("0").rstrip(".") if "." in whole else whole


def _eth(wei: int) -> str:
    return f"{_units(wei, 18)} ETH"


class IndexVaultError(Exception):
    """Base class. `hint` says what the user can do about it."""

    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint if hint is not None else self.default_hint


# === fix your input ==========================================================================


class InputError(IndexVaultError):
    """Fix the input (an amount, a name, an option, a file) and try again: nothing was sent."""


class NotEnoughFunds(InputError):
    """`holder` has `available` of `asset` (base units), less than the `amount` asked."""

    def __init__(
        self, message: str, *, holder: str, asset: str, amount: int, available: int, hint: str
    ) -> None:
        super().__init__(message, hint=hint)
        self.holder, self.asset, self.amount, self.available = holder, asset, amount, available


class InsufficientPrefund(NotEnoughFunds):
    def __init__(self, *, sender: str, available_wei: int, required_wei: int) -> None:
        super().__init__(
            f"smart account {sender} holds {_eth(available_wei)} (balance + EntryPoint "
            f"deposit) but the operation may cost up to {_eth(required_wei)}",
            holder=sender,
            asset="ETH",
            amount=required_wei,
            available=available_wei,
            hint=f"Send at least {_eth(required_wei - available_wei)} to {sender} first.",
        )
        self.sender = sender
        self.available_wei = available_wei
        self.required_wei = required_wei


class DeployerUnderfunded(NotEnoughFunds):
    """A deployment needs `amount` of `asset` (wei, or USDC base units) and the deployer
    holds `available`: nothing was sent."""

    def __init__(self, *, holder: str, asset: str, amount: int, available: int, shown: str) -> None:
        super().__init__(
            f"the deployer {holder} holds {shown}",
            holder=holder,
            asset=asset,
            amount=amount,
            available=available,
            hint=f"Send the missing {asset} to {holder} (a faucet on a testnet), then run again; "
            "nothing was sent.",
        )


class NoVault(InputError):
    def __init__(self, account: str, *, action: str) -> None:
        super().__init__(
            f"this wallet has no vault yet ({account}): {action}",
            hint="Buy first: `indexvault buy AMOUNT` creates your vault.",
        )
        self.account, self.action = account, action


class InvalidMandate(InputError):
    """A mandate limit the vault would refuse: nothing was simulated or sent."""

    def __init__(self, name: str, value: object, allowed: str, *, hint: str | None = None):
        super().__init__(f"{name} must be {allowed}, got {value}", hint=hint)
        self.name, self.value, self.allowed = name, value, allowed


class MarketDataError(InputError):
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


class StrategyError(InputError):
    """The strategy's rules cannot be satisfied (an impossible cap, an empty universe)."""


class BuildError(InputError):
    """The compiler rejected the sources. `problems` holds `file:line: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "the Solidity build failed:\n" + "\n".join(problems),
            hint="Fix the errors above, then run `make abi` again.",
        )
        self.problems = problems


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
    def __init__(self, problem: str, *, hint: str = "Enter a non-empty password.") -> None:
        super().__init__(f"password rejected: {problem}", hint=hint)
        self.problem = problem


class InvalidUserOperation(InputError):
    def __init__(self, field: str, value: object, problem: str, *, hint: str | None = None):
        super().__init__(
            f"user operation field {field}={value!r}: {problem}",
            hint=hint or "Build user operations with orchestrator.wallet.prepare_user_op.",
        )
        self.field = field
        self.value = value
        self.problem = problem


class UnknownQuote(InputError):
    def __init__(self, quote_id: str, *, what: str = "preview") -> None:
        super().__init__(
            f"no {what} is journaled for quote {quote_id!r}",
            hint="Preview the action first; its quote id is what confirms and submits it.",
        )
        self.quote_id = quote_id
        self.what = what


class QuoteNotConfirmed(InputError):
    def __init__(self, quote_id: str) -> None:
        super().__init__(
            f"quote {quote_id!r} was never confirmed; nothing may be submitted for it",
            hint="Record the user's confirmation before submitting.",
        )
        self.quote_id = quote_id


class AlreadySubmitted(InputError):
    """The never-submit-twice guard. `state` is the earlier submission's state
    ("submitted", "included", "failed" or "dropped")."""

    def __init__(self, quote_id: str, user_op_hash: str, state: str) -> None:
        super().__init__(
            f"quote {quote_id!r} was already submitted as user operation {user_op_hash} "
            f"(state: {state}); it is never sent twice",
            hint=(
                "See its outcome with `indexvault log` (every command first settles an "
                "unfinished one from the chain); to act again, preview again: a new preview "
                "gets a new quote id."
            ),
        )
        self.quote_id = quote_id
        self.user_op_hash = user_op_hash
        self.state = state


class EarlierRunLanded(InputError):
    """Opening this session found that an operation of this account, left open by an
    earlier run (one that died, or whose outcome was not known), has executed after all.
    The command was decided without knowing that, so it stops before previewing: a repeat
    of the same trade would otherwise execute twice. Said once per session."""

    def __init__(self, quote_id: str, kind: str, detail: str) -> None:
        super().__init__(
            f"your {kind} {quote_id[:8]} from an earlier run has executed after all "
            f"({detail}); nothing new was previewed or sent, so that it is not done twice",
            hint="Check `indexvault holdings` and `indexvault log`, then run the command "
            "again if you still want it.",
        )
        self.quote_id, self.kind, self.detail = quote_id, kind, detail


class MissingPrice(InputError):
    def __init__(self, tokens: Sequence[str]) -> None:
        super().__init__(
            f"no price for {len(tokens)} held token(s): {', '.join(tokens)}",
            hint="Pass a price for every token the vault holds (quote them or read the pools).",
        )
        self.tokens = tuple(tokens)


RejectionReason = Literal["nonce_used", "already_known", "other"]


class TransactionRejected(InputError):
    """The node refused a signed transaction before taking it. `reason`: "nonce_used"
    (another transaction took the nonce), "already_known" (these very bytes are in its
    pool: not an error for a re-broadcast), or "other" (underpriced, no funds...)."""

    def __init__(self, message: str, *, reason: RejectionReason, node: str) -> None:
        super().__init__(f"{node} rejected the transaction: {message}")
        self.reason, self.node = reason, node


class OriginRejected(InputError):
    """The web server refused a state-changing request whose Origin is not its own page's
    (or absent): another site cannot act through a user's local server. Nothing was done."""

    def __init__(self, origin: str | None) -> None:
        super().__init__(
            f"refused: this request came from {origin or 'no origin'}, not from this "
            "server's own page; nothing was done",
            hint="Use the page this server serves (the URL `indexvault web` printed).",
        )
        self.origin = origin


# --- fix the setup -----------------------------------------------------------------------------


class ConfigError(InputError):
    """A setting, file, network or address book is wrong: fix the setup, then try again."""


class SetupError(ConfigError):
    default_hint = "Run `make demo` or `make test` once: they install everything this needs."


class KeystoreCorrupt(ConfigError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path} is not a usable Web3 Secret Storage v3 keystore: {problem}",
            hint="Restore the file from a backup, or import the key again under a new name.",
        )
        self.path = path
        self.problem = problem


class JournalUnusable(ConfigError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(
            f"journal {path}: {problem}",
            hint="Point the journal at its own file; never edit or downgrade it by hand.",
        )
        self.path = path
        self.problem = problem


class JournalDamaged(JournalUnusable):
    """The journal at `path` is corrupt, truncated, or was emptied while its history
    existed (`problem` says which). It is never replaced: the file is kept as it is."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.hint = (
            "The file is kept untouched. Restore it from a copy (`indexvault journal backup` "
            "makes one), or run `indexvault journal rebuild`: it moves the file aside and "
            "rebuilds what the chain can tell."
        )


class ChainStateLost(ConfigError):
    """The local node's chain state file at `path` is missing or unreadable (`problem`)."""

    def __init__(self, path: Path, problem: str, *, hint: str) -> None:
        super().__init__(f"the local chain's state file {path} {problem}", hint=hint)
        self.path, self.problem = path, problem


class WrongChain(ConfigError):
    def __init__(self, *, expected: int, actual: int, url: str) -> None:
        super().__init__(
            f"{url} is chain id {actual}, but this network is configured for chain id {expected}",
            hint="Point the RPC URL at the configured network, or pick the network that matches.",
        )
        self.expected = expected
        self.actual = actual


class MissingContract(ConfigError):
    def __init__(self, *, name: str, address: str) -> None:
        super().__init__(
            f"{name} at {address} has no code on this chain",
            hint="Check the network's address book, or deploy the contract first.",
        )
        self.name = name
        self.address = address


class AddressBookMismatch(ConfigError):
    """Contract `name` at `address` is not what the network's address book says: `problem`
    in words, and the hint says what to do. Found before anything was sent."""

    def __init__(self, *, name: str, address: str, problem: str, hint: str) -> None:
        super().__init__(f"{name} at {address}: {problem}", hint=hint)
        self.name = name
        self.address = address
        self.problem = problem


class NotDeployed(ConfigError):
    def __init__(self, *, network: str, path: Path) -> None:
        super().__init__(
            f"indexvault is not deployed on {network} yet (no {path})",
            hint=f"Run `indexvault deploy --network {network}` (or copy an existing "
            "deployment file there).",
        )
        self.network = network
        self.path = path


class BundlerError(ConfigError):
    """A JSON-RPC error from the bundler that is not an EntryPoint rejection, in plain
    words (orchestrator.execution.rejections) with the bundler's own text after them."""

    def __init__(self, method: str, code: int, message: str, *, url: str) -> None:
        from orchestrator.execution.rejections import explain_bundler_error  # pure tables

        explained = explain_bundler_error(code, message)
        super().__init__(
            f"the bundler refused {method}: {explained.what} (bundler {url}: [{code}] {message})",
            hint=explained.action,
        )
        self.method = method
        self.code = code
        self.rpc_message = message


# === preview again ===========================================================================


class PreviewOutdated(IndexVaultError):
    """What the user reviewed no longer holds: nothing was sent; preview again."""

    default_hint = "Preview again: prices, gas or your account moved since."


class PreviewExpired(PreviewOutdated):
    """A confirmation at `confirmed_at_s`, after the preview's `expires_at_s`."""

    def __init__(self, quote_id: str, *, expires_at_s: int, confirmed_at_s: int) -> None:
        super().__init__(
            f"preview {quote_id} expired {confirmed_at_s - expires_at_s} s before this "
            f"confirmation (at {expires_at_s}); nothing was sent",
            hint="Preview again: prices and gas may have moved.",
        )
        self.quote_id = quote_id
        self.expires_at_s = expires_at_s
        self.confirmed_at_s = confirmed_at_s


class PriceUpdated(PreviewOutdated):
    """A leg would now deliver less than the min-out the user reviewed: nothing was sent.
    `moved` lists (symbol, fresh quote, reviewed min-out) in base units."""

    def __init__(
        self,
        quote_id: str,
        moved: list[tuple[str, int, int]],
        decimals: dict[str, int] | None = None,
    ) -> None:
        places = decimals or {}
        lines = ", ".join(
            f"{s}: now {_units(new, places.get(s, 0))} < min {_units(old, places.get(s, 0))} {s}"
            for s, new, old in moved
        )
        super().__init__(
            f"price updated since preview {quote_id}: {len(moved)} leg(s) below the reviewed "
            f"minimum ({lines}); nothing was sent",
            hint="Preview again to see the new prices, or allow more slippage.",
        )
        self.quote_id = quote_id
        self.moved = moved


class AccountMoved(PreviewOutdated):
    """The smart account's EntryPoint nonce is `nonce`, not the `previewed_nonce`."""

    def __init__(self, quote_id: str, *, previewed_nonce: int, nonce: int) -> None:
        super().__init__(
            f"your smart account was used since preview {quote_id} (nonce moved)",
            hint="Preview again.",
        )
        self.quote_id, self.previewed_nonce, self.nonce = quote_id, previewed_nonce, nonce


# === the chain refused it ====================================================================


class ContractReverted(IndexVaultError):
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


# Rejections an op gets when it was already included: its nonce is spent (AA25), or, for
# the op that deployed the account, its initCode now meets an existing account (AA10).
MAYBE_ALREADY_INCLUDED = frozenset({"AA10", "AA25"})


class UserOpRejected(ContractReverted):
    """The op was refused before execution: nothing ran, nothing was paid. `reason` is the
    EntryPoint's (or bundler's) text (e.g. "AA25 invalid account nonce"), `code` its "AAnn",
    `inner` the decoded revert for FailedOpWithRevert (e.g. the account's own revert in
    AA23), `rpc_code` the bundler's JSON-RPC error code. The message says it in plain words
    (orchestrator.execution.rejections); `already_known` says a bundler holds this very op
    in its mempool already (not an error for a re-send)."""

    def __init__(
        self,
        reason: str,
        *,
        user_op_hash: str,
        inner: ContractReverted | None = None,
        raw: str = "",
        tx_hash: str | None = None,
        source: str = "EntryPoint",
        rpc_code: int | None = None,
    ) -> None:
        # imported here: both import this module (the rejection tables are pure)
        from orchestrator.chain.reverts import decode_revert_data
        from orchestrator.execution.rejections import (
            aa_code,
            explain_aa,
            explain_bundler_error,
            inner_revert_data,
        )

        data = inner_revert_data(reason) if inner is None else None
        if data is not None:  # a bundler's "AA23 reverted 0x…": the account's own error
            inner = decode_revert_data(data)
        explained = explain_aa(reason)
        if explained is None and rpc_code is not None:
            explained = explain_bundler_error(rpc_code, reason)
        args: tuple[object, ...] = (reason,) if inner is None else (reason, str(inner))
        super().__init__(
            "FailedOp" if inner is None else "FailedOpWithRevert",
            args,
            raw=raw,
            tx_hash=tx_hash,
            hint=explained.action if explained else "See the reason; nothing was executed.",
        )
        what = explained.what if explained else "it was refused"
        detail = reason if inner is None else f"{reason}; inner error: {inner}"
        self.args = (f"the operation was not executed: {what} ({source}: {detail})",)
        self.reason = reason
        self.code = aa_code(reason)
        self.inner = inner
        self.user_op_hash = user_op_hash
        self.source = source
        self.rpc_code = rpc_code
        self.already_known = not self.code and "already known" in reason.lower()


class OperationReverted(ContractReverted):
    """The op was included but its calls reverted: it paid `gas_cost_wei`; the vault's
    funds did not move. `reason` is the decoded revert as text."""

    def __init__(self, *, reason: str | None, gas_cost_wei: int, tx_hash: str) -> None:
        IndexVaultError.__init__(
            self,
            f"the operation was included but reverted: {reason} (gas paid: "
            f"{_eth(gas_cost_wei)}); your funds did not move",
            hint="Preview again; if it repeats, check `indexvault log`.",
        )
        self.error_name, self.error_args, self.raw = "OperationReverted", (reason,), ""
        self.tx_hash = tx_hash
        self.reason, self.gas_cost_wei = reason, gas_cost_wei


# === retry later =============================================================================


class TransientError(IndexVaultError):
    """Nothing is known to have changed; the same call may work later. The keeper retries
    these (with backoff), and only these."""


class RpcUnavailable(TransientError):
    default_hint = "Check that the node is running and the RPC URL is right, then try again."


class NodeNotRunning(RpcUnavailable):
    """The local node in `folder` is down: never started, stopped, or crashed (`crashed`)."""

    def __init__(self, message: str, *, folder: Path, crashed: bool, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.folder, self.crashed = folder, crashed


class BundlerUnreachable(RpcUnavailable):
    """The bundler at `url` refused the connection: the request was not delivered."""

    def __init__(self, message: str, *, url: str, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.url = url


class UserOpNotSent(RpcUnavailable):
    """The submitter could not reach the bundler before sending: the op was not sent (a
    new preview can be confirmed once the bundler is back)."""

    def __init__(self, user_op_hash: str, cause: str) -> None:
        super().__init__(
            f"the operation was not sent: {cause}",
            hint="Start the bundler (local network: `indexvault local up`) or check its URL, "
            "then preview again.",
        )
        self.user_op_hash, self.cause = user_op_hash, cause


class NotIncludedYet(TransientError):
    """`what` (a transaction or user operation hash) was sent but is not on chain after
    `waited_s`: look it up later, never send a new one for it."""

    def __init__(
        self, what: str, *, waited_s: float, detail: str = "", hint: str | None = None
    ) -> None:
        super().__init__(
            f"{what} was not included within {waited_s:.0f} s{detail}",
            hint=hint or "Look it up later by its hash; do not resend a new one for it.",
        )
        self.what, self.waited_s = what, waited_s


class ReceiptNotOnChain(NotIncludedYet):
    """A bundler answered with a receipt (transaction `tx_hash` in block `block_number`)
    that the node does not have: a reorg, or a bundler whose memory outlived the chain's.
    Nothing is recorded; the submission stays open and is settled from the node."""

    def __init__(self, user_op_hash: str, *, tx_hash: str, block_number: int) -> None:
        super().__init__(
            f"user operation {user_op_hash}",
            waited_s=0,
            detail=f": the bundler reports it in transaction {tx_hash} (block {block_number}), "
            "which the node does not have (a reorg?); its outcome is not known yet, and it "
            "will not be sent again",
            hint="Run `indexvault log` later: it is settled from the node's chain. To trade "
            "anyway, preview again: the new operation takes this one's nonce.",
        )
        self.user_op_hash, self.tx_hash, self.block_number = user_op_hash, tx_hash, block_number


class UserOpNotIncluded(NotIncludedYet):
    """The bundler took the op but no receipt came within the wait. Its outcome is
    unknown: the journal keeps the submission open, and the next run settles it from the
    chain (included, or dropped once another op uses its nonce)."""

    def __init__(self, user_op_hash: str, *, timeout_s: float, bundler: str) -> None:
        super().__init__(
            f"user operation {user_op_hash}",
            waited_s=timeout_s,
            detail=f" by bundler {bundler}; its outcome is not known yet, and it will not be "
            "sent again",
            hint="Run `indexvault log` later: it is settled from the chain. To trade anyway, "
            "preview again: the new operation takes this one's nonce, so at most one of them "
            "executes. Check the bundler: `indexvault local status`.",
        )
        self.user_op_hash, self.timeout_s, self.bundler = user_op_hash, timeout_s, bundler


class ChainMoved(TransientError):
    """The facts a preview was built on changed while it was read (`what` changed), more
    often than a preview retries."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"the chain kept changing while the preview read it ({what})",
            hint="Preview again in a moment.",
        )
        self.what = what


class SendLockBusy(TransientError):
    """Another process (`pid`, when known) holds the send lock of `network`: one sender at
    a time per home and network (orchestrator.sendlock)."""

    def __init__(self, network: str, *, pid: int | None, path: Path, waited_s: float) -> None:
        who = f" (pid {pid})" if pid is not None else ""
        waited = f" after waiting {waited_s:.0f} s" if waited_s >= 1 else ""
        super().__init__(
            f"another indexvault command is sending trades on network {network!r}{who}"
            f"{waited}; wait for it to finish",
            hint="Try again once it is done; reading commands (holdings, log, pnl) work "
            f"meanwhile. Set INDEXVAULT_LOCK_WAIT_S to wait longer. Lock file: {path}",
        )
        self.network, self.pid, self.path, self.waited_s = network, pid, path, waited_s


class KeeperStopped(TransientError):
    """The run stopped after its retries; the cycle stays open for the next run."""


# === report a bug ============================================================================


class InternalError(IndexVaultError):
    """An invariant broke: a bug in indexvault (or a node misbehaving). Carries the values."""

    default_hint = "This is a bug: please report it with the message above."


class InvalidValue(InternalError, ValueError):
    """A function got `value` for its parameter `name`, outside its domain: its caller's
    bug. Also a ValueError, as Python code expects of a bad argument."""

    def __init__(self, message: str, *, name: str, value: object) -> None:
        super().__init__(message)
        self.name, self.value = name, value


class QuoteConflict(InternalError):
    def __init__(self, quote_id: str, *, field: str, recorded: object, given: object) -> None:
        super().__init__(
            f"quote {quote_id!r} already has {field} = {recorded!r}; refusing {given!r}",
            hint="A quote id names one action: preview again to get a new quote id.",
        )
        self.quote_id = quote_id
        self.field = field
        self.recorded = recorded
        self.given = given


class EventsInconsistent(InternalError):
    def __init__(self, problem: str, *, tx_hash: str) -> None:
        super().__init__(
            f"vault events do not add up in {tx_hash}: {problem}",
            hint="Read the vault's events from its creation block (or block 0), not later.",
        )
        self.problem = problem
        self.tx_hash = tx_hash


class UnexpectedAnswer(InternalError):
    """`source` answered `answer` where its protocol says otherwise."""

    def __init__(self, source: str, problem: str, *, answer: object = None) -> None:
        super().__init__(
            f"{source}: {problem}" + ("" if answer is None else f" (got {answer!r})"),
            hint="The node or bundler does not speak the expected JSON-RPC; check its URL.",
        )
        self.source, self.problem, self.answer = source, problem, answer
