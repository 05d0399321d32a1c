"""The facade both front ends (CLI, web) call. Orchestrates; holds no business rules.

Local markets (open, fund, swap), and trading: `open_trading` / `trading_context` give a
TradingContext for one owner; the flows themselves are `orchestrator.trading`'s
`preview_buy`, `preview_sell`, `preview_withdraw`, `confirm`, `holdings`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from eth_account.signers.local import LocalAccount

from orchestrator.chain import Chain, Transactor, connect
from orchestrator.chain.localnode import DEFAULT_STATE_INTERVAL_S
from orchestrator.chain.uniswap import (
    Quote,
    QuoteRequest,
    pool_states,
    quote_exact_input_single,
    swap_exact_input_single,
)
from orchestrator.errors import InputError
from orchestrator.execution.userop_submitter import submitter_for
from orchestrator.keeper.cycle import Keeper
from orchestrator.keeper.journal import Action, Cycle, KeeperJournal
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket import AddressBook, MarketConfig, deploy_market, localnet
from orchestrator.localmarket.localnet import LocalDown, LocalStatus, LocalUp
from orchestrator.localmarket.report import PoolRow, pool_rows
from orchestrator.market.snapshot import (
    AssetSnapshot,
    MarketHistory,
    load_market_csv,
    synthetic_market,
)
from orchestrator.networks import indexvault_home, open_chain, resolve_network
from orchestrator.trading.context import TradingContext
from orchestrator.trading.targets import Targets, current_targets

__all__ = [
    "LocalMarket",
    "SwapOutcome",
    "fund_test_account",
    "load_history",
    "local_down",
    "local_reset_warning",
    "local_status",
    "local_up",
    "open_local_market",
    "open_trading",
    "select_assets",
    "trading_context",
]

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
            self.chain, self.book.contracts.multicall3, [t.pool for t in self.book.tokens]
        )
        return pool_rows(self.book.tokens, states)

    def fund_usdc(self, address: str, amount: int) -> None:
        usdc = self.chain.contract("TestToken", self.book.contracts.usdc)
        self.deployer.send(usdc.functions.mint(address, amount), gas=100_000)

    def buy_token_with_usdc(self, symbol: str, amount_in_usdc: int) -> SwapOutcome:
        """Quote with QuoterV2, then swap through SwapRouter02 with min-out = the quote."""
        if amount_in_usdc <= 0:
            raise InputError(f"amount must be positive, got {amount_in_usdc} base units")
        token = self.book.token(symbol)
        c = self.book.contracts
        request = QuoteRequest(c.usdc, token.address, token.fee, amount_in_usdc)
        quote: Quote = quote_exact_input_single(self.chain, c.quoter_v2, request)
        erc20 = self.chain.contract("TestToken", token.address)
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


# --- trading: the facade the CLI (and the web page) call -----------------------------------

LOCAL_BUNDLER_ACCOUNT = 1  # dev account that sends handleOps on local chains
LOCAL_KEEPER_ACCOUNT = 3  # dev account that runs the keeper on local chains


def keeper_address(chain: Chain, configured: str | None = None) -> str:
    """The keeper owners delegate to: the network's published keeper, or on a local chain
    the dev keeper account."""
    if configured:
        return configured
    if not chain.is_local:
        raise InputError(
            f"no keeper is configured for {chain.label}",
            hint="Pass --keeper ADDRESS, or set keeper_address in the network file.",
        )
    return str(chain.accounts[LOCAL_KEEPER_ACCOUNT].address)


DEMO_GAS_ETH_WEI = 10**18


def trading_context(
    chain: Chain,
    book: AddressBook,
    owner: LocalAccount,
    *,
    journal: Journal,
    history: MarketHistory | None,
    bundler_url: str | None = None,
    wall_clock: Callable[[], float] | None = None,
) -> TradingContext:
    """Wire one owner's trading on `chain`: a bundler when configured, else self-bundling
    from a dev account (local chains only)."""
    bundler_key = (
        Transactor(chain, chain.accounts[LOCAL_BUNDLER_ACCOUNT]) if chain.is_local else None
    )
    submitter = submitter_for(
        chain, book.contracts.entry_point, bundler_url=bundler_url, bundler_key=bundler_key
    )
    ctx = TradingContext(
        chain=chain, book=book, journal=journal, submitter=submitter, owner=owner, history=history
    )
    if wall_clock is not None:
        ctx.wall_clock = wall_clock
    return ctx


@contextmanager
def open_trading(network: str, owner: LocalAccount) -> Iterator[TradingContext]:
    """A trading context on a configured network, with the journal in $INDEXVAULT_HOME."""
    config = resolve_network(network)
    with open_chain(config) as (chain, book), Journal(indexvault_home() / "journal.sqlite") as j:
        history = load_history(config.market_data, tokens=len(book.tokens))
        yield trading_context(
            chain, book, owner, journal=j, history=history, bundler_url=config.bundler_url
        )


def local_up(
    *,
    tokens: int = 100,
    market_data: Path | None = None,
    reset: bool = False,
    port: int | None = None,
    chain_id: int | None = None,
    state_interval_s: int = DEFAULT_STATE_INTERVAL_S,
    progress: Callable[[str], None] = lambda _msg: None,
) -> LocalUp:
    """Start or resume the local node ($INDEXVAULT_HOME/local) with its market and bundler."""

    def assets() -> tuple[list[AssetSnapshot], str, bool]:
        history = load_history(market_data, tokens=tokens)
        return select_assets(history, None, tokens), history.source_label, history.is_synthetic

    return localnet.local_up(
        assets, market_data=market_data, reset=reset, port=port, chain_id=chain_id,
        state_interval_s=state_interval_s, progress=progress,
    )  # fmt: skip


def local_status() -> LocalStatus:
    return localnet.local_status()


def local_down() -> LocalDown:
    return localnet.local_down()


def local_reset_warning() -> str | None:
    return localnet.reset_warning()


def fund_test_account(ctx: TradingContext, usdc_amount: int, *, eth_wei: int) -> None:
    """Local chains only: mint test USDC to the owner's smart account and give it ETH."""
    if not ctx.chain.is_local:
        raise InputError(
            f"{ctx.chain.label} is not a local chain: test funds cannot be minted there",
            hint="Send USDC and ETH to your smart account from another wallet.",
        )
    usdc = ctx.chain.contract("TestToken", ctx.book.contracts.usdc)
    minter = Transactor(ctx.chain, ctx.chain.accounts[0])
    minter.send(usdc.functions.mint(ctx.account.address, usdc_amount), gas=100_000)
    ctx.chain.set_balance(ctx.account.address, eth_wei)


