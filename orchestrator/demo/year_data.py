"""The simulated year of `make demo`, the pure part: which weeks, which tokens, which
prices, and the arithmetic of the final table. No chain here.

- Window: `weeks + 1` consecutive weekly dates (week 0 buys, then `weeks` keeper runs),
  chosen from the data, never hard-coded: the strategy's regime (the live signal,
  replayed over the whole history) must be bull and settled (not warming up) on week 0, so
  both vaults start fully invested; among such windows the one with a switch in both
  directions wins, then the one with the most switches, then the earliest.
- Tokens: the largest `count` members of the strategy's universe on week 0 (stablecoins,
  wrapped and pegged duplicates excluded), so every pool is one the index can hold.
- Prices: each week's snapshot price. A token missing from a week's snapshot (it left the
  top 100) is marked as the backtest marks it (strategy/backtest.py, vanished-coin rule):
  its last price x min(1, smallest listed cap / its last cap) x (1 - haircut), held until
  it is listed again; never silently carried at its last price.
- Money: NAVs are integers in USDC base units; returns and drawdowns integers in bps.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from orchestrator.errors import InputError, InvalidValue
from orchestrator.service.models import BPS
from orchestrator.service.strategy import (
    DEFAULT_CONFIG,
    AssetSnapshot,
    MarketHistory,
    Regime,
    StrategyConfig,
    select_universe,
    signal_readings,
)

__all__ = [
    "Switch",
    "Vanished",
    "YearWindow",
    "choose_window",
    "max_drawdown_bps",
    "return_bps",
    "weekly_prices",
    "year_assets",
]


@dataclass(frozen=True)
class Switch:
    date: datetime.date
    to: Regime


@dataclass(frozen=True)
class YearWindow:
    dates: tuple[datetime.date, ...]  # week 0 (the buys) then one date per keeper run
    switches: tuple[Switch, ...]  # regime changes after week 0, inside the window

    @property
    def both_directions(self) -> bool:
        return len({s.to for s in self.switches}) == 2


def choose_window(
    history: MarketHistory, weeks: int, config: StrategyConfig = DEFAULT_CONFIG
) -> YearWindow:
    """The window of `weeks` keeper runs (see the module docstring for the rule).
    InputError when the data is too short or has no window that starts in a settled bull."""
    if weeks < 1:
        raise InputError(f"the year needs at least one week, got {weeks}")
    dates = history.dates
    if len(dates) < weeks + 1:
        raise InputError(
            f"{history.source_label} has {len(dates)} weekly dates; the year needs {weeks + 1}",
            hint="Use data with more weeks, or fewer weeks (--year-weeks).",
        )
    readings = {r.date: r for r in signal_readings(history, config)}
    best: tuple[tuple[int, int, int], YearWindow] | None = None
    for start in range(len(dates) - weeks):
        window = dates[start : start + weeks + 1]
        first = readings.get(window[0])
        if first is None or first.warming_up or first.regime is not Regime.BULL:
            continue
        seen = [readings[d] for d in window if d in readings]
        switches = tuple(
            Switch(b.date, b.regime) for a, b in pairwise(seen)
            if b.regime is not a.regime
        )  # fmt: skip
        candidate = YearWindow(tuple(window), switches)
        score = (int(candidate.both_directions), len(switches), -start)
        if best is None or score > best[0]:
            best = (score, candidate)
    if best is None:
        raise InputError(
            f"no {weeks + 1}-week window of {history.source_label} starts in a settled bull regime",
            hint="Use longer data, or fewer weeks (--year-weeks).",
        )
    return best[1]


def year_assets(
    history: MarketHistory,
    date: datetime.date,
    count: int,
    config: StrategyConfig = DEFAULT_CONFIG,
) -> list[AssetSnapshot]:
    """The `count` largest universe members on `date` (USDC, the quote token, is excluded
    with the other stablecoins)."""
    members = select_universe(history.snapshot(date), config.universe).members
    chosen = [m for m in members if m.symbol.upper() != "USDC"][:count]
    if len(chosen) < count:
        raise InputError(f"{history.source_label} has {len(chosen)} index members on {date}, "
                         f"not {count}")  # fmt: skip
    return chosen


@dataclass(frozen=True)
class Vanished:
    date: datetime.date
    symbol: str
    last_price_usd: Decimal
    mark_usd: Decimal


def weekly_prices(
    history: MarketHistory,
    dates: Sequence[datetime.date],
    symbols: Sequence[str],
    config: StrategyConfig = DEFAULT_CONFIG,
) -> tuple[list[dict[str, Decimal]], list[Vanished]]:
    """Each date's USD price of every symbol (the vanished-coin mark when it is missing),
    and the marks applied. Every symbol must be listed on the first date."""
    haircut = 1 - config.backtest.vanish_haircut
    last: dict[str, AssetSnapshot] = {}
    marks: dict[str, Decimal] = {}
    rows: list[dict[str, Decimal]] = []
    vanished: list[Vanished] = []
    for date in dates:
        today = {s.symbol: s for s in history.snapshot(date)}
        floor_cap = min(s.market_cap_usd for s in today.values())
        row: dict[str, Decimal] = {}
        for symbol in symbols:
            snap = today.get(symbol)
            if snap is not None:
                last[symbol] = snap
                marks.pop(symbol, None)
                row[symbol] = snap.price_usd
                continue
            if symbol not in last:
                raise InputError(f"{symbol} is not listed on {date}, the year's first week")
            if symbol not in marks:
                before = last[symbol]
                bound = min(Decimal(1), floor_cap / before.market_cap_usd)
                marks[symbol] = (before.price_usd * bound * haircut).normalize()
                vanished.append(Vanished(date, symbol, before.price_usd, marks[symbol]))
            row[symbol] = marks[symbol]
        rows.append(row)
    return rows, vanished


def return_bps(start: int, end: int) -> int:
    """(end - start) / start in bps, rounded toward zero."""
    if start <= 0:
        raise InvalidValue(
            f"a return needs a positive start, got {start}", name="start", value=start
        )
    change = end - start
    return change * BPS // start if change >= 0 else -(-change * BPS // start)


def max_drawdown_bps(navs: Sequence[int]) -> int:
    """The largest fall from a running peak, in bps of that peak (0: never below a peak)."""
    peak, worst = 0, 0
    for nav in navs:
        peak = max(peak, nav)
        if peak > 0:
            worst = max(worst, (peak - nav) * BPS // peak)
    return worst
