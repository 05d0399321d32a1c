"""What the index page's tile and gauge show, for any front end: the index level and its
change since the previous week, the constituents, the next rebalance, the regime and the
signal's gauge with its thresholds, hysteresis band and last switch.

The index level is the passive capped index chained weekly from the market history:
100 at `base_date`, and each week the basket set at the start of the week (this
strategy's capped weights, among the tokens the network trades) carried at the market's
closes to the end of it. It is the same basket the vaults hold in a bull regime; fees,
gas and slippage are not in it (the backtest has them).
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from orchestrator.chain.calls import call_raw
from orchestrator.chain.vault_binding import BALANCE_OF
from orchestrator.domain.units import Bps, UsdcUnits, Wei, usdc_units
from orchestrator.errors import ConfigError
from orchestrator.keeper.schedule import next_weekly_s
from orchestrator.market.snapshot import MarketHistory
from orchestrator.service.session import Session
from orchestrator.service.signal_reading import SignalReading, read_signal
from orchestrator.strategy import DEFAULT_CONFIG
from orchestrator.trading.targets import current_targets

__all__ = [
    "EXPLORERS",
    "AccountView",
    "ChainHead",
    "IndexOverview",
    "account_view",
    "chain_head",
    "index_level",
    "index_overview",
    "next_rebalance_after",
    "session_overview",
]

INDEX_BASE = Decimal(100)
LEVEL_WEEKS = 12  # how far back the level is chained from (a quarter: ~0.1 s a week)
# Block explorers of the public networks we know (None on local chains: no explorer).
EXPLORERS: dict[int, str] = {
    1: "https://etherscan.io",
    11155111: "https://sepolia.etherscan.io",
    8453: "https://basescan.org",
    84532: "https://sepolia.basescan.org",
}


class IndexOverview(BaseModel):
    model_config = ConfigDict(frozen=True)

    network: str
    chain_id: int
    is_local: bool
    explorer_url: str | None  # prefix for /tx/<hash>; None on local chains
    market_date: datetime.date
    market_source: str
    market_is_synthetic: bool
    constituents: int  # tokens with a target weight this week
    weights_bps: dict[str, int]
    index_level: Decimal  # base 100 at base_date
    base_date: datetime.date
    previous_week_date: datetime.date
    change_week_bps: int  # level now vs the previous week's, in bps
    next_rebalance_s: int  # the keeper's weekly run (Monday 00:00 UTC) after the chain's now
    chain_time_s: int
    regime: str
    signal: SignalReading  # the live signal (strategy.candidates), as `indexvault signal` shows it


def _weekly_dates(history: MarketHistory, end: datetime.date, weeks: int) -> list[datetime.date]:
    """Available dates about 7 days apart, ending at the last available one <= `end`."""
    dates: list[datetime.date] = []
    day = end
    for _ in range(weeks + 1):
        available = history.dates_between(None, day)
        if not available:
            break
        dates.append(available[-1])
        day = available[-1] - datetime.timedelta(days=7)
    return dates[::-1]


def index_level(
    history: MarketHistory, end: datetime.date, tradable: list[str], *, weeks: int = LEVEL_WEEKS
) -> list[tuple[datetime.date, Decimal]]:
    """The chained level (see the module docstring), one point per week, oldest first."""
    dates = _weekly_dates(history, end, weeks)
    level = INDEX_BASE
    points = [(dates[0], level)]
    for start, stop in itertools.pairwise(dates):
        weights = current_targets(history, start, tradable).weights_bps
        before = {a.symbol: a.price_usd for a in history.snapshot(start)}
        after = {a.symbol: a.price_usd for a in history.snapshot(stop)}
        held = [s for s in weights if before.get(s) and s in after]
        total = sum(weights[s] for s in held)
        if total:
            weighted = sum((Decimal(weights[s]) * after[s] / before[s] for s in held), Decimal(0))
            growth = weighted / total
            level = level * growth
        points.append((stop, level))
    return points


def index_overview(
    history: MarketHistory,
    *,
    network: str,
    chain_id: int,
    is_local: bool,
    market_date: datetime.date,
    tradable: list[str],
    chain_time_s: int,
) -> IndexOverview:
    targets = current_targets(history, market_date, tradable)
    points = index_level(history, market_date, tradable)
    previous_date, previous = points[-2] if len(points) > 1 else points[-1]
    level = points[-1][1]
    change = int((level / previous - 1) * 10_000) if previous else 0
    return IndexOverview(
        network=network,
        chain_id=chain_id,
        is_local=is_local,
        explorer_url=None if is_local else EXPLORERS.get(chain_id),
        market_date=market_date,
        market_source=history.source_label,
        market_is_synthetic=history.is_synthetic,
        constituents=sum(1 for bps in targets.weights_bps.values() if bps > 0),
        weights_bps=dict(targets.weights_bps),
        index_level=level.quantize(Decimal("0.01")),
        base_date=points[0][0],
        previous_week_date=previous_date,
        change_week_bps=change,
        next_rebalance_s=next_weekly_s(chain_time_s),
        chain_time_s=chain_time_s,
        regime=targets.regime.value,
        signal=read_signal(history, market_date, DEFAULT_CONFIG),
    )


def session_overview(session: Session, network: str) -> IndexOverview:
    """The overview of the network a session is on (no owner needed)."""
    if session.history is None:
        raise ConfigError("this network has no market history: no index to show")
    return index_overview(
        session.history,
        network=network,
        chain_id=session.chain.chain_id,
        is_local=session.chain.is_local,
        market_date=datetime.date.fromisoformat(session.book.market_date),
        tradable=[t.symbol for t in session.book.tokens],
        chain_time_s=session.timestamp(),
    )


class ChainHead(BaseModel):
    """The latest block: a page polls it and refreshes when the number moves."""

    model_config = ConfigDict(frozen=True)

    chain_id: int
    is_local: bool  # a local chain: test funds can be minted, no explorer
    block_number: int
    timestamp_s: int


def chain_head(session: Session) -> ChainHead:
    chain = session.chain
    return ChainHead(
        chain_id=chain.chain_id,
        is_local=chain.is_local,
        block_number=chain.block_number(),
        timestamp_s=chain.timestamp(),
    )


class AccountView(BaseModel):
    """An owner's smart account and vault, with what the account holds to trade with."""

    model_config = ConfigDict(frozen=True)

    owner: str  # the key that signs
    account: str  # its ERC-4337 smart account (counterfactual until the first operation)
    account_deployed: bool
    vault: str
    vault_exists: bool
    usdc_balance: UsdcUnits  # the smart account's USDC, base units
    eth_balance_wei: Wei
    eth_price_usdc: UsdcUnits | None
    fee_bps: Bps


def account_view(session: Session) -> AccountView:
    ctx = session.trading
    account = ctx.account.address
    usdc = ctx.book.contracts.usdc
    raw = call_raw(ctx.chain, usdc, BALANCE_OF.call(account))
    return AccountView(
        owner=ctx.owner,
        account=account,
        account_deployed=bool(ctx.chain.code(account)),
        vault=ctx.vault_address(),
        vault_exists=ctx.vault_exists(),
        usdc_balance=usdc_units(int(BALANCE_OF.decode(raw)[0])),
        eth_balance_wei=Wei(ctx.chain.balance_wei(account)),
        eth_price_usdc=ctx.eth_price_usdc(),
        fee_bps=ctx.fee_bps(),
    )


def next_rebalance_after(now_s: int) -> int:
    """The keeper's weekly run (Monday 00:00 UTC) after `now_s`."""
    return next_weekly_s(now_s)
