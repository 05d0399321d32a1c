"""The facade both front ends (CLI, web) call. Orchestrates; holds no business rules.

Foundation scope: open a chain and build a local market from a snapshot, quote and swap.
Later features (buy/sell previews, keeper cycles) add their entry points here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from orchestrator.chain import Chain, Transactor, connect
from orchestrator.chain.bindings import bind_ours
from orchestrator.chain.uniswap import (
    Quote,
    QuoteRequest,
    pool_states,
    quote_exact_input_single,
    swap_exact_input_single,
)
from orchestrator.errors import InputError
from orchestrator.localmarket import AddressBook, MarketConfig, deploy_market
from orchestrator.localmarket.report import PoolRow, pool_rows
from orchestrator.market.snapshot import (
    AssetSnapshot,
    MarketHistory,
    load_market_csv,
    synthetic_market,
)

__all__ = ["LocalMarket", "SwapOutcome", "load_history", "open_local_market", "select_assets"]

QUOTE_TOKEN = "USDC"  # noqa: S105 - a token symbol, not a secret


def load_history(market_data: Path | None, *, tokens: int = 100) -> MarketHistory:
    """A CSV snapshot file, or the seeded synthetic market when none is given (sized so
    that `tokens` assets remain once USDC, the quote token, is set aside)."""
    if market_data is not None:
        return load_market_csv(market_data)
    return synthetic_market(n_assets=max(100, tokens + 1))


def select_assets(
    history: MarketHistory, date: datetime.date | None, count: int
) -> list[AssetSnapshot]:
    """The `count` largest assets on `date` (latest when None), USDC excluded: it is the
    quote token every pool trades against."""
    if count < 1:
        raise InputError(f"a market needs at least one token, got {count}")
    rows = history.snapshot(date) if date is not None else history.latest()
    return [row for row in rows if row.symbol.upper() != QUOTE_TOKEN][:count]


@dataclass(frozen=True)
class SwapOutcome:
    symbol: str
    amount_in_usdc: int  # base units (6 decimals)
    quoted_out: int  # base units of the token
    received_out: int
    gas_used: int


@dataclass
class LocalMarket:
    chain: Chain
    deployer: Transactor
    book: AddressBook

    def close(self) -> None:
        self.chain.close()

    def pool_rows(self) -> list[PoolRow]:
        states = pool_states(
            self.chain.w3, self.book.contracts.multicall3, [t.pool for t in self.book.tokens]
        )
        return pool_rows(self.book.tokens, states)

    def fund_usdc(self, address: str, amount: int) -> None:
        usdc = bind_ours(self.chain.w3, "TestToken", self.book.contracts.usdc)
        self.deployer.send(usdc.functions.mint(address, amount), gas=100_000)

    def buy_token_with_usdc(self, symbol: str, amount_in_usdc: int) -> SwapOutcome:
        """Quote with QuoterV2, then swap through SwapRouter02 with min-out = the quote."""
        if amount_in_usdc <= 0:
            raise InputError(f"amount must be positive, got {amount_in_usdc} base units")
        token = self.book.token(symbol)
        c = self.book.contracts
        request = QuoteRequest(c.usdc, token.address, token.fee, amount_in_usdc)
        quote: Quote = quote_exact_input_single(self.chain.w3, c.quoter_v2, request)
        erc20 = bind_ours(self.chain.w3, "TestToken", token.address)
        before = int(erc20.functions.balanceOf(self.deployer.address).call())
        receipt = swap_exact_input_single(
            self.deployer, c.swap_router02, request, amount_out_min=quote.amount_out
        )
        after = int(erc20.functions.balanceOf(self.deployer.address).call())
        return SwapOutcome(
            symbol, amount_in_usdc, quote.amount_out, after - before, int(receipt["gasUsed"])
        )


def open_local_market(
    *,
    chain_target: str = "eth_tester",
    market_data: Path | None = None,
    date: datetime.date | None = None,
    tokens: int = 100,
    config: MarketConfig | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> LocalMarket:
    """Start (or connect to) a local chain and deploy a market from a snapshot on it."""
    history = load_history(market_data, tokens=tokens)
    assets = select_assets(history, date, tokens)
    chain = connect(chain_target)
    try:
        if not chain.is_local:
            raise InputError(
                f"{chain.label} is not a local chain: the test market mints tokens at will",
                hint="Use `eth_tester` or `anvil`; on a testnet, use its address book.",
            )
        deployer = Transactor(chain, chain.accounts[0])
        progress(f"market data: {history.source_label}, {assets[0].date}, {len(assets)} tokens")
        book = deploy_market(
            chain, deployer, assets,
            market_source=history.source_label,
            market_is_synthetic=history.is_synthetic,
            config=config or MarketConfig(),
            progress=progress,
        )  # fmt: skip
    except BaseException:
        chain.close()
        raise
    return LocalMarket(chain=chain, deployer=deployer, book=book)


def usd(amount_base_units: int, decimals: int) -> Decimal:
    """Base units to a Decimal amount, for display only."""
    return Decimal(amount_base_units).scaleb(-decimals)
