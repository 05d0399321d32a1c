"""`make demo`'s simulated year (orchestrator/demo_year.py): the pure parts (window, prices,
the table's arithmetic), then a tiny year on both backends with a forced regime switch,
and the window the real data gives (skipped when ../shared/data/market is absent)."""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import pairwise

import pytest

from orchestrator.demo.year import REAL_DATA, YearResult, check_year_size, run_year
from orchestrator.demo.year_data import (
    choose_window,
    max_drawdown_bps,
    return_bps,
    weekly_prices,
    year_assets,
)
from orchestrator.errors import InputError
from orchestrator.keeper.journal import ActionState
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory
from orchestrator.service import load_history
from orchestrator.strategy import DEFAULT_CONFIG
from orchestrator.strategy.candidates import signal_readings
from orchestrator.strategy.signal import Regime
from orchestrator.trading.targets import Targets, current_targets

D = datetime.date
USDC = 10**6


# --- pure --------------------------------------------------------------------------------


def test_synthetic_window_starts_in_a_settled_bull_and_holds_a_switch() -> None:
    history = load_history(None, tokens=20)
    window = choose_window(history, 52)
    assert len(window.dates) == 53
    assert list(window.dates) == list(history.dates_between(window.dates[0], window.dates[-1]))
    readings = {r.date: r for r in signal_readings(history, DEFAULT_CONFIG)}
    start = readings[window.dates[0]]
    assert start.regime is Regime.BULL
    assert not start.warming_up
    assert window.switches, "the synthetic history has a switch in some 52-week window"
    for switch in window.switches:
        assert window.dates[0] < switch.date <= window.dates[-1]
        assert readings[switch.date].regime is switch.to


def test_window_prefers_both_directions_then_most_switches() -> None:
    """Among the windows that start in a settled bull, the chosen one ranks first on (a
    switch both ways, number of switches, earliest), checked against every window."""
    history = load_history(None, tokens=20)
    points = signal_readings(history, DEFAULT_CONFIG)
    for weeks in (8, 52, 70):
        ranks = []
        for start in range(len(points) - weeks):
            window = points[start : start + weeks + 1]
            if window[0].warming_up or window[0].regime is not Regime.BULL:
                continue
            flips = [b.regime for a, b in pairwise(window) if b.regime is not a.regime]
            ranks.append((len(set(flips)) == 2, len(flips), -start))
        chosen = choose_window(history, weeks)
        best = max(ranks)
        assert chosen.both_directions == best[0]
        assert len(chosen.switches) == best[1]
        assert chosen.dates[0] == points[-best[2]].date


def test_window_longer_than_the_data_is_refused() -> None:
    history = load_history(None, tokens=20)
    with pytest.raises(InputError, match="weekly dates"):
        choose_window(history, len(history.dates))


def test_year_tokens_are_index_members_not_stablecoins() -> None:
    history = load_history(None, tokens=20)
    assets = year_assets(history, history.dates[40], 20)
    symbols = [a.symbol for a in assets]
    assert len(symbols) == 20
    assert "USDC" not in symbols
    assert symbols[:2] == ["BTC", "ETH"]
    caps = [a.market_cap_usd for a in assets]
    assert caps == sorted(caps, reverse=True)


def test_a_year_too_small_to_weight_is_refused_before_anything_runs() -> None:
    check_year_size(0, 52)  # no year
    check_year_size(4, 1)
    with pytest.raises(InputError, match="at least 4 tokens"):
        check_year_size(3, 52)


def _snap(date: D, symbol: str, price: str, cap: int, rank: int) -> AssetSnapshot:
    return AssetSnapshot(date, symbol, symbol, Decimal(price), Decimal(cap), Decimal(1), rank)


def test_a_vanished_token_is_marked_down_not_carried() -> None:
    w0, w1, w2, w3 = D(2021, 1, 4), D(2021, 1, 11), D(2021, 1, 18), D(2021, 1, 25)
    history = MarketHistory.from_snapshots(
        [
            _snap(w0, "AAA", "10", 1_000, 1), _snap(w0, "BBB", "4", 400, 2),
            _snap(w1, "AAA", "11", 1_100, 1), _snap(w1, "BBB", "2", 200, 2),
            _snap(w2, "AAA", "12", 100, 1),  # BBB gone; the smallest cap listed is 100
            _snap(w3, "AAA", "13", 1_300, 1), _snap(w3, "BBB", "3", 300, 2),
        ],
        source_label="test",
    )  # fmt: skip
    rows, vanished = weekly_prices(history, [w0, w1, w2, w3], ["AAA", "BBB"])
    assert [r["AAA"] for r in rows] == [10, 11, 12, 13]
    # last price 2 x min(1, 100 / 200) x (1 - 25% haircut) = 0.75
    assert [r["BBB"] for r in rows] == [4, 2, Decimal("0.75"), 3]
    assert [(v.date, v.symbol, v.mark_usd) for v in vanished] == [(w2, "BBB", Decimal("0.75"))]


