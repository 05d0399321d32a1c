"""Performance metrics of one backtest run, computed from its Decimal NAV path.

The series is the initial NAV followed by the NAV after each date's trades, so entry
costs count. Returns are period (weekly) simple returns; periods per year = number of
returns / years elapsed.

    final_nav       NAV on the last date, USD (marked to market, no final sale)
    cagr            (final / initial) ** (1 / years) - 1
    volatility      sample standard deviation of the returns * sqrt(periods per year)
    max_drawdown    largest fall from a running peak, as a positive fraction (0.8 = -80%)
    sharpe          mean return * periods per year / volatility (risk-free rate 0)
    calmar          cagr / max_drawdown
    turnover        traded notional (buys + sells) / mean NAV, per year
    switches        regime changes (bull <-> bear) during the run
    time_in_market  share of dates on which the regime allowed holding coins

Ratios are floats (they are statistics, not money); None when undefined (e.g. zero
volatility or zero drawdown), which JSON shows as null.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from decimal import Decimal
from itertools import pairwise

from orchestrator.errors import InputError
from orchestrator.strategy.ledger import Run

__all__ = ["Metrics", "compute_metrics", "max_drawdown"]


@dataclass(frozen=True)
class Metrics:
    final_nav: Decimal
    cagr: float
    volatility: float | None
    max_drawdown: float
    sharpe: float | None
    calmar: float | None
    turnover: float
    switches: int
    time_in_market: float

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["final_nav"] = float(round(self.final_nav, 2))
        return data


def max_drawdown(navs: list[Decimal]) -> Decimal:
    """Largest peak-to-trough fall as a positive fraction of the peak."""
    peak = navs[0]
    worst = Decimal(0)
    for nav in navs:
        peak = max(peak, nav)
        if peak > 0:
            worst = max(worst, 1 - nav / peak)
    return worst


def compute_metrics(run: Run) -> Metrics:
    series = [run.initial_nav, *(p.nav for p in run.navs)]
    years = (run.navs[-1].date - run.navs[0].date).days / 365.25
    final = series[-1]
    growth = float(final / run.initial_nav)
    if years <= 0:
        raise InputError("metrics need at least two distinct dates", hint="Widen the range.")
    cagr = growth ** (1 / years) - 1 if growth > 0 else -1.0
    returns = [float(b / a - 1) for a, b in pairwise(series) if a > 0]
    per_year = len(returns) / years
    volatility = sharpe = None
    if len(returns) >= 2:
        volatility = statistics.stdev(returns) * math.sqrt(per_year)
        if volatility > 0:
            sharpe = statistics.fmean(returns) * per_year / volatility
    drawdown = float(max_drawdown(series))
    mean_nav = sum(series, Decimal(0)) / len(series)
    traded = sum((t.notional for t in run.trades), Decimal(0))
    turnover = float(traded / mean_nav) / years if mean_nav > 0 else 0.0
    invested = [p.invested for p in run.navs]
    return Metrics(
        final_nav=final,
        cagr=cagr,
        volatility=volatility,
        max_drawdown=drawdown,
        sharpe=sharpe,
        calmar=cagr / drawdown if drawdown > 0 else None,
        turnover=turnover,
        switches=sum(1 for a, b in pairwise(invested) if a != b),
        time_in_market=sum(invested) / len(invested),
    )
