"""The regime signal: a trend rule with hysteresis, and a 0-100 gauge.

Rule (all numbers from SignalConfig):
- distance = close / SMA - 1, where SMA is the simple average of the closes dated within
  the last `window_days` days (today included);
- bull -> bear when distance < -band on `confirm` consecutive observations;
- bear -> bull when distance > +band on `confirm` consecutive observations;
- inside the band the regime stays what it was (hysteresis against whipsaw).
- Warm-up: until the closes cover the window (to within 7 days) the reading is bull
  (invested, like the passive index) and flagged `warming_up`.

Works on any series of closes: weekly (the rebalance) or daily (off-cadence switches
between rebalances); the window is in days, so the same configuration means the same
horizon at either cadence. `regime_path` replays the whole series because hysteresis
depends on the past; call it with every close up to today.

Gauge = 50 + 50 * distance / 0.5, clipped to [0, 100] and rounded: 50 at the average,
0 at 50% or more below it, 100 at 50% or more above it. It rises monotonically with the
distance, so the bear threshold sits at 50 - 100*band and the bull one at 50 + 100*band.
"""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from itertools import pairwise

from orchestrator.errors import InputError
from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy.config import SignalConfig

__all__ = [
    "GAUGE_SPAN",
    "Close",
    "Regime",
    "RegimeReading",
    "closes_of",
    "gauge_of",
    "regime_at",
    "regime_path",
]

GAUGE_SPAN = Decimal("0.5")
WARMUP_TOLERANCE_DAYS = 7


class Regime(StrEnum):
    BULL = "bull"
    BEAR = "bear"


@dataclass(frozen=True)
class Close:
    date: datetime.date
    price: Decimal


@dataclass(frozen=True)
class RegimeReading:
    """The signal on one date, with every input needed to check it by hand."""

    date: datetime.date
    regime: Regime
    gauge: int
    close: Decimal
    average: Decimal
    distance: Decimal
    observations: int
    streak: int  # consecutive observations beyond the threshold that would flip the regime
    warming_up: bool
    switched: bool  # the regime changed on this date

    def inputs(self, config: SignalConfig) -> dict[str, object]:
        """The JSON `inputs` object of `indexvault signal`."""
        return {
            "symbol": config.symbol,
            "close": str(self.close),
            "moving_average": str(self.average),
            "window_days": config.window_days,
            "observations": self.observations,
            "distance": float(self.distance),
            "bear_below_distance": float(-config.band),
            "bull_above_distance": float(config.band),
            "bear_below_gauge": gauge_of(-config.band),
            "bull_above_gauge": gauge_of(config.band),
            "confirm": config.confirm,
            "streak": self.streak,
            "warming_up": self.warming_up,
            "switched": self.switched,
        }


def gauge_of(distance: Decimal) -> int:
    """0-100, monotone in the distance to the moving average (see the module docstring)."""
    raw = 50 + 50 * distance / GAUGE_SPAN
    clipped = min(max(raw, Decimal(0)), Decimal(100))
    return int(clipped.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def regime_path(
    closes: Sequence[Close],
    config: SignalConfig = SignalConfig(),  # noqa: B008 (frozen)
) -> tuple[RegimeReading, ...]:
    """One reading per close (closes must be in strictly increasing date order)."""
    for before, after in pairwise(closes):
        if after.date <= before.date:
            raise InputError(
                f"closes must be in increasing date order: {after.date} follows {before.date}"
            )
    readings: list[RegimeReading] = []
    window: deque[Close] = deque()
    total = Decimal(0)
    regime = Regime.BULL
    streak = 0
    first = closes[0].date if closes else None
    for close in closes:
        window.append(close)
        total += close.price
        while (close.date - window[0].date).days >= config.window_days:
            total -= window.popleft().price
        average = total / len(window)
        distance = close.price / average - 1
        assert first is not None
        warming = (close.date - first).days + WARMUP_TOLERANCE_DAYS < config.window_days
        switched = False
        if warming:
            regime, streak = Regime.BULL, 0
        else:
            beyond = distance < -config.band if regime is Regime.BULL else distance > config.band
            streak = streak + 1 if beyond else 0
            if streak >= config.confirm:
                regime = Regime.BEAR if regime is Regime.BULL else Regime.BULL
                streak, switched = 0, True
        readings.append(
            RegimeReading(
                date=close.date,
                regime=regime,
                gauge=gauge_of(distance),
                close=close.price,
                average=average,
                distance=distance,
                observations=len(window),
                streak=streak,
                warming_up=warming,
                switched=switched,
            )
        )
    return tuple(readings)


def regime_at(
    closes: Sequence[Close],
    date: datetime.date,
    config: SignalConfig = SignalConfig(),  # noqa: B008 (frozen)
) -> RegimeReading:
    """The reading on `date`, replaying every close up to it. Unknown date: InputError."""
    upto = [c for c in closes if c.date <= date]
    if not upto or upto[-1].date != date:
        raise InputError(
            f"no {config.symbol} close on {date.isoformat()}",
            hint="Pick a date the data has a close for.",
        )
    return regime_path(upto, config)[-1]


def closes_of(history: MarketHistory, symbol: str) -> tuple[Close, ...]:
    """`symbol`'s closes from a history (dates where it is absent are skipped)."""
    found = []
    for date in history.dates:
        for snap in history.snapshot(date):
            if snap.symbol == symbol:
                found.append(Close(date, snap.price_usd))
                break
    if not found:
        raise InputError(
            f"{symbol} never appears in {history.source_label}",
            hint="The signal needs that coin's prices; use data that includes it.",
        )
    return tuple(found)
