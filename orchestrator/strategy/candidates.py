"""The regime signal, every candidate kind: pure functions over the weekly series.

`signal_points(series, config)` is the one signal function: the backtest, the walk-forward
harness, the keeper's targets and `indexvault signal` all reach it (`signal_readings`
builds the series from a MarketHistory first). Every kind is causal: the point on a date
depends only on the series up to that date (tests/strategy/test_strategy_walkforward.py
poisons the future to check it).

Kinds (SignalConfig.kind; every threshold is a field of SignalConfig):
- `trend`: a coin's close vs its `window_days` simple average, a ±`band` hysteresis band,
  `confirm` consecutive observations (signal.regime_path: today's rule and its variants).
- `index_trend`: the same rule on the index's own level (`index_levels`: capped market-cap
  weights of the universe, costless, the vanished-coin mark for a coin that left the data).
- `breadth`: the share of the universe (the top N eligible coins of the date) whose close
  is above its own `window_days` average; bear when the share falls below `exit_below`,
  bull when it rises above `enter_above`, each on `confirm` consecutive observations.
  A coin counts once its first close is `window_days` old (to within a week).
- `drawdown`: bear when the index level is more than `stop` below its high since the last
  entry; back in after `cooloff_days` in USDC, the high reset to the re-entry level.
- `volatility`: the index's annualised volatility of weekly returns over `window_days`;
  bear when it rises above `exit_below`, bull when it falls below `enter_above`.
- `vote`: bull when at least `need` of the `members` read bull.

Warm-up: until a kind's window is covered the point reads bull (invested, like the
passive index) and is flagged `warming_up`.

Gauges (0-100, rising with how bullish the measure is):
- trend kinds: signal.gauge_of(distance): 50 at the average, 0/100 at ∓50%;
- breadth: the share in percent (the thresholds are the enter/exit shares in percent);
- drawdown: 100 at the high, 50 at the stop, 0 at twice the stop;
- volatility: 100 - 50 x volatility (50 at 100% a year), clipped;
- vote: the share of members reading bull, in percent.
"""

from __future__ import annotations

import datetime
import math
import statistics
import weakref
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from orchestrator.errors import InputError
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory
from orchestrator.strategy.config import SignalConfig, StrategyConfig, UniverseConfig
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions
from orchestrator.strategy.signal import (
    WARMUP_TOLERANCE_DAYS,
    Close,
    Regime,
    gauge_of,
    regime_path,
)
from orchestrator.strategy.universe import select_universe
from orchestrator.strategy.weights import capped_weights

__all__ = [
    "INDEX_KINDS",
    "RegimePoint",
    "SignalSeries",
    "gauge_thresholds",
    "index_levels",
    "last_switch",
    "needs_index",
    "signal_points",
    "signal_readings",
    "signal_series",
]

INDEX_KINDS = frozenset({"index_trend", "drawdown", "volatility"})
DEFAULT_VANISH_HAIRCUT = Decimal("0.25")


@dataclass(frozen=True)
class RegimePoint:
    """The signal on one date: regime, gauge and the measure it was read from."""

    date: datetime.date
    regime: Regime
    gauge: int  # 0-100
    value: Decimal  # distance to the average, breadth share, drawdown, volatility, votes
    streak: int  # consecutive observations beyond the threshold that would flip the regime
    warming_up: bool
    switched: bool  # the regime changed on this date


@dataclass(frozen=True)
class SignalSeries:
    """What the signals read, aligned with `dates` (None: the coin is absent that date)."""

    dates: tuple[datetime.date, ...]
    prices: Mapping[str, tuple[Decimal | None, ...]]
    members: tuple[frozenset[str], ...]  # the universe of each date
    index_level: tuple[Decimal, ...] | None  # None: not computed (no index kind asked)
    source_label: str = "the data"


def needs_index(config: SignalConfig) -> bool:
    if config.kind == "vote":
        return any(needs_index(m) for m in config.members)
    return config.kind in INDEX_KINDS