# --- keeper ----------------------------------------------------------------------------


def keeper_journal_path(network: str) -> Path:
    return indexvault_home() / f"keeper-{network}.sqlite"


def keeper_targets(
    history: MarketHistory, book: AddressBook, as_of: datetime.date | None = None
) -> Targets:
    """This run's targets and regime: as of `as_of`, else the network's market date (the
    same date the buy flow uses)."""
    date = as_of or datetime.date.fromisoformat(book.market_date)
    return current_targets(history, date, [t.symbol for t in book.tokens])


@contextmanager
def open_keeper(network: str, key: LocalAccount | None) -> Iterator[tuple[Keeper, MarketHistory]]:
    """The keeper on a configured network with its journal in $INDEXVAULT_HOME. `key` None:
    the local dev keeper (local chains only)."""
    config = resolve_network(network)
    with open_chain(config) as (chain, book), KeeperJournal(keeper_journal_path(network)) as j:
        if key is None:
            if not chain.is_local:
                raise InputError(
                    f"{network} is not local: the keeper needs its own key",
                    hint="Pass --wallet NAME (a keystore; password from INDEXVAULT_PASSWORD).",
                )
            key = chain.accounts[LOCAL_KEEPER_ACCOUNT]
        history = load_history(config.market_data, tokens=len(book.tokens))
        yield Keeper(chain, book, j, Transactor(chain, key)), history


def keeper_status(network: str) -> tuple[list[Cycle], list[Action]]:
    """The journal's recent cycles and the latest one's per-vault outcomes (no chain)."""
    path = keeper_journal_path(network)
    if not path.exists():
        return [], []
    with KeeperJournal(path) as j:
        cycles = j.cycles()
        return cycles, (j.actions(cycles[0].cycle_id) if cycles else [])


def local_advance(seconds: int) -> int:
    """Local network only: move the persistent chain's clock forward (TWAP windows, mandate
    intervals, a week to the next cycle). Returns the new chain time."""
    if seconds <= 0:
        raise InputError(f"the time to advance must be positive, got {seconds} s")
    config = resolve_network("local")
    with open_chain(config) as (chain, _book):
        chain.increase_time(seconds)
        return chain.timestamp()
