"""The signal as the front ends show it: `SignalReading`, one pydantic model for the CLI's
`signal` command (text and `--json`) and the web page's gauge.

The gauge (0-100) is the chosen signal's own (strategy/candidates.py): `enter_above` and
`exit_below` are the gauge values at which the regime switches, and the band between them
is the hysteresis (inside it nothing changes). For a vote the gauge is the share of
members reading bull, and `components` carries each member's own reading.
"""

from __future__ import annotations

import dataclasses
import datetime

from pydantic import BaseModel, ConfigDict

from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy.candidates import (
    RegimePoint,
    gauge_thresholds,
    last_switch,
    signal_readings,
)
from orchestrator.strategy.config import SignalConfig, StrategyConfig
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions

__all__ = ["SignalReading", "read_signal"]

MEASURES = {
    "trend": "distance of the close to its average",
    "index_trend": "distance of the index level to its average",
    "breadth": "share of the universe above its own average",
    "drawdown": "index drawdown from its high since the last entry",
    "volatility": "annualised volatility of the index",
    "vote": "share of the members reading bull",
}


class SignalReading(BaseModel):
    """The regime signal on one date (numbers a person can check by hand)."""

    model_config = ConfigDict(frozen=True)

    date: datetime.date
    kind: str
    rule: str  # the configuration in a few words, e.g. "BTC 140d ±5.0%"
    regime: str  # bull | bear
    value: int  # the 0-100 gauge
    enter_above: int  # gauge threshold: bear -> bull
    exit_below: int  # gauge threshold: bull -> bear
    band: tuple[int, int]  # (exit_below, enter_above): the hysteresis band on the gauge
    measure: str  # what the gauge is made of
    measure_value: float  # its raw value (a distance, a share, a volatility)
    warming_up: bool
    switched: bool  # the regime changed on this date
    last_switch: datetime.date | None
    last_switch_to: str | None
    components: tuple[SignalReading, ...] = ()
    source: str = ""


def _reading(
    points: tuple[RegimePoint, ...],
    signal: SignalConfig,
    day: datetime.date,
    components: tuple[SignalReading, ...],
    source: str,
) -> SignalReading:
    point = next(p for p in points if p.date == day)
    exit_below, enter_above = gauge_thresholds(signal)
    switch = last_switch(points, day)
    return SignalReading(
        date=day,
        kind=signal.kind,
        rule=signal.label,
        regime=point.regime.value,
        value=point.gauge,
        enter_above=enter_above,
        exit_below=exit_below,
        band=(exit_below, enter_above),
        measure=MEASURES[signal.kind],
        measure_value=float(point.value),
        warming_up=point.warming_up,
        switched=point.switched,
        last_switch=switch.date if switch is not None else None,
        last_switch_to=switch.regime.value if switch is not None else None,
        components=components,
        source=source,
    )


def read_signal(
    history: MarketHistory,
    day: datetime.date,
    config: StrategyConfig,
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
) -> SignalReading:
    """The reading of `config.signal` on `day` (a date of `history`; MarketDataError else)."""
    history.snapshot(day)  # an unknown date names the nearest available ones
    components = tuple(
        read_signal(history, day, dataclasses.replace(config, signal=member), exclusions)
        for member in config.signal.members
    )
    points = signal_readings(history, config, exclusions)
    return _reading(points, config.signal, day, components, history.source_label)
