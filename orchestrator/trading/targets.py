"""This week's targets and regime, from the strategy, for the tokens a network can trade."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy import DEFAULT_CONFIG, StrategyConfig, closes_of, regime_at
from orchestrator.strategy.signal import Regime, RegimeReading
from orchestrator.strategy.weights import target_weights


@dataclass(frozen=True)
class Targets:
    date: datetime.date
    weights_bps: dict[str, int]
    reading: RegimeReading

    @property
    def regime(self) -> Regime:
        return self.reading.regime


def current_targets(
    history: MarketHistory,
    date: datetime.date,
    tradable: Collection[str],
    config: StrategyConfig = DEFAULT_CONFIG,
) -> Targets:
    """Capped weights among `tradable` symbols and the BTC signal, on `date`."""
    weights = target_weights(
        history.snapshot(date), config.weights, config.universe, tradable=tradable
    )
    reading = regime_at(closes_of(history, config.signal.symbol), date, config.signal)
    return Targets(date, dict(weights.weights_bps), reading)


def trading_date(history: MarketHistory, config: StrategyConfig = DEFAULT_CONFIG) -> datetime.date:
    """The latest date of `history` on which the strategy is invested (its regime reads
    bull), so that a market built for that date, and a buy on it, holds coins and not only
    USDC; the latest date when the signal never reads bull. Every caller that picks "the
    market's date" for a test market goes through this one function."""
    closes = closes_of(history, config.signal.symbol)
    if not closes:
        return history.dates[-1]
    for date in reversed(history.dates):
        if regime_at(closes, date, config.signal).regime is Regime.BULL:
            return date
    return history.dates[-1]
