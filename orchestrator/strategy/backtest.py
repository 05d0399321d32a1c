"""Weekly backtest of the strategy against the passive index and BTC alone, net of costs.

Every date of the history (weekly in the shared data), in this order:
1. **Renames** (identity.RENAMES): a held coin whose symbol disappears while its successor
   appears carries over unit for unit.
2. **Vanished-coin rule**: a held coin absent from today's data (or whose symbol now
   names another coin, identity.is_identity_break) is sold today at a conservative mark:
       mark = last price * min(1, smallest listed cap today / its last cap) * (1 - haircut)
   The data lists the top coins by cap, so a coin that left it is worth at most the
   smallest listed cap: the mark assumes its cap fell to at least that bound and then
   takes the haircut (default 25%) for selling a coin in free fall. The platform fee and
   gas are charged as on any sell (the haircut stands in for slippage). Never dropped
   silently: it is a trade with reason "vanished" (or "identity break").
3. **Regime**: the signal (candidates.signal_points, the keeper's function) on the data up
   to today; bear = hold only USDC.
4. **Targets**: weights.py on today's snapshot (the passive index uses the same).
5. **Trades at today's prices**: sells first, then buys funded by the cash (scaled down if
   costs would overdraw it). A held coin is traded only when its value is off target by
   more than `rebalance_band` x target; exits, entries and regime switches always trade,
   except that a buy or rebalance leg whose gas exceeds 2% of its notional is skipped.
6. NAV = cash (USDC) + units x price, after the trades. The USDC balance earns
   `cash_yield` a year (simple interest between dates, before the trades); default 0.

The snapshot prices are the previous day's close; the rebalance is assumed to trade at
them (the slippage model carries the difference). The final NAV is marked to market (no
final sale). The NAV path can be rebuilt from the trades (ledger.replay_navs).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from orchestrator.domain.units import BPS
from orchestrator.errors import InputError
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory
from orchestrator.strategy.candidates import RegimePoint, signal_readings
from orchestrator.strategy.config import DEFAULT_CONFIG, StrategyConfig
from orchestrator.strategy.costs import trade_cost
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions
from orchestrator.strategy.identity import is_identity_break, successor
from orchestrator.strategy.ledger import NavPoint, Rename, Run, Side, Trade
from orchestrator.strategy.signal import Regime
from orchestrator.strategy.weights import target_weights

__all__ = ["DUST_GAS_SHARE", "BacktestResult", "index_weights", "run_backtest", "simulate"]

DUST_GAS_SHARE = Decimal("0.02")
BENCHMARK_COIN = "BTC"  # the single-coin benchmark beside the passive index
TargetsFn = Callable[[datetime.date], Mapping[str, int] | None]


@dataclass(frozen=True)
class BacktestResult:
    source_label: str
    config: StrategyConfig
    strategy: Run
    passive: Run
    btc: Run
    readings: tuple[RegimePoint, ...]  # the signal on every backtest date


class _Book:
    """Mutable state of one simulated portfolio (private to `simulate`)."""

    def __init__(self, cash: Decimal) -> None:
        self.cash = cash
        self.units: dict[str, Decimal] = {}
        self.trades: list[Trade] = []
        self.renames: list[Rename] = []

    def sell(
        self,
        snap_price: Decimal,
        volume: Decimal,
        symbol: str,
        units: Decimal,
        date: datetime.date,
        reason: str,
        config: StrategyConfig,
        slippage_free: bool = False,
    ) -> None:
        notional = units * snap_price
        cost = trade_cost(notional, volume, config.costs)
        slippage = Decimal(0) if slippage_free else cost.slippage
        # a near-worthless coin (a vanished one) cannot make the cash negative: its gas is
        # capped at what the sale and the cash balance can pay
        gas = min(cost.gas, max(self.cash + notional - cost.fee - slippage, Decimal(0)))
        self.cash += notional - cost.fee - slippage - gas
        left = self.units[symbol] - units
        if left == 0:
            del self.units[symbol]
        else:
            self.units[symbol] = left
        self.trades.append(
            Trade(
                date,
                symbol,
                Side.SELL,
                units,
                snap_price,
                notional,
                cost.fee,
                slippage,
                gas,
                reason,
            )
        )

    def buy(
        self, snap: AssetSnapshot, notional: Decimal, reason: str, config: StrategyConfig
    ) -> None:
        cost = trade_cost(notional, snap.volume_24h_usd, config.costs)
        units = (notional - cost.fee - cost.slippage) / snap.price_usd
        self.cash -= notional + cost.gas
        self.units[snap.symbol] = self.units.get(snap.symbol, Decimal(0)) + units
        self.trades.append(
            Trade(
                snap.date,
                snap.symbol,
                Side.BUY,
                units,
                snap.price_usd,
                notional,
                cost.fee,
                cost.slippage,
                cost.gas,
                reason,
            )
        )


def _handle_missing(
    book: _Book,
    today: Mapping[str, AssetSnapshot],
    before: Mapping[str, AssetSnapshot],
    date: datetime.date,
    config: StrategyConfig,
) -> None:
    """Steps 1 and 2: renames, then the vanished-coin rule."""
    floor_cap = min(s.market_cap_usd for s in today.values())
    haircut = 1 - config.backtest.vanish_haircut
    for symbol in sorted(book.units):
        last = before[symbol]
        now = today.get(symbol)
        if now is not None and not is_identity_break(last, now):
            continue
        if now is None:
            new = successor(symbol, today, before)
            if new is not None and new not in book.units:
                book.units[new] = book.units.pop(symbol)
                book.renames.append(Rename(date, symbol, new, book.units[new]))
                continue
            bound = min(Decimal(1), floor_cap / last.market_cap_usd) if last.market_cap_usd else 1
            mark, reason = last.price_usd * bound * haircut, "vanished"
        else:
            mark, reason = last.price_usd * haircut, "identity break"
        book.sell(
            mark,
            last.volume_24h_usd,
            symbol,
            book.units[symbol],
            date,
            reason,
            config,
            slippage_free=True,
        )


def _rebalance(
    book: _Book,
    today: Mapping[str, AssetSnapshot],
    weights: Mapping[str, int],
    switched: bool,
    config: StrategyConfig,
) -> None:
    """Step 5: sells, then buys (see the module docstring)."""
    nav = book.cash + sum(u * today[s].price_usd for s, u in book.units.items())
    band = config.backtest.rebalance_band
    gas = config.costs.gas_per_leg_usd
    for symbol in sorted(book.units):
        snap = today[symbol]
        value = book.units[symbol] * snap.price_usd
        target = nav * weights.get(symbol, 0) / BPS
        if target == 0:
            reason = "regime" if switched else "exit"
            book.sell(
                snap.price_usd,
                snap.volume_24h_usd,
                symbol,
                book.units[symbol],
                snap.date,
                reason,
                config,
            )
        elif value - target > band * target and gas <= DUST_GAS_SHARE * (value - target):
            units = (value - target) / snap.price_usd
            book.sell(
                snap.price_usd, snap.volume_24h_usd, symbol, units, snap.date, "rebalance", config
            )
    legs: list[tuple[AssetSnapshot, Decimal, str]] = []
    for symbol, bps in weights.items():
        found = today.get(symbol)
        if found is None:  # a benchmark's coin missing today: nothing to buy
            continue
        snap = found
        value = book.units.get(symbol, Decimal(0)) * snap.price_usd
        need = nav * bps / BPS - value
        held = symbol in book.units
        if (not held or need > band * (value + need)) and gas <= DUST_GAS_SHARE * need:
            legs.append((snap, need, "rebalance" if held else "regime" if switched else "enter"))
    total = sum((n for _, n, _ in legs), Decimal(0))
    spendable = book.cash - gas * len(legs)
    if total <= 0 or spendable <= 0:
        return
    scale = min(Decimal(1), spendable / total)
    for snap, need, reason in legs:
        notional = min(need * scale, book.cash - gas)  # Decimal rounding never overdraws
        if notional > 0:
            book.buy(snap, notional, reason, config)


def simulate(
    name: str,
    history: MarketHistory,
    dates: tuple[datetime.date, ...],
    targets: TargetsFn,
    config: StrategyConfig = DEFAULT_CONFIG,
) -> Run:
    """Run one portfolio: `targets(date)` gives the weights in bps, or None for all USDC."""
    book = _Book(config.backtest.initial_nav_usd)
    navs: list[NavPoint] = []
    before: Mapping[str, AssetSnapshot] = {}
    was_invested = True
    previous: datetime.date | None = None
    cash_yield = config.backtest.cash_yield
    for date in dates:
        today = {s.symbol: s for s in history.snapshot(date)}
        if previous is not None and cash_yield and book.cash > 0:
            book.cash += book.cash * cash_yield * (date - previous).days / 365
        previous = date
        if book.units:
            _handle_missing(book, today, before, date, config)
        weights = targets(date)
        invested = weights is not None
        switched = invested != was_invested
        _rebalance(book, today, weights or {}, switched, config)
        value = sum((u * today[s].price_usd for s, u in book.units.items()), Decimal(0))
        navs.append(NavPoint(date, book.cash + value, book.cash, invested))
        before, was_invested = today, invested
    return Run(
        name, config.backtest.initial_nav_usd, tuple(navs), tuple(book.trades), tuple(book.renames)
    )


def index_weights(
    history: MarketHistory,
    dates: tuple[datetime.date, ...],
    config: StrategyConfig = DEFAULT_CONFIG,
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
) -> dict[datetime.date, Mapping[str, int]]:
    """The index basket (weights.py) on every date; reusable across signal settings."""
    return {
        date: target_weights(
            history.snapshot(date), config.weights, config.universe, exclusions=exclusions
        ).weights_bps
        for date in dates
    }


def run_backtest(
    history: MarketHistory,
    config: StrategyConfig = DEFAULT_CONFIG,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
    index: Mapping[datetime.date, Mapping[str, int]] | None = None,
    points: Sequence[RegimePoint] | None = None,
) -> BacktestResult:
    """Strategy, passive index (same universe and caps, always invested) and BTC alone.

    The signal replays every close of the history up to each date (it is causal), so data
    before `start` warms it up. `index` may carry precomputed `index_weights`, `points`
    the precomputed signal (candidates.signal_readings over the whole history).
    """
    dates = history.dates_between(start, end)
    if len(dates) < 2:
        raise InputError(
            f"the backtest needs at least 2 dates; {history.source_label} has {len(dates)} "
            f"between {start or 'its start'} and {end or 'its end'}",
            hint=f"The data covers {history.dates[0]} to {history.dates[-1]}.",
        )
    weights = index if index is not None else index_weights(history, dates, config, exclusions)
    if points is None:
        points = signal_readings(history, config, exclusions)
    readings = {p.date: p for p in points}
    known = [readings[d].regime for d in history.dates]  # the signal is causal
    lag = config.backtest.signal_lag
    regimes = {
        date: known[i - lag] if i >= lag else Regime.BULL for i, date in enumerate(history.dates)
    }

    def strategy(date: datetime.date) -> Mapping[str, int] | None:
        return weights[date] if regimes[date] is Regime.BULL else None

    btc = BENCHMARK_COIN
    return BacktestResult(
        source_label=history.source_label,
        config=config,
        strategy=simulate("strategy", history, dates, strategy, config),
        passive=simulate("passive", history, dates, weights.__getitem__, config),
        btc=simulate("btc", history, dates, lambda d: {btc: BPS}, config),
        readings=tuple(readings[d] for d in dates if d in readings),
    )
