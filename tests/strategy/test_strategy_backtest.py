"""Backtest accounting on hand-made markets: exact NAVs, costs, the vanished-coin rule."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import InputError
from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy.backtest import run_backtest
from orchestrator.strategy.config import (
    BacktestConfig,
    CostConfig,
    SignalConfig,
    StrategyConfig,
    WeightsConfig,
)
from orchestrator.strategy.ledger import Run, Side, replay_navs
from tests.strategy.market_builder import Day, build_history

FREE = CostConfig(
    platform_fee_bps=0, swap_fee_bps=0, impact_coef=Decimal(0), gas_per_leg_usd=Decimal(0)
)
UNCAPPED = WeightsConfig(cap=Decimal(1), min_weight_bps=0)
SHORT_SIGNAL = SignalConfig(window_days=14, band=Decimal("0.1"))


def config(costs: CostConfig = FREE, **backtest: object) -> StrategyConfig:
    return StrategyConfig(
        weights=UNCAPPED,
        signal=SHORT_SIGNAL,
        costs=costs,
        backtest=dataclasses.replace(BacktestConfig(rebalance_band=Decimal(0)), **backtest),  # type: ignore[arg-type]
    )


def prices_of(history: MarketHistory) -> dict[datetime.date, dict[str, Decimal]]:
    return {d: {s.symbol: s.price_usd for s in history.snapshot(d)} for d in history.dates}


# Caps fixed at 60/30/10 so the index weights are 6000/3000/1000 bps on every date.
PRICES = {
    "BTC": ["100", "110", "99", "120"],
    "ETH": ["10", "8", "9", "12"],
    "SOL": ["1", "1.5", "1.2", "0.9"],
}
CAPS = {"BTC": 600, "ETH": 300, "SOL": 100}


def fixed_cap_market() -> MarketHistory:
    return build_history([{s: (PRICES[s][i], CAPS[s], 10**9) for s in PRICES} for i in range(4)])


def test_btc_alone_without_costs_follows_the_price() -> None:
    result = run_backtest(fixed_cap_market(), config())
    assert [p.nav for p in result.btc.navs] == [
        Decimal(10_000) * Decimal(p) / 100 for p in PRICES["BTC"]
    ]


def test_passive_without_costs_is_the_weekly_rebalanced_index() -> None:
    result = run_backtest(fixed_cap_market(), config())
    weights = {"BTC": Decimal("0.6"), "ETH": Decimal("0.3"), "SOL": Decimal("0.1")}
    expected = [Decimal(10_000)]
    for i in range(1, 4):
        growth = sum(
            w * Decimal(PRICES[s][i]) / Decimal(PRICES[s][i - 1]) for s, w in weights.items()
        )
        expected.append(expected[-1] * growth)
    for point, nav in zip(result.passive.navs, expected, strict=True):
        assert abs(point.nav - nav) < Decimal("1e-18")


def test_entry_costs_by_hand() -> None:
    costs = CostConfig(
        platform_fee_bps=10, swap_fee_bps=30, impact_coef=Decimal(0), gas_per_leg_usd=Decimal("0.5")
    )
    result = run_backtest(fixed_cap_market(), config(costs))
    (trade,) = [t for t in result.btc.trades if t.date == result.btc.navs[0].date]
    # $10,000 of cash, $0.50 gas reserved: notional 9,999.50; fee 10 bps, pool 30 bps
    assert trade.side is Side.BUY
    assert trade.notional == Decimal("9999.5")
    assert trade.fee == Decimal("9.9995")
    assert trade.slippage == Decimal("29.9985")
    assert trade.gas == Decimal("0.5")
    assert result.btc.navs[0].nav == Decimal("9959.502")
    assert result.btc.navs[0].cash == 0


def test_price_impact_grows_with_size_over_volume() -> None:
    costs = CostConfig(
        platform_fee_bps=0, swap_fee_bps=0, impact_coef=Decimal("0.1"), gas_per_leg_usd=Decimal(0)
    )
    market = build_history([{"BTC": ("100", 1, 1_000_000)}, {"BTC": ("100", 1, 1_000_000)}])
    (trade,) = run_backtest(market, config(costs)).btc.trades
    # 0.1 * sqrt(10,000 / 1,000,000) = 1% of the notional
    assert trade.slippage == Decimal(100)


def pre_trade_navs(run: Run, history: MarketHistory) -> list[Decimal]:
    """NAV at each date's prices before its trades (vanished coins at their sale mark)."""
    prices = prices_of(history)
    cash = run.initial_nav
    units: dict[str, Decimal] = {}
    out = []
    for point in run.navs:
        for rename in run.renames:
            if rename.date == point.date:
                units[rename.new] = units.pop(rename.old)
        today = [t for t in run.trades if t.date == point.date]
        marks = {t.symbol: t.price for t in today if t.reason in ("vanished", "identity break")}
        out.append(
            cash
            + sum(u * marks.get(s, prices[point.date].get(s, Decimal(0))) for s, u in units.items())
        )
        for t in today:
            if t.side is Side.BUY:
                cash -= t.notional + t.gas
                units[t.symbol] = units.get(t.symbol, Decimal(0)) + t.units
            else:
                cash += t.notional - t.fee - t.slippage - t.gas
                units[t.symbol] -= t.units
                if units[t.symbol] == 0:
                    del units[t.symbol]
    return out


