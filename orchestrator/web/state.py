"""What the server keeps between requests, touched only on the facade thread: one session
per owner (opened on first use), the previews it handed out for review and the signing
requests it handed out for signature, by quote id.

The journal (inside the facade) is what makes a quote id executable once; this state only
lets a second confirmation of the same quote id answer plainly (409) instead of re-quoting
a preview whose nonce has already moved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_utils.address import is_address, to_checksum_address

from orchestrator.errors import AlreadySubmitted, IndexVaultError, InputError, UnknownQuote
from orchestrator.service import Session
from orchestrator.service.models import Execution, Preview, SigningRequest
from orchestrator.service.overview import IndexOverview, chain_head, session_overview

__all__ = ["PageState", "Reviewed"]

Opener = Callable[[str | None], Session]


@dataclass
class Reviewed:
    """A preview handed to the page, and what became of it."""

    owner: str
    preview: Preview
    request: SigningRequest | None = None
    execution: Execution | None = None


@dataclass
class PageState:
    network: str
    opener: Opener
    faucet: bool | None  # a local chain: the page may mint test funds (None: ask the chain)
    sessions: dict[str | None, Session] = field(default_factory=dict)
    reviewed: dict[str, Reviewed] = field(default_factory=dict)
    overview: IndexOverview | None = None  # the index part changes with the market date only

    def session(self, owner: str | None = None) -> Session:
        key = None if owner is None else checked_owner(owner)
        if key not in self.sessions:
            self.sessions[key] = self.opener(key)
        return self.sessions[key]

    def index_overview(self) -> IndexOverview:
        """The overview, computed once per server (the index level reads 12 weeks of the
        market history; it changes with the market date only)."""
        if self.overview is None:
            self.overview = session_overview(self.session(), self.network)
        return self.overview

    def warm(self) -> None:
        """Open the market's session and compute the overview before the first page asks
        (run on the facade thread at startup); a failure is left for the routes to report."""
        with contextlib.suppress(IndexVaultError):
            self.index_overview()

    def can_fund(self) -> bool:
        if self.faucet is None:
            self.faucet = chain_head(self.session()).is_local
        return self.faucet

    def remember(self, owner: str, preview: Preview) -> Preview:
        self.reviewed[preview.quote_id] = Reviewed(checked_owner(owner), preview)
        return preview

    def pending(self, quote_id: str) -> Reviewed:
        """A reviewed quote id not confirmed yet (UnknownQuote, AlreadySubmitted)."""
        found = self.reviewed.get(quote_id)
        if found is None:
            raise UnknownQuote(quote_id)
        if found.execution is not None:
            done = found.execution
            raise AlreadySubmitted(quote_id, done.user_op_hash, "included")
        return found

    def close(self) -> None:
        while self.sessions:
            _, session = self.sessions.popitem()
            session.close()


def checked_owner(text: str) -> str:
    if not (text.startswith("0x") and is_address(text)):
        raise InputError(
            f"{text!r} is not an owner address",
            hint="Create or import a wallet on the page first (a 0x… address, 40 hex digits).",
        )
    return to_checksum_address(text)
