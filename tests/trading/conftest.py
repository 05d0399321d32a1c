"""A funded owner with a smart account on the module's market, and a journal file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from orchestrator.chain.bindings import bind_ours
from orchestrator.ledger.journal import Journal
from orchestrator.service import LocalMarket, fund_test_account, load_history, trading_context
from orchestrator.trading.context import TradingContext

USDC = 10**6
FUNDED_USDC = 50_000 * USDC


@dataclass
class Clock:
    now_s: float = 1_800_000_000.0
    calls: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now_s


@dataclass
class Trader:
    market: LocalMarket
    ctx: TradingContext
    clock: Clock
    journal: Journal
    owner: LocalAccount  # the smart account owner's key

    def usdc_of(self, holder: str) -> int:
        usdc = bind_ours(self.market.chain.w3, "TestToken", self.market.book.contracts.usdc)
        return int(usdc.functions.balanceOf(holder).call())

    def balance_of(self, token: str, holder: str) -> int:
        erc20 = bind_ours(self.market.chain.w3, "TestToken", token)
        return int(erc20.functions.balanceOf(holder).call())

    def nonce(self) -> int:
        return self.ctx.account.nonce(self.market.chain)


@pytest.fixture
def trader(
    fresh_market: LocalMarket, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Trader]:
    owner = Account.from_key(keccak(text=f"trader {request.node.name}"))
    clock = Clock()
    with Journal(tmp_path / "journal.sqlite") as journal:
        ctx = trading_context(
            fresh_market.chain,
            fresh_market.book,
            owner,
            journal=journal,
            history=load_history(None, tokens=len(fresh_market.book.tokens)),
            wall_clock=clock,
        )
        fund_test_account(ctx, FUNDED_USDC, eth_wei=10**18)
        yield Trader(fresh_market, ctx, clock, journal, owner)
