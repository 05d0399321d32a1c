"""Each candidate signal on hand-made series whose answer is known (candidates.py)."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest

from orchestrator.errors import ConfigError, InputError
from orchestrator.market.synthetic import generate_synthetic_market
from orchestrator.service.signal_reading import read_signal
from orchestrator.strategy.backtest import run_backtest
from orchestrator.strategy.candidates import (
    SignalSeries,
    gauge_thresholds,
    index_levels,
    last_switch,
    signal_points,
    signal_readings,
    signal_series,
)
from orchestrator.strategy.config import DEFAULT_CONFIG, SignalConfig
from orchestrator.strategy.signal import Close, Regime, regime_path
from orchestrator.trading.targets import current_targets
from tests.strategy.market_builder import build_history, week

BULL, BEAR = Regime.BULL, Regime.BEAR


def series(
    levels: list[str] | None = None, prices: dict[str, list[str | None]] | None = None
) -> SignalSeries:
    count = len(levels) if levels is not None else len(next(iter((prices or {}).values())))
    dates = tuple(week(i) for i in range(count))
    table = {
        s: tuple(Decimal(v) if v is not None else None for v in values)
        for s, values in (prices or {}).items()
    }
    members = tuple(frozenset(s for s in table if table[s][i] is not None) for i in range(count))
    level = tuple(Decimal(v) for v in levels) if levels is not None else None
    return SignalSeries(dates, table, members, level)


def regimes(points: tuple[object, ...]) -> list[Regime]:
    return [p.regime for p in points]  # type: ignore[attr-defined]


def test_trend_kind_is_the_old_rule_on_the_symbol() -> None:
    btc = ["100", "100", "100", "100", "80", "70", "90", "120"]
    config = SignalConfig(window_days=28, band=Decimal("0.05"))
    points = signal_points(series(prices={"BTC": list(btc)}), config)
    closes = [Close(week(i), Decimal(p)) for i, p in enumerate(btc)]
    assert [(p.regime, p.gauge, p.value) for p in points] == [
        (r.regime, r.gauge, r.distance) for r in regime_path(closes, config)
    ]
    # 90 vs the average of 100, 80, 70, 90 (85): +5.9%, above the band -> bull again
    assert regimes(points) == [BULL] * 4 + [BEAR, BEAR, BULL, BULL]


def test_trend_kind_carries_the_last_reading_over_a_gap_and_needs_its_coin() -> None:
    config = SignalConfig(window_days=21, band=Decimal(0))
    points = signal_points(series(prices={"BTC": ["10", "10", "5", None, "20"]}), config)
    assert regimes(points) == [BULL, BULL, BEAR, BEAR, BULL]
    assert not points[3].switched
    with pytest.raises(InputError, match="ETH never appears"):
        signal_points(series(prices={"BTC": ["1", "2"]}), SignalConfig(symbol="ETH"))


def test_index_trend_reads_the_index_level() -> None:
    config = SignalConfig(kind="index_trend", window_days=21, band=Decimal("0.1"))
    points = signal_points(series(levels=["1", "1", "1", "0.8", "0.9", "1.2"]), config)
    # 21-day window covered from the 3rd date; 0.8 vs avg 0.933 = -14% -> bear;
    # 0.9 vs 0.9 -> inside the band; 1.2 vs 0.967 = +24% -> bull
    assert regimes(points) == [BULL, BULL, BULL, BEAR, BEAR, BULL]
    assert points[3].switched
    assert points[5].switched


def test_breadth_counts_the_share_above_its_own_trend_with_hysteresis() -> None:
    # 10 coins, a 14-day window (covered from the 2nd date): a coin is above its trend
    # when its close beats the average of its last two closes, i.e. when it rose.
    up, down, flat = ("1", "2"), ("2", "1"), ("1", "1")

    def week_moves(n_up: int) -> list[tuple[str, str]]:
        return [up] * n_up + [down] * (10 - n_up)

    shares = [10, 3, 5, 7]  # coins rising in each of the 4 steps after the first date
    prices: dict[str, list[str | None]] = {f"C{i}": ["1"] for i in range(10)}
    for n_up in shares:
        for i, (_, after) in enumerate(week_moves(n_up)):
            before = prices[f"C{i}"][-1]
            assert before is not None
            prices[f"C{i}"].append(str(Decimal(before) * Decimal(after) / Decimal("1.5")))
    assert flat  # a coin that does not move is not above its trend (strictly above)
    config = SignalConfig(
        kind="breadth", window_days=14, enter_above=Decimal("0.6"), exit_below=Decimal("0.4")
    )
    points = signal_points(series(prices=prices), config)
    assert [p.value for p in points[1:]] == [
        Decimal(1),
        Decimal("0.3"),
        Decimal("0.5"),
        Decimal("0.7"),
    ]
    # 100% bull; 30% < 40% bear; 50% inside the band stays bear; 70% > 60% bull
    assert regimes(points) == [BULL, BULL, BEAR, BEAR, BULL]
    assert [p.gauge for p in points[1:]] == [100, 30, 50, 70]
    assert points[0].warming_up
    assert gauge_thresholds(config) == (40, 60)


def test_breadth_ignores_coins_outside_the_universe_and_young_coins() -> None:
    s = series(prices={"A": ["1", "2", "3"], "B": ["3", "2", "1"], "C": [None, None, "9"]})
    outside = SignalSeries(s.dates, s.prices, tuple(m - {"B"} for m in s.members), s.index_level)
    config = SignalConfig(
        kind="breadth", window_days=14, enter_above=Decimal("0.5"), exit_below=Decimal("0.5")
    )
    assert [p.value for p in signal_points(s, config)][1:] == [Decimal("0.5"), Decimal("0.5")]
    assert [p.value for p in signal_points(outside, config)][1:] == [Decimal(1), Decimal(1)]


def test_drawdown_stop_sells_below_the_stop_and_waits_out_the_cool_off() -> None:
    config = SignalConfig(kind="drawdown", stop=Decimal("0.25"), cooloff_days=14)
    levels = ["100", "120", "95", "80", "70", "75", "60"]
    points = signal_points(series(levels=levels), config)
    # 95/120 = -20.8% holds; 80/120 = -33% sells; 2 weeks later buys back at 75 (new high
    # 75); 60/75 = -20% holds
    assert regimes(points) == [BULL, BULL, BULL, BEAR, BEAR, BULL, BULL]
    assert points[3].switched
    assert points[5].switched
    assert points[1].gauge == 100
    assert points[6].value == Decimal("0.2")


def test_volatility_filter_leaves_in_turbulence_and_returns_when_calm() -> None:
    calm = ["1", "1.01", "1.02", "1.03", "1.04"]
    wild = ["1.5", "0.8", "1.6", "0.7"]
    after = ["0.71", "0.72", "0.73", "0.74", "0.75", "0.76"]
    config = SignalConfig(
        kind="volatility", window_days=28, exit_below=Decimal("1"), enter_above=Decimal("0.5")
    )
    points = signal_points(series(levels=calm + wild + after), config)
    got = regimes(points)
    assert got[:5] == [BULL] * 5
    assert BEAR in got[5:9]
    assert got[-1] is BULL
    assert all(0 <= p.gauge <= 100 for p in points)


def test_vote_needs_enough_members() -> None:
    prices: dict[str, list[str | None]] = {"BTC": ["10", "10", "10", "5", "5", "20"]}
    levels = ["1", "1", "1", "1", "2", "2"]  # the index rises while BTC falls
    s = series(levels=levels, prices=prices)
    btc = SignalConfig(window_days=14, band=Decimal(0))
    index = SignalConfig(kind="index_trend", window_days=14, band=Decimal(0))
    both = SignalConfig(kind="vote", members=(btc, index), need=2)
    either = SignalConfig(kind="vote", members=(btc, index), need=1)
    assert regimes(signal_points(s, btc)) == [BULL, BULL, BULL, BEAR, BEAR, BULL]
    assert regimes(signal_points(s, both)) == [BULL, BULL, BULL, BEAR, BEAR, BULL]
    assert regimes(signal_points(s, either)) == [BULL] * 6
    gauges = [p.gauge for p in signal_points(s, both)]
    assert gauges[3] == 50
    assert gauges[0] == 100
    assert last_switch(signal_points(s, both), week(4)) == signal_points(s, both)[3]


def test_index_level_follows_capped_weights_and_marks_a_vanished_coin() -> None:
    # A and B, caps 600/400 (uncapped at a 100% cap): level = 0.6 * rA + 0.4 * rB
    history = build_history(
        [
            {"A": (10, 600, 1), "B": (1, 400, 1)},
            {"A": (11, 660, 1), "B": (0.5, 200, 1)},
            {"A": (11, 660, 1), "C": (1, 100, 1)},  # B left the data: its mark
        ]
    )
    members = [frozenset({"A", "B"}), frozenset({"A", "B"}), frozenset({"A", "C"})]
    levels = index_levels(history, members, Decimal(1), Decimal("0.25"))
    assert levels[1] == Decimal("0.6") * Decimal("1.1") + Decimal("0.4") * Decimal("0.5")
    # weights on date 1: 660/860 and 200/860; B marked at min(1, 100/200) x 0.75 of its price
    w_a, w_b = Decimal(660) / 860, Decimal(200) / 860
    expected = levels[1] * (w_a * 1 + w_b * Decimal("0.375"))
    assert abs(levels[2] - expected) < Decimal("1e-20")
    assert signal_series(history).index_level is not None


def test_invalid_signal_configs_name_the_field() -> None:
    with pytest.raises(ConfigError, match="kind astrology is not one of"):
        SignalConfig(kind="astrology")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="enter_above"):
        SignalConfig(kind="breadth", enter_above=Decimal("0.3"), exit_below=Decimal("0.4"))
    with pytest.raises(ConfigError, match="need"):
        SignalConfig(kind="vote", members=(SignalConfig(),), need=2)
    with pytest.raises(ConfigError, match="members"):
        SignalConfig(kind="vote")


def test_dates_are_weekly_helpers() -> None:
    assert week(1) - week(0) == datetime.timedelta(weeks=1)


def test_the_keeper_the_backtest_and_the_cli_read_one_signal() -> None:
    market = generate_synthetic_market(n_assets=20, n_weeks=60, seed=3)
    points = signal_readings(market, DEFAULT_CONFIG)
    assert run_backtest(market).readings == points
    date = market.dates[-5]
    symbols = [s.symbol for s in market.snapshot(date)]
    assert current_targets(market, date, symbols).reading == points[-5]
    shown = read_signal(market, date, DEFAULT_CONFIG)
    assert (shown.regime, shown.value) == (points[-5].regime.value, points[-5].gauge)
    assert [c.regime for c in shown.components] == [
        signal_readings(market, dataclasses.replace(DEFAULT_CONFIG, signal=m))[-5].regime.value
        for m in DEFAULT_CONFIG.signal.members
    ]
