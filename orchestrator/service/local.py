"""Local chains with a test market: the persistent local network (`local up`, `advance`),
and in-process markets (the demo, tests, benchmarks) with their own sessions.

A test market mints tokens at will and moves prices with real swaps; none of this works
on a public network, and every entry point here refuses one plainly.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from orchestrator.chain import Chain, Transactor, connect
from orchestrator.chain.calls import call_raw
from orchestrator.chain.localnode import DEFAULT_STATE_INTERVAL_S
from orchestrator.chain.uniswap import (
    Quote,
    QuoteRequest,
    pool_states,
    quote_exact_input_single,
    swap_exact_input_single,
)
from orchestrator.chain.vault_binding import BALANCE_OF, MINT
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import BPS, ONE_USDC
from orchestrator.errors import ConfigError, InputError, TransientError
from orchestrator.execution.userop_submitter import UserOpSubmitter
from orchestrator.keeper.cycle import CycleReport, Keeper
from orchestrator.keeper.journal import KeeperJournal
from orchestrator.keeper.reads import discover_vaults
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket import AddressBook, MarketConfig, deploy_market, localnet
from orchestrator.localmarket.addressbook import TokenEntry
from orchestrator.localmarket.localnet import LocalDown, LocalStatus, LocalUp
from orchestrator.localmarket.price_moves import PriceMove, set_prices
from orchestrator.localmarket.report import PoolRow, pool_rows
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory
from orchestrator.networks import open_chain, resolve_network
from orchestrator.service.session import (
    LOCAL_KEEPER_ACCOUNT,
    Session,
    load_history,
    local_submitter,
)
from orchestrator.strategy import DEFAULT_CONFIG, StrategyConfig
from orchestrator.trading.context import TradingContext
from orchestrator.trading.reads import mid_prices, token_refs, vault_balances
from orchestrator.trading.targets import Targets, trading_date
from orchestrator.wallet.signers import Signer

__all__ = [
    "LocalMarket",
    "SwapOutcome",
    "fund_account",
    "fund_test_account",
    "local_advance",
    "local_down",
    "local_reset_warning",
    "local_status",
    "local_up",
    "open_local_market",
    "select_assets",
    "usd",
]

QUOTE_TOKEN = "USDC"  # noqa: S105 - a token symbol, not a secret
GAS_MINT = 100_000
TRADER_ACCOUNT = 6  # the dev account that plays "another trader" moving prices


def select_assets(
    history: MarketHistory, date: datetime.date | None, count: int
) -> list[AssetSnapshot]:
    """The `count` largest assets on `date`, USDC excluded: it is the quote token every
    pool trades against. When `date` is None: the latest date on which the signal is
    invested (targets.trading_date), so that a fresh local market buys the index."""
    if count < 1:
        raise InputError(f"a market needs at least one token, got {count}")
    rows = history.snapshot(date if date is not None else trading_date(history))
    return [row for row in rows if row.symbol.upper() != QUOTE_TOKEN][:count]


def usd(amount_base_units: int, decimals: int) -> Decimal:
    """Base units to a Decimal amount, for display only."""
    return Decimal(amount_base_units).scaleb(-decimals)


def _require_local(chain: Chain, why: str, hint: str) -> None:
    if not chain.is_local:
        raise InputError(f"{chain.label} is not a local chain: {why}", hint=hint)


def fund_account(
    chain: Chain, book: AddressBook, account: str, usdc_amount: int, *, eth_wei: int
) -> None:
    """Local chains only: mint test USDC to `account` and give it ETH."""
    _require_local(
        chain,
        "test funds cannot be minted there",
        "Send USDC and ETH to your smart account from another wallet.",
    )
    minter = Transactor(chain, chain.accounts[0])
    minter.send({"to": book.contracts.usdc, "data": MINT.call(account, usdc_amount)}, gas=GAS_MINT)
    chain.set_balance(account, eth_wei)


def fund_test_account(ctx: TradingContext, usdc_amount: int, *, eth_wei: int) -> None:
    """`fund_account` for a trading context's smart account (tests, benchmarks)."""
    fund_account(ctx.chain, ctx.book, ctx.account.address, usdc_amount, eth_wei=eth_wei)


@dataclass(frozen=True)
class SwapOutcome:
    symbol: str
    amount_in_usdc: int  # base units (6 decimals)
    quoted_out: int  # base units of the token
    received_out: int
    gas_used: int