def _level_weights(
    snaps: Mapping[str, AssetSnapshot], members: frozenset[str], cap: Decimal
) -> dict[str, Fraction]:
    values = {s: Fraction(snaps[s].market_cap_usd) for s in members if snaps[s].market_cap_usd}
    caps = {s: Fraction(cap) for s in values}
    if not values:
        return {}
    if sum(caps.values(), Fraction(0)) < 1:  # too few coins for the cap: uncapped
        total = sum(values.values(), Fraction(0))
        return {s: v / total for s, v in values.items()}
    return capped_weights(values, caps)


def index_levels(
    history: MarketHistory,
    members: Sequence[frozenset[str]],
    cap: Decimal,
    haircut: Decimal = DEFAULT_VANISH_HAIRCUT,
) -> tuple[Decimal, ...]:
    """The index's level (1 on the first date), costless: each date's growth is the last
    date's capped market-cap weights of the universe (weights.capped_weights, before the
    minimum weight and the rounding to bps) x each coin's price ratio; a coin absent
    today is marked as the backtest's vanished-coin rule marks it (capped at the smallest
    listed cap, then the haircut)."""
    levels = [Decimal(1)]
    dates = history.dates
    old = {s.symbol: s for s in history.snapshot(dates[0])}
    weights = _level_weights(old, members[0], cap)
    for i in range(1, len(dates)):
        new = {s.symbol: s for s in history.snapshot(dates[i])}
        floor_cap = min(s.market_cap_usd for s in new.values())
        growth = Fraction(0)
        for symbol, weight in weights.items():
            last = old[symbol]
            now = new.get(symbol)
            if now is not None:
                ratio = Fraction(now.price_usd) / Fraction(last.price_usd)
            else:
                bound = (
                    min(Fraction(1), Fraction(floor_cap) / Fraction(last.market_cap_usd))
                    if last.market_cap_usd
                    else Fraction(1)
                )
                ratio = bound * (1 - Fraction(haircut))
            growth += ratio * weight
        level = levels[-1] * Decimal(growth.numerator) / Decimal(growth.denominator)
        levels.append(level if weights else levels[-1])
        old, weights = new, _level_weights(new, members[i], cap)
    return tuple(levels)


def signal_series(
    history: MarketHistory,
    *,
    universe: UniverseConfig | None = None,
    cap: Decimal = Decimal("0.25"),
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
    haircut: Decimal = DEFAULT_VANISH_HAIRCUT,
    with_index: bool = True,
) -> SignalSeries:
    """Prices and universes of every date, and the index level (unless `with_index` is
    False: the trend and breadth kinds do not read it)."""
    dates = history.dates
    prices: dict[str, list[Decimal | None]] = {}
    members: list[frozenset[str]] = []
    config = universe or UniverseConfig()
    for i, date in enumerate(dates):
        snaps = history.snapshot(date)
        for snap in snaps:
            prices.setdefault(snap.symbol, [None] * len(dates))[i] = snap.price_usd
        members.append(frozenset(select_universe(snaps, config, exclusions).symbols))
    level = index_levels(history, members, cap, haircut) if with_index else None
    return SignalSeries(
        dates,
        {s: tuple(p) for s, p in prices.items()},
        tuple(members),
        level,
        history.source_label,
    )


