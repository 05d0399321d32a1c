"""The web app on a real anvil market: a module-wide market (6 tokens), and per test a
fresh app (its own facade thread, sessions and journal) over the market at its deployed
state. `Page` is an httpx client on the ASGI app that sends this server's own Origin on
state-changing requests, and an owner key that signs what the browser would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from orchestrator.service import (
    LOCAL_BUNDLER_ACCOUNT,
    LocalMarket,
    Session,
    load_history,
    open_local_market,
)
from orchestrator.web import PageState, create_app

WEB_TOKENS = 6
ORIGIN = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def web_market() -> Iterator[LocalMarket]:
    market = open_local_market(chain_target="anvil", tokens=WEB_TOKENS)
    try:
        yield market
    finally:
        market.close()


class Clock:
    """The sessions' wall clock (quote expiry), moved by a test; starts at real time."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset_s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def page_state(web_market: LocalMarket, tmp_path: Path, clock: Clock) -> PageState:
    """The market is shared by the module's tests (no revert: the bundler key's nonce
    lives in the market); each test has its own owner, so its own account and vault."""
    history = load_history(None, tokens=len(web_market.book.tokens))

    def opener(owner: str | None) -> Session:
        return web_market.session(
            owner=owner,
            journal=tmp_path / "journal.sqlite",
            history=history,
            keeper_journal=tmp_path / "keeper.sqlite",
            wall_clock=clock,
        )

    return PageState(network="anvil-test", opener=opener, faucet=True)


@dataclass
class Page:
    client: TestClient
    market: LocalMarket
    owner: LocalAccount

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params)

    def post(self, path: str, body: dict[str, Any], origin: str | None = ORIGIN) -> httpx.Response:
        headers = {} if origin is None else {"origin": origin}
        return self.client.post(path, json=body, headers=headers)

    def sign(self, request: dict[str, Any], key: LocalAccount | None = None) -> str:
        """What the browser does: sign the op's EIP-712 hash with the owner key."""
        digest = bytes.fromhex(request["user_op_hash"][2:])
        signed = (key or self.owner).unsafe_sign_hash(digest)
        return "0x" + bytes(signed.signature).hex()

    def sends(self) -> int:
        """Transactions the bundler key has sent: every user operation goes through it."""
        bundler = self.market.chain.accounts[LOCAL_BUNDLER_ACCOUNT].address
        return self.market.chain.tx_count(bundler)


@pytest.fixture
def page(
    page_state: PageState, web_market: LocalMarket, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """The app over httpx (Starlette's TestClient runs the ASGI app and its lifespan)."""
    owner = Account.from_key(keccak(text=f"web page owner {request.node.name}"))
    with TestClient(create_app(page_state), base_url=ORIGIN) as client:
        yield Page(client, web_market, owner)
