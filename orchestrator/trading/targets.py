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
