"""The seeded synthetic market: deterministic, labelled, and shaped like a crypto market."""

from __future__ import annotations

import itertools

import pytest

from orchestrator.errors import InputError
from orchestrator.market import MarketHistory, synthetic_market
from orchestrator.strategy import DEFAULT_CONFIG
from orchestrator.strategy.candidates import signal_readings
from orchestrator.strategy.signal import Regime, closes_of, regime_path


@pytest.fixture(scope="module")
def market() -> MarketHistory:
    return synthetic_market()


def test_deterministic_per_seed(market: MarketHistory) -> None:
    again = synthetic_market()
    assert again.dates == market.dates
    assert all(again.snapshot(d) == market.snapshot(d) for d in market.dates)
    other = synthetic_market(seed=8)
    assert other.latest() != market.latest()
    assert other.source_label == "synthetic (seed=8)"


def test_clearly_labelled(market: MarketHistory) -> None:
    assert market.is_synthetic
    assert market.source_label == "synthetic (seed=7)"
    names = {s.name for d in market.dates for s in market.snapshot(d)}
    assert all("(synthetic)" in n for n in names)


def test_shape(market: MarketHistory) -> None:
    assert len(market.dates) == 156
    assert all(
        b.toordinal() - a.toordinal() == 7
        for a, b in zip(market.dates, market.dates[1:], strict=False)
    )
    first = market.snapshot(market.dates[0])
    assert len(first) == 100
    assert [s.symbol for s in first[:2]] == ["BTC", "ETH"]
    assert [s.rank for s in first] == list(range(1, 101))
    caps = [s.market_cap_usd for s in first]
    assert max(caps) / min(caps) > 3000  # a long tail: about four orders of magnitude
    # coins enter and leave the top list over time
    symbols = [{s.symbol for s in market.snapshot(d)} for d in market.dates]
    assert any(a - b for a, b in itertools.pairwise(symbols))
    assert symbols[0] != symbols[-1]


def test_has_a_sustained_bear_stretch(market: MarketHistory) -> None:
    btc = [c.price for c in closes_of(market, "BTC")]
    peak = max(btc)
    assert min(btc[btc.index(peak) :]) < peak / 2
    old_rule = [r.regime for r in regime_path(closes_of(market, "BTC"))]
    live = [p.regime for p in signal_readings(market, DEFAULT_CONFIG)]
    for regimes in (old_rule, live):
        assert _longest_bear(regimes) >= 20


def _longest_bear(regimes: list[Regime]) -> int:
    longest = run = 0
    for regime in regimes:
        run = run + 1 if regime is Regime.BEAR else 0
        longest = max(longest, run)
    return longest


def test_small_markets_and_bad_arguments() -> None:
    small = synthetic_market(n_assets=5, n_weeks=3, seed=1)
    assert len(small.dates) == 3
    assert all(len(small.snapshot(d)) == 5 for d in small.dates)
    with pytest.raises(InputError):
        synthetic_market(n_assets=1)
    with pytest.raises(InputError):
        synthetic_market(n_weeks=0)