@dataclass
class LocalMarket:
    """A test market on a local chain this process opened (closing it closes the chain)."""

    chain: Chain
    deployer: Transactor
    book: AddressBook
    _submitter: UserOpSubmitter | None = field(default=None, repr=False)

    def close(self) -> None:
        self.chain.close()

    # -- the market ------------------------------------------------------------------------
    def pool_rows(self) -> list[PoolRow]:
        states = pool_states(
            self.chain, self.book.contracts.multicall3, [t.pool for t in self.book.tokens]
        )
        return pool_rows(self.book.tokens, states)

    def fund_usdc(self, address: str, amount: int) -> None:
        self.deployer.send(
            {"to": self.book.contracts.usdc, "data": MINT.call(address, amount)}, gas=GAS_MINT
        )

    def _balance(self, token: str, holder: str) -> int:
        return int(BALANCE_OF.decode(call_raw(self.chain, token, BALANCE_OF.call(holder)))[0])

    def buy_token_with_usdc(self, symbol: str, amount_in_usdc: int) -> SwapOutcome:
        """Quote with QuoterV2, then swap through SwapRouter02 with min-out = the quote."""
        if amount_in_usdc <= 0:
            raise InputError(f"amount must be positive, got {amount_in_usdc} base units")
        token = self.book.token(symbol)
        c = self.book.contracts
        request = QuoteRequest(c.usdc, token.address, token.fee, amount_in_usdc)
        quote: Quote = quote_exact_input_single(self.chain, c.quoter_v2, request)
        before = self._balance(token.address, self.deployer.address)
        receipt = swap_exact_input_single(
            self.deployer, c.swap_router02, request, amount_out_min=quote.amount_out
        )
        after = self._balance(token.address, self.deployer.address)
        return SwapOutcome(
            symbol, amount_in_usdc, quote.amount_out, after - before, int(receipt["gasUsed"])
        )

    def set_prices(self, prices_usd: Mapping[str, Decimal]) -> list[PriceMove]:
        """Another trader moves each pool to its target USD price with one real swap."""
        return set_prices(self, prices_usd)

    def push_prices(self, moves_bps: Mapping[str, int]) -> None:
        """Another trader swaps against the pools: a positive move buys the token with USDC
        (its price rises), a negative one sells freshly minted tokens (it falls). Sizes are
        a share of the pool's seeded depth, so the move is roughly `moves_bps`."""
        trader = Transactor(self.chain, self.chain.accounts[TRADER_ACCOUNT])
        self.deployer.resync()  # other code sent from the deployer's key since
        c = self.book.contracts
        for symbol, move in moves_bps.items():
            token: TokenEntry = self.book.token(symbol)
            depth_usdc = int(token.seeded_depth_usd) * ONE_USDC // 2
            size_usdc = depth_usdc * abs(move) // 20_000
            if move > 0:
                self.fund_usdc(trader.address, size_usdc)
                request = QuoteRequest(c.usdc, token.address, token.fee, size_usdc)
            else:
                amount = size_usdc * 10**token.decimals // int(token.snapshot_price_usd * ONE_USDC)
                mint = MINT.call(trader.address, amount)
                self.deployer.send({"to": token.address, "data": mint}, gas=GAS_MINT)
                request = QuoteRequest(token.address, c.usdc, token.fee, amount)
            swap_exact_input_single(trader, c.swap_router02, request, amount_out_min=0)

    # -- its clock -------------------------------------------------------------------------
    def timestamp(self) -> int:
        return self.chain.timestamp()

    def advance(self, seconds: int) -> None:
        """Move the chain's clock forward and mine a block at the new time."""
        self.chain.increase_time(seconds)

    # -- people on it ----------------------------------------------------------------------
    def session(
        self,
        signer: Signer | None = None,
        *,
        journal: Path,
        owner: str | None = None,
        history: MarketHistory | None,
        keeper_journal: Path | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> Session:
        """An owner's session on this market, with its journal at `journal`. Every session
        of one market shares its bundler key (one nonce counter: no race). Without a
        signer, `owner` (or None) reads, and confirms with signatures made elsewhere."""
        if self._submitter is None:
            self._submitter = local_submitter(self.chain, self.book, None)
        opened = Journal(journal)
        return Session(
            self.chain,
            self.book,
            journal=opened,
            history=history,
            owner=owner,
            signer=signer,
            submitter=self._submitter,
            keeper_journal=keeper_journal,
            wall_clock=wall_clock or time.time,
            on_close=(opened.close,),
        )

    def keeper_run(self, targets: Targets, *, journal: Path) -> CycleReport:
        """One run of the local dev keeper with these targets, journaled at `journal`."""
        key = Transactor(self.chain, self.chain.accounts[LOCAL_KEEPER_ACCOUNT])
        with KeeperJournal(journal) as opened:
            keeper = Keeper(self.chain, self.book, opened, key, sleep=lambda _s: None)
            return keeper.run_once(targets)


def open_local_market(
    *,
    chain_target: str = "eth_tester",
    market_data: Path | None = None,
    date: datetime.date | None = None,
    tokens: int = 100,
    assets: Sequence[AssetSnapshot] | None = None,
    history: MarketHistory | None = None,
    config: MarketConfig | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> LocalMarket:
    """Start (or connect to) a local chain and deploy a market on it: `assets` if given,
    else the `tokens` largest of the snapshot on `date` (`market_data`, or synthetic)."""
    history = history or load_history(market_data, tokens=tokens)
    chosen = list(assets) if assets is not None else select_assets(history, date, tokens)
    chain = connect(chain_target)
    try:
        _require_local(
            chain,
            "the test market mints tokens at will",
            "Use `eth_tester` or `anvil`; on a testnet, use its address book.",
        )
        deployer = Transactor(chain, chain.accounts[0])
        if assets is None:
            progress(f"market data: {history.source_label}, {chosen[0].date}, {len(chosen)} tokens")
        book = deploy_market(
            chain, deployer, chosen,
            market_source=history.source_label,
            market_is_synthetic=history.is_synthetic,
            config=config or MarketConfig(),
            progress=progress,
        )  # fmt: skip
    except BaseException:
        chain.close()
        raise
    return LocalMarket(chain=chain, deployer=deployer, book=book)


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
    """Start or resume the local node ($INDEXVAULT_HOME/local) with its market and bundler.
    A new market needs at least 1 / cap tokens (each is capped): fewer is refused here,
    before anything starts, rather than by every command after it."""
    check_market_size(tokens)

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


def check_market_size(tokens: int, config: StrategyConfig = DEFAULT_CONFIG) -> None:
    least = -(-BPS // config.weights.cap_bps)
    if tokens < least:
        raise InputError(
            f"a market of {tokens} token{'s' if tokens != 1 else ''} cannot hold the index: "
            f"each asset is capped at {config.weights.cap:.0%} of it, so it needs at least "
            f"{least} tokens",
            hint=f"Use --tokens {least} or more.",
        )


def local_reset_warning() -> str | None:
    """What `local up --reset` would throw away, with the vaults on the chain and their
    value when the node is running."""
    lost = localnet.reset_warning()
    if lost is None:
        return None
    vaults = _vaults_on_local_chain()
    return lost if vaults is None else f"{lost}; {vaults}"


def _vaults_on_local_chain() -> str | None:
    """'3 vaults worth $7,271.80 at mid prices' (None: the node is not running)."""
    try:
        config = resolve_network("local")
        with open_chain(config) as (chain, book):
            found = discover_vaults(
                chain, book.contracts.vault_factory, from_block=0, to_block=chain.block_number()
            )
            refs = token_refs(book)
            prices = mid_prices(chain, book, refs) if found else {}
            total = 0
            for vault, _owner, _block in found:
                held = vault_balances(chain, book, vault)
                total += held.usdc
                for ref in refs:
                    amount = held.tokens.get(ref.symbol, 0)
                    if amount:
                        is0 = token_is_token0(ref.address, book.contracts.usdc)
                        total += value_in_usdc(amount, prices[ref.symbol], token_is_0=is0)
    except (TransientError, ConfigError):
        return None
    value = f"${Decimal(total).scaleb(-6):,.2f}"
    return f"{len(found)} vault{'s' if len(found) != 1 else ''} worth {value} at mid prices"


def local_advance(seconds: int) -> int:
    """Local network only: move the persistent chain's clock forward (TWAP windows, mandate
    intervals, a week to the next cycle). Returns the new chain time."""
    if seconds <= 0:
        raise InputError(f"the time to advance must be positive, got {seconds} s")
    config = resolve_network("local")
    with open_chain(config) as (chain, _book):
        chain.increase_time(seconds)
        return chain.timestamp()