def check_accounting(run: Run, history: MarketHistory) -> None:
    navs = [p.nav for p in run.navs]
    assert list(replay_navs(run, prices_of(history))) == navs
    for point, pre in zip(run.navs, pre_trade_navs(run, history), strict=True):
        costs = sum((t.cost for t in run.trades if t.date == point.date), Decimal(0))
        assert abs(pre - costs - point.nav) < Decimal("1e-15")
        assert point.cash >= 0


day = st.fixed_dictionaries(
    {
        s: st.tuples(
            st.decimals("0.5", "200", places=2), st.integers(50, 1000), st.integers(10**4, 10**8)
        )
        for s in ("BTC", "ETH", "SOL", "DOGE")
    }
)


@settings(max_examples=40, deadline=None)
@given(days=st.lists(day, min_size=2, max_size=7), drop=st.integers(0, 6))
def test_accounting_identities_hold_on_random_markets(days: list[Day], drop: int) -> None:
    market = [dict(d) for d in days]
    if drop < len(market):
        market[drop].pop("DOGE")  # a coin that vanishes (and may come back)
    history = build_history(market)
    costs = CostConfig(gas_per_leg_usd=Decimal("0.5"))
    result = run_backtest(history, config(costs, rebalance_band=Decimal("0.1")))
    for run in (result.strategy, result.passive, result.btc):
        check_accounting(run, history)


def test_vanished_coin_is_sold_at_the_conservative_mark() -> None:
    history = build_history(
        [
            {"BTC": (100, 6000, 10**9), "ETH": (10, 3000, 10**9), "LUNA": (10, 1000, 10**9)},
            {"BTC": (100, 6000, 10**9), "ETH": (10, 250, 10**9)},
        ]
    )
    result = run_backtest(history, config(vanish_haircut=Decimal("0.25")))
    (gone,) = [t for t in result.passive.trades if t.symbol == "LUNA" and t.side is Side.SELL]
    # last cap 1,000, smallest cap still listed 250: price bound 10 * 250/1000 = 2.5,
    # then the 25% haircut: 1.875
    assert gone.reason == "vanished"
    assert gone.price == Decimal("1.875")
    held = [t for t in result.passive.trades if t.symbol == "LUNA" and t.side is Side.BUY]
    assert gone.units == held[0].units  # the whole position, never silently dropped
    assert result.passive.navs[1].nav == Decimal(10_000) - 1000 + 1000 * Decimal("0.1875")
    check_accounting(result.passive, history)


def test_identity_break_closes_the_old_position_and_opens_a_new_one() -> None:
    history = build_history(
        [
            {"BTC": ("100", 900, 10**9), "BTT": ("0.002", 100, 10**9, "BitTorrent")},
            {"BTC": ("100", 900, 10**9), "BTT": ("0.000002", 100, 10**9, "BitTorrent (New)")},
        ]
    )
    result = run_backtest(history, config())
    trades = [(t.side, t.reason, t.price) for t in result.passive.trades if t.symbol == "BTT"]
    assert trades == [
        (Side.BUY, "enter", Decimal("0.002")),
        (Side.SELL, "identity break", Decimal("0.0015")),  # last price less the 25% haircut
        (Side.BUY, "enter", Decimal("0.000002")),
    ]
    check_accounting(result.passive, history)


def test_renamed_symbol_carries_the_position() -> None:
    history = build_history(
        [
            {"BTC": (100, 900, 10**9), "MIOTA": (2, 100, 10**9)},
            {"BTC": (100, 900, 10**9), "IOTA": (2, 100, 10**9)},
        ]
    )
    result = run_backtest(history, config())
    (rename,) = result.passive.renames
    assert (rename.old, rename.new) == ("MIOTA", "IOTA")
    assert [t.reason for t in result.passive.trades if t.date == history.dates[1]] == []
    assert result.passive.navs[1].nav == Decimal(10_000)
    check_accounting(result.passive, history)


def test_bear_regime_holds_only_usdc() -> None:
    btc = ["100", "100", "60", "55", "50", "80", "90"]
    history = build_history([{"BTC": (p, 600, 10**9), "ETH": ("10", 400, 10**9)} for p in btc])
    result = run_backtest(history, config())
    invested = [p.invested for p in result.strategy.navs]
    # 100 -> 60: distance -25% -> bear; 50 -> 80: +23% -> bull
    assert invested == [True, True, False, False, False, True, True]
    for point in result.strategy.navs[2:5]:
        assert point.nav == point.cash
    assert {t.reason for t in result.strategy.trades if t.date == history.dates[2]} == {"regime"}
    # while in USDC the NAV does not move, whatever BTC does
    assert result.strategy.navs[2].nav == result.strategy.navs[4].nav
    check_accounting(result.strategy, history)
    late = run_backtest(history, config(signal_lag=1)).strategy
    assert [p.invested for p in late.navs] == [True, True, True, False, False, False, True]
    check_accounting(late, history)


def test_rebalance_band_limits_trading() -> None:
    history = fixed_cap_market()
    tight = run_backtest(history, config()).passive.trades
    loose = run_backtest(history, config(rebalance_band=Decimal(10))).passive.trades
    assert len(loose) == 3  # the three entries only
    assert len(tight) > len(loose)


def test_bad_inputs() -> None:
    history = fixed_cap_market()
    with pytest.raises(InputError, match="at least 2 dates"):
        run_backtest(history, config(), start=history.dates[-1])
    no_btc = build_history([{"ETH": (1, 1, 1)}, {"ETH": (2, 1, 1)}])
    with pytest.raises(InputError, match="BTC never appears"):
        run_backtest(no_btc, config())
