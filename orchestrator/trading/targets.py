"""This week's targets and regime, from the strategy, for the tokens a network can trade;
and the date a local market or a test trades on (`trading_date`)."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from orchestrator.errors import InputError
from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy import DEFAULT_CONFIG, StrategyConfig
from orchestrator.strategy.candidates import RegimePoint, signal_readings
from orchestrator.strategy.signal import Regime
from orchestrator.strategy.weights import target_weights

__all__ = ["Targets", "current_targets", "trading_date"]


@dataclass(frozen=True)
class Targets:
    date: datetime.date
    weights_bps: dict[str, int]
    reading: RegimePoint

    @property
    def regime(self) -> Regime:
        return self.reading.regime


def current_targets(
    history: MarketHistory,
    date: datetime.date,
    tradable: Collection[str],
    config: StrategyConfig = DEFAULT_CONFIG,
) -> Targets:
    """Capped weights among `tradable` symbols and the signal (the backtest's), on `date`."""
    weights = target_weights(
        history.snapshot(date), config.weights, config.universe, tradable=tradable
    )
    by_date = {p.date: p for p in signal_readings(history, config)}
    reading = by_date.get(date)
    if reading is None:
        raise InputError(
            f"no signal reading on {date.isoformat()}",
            hint="Pick a date the market data has a snapshot for.",
        )
    return Targets(date, dict(weights.weights_bps), reading)


def trading_date(
    history: MarketHistory,
    config: StrategyConfig = DEFAULT_CONFIG,
    *,
    regime: Regime = Regime.BULL,
) -> datetime.date:
    """The latest date on which the signal reads `regime` (warmed up): by default the
    latest invested date; the latest date of the history when there is none. The local
    market is priced on it and tests that need the index invested (or in USDC) trade on it,
    instead of a hard-coded date that another signal could read differently."""
    points = signal_readings(history, config)
    for point in reversed(points):
        if point.regime is regime and not point.warming_up:
            return point.date
    return history.dates[-1]
