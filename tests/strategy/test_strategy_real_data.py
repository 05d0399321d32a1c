"""The issue's bar, on the real 2021-2023 data (skipped when the shared folder is absent).

Located through INDEXVAULT_MARKET_DATA or <repo>/../shared/data/market/. Nothing from the
file is copied here: the assertions are about behaviour and the bar, not hard-coded rows.
"""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrator.market import MarketHistory, load_market_csv
from orchestrator.strategy.backtest import BacktestResult, run_backtest
from orchestrator.strategy.ledger import Side, replay_navs
from orchestrator.strategy.metrics import compute_metrics
from orchestrator.strategy.signal import Regime, closes_of, regime_at
from orchestrator.strategy.weights import target_weights

pytestmark = pytest.mark.market_data

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO.parent / "shared" / "data" / "market" / "weekly_top100_2021_2023.csv"


def market_file() -> Path:
    return Path(os.environ.get("INDEXVAULT_MARKET_DATA", DEFAULT_PATH))


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    path = market_file()
    if not path.is_file():
        pytest.skip(f"real market data not found at {path}")
    return load_market_csv(path)


@pytest.fixture(scope="module")
def result(history: MarketHistory) -> BacktestResult:
    return run_backtest(history)


def test_the_file_loads(history: MarketHistory) -> None:
    assert len(history.dates) == 156
    assert all(len(history.snapshot(d)) == 100 for d in history.dates)


def test_weights_on_a_peak_date(history: MarketHistory) -> None:
    result = target_weights(history.snapshot(datetime.date(2021, 11, 8)))
    assert sum(result.weights_bps.values()) == 10_000
    assert result.weights_bps["BTC"] == 2500
    assert max(result.weights_bps.values()) <= 2500
    assert result.excluded["USDT"] == "stablecoin"
    assert result.excluded["WBTC"] == "wrapped/pegged duplicate of BTC"
    assert set(result.weights_bps).isdisjoint({"USDC", "BUSD", "DAI", "UST", "PAXG"})


def test_the_default_beats_the_passive_index_on_drawdown_and_calmar(
    result: BacktestResult,
) -> None:
    strategy, passive = compute_metrics(result.strategy), compute_metrics(result.passive)
    assert strategy.max_drawdown < passive.max_drawdown
    assert strategy.calmar is not None
    assert passive.calmar is not None
    assert strategy.calmar > passive.calmar
    assert strategy.switches > 0
    assert 0 < strategy.time_in_market < 1


def test_nav_paths_replay_from_their_trades(history: MarketHistory, result: BacktestResult) -> None:
    prices = {d: {s.symbol: s.price_usd for s in history.snapshot(d)} for d in history.dates}
    for run in (result.strategy, result.passive, result.btc):
        assert list(replay_navs(run, prices)) == [p.nav for p in run.navs]
        assert min(p.cash for p in run.navs) >= 0


def test_luna_crash_is_not_hidden(history: MarketHistory, result: BacktestResult) -> None:
    (sold,) = [t for t in result.passive.trades if t.symbol == "LUNA" and t.reason == "vanished"]
    assert sold.date == datetime.date(2022, 5, 16)
    assert sold.side is Side.SELL
    (last,) = [s for s in history.snapshot(datetime.date(2022, 5, 9)) if s.symbol == "LUNA"]
    assert sold.price < Decimal("0.05") * last.price_usd  # under 5% of the last listed price


def test_renamed_iota_carries_over(result: BacktestResult) -> None:
    assert [(r.old, r.new) for r in result.passive.renames] == [("MIOTA", "IOTA")]


def test_the_signal_reads_bear_after_the_2022_crash(history: MarketHistory) -> None:
    reading = regime_at(closes_of(history, "BTC"), datetime.date(2022, 6, 13))
    assert reading.regime is Regime.BEAR
    assert reading.gauge < 45