def test_returns_and_drawdowns_are_integer_bps() -> None:
    assert return_bps(10_000 * USDC, 12_345 * USDC) == 2_345
    assert return_bps(10_000 * USDC, 9_000 * USDC - 1) == -1_000  # toward zero
    assert max_drawdown_bps([100, 120, 90, 130, 117]) == 2_500  # 120 -> 90
    assert max_drawdown_bps([1, 2, 3]) == 0


# --- a tiny year on the chain ------------------------------------------------------------


def _forced(bear_on: D) -> Callable[[MarketHistory, D, Sequence[str]], Targets]:
    def targets_for(history: MarketHistory, date: D, tradable: Sequence[str]) -> Targets:
        t = current_targets(history, date, tradable)
        regime = Regime.BEAR if date == bear_on else Regime.BULL
        return dataclasses.replace(t, reading=dataclasses.replace(t.reading, regime=regime))

    return targets_for


SLOW = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_year(backend: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[YearResult, str]:
    """5 tokens, synthetic prices, week 0 + 3 keeper runs; the strategy is bull on all four
    dates and the second run is forced bear: bull, bear, bull."""
    history = load_history(None, tokens=5)
    dates = list(history.dates_between(D(2021, 8, 2), D(2021, 8, 23)))
    assert len(dates) == 4
    lines: list[str] = []
    result = run_year(
        market_data=None, tokens=5, out_dir=tmp_path_factory.mktemp("year"),
        echo=lines.append, chain_target=backend, window_dates=dates,
        targets_for=_forced(dates[2]),
    )  # fmt: skip
    return result, "\n".join(lines)


@SLOW
def test_bear_week_leaves_only_usdc_and_bull_week_reinvests(
    tiny_year: tuple[YearResult, str],
) -> None:
    result, out = tiny_year
    w0, _w1, bear, bull = result.weeks
    assert [w.regime for w in result.weeks] == [Regime.BULL, Regime.BULL, Regime.BEAR, Regime.BULL]
    assert all(amount > 0 for amount in w0.managed_balances.values())
    assert bear.outcome is not None
    assert bear.outcome.state is ActionState.DONE
    assert all(amount == 0 for amount in bear.managed_balances.values())
    assert bear.managed_cash == bear.managed_nav > 0  # 100% USDC
    assert bull.outcome is not None
    assert bull.outcome.state is ActionState.DONE
    assert all(amount > 0 for amount in bull.managed_balances.values())
    assert bull.managed_cash * 100 < bull.managed_nav * 5  # re-invested: < 5% left in cash
    assert "switched to USDC" in bear.action
    assert "back into the index" in bull.action
    assert [w.date for w in result.switches] == [bear.date, bull.date]
    assert "switched to USDC (5 legs)" in out
    assert "SYNTHETIC" in out


@SLOW
def test_passive_vault_never_trades_after_its_buy(tiny_year: tuple[YearResult, str]) -> None:
    result, _ = tiny_year
    bought = result.weeks[0].passive_balances
    assert all(amount > 0 for amount in bought.values())
    assert all(w.passive_balances == bought for w in result.weeks)


@SLOW
def test_every_rebalance_is_in_the_vault_log(tiny_year: tuple[YearResult, str]) -> None:
    result, out = tiny_year
    done = {o.tx_hash for o in result.rebalances}
    logged = {row.tx_hash for row in result.log if row.kind == "rebalance"}
    assert len(done) >= 2  # the switch to USDC and back
    assert logged == done
    assert [row.kind for row in result.log][:3] == ["vault_created", "buy", "mandate"]
    assert result.keeper_gas == sum(o.gas_used or 0 for o in result.rebalances) > 0
    table = re.search(r"keeper rebalances +(\d+) ", out)
    assert table is not None
    assert int(table.group(1)) == len(done)


@SLOW
def test_navs_are_integers_in_base_units(tiny_year: tuple[YearResult, str]) -> None:
    result, out = tiny_year
    for w in result.weeks:
        assert type(w.managed_nav) is int
        assert type(w.passive_nav) is int
    assert all(w.managed_nav > 9_000 * USDC for w in result.weeks[:2])
    assert "return on the deposit" in out
    assert "max drawdown" in out


# --- the real data ---------------------------------------------------------------------------


@pytest.mark.market_data
@pytest.mark.skipif(not REAL_DATA.is_file(), reason="../shared/data/market is not present")
def test_real_data_window_holds_a_regime_switch_both_ways() -> None:
    history = load_history(REAL_DATA)
    window = choose_window(history, 52)
    assert len(window.dates) == 53
    assert window.switches
    assert window.both_directions  # the 2021 whipsaw: to USDC and back, found from the data
    readings = {r.date: r for r in signal_readings(history, DEFAULT_CONFIG)}
    assert readings[window.dates[0]].regime is Regime.BULL
    assert all(readings[s.date].switched for s in window.switches)
    assets = year_assets(history, window.dates[0], 20)
    _, vanished = weekly_prices(history, window.dates, [a.symbol for a in assets])
    assert all(v.mark_usd < v.last_price_usd for v in vanished)