def _gauge(value: Decimal) -> int:
    clipped = min(max(value, Decimal(0)), Decimal(100))
    return int(clipped.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _trend(
    dates: Sequence[datetime.date], values: Sequence[Decimal | None], config: SignalConfig
) -> tuple[RegimePoint, ...]:
    """signal.regime_path on the dates with a value; a gap carries the last point over."""
    closes = [Close(d, v) for d, v in zip(dates, values, strict=True) if v is not None]
    readings = {r.date: r for r in regime_path(closes, config)}
    points: list[RegimePoint] = []
    for date in dates:
        r = readings.get(date)
        if r is not None:
            points.append(
                RegimePoint(date, r.regime, r.gauge, r.distance, r.streak, r.warming_up, r.switched)
            )
        elif points:
            last = points[-1]
            points.append(
                RegimePoint(
                    date, last.regime, last.gauge, last.value, last.streak, last.warming_up, False
                )
            )
        else:
            points.append(RegimePoint(date, Regime.BULL, 50, Decimal(0), 0, True, False))
    return tuple(points)


def _hysteresis(
    dates: Sequence[datetime.date],
    values: Sequence[Decimal | None],
    gauges: Sequence[int],
    enter_above: Decimal,
    exit_below: Decimal,
    confirm: int,
) -> tuple[RegimePoint, ...]:
    """Bull -> bear below `exit_below`, bear -> bull above `enter_above`, each `confirm`
    observations in a row; a None value is warm-up (bull)."""
    points: list[RegimePoint] = []
    regime, streak = Regime.BULL, 0
    for date, value, gauge in zip(dates, values, gauges, strict=True):
        switched = False
        if value is None:
            regime, streak = Regime.BULL, 0
        else:
            beyond = value < exit_below if regime is Regime.BULL else value > enter_above
            streak = streak + 1 if beyond else 0
            if streak >= confirm:
                regime = Regime.BEAR if regime is Regime.BULL else Regime.BULL
                streak, switched = 0, True
        shown = value if value is not None else Decimal(0)
        points.append(RegimePoint(date, regime, gauge, shown, streak, value is None, switched))
    return tuple(points)


def _covered(first: datetime.date, date: datetime.date, window_days: int) -> bool:
    return (date - first).days + WARMUP_TOLERANCE_DAYS >= window_days


def _breadth(series: SignalSeries, config: SignalConfig) -> tuple[RegimePoint, ...]:
    dates, window = series.dates, config.window_days
    above = [0] * len(dates)
    counted = [0] * len(dates)
    for symbol, prices in series.prices.items():
        queue: deque[tuple[datetime.date, Decimal]] = deque()
        total = Decimal(0)
        first: datetime.date | None = None
        for i, (date, price) in enumerate(zip(dates, prices, strict=True)):
            if price is None:
                continue
            first = first or date
            queue.append((date, price))
            total += price
            while (date - queue[0][0]).days >= window:
                total -= queue.popleft()[1]
            if symbol in series.members[i] and _covered(first, date, window):
                counted[i] += 1
                above[i] += price * len(queue) > total
    values: list[Decimal | None] = []
    for i, date in enumerate(dates):
        ok = counted[i] > 0 and _covered(dates[0], date, window)
        values.append(Decimal(above[i]) / counted[i] if ok else None)
    gauges = [_gauge(v * 100) if v is not None else 50 for v in values]
    return _hysteresis(dates, values, gauges, config.enter_above, config.exit_below, config.confirm)


def _level(series: SignalSeries, config: SignalConfig) -> tuple[Decimal, ...]:
    if series.index_level is None:
        raise ValueError(f"signal kind {config.kind} needs the index level (pass `index`)")
    return series.index_level


def _drawdown(series: SignalSeries, config: SignalConfig) -> tuple[RegimePoint, ...]:
    points: list[RegimePoint] = []
    regime, peak, out_since = Regime.BULL, Decimal(0), series.dates[0]
    for date, level in zip(series.dates, _level(series, config), strict=True):
        switched = False
        if regime is Regime.BULL:
            peak = max(peak, level)
            if 1 - level / peak > config.stop:
                regime, out_since, switched = Regime.BEAR, date, True
        elif (date - out_since).days >= config.cooloff_days:
            regime, peak, switched = Regime.BULL, level, True
        drawdown = 1 - level / peak if peak > 0 else Decimal(0)
        gauge = _gauge(100 - 50 * drawdown / config.stop)
        points.append(RegimePoint(date, regime, gauge, drawdown, 0, False, switched))
    return tuple(points)


def _volatility(series: SignalSeries, config: SignalConfig) -> tuple[RegimePoint, ...]:
    dates, levels = series.dates, _level(series, config)
    values: list[Decimal | None] = [None]
    gauges = [50]
    for i in range(1, len(dates)):
        window = [
            math.log(levels[j] / levels[j - 1])
            for j in range(1, i + 1)
            if (dates[i] - dates[j]).days < config.window_days
        ]
        if len(window) < 2 or not _covered(dates[0], dates[i], config.window_days):
            values.append(None)
            gauges.append(50)
            continue
        gap_days = (dates[i] - dates[0]).days / i
        vol = statistics.stdev(window) * math.sqrt(365.25 / gap_days)
        vol_dec = Decimal(str(round(vol, 6)))
        values.append(-vol_dec)  # the hysteresis reads "above is bullish"
        gauges.append(_gauge(100 - 50 * vol_dec))
    points = _hysteresis(
        dates, values, gauges, -config.enter_above, -config.exit_below, config.confirm
    )
    return tuple(
        RegimePoint(p.date, p.regime, p.gauge, -p.value, p.streak, p.warming_up, p.switched)
        for p in points
    )


def _vote(series: SignalSeries, config: SignalConfig) -> tuple[RegimePoint, ...]:
    paths = [signal_points(series, m) for m in config.members]
    points: list[RegimePoint] = []
    regime = Regime.BULL
    for i, date in enumerate(series.dates):
        bulls = sum(1 for p in paths if p[i].regime is Regime.BULL)
        new = Regime.BULL if bulls >= config.need else Regime.BEAR
        share = Decimal(bulls) / len(paths)
        warming = all(p[i].warming_up for p in paths)
        points.append(
            RegimePoint(date, new, _gauge(share * 100), share, 0, warming, new is not regime)
        )
        regime = new
    return tuple(points)


def signal_points(series: SignalSeries, config: SignalConfig) -> tuple[RegimePoint, ...]:
    """The signal on every date of `series` (see the module docstring)."""
    if config.kind == "trend":
        if config.symbol not in series.prices:
            raise InputError(
                f"{config.symbol} never appears in {series.source_label}",
                hint="The signal needs that coin's prices; use data that includes it.",
            )
        return _trend(series.dates, series.prices[config.symbol], config)
    if config.kind == "index_trend":
        return _trend(series.dates, _level(series, config), config)
    if config.kind == "breadth":
        return _breadth(series, config)
    if config.kind == "drawdown":
        return _drawdown(series, config)
    if config.kind == "volatility":
        return _volatility(series, config)
    return _vote(series, config)


def signal_readings(
    history: MarketHistory,
    config: StrategyConfig,
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
) -> tuple[RegimePoint, ...]:
    """The signal of `config` on every date of `history`: the keeper's targets, the
    backtest and `indexvault signal` all come through here. Remembered per history object
    (a MarketHistory is immutable), so a session's repeated reads replay it once."""
    memo = _MEMO.setdefault(history, [])
    for seen_config, seen_exclusions, points in memo:
        if seen_config == config and seen_exclusions is exclusions:
            return points
    series = signal_series(
        history,
        universe=config.universe,
        cap=config.weights.cap,
        exclusions=exclusions,
        haircut=config.backtest.vanish_haircut,
        with_index=needs_index(config.signal),
    )
    points = signal_points(series, config.signal)
    memo.append((config, exclusions, points))
    return points


_MEMO: weakref.WeakKeyDictionary[
    MarketHistory, list[tuple[StrategyConfig, Exclusions, tuple[RegimePoint, ...]]]
] = weakref.WeakKeyDictionary()


def last_switch(points: Sequence[RegimePoint], date: datetime.date) -> RegimePoint | None:
    """The latest point on or before `date` where the regime changed."""
    found = None
    for point in points:
        if point.date > date:
            break
        if point.switched:
            found = point
    return found


def gauge_thresholds(config: SignalConfig) -> tuple[int, int]:
    """(bear below, bull above) on the 0-100 gauge of `config`'s kind."""
    if config.kind in ("trend", "index_trend"):
        return gauge_of(-config.band), gauge_of(config.band)
    if config.kind == "breadth":
        return _gauge(config.exit_below * 100), _gauge(config.enter_above * 100)
    if config.kind == "drawdown":
        return 50, 50
    if config.kind == "volatility":
        return _gauge(100 - 50 * config.exit_below), _gauge(100 - 50 * config.enter_above)
    n = len(config.members)
    return _gauge(Decimal(100 * config.need) / n), _gauge(Decimal(100 * config.need) / n)
