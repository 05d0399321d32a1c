"""Ledger errors: each carries the quote id, file or values that caused it, and a hint.

InputError (orchestrator.errors)
├── UnknownQuote             no preview (or no submission) was journaled under that quote id
├── QuoteConflict            the same quote id recorded again with different content
├── QuoteNotConfirmed        a submission for a preview the user never confirmed
├── QuoteExpired             a confirmation after the preview's expiry
├── AlreadySubmitted         the quote id (or user operation) was submitted before: never twice
└── MissingPrice             a held token has no price to value it at
ConfigError
└── JournalUnusable          the journal file is not a journal, or its schema is newer
ChainError
└── EventsInconsistent       a vault's events do not add up (read from too late a block?)
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.errors import ChainError, ConfigError, InputError

__all__ = [
    "AlreadySubmitted",
    "EventsInconsistent",
    "JournalUnusable",
    "MissingPrice",
    "QuoteConflict",
    "QuoteExpired",
    "QuoteNotConfirmed",
    "UnknownQuote",
]


class UnknownQuote(InputError):
    def __init__(self, quote_id: str, *, what: str = "preview") -> None:
        super().__init__(
            f"no {what} is journaled for quote {quote_id!r}",
            hint="Preview the action first; its quote id is what confirms and submits it.",
        )
        self.quote_id = quote_id
        self.what = what


class QuoteConflict(InputError):
    def __init__(self, quote_id: str, *, field: str, recorded: object, given: object) -> None:
        super().__init__(
            f"quote {quote_id!r} already has {field} = {recorded!r}; refusing {given!r}",
            hint="A quote id names one action: preview again to get a new quote id.",
        )
        self.quote_id = quote_id
        self.field = field
        self.recorded = recorded
        self.given = given


class QuoteNotConfirmed(InputError):
    def __init__(self, quote_id: str) -> None:
        super().__init__(
            f"quote {quote_id!r} was never confirmed; nothing may be submitted for it",
            hint="Record the user's confirmation before submitting.",
        )
        self.quote_id = quote_id


class QuoteExpired(InputError):
    def __init__(self, quote_id: str, *, expires_at_s: int, confirmed_at_s: int) -> None:
        super().__init__(
            f"quote {quote_id!r} expired at {expires_at_s}, confirmation came at {confirmed_at_s}",
            hint="Preview again: prices may have moved since this quote.",
        )
        self.quote_id = quote_id
        self.expires_at_s = expires_at_s
        self.confirmed_at_s = confirmed_at_s


class AlreadySubmitted(InputError):
    """The never-submit-twice guard. `state` is the earlier submission's state
    ("submitted", "included", "failed" or "dropped")."""

    def __init__(self, quote_id: str, user_op_hash: str, state: str) -> None:
        super().__init__(
            f"quote {quote_id!r} was already submitted as user operation {user_op_hash} "
            f"(state: {state}); it is never sent twice",
            hint=(
                "Look at that submission's outcome (`reconcile` settles an unfinished one); "
                "to act again, preview again."
            ),
        )
        self.quote_id = quote_id
        self.user_op_hash = user_op_hash
        self.state = state


class MissingPrice(InputError):
    def __init__(self, tokens: Sequence[str]) -> None:
        super().__init__(
            f"no price for {len(tokens)} held token(s): {', '.join(tokens)}",
            hint="Pass a price for every token the vault holds (quote them or read the pools).",
        )
        self.tokens = tuple(tokens)


class JournalUnusable(ConfigError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(
            f"journal {path}: {problem}",
            hint="Point the journal at its own file; never edit or downgrade it by hand.",
        )
        self.path = path
        self.problem = problem


class EventsInconsistent(ChainError):
    def __init__(self, problem: str, *, tx_hash: str) -> None:
        super().__init__(
            f"vault events do not add up in {tx_hash}: {problem}",
            hint="Read the vault's events from its creation block (or block 0), not later.",
        )
        self.problem = problem
        self.tx_hash = tx_hash
