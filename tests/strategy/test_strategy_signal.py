"""Regime signal: hysteresis, confirmation, warm-up, gauge, daily vs weekly evaluation.

With `window_days=14` on weekly closes the average is (today + last week) / 2, so the
distance is (r - 1) / (r + 1) for r = today / last week: r = 1.1 -> +4.8%, r = 0.9 -> -5.3%,
r = 0.6 -> -25%, r = 1.5 -> +20%. The first close is the warm-up.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.errors import InputError
from orchestrator.strategy.config import SignalConfig
from orchestrator.strategy.signal import (
    Close,
    Regime,
    closes_of,
    gauge_of,
    regime_at,
    regime_path,
)
from tests.strategy.market_builder import build_history

BULL, BEAR = Regime.BULL, Regime.BEAR
START = datetime.date(2024, 1, 1)


def weekly(ratios: list[str], start: str = "100") -> list[Close]:
    """Closes starting at `start`, each the previous one times a ratio."""
    price = Decimal(start)
    closes = [Close(START, price)]
    for i, ratio in enumerate(ratios, start=1):
        price *= Decimal(ratio)
        closes.append(Close(START + datetime.timedelta(weeks=i), price))
    return closes


def regimes(closes: list[Close], **config: object) -> list[Regime]:
    return [r.regime for r in regime_path(closes, SignalConfig(window_days=14, **config))]  # type: ignore[arg-type]


WOBBLE = ["0.9", "1.1", "0.9", "1.1", "0.9", "1.1"]  # distance -5.3% / +4.8%, alternating


def test_inside_the_band_nothing_switches() -> None:
    closes = weekly(WOBBLE)
    assert regimes(closes, band=Decimal("0.1")) == [BULL] * 7
    # the same closes without a band flip on every observation: the band is what stops it
    assert regimes(closes, band=Decimal(0)) == [BULL, BEAR, BULL, BEAR, BULL, BEAR, BULL]


def test_hysteresis_enter_hold_exit() -> None:
    closes = weekly(["0.6", "1.1", "0.9", "1.1", "1.5", "0.9", "1.1"])
    # -25% -> bear; +4.8%, -5.3%, +4.8% stay bear; +20% -> bull; -5.3%, +4.8% stay bull
    assert regimes(closes, band=Decimal("0.1")) == [
        BULL,
        BEAR,
        BEAR,
        BEAR,
        BEAR,
        BULL,
        BULL,
        BULL,
    ]
    path = regime_path(closes, SignalConfig(window_days=14, band=Decimal("0.1")))
    assert [r.switched for r in path] == [False, True, False, False, False, True, False, False]


def test_confirmation_needs_consecutive_observations() -> None:
    closes = weekly(["0.6", "1.6667", "0.6", "0.6", "1.5", "1.5"])
    # -25% (streak 1), +25% (reset), -25% (1), -25% (2: bear), +20% (1), +20% (2: bull)
    assert regimes(closes, band=Decimal("0.1"), confirm=2) == [
        BULL,
        BULL,
        BULL,
        BULL,
        BEAR,
        BEAR,
        BULL,
    ]
    assert regimes(closes, band=Decimal("0.1"), confirm=1) == [
        BULL,
        BEAR,
        BULL,
        BEAR,
        BEAR,
        BULL,
        BULL,
    ]


def test_warm_up_reads_bull_until_the_window_is_covered() -> None:
    closes = weekly(["0.5", "0.5", "0.5", "0.5"])
    path = regime_path(closes, SignalConfig(window_days=28, band=Decimal("0.05")))
    # 28-day window: covered (to within 7 days) from the 4th weekly close (day 21)
    assert [r.warming_up for r in path] == [True, True, True, False, False]
    assert [r.regime for r in path] == [BULL, BULL, BULL, BEAR, BEAR]
    assert [r.observations for r in path] == [1, 2, 3, 4, 4]
    # closes 100, 50, 25, 12.5, 6.25: the last window holds 50, 25, 12.5, 6.25 -> 23.4375
    assert path[-1].average == Decimal("23.4375")


def test_daily_and_weekly_series_share_the_window_in_days() -> None:
    days = [Close(START + datetime.timedelta(days=i), Decimal(100 + i)) for i in range(60)]
    config = SignalConfig(window_days=28, band=Decimal("0.05"))
    daily = regime_path(days, config)
    assert len(daily) == 60
    assert daily[-1].observations == 28
    weeks = [c for c in days if (c.date - START).days % 7 == 0]
    weekly_path = regime_path(weeks, config)
    assert weekly_path[-1].observations == 4
    assert daily[-1].date == datetime.date(2024, 2, 29)
    assert regime_at(days, datetime.date(2024, 2, 29), config) == daily[-1]


def test_gauge_values() -> None:
    assert gauge_of(Decimal(0)) == 50
    assert gauge_of(Decimal("-0.05")) == 45
    assert gauge_of(Decimal("0.05")) == 55
    assert gauge_of(Decimal("-0.5")) == 0
    assert gauge_of(Decimal("-0.9")) == 0
    assert gauge_of(Decimal(3)) == 100


@given(
    st.decimals(min_value=-1, max_value=5, places=4),
    st.decimals(min_value=-1, max_value=5, places=4),
)
def test_gauge_is_monotone_and_bounded(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert 0 <= gauge_of(low) <= gauge_of(high) <= 100


def test_inputs_explain_the_reading() -> None:
    config = SignalConfig(window_days=14, band=Decimal("0.1"))
    reading = regime_path(weekly(["0.6"]), config)[-1]
    inputs = reading.inputs(config)
    assert inputs["symbol"] == "BTC"
    assert inputs["distance"] == -0.25
    assert inputs["bear_below_gauge"] == 40
    assert inputs["bull_above_gauge"] == 60
    assert inputs["switched"] is True
    assert reading.gauge == 25


def test_bad_inputs() -> None:
    closes = weekly(["1.1"])
    with pytest.raises(InputError, match="increasing date order"):
        regime_path(list(reversed(closes)))
    with pytest.raises(InputError, match="no BTC close on 2024-01-02"):
        regime_at(closes, datetime.date(2024, 1, 2))


def test_closes_of_needs_the_symbol() -> None:
    history = build_history([{"ETH": (1, 10, 1)}, {"ETH": (2, 10, 1), "BTC": (5, 20, 1)}])
    assert [c.price for c in closes_of(history, "BTC")] == [Decimal(5)]
    with pytest.raises(InputError, match="DOGE never appears in hand-made"):
        closes_of(history, "DOGE")
