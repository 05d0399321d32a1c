"""The walk-forward harness on the synthetic market: no look-ahead, the backtest's costs,
the stitched curve, round trips, the choice rule, the stablecoin yield."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from itertools import pairwise

import pytest

from orchestrator.errors import InputError
from orchestrator.market.snapshot import MarketHistory
from orchestrator.market.synthetic import generate_synthetic_market
from orchestrator.strategy.backtest import index_weights, run_backtest, simulate
from orchestrator.strategy.config import DEFAULT_CONFIG, SignalConfig
from orchestrator.strategy.ledger import NavPoint, Run, replay_navs
from orchestrator.strategy.walkforward import (
    BASELINE,
    BTC_210_RULE,
    Candidate,
    RoundTrip,
    WalkForwardResult,
    default_candidates,
    round_trips,
    walk_forward,
    with_cash_yield,
)

FIRST_TEST = datetime.date(2022, 1, 3)


@pytest.fixture(scope="module")
def market() -> MarketHistory:
    return generate_synthetic_market(n_assets=20, n_weeks=104, seed=7)


def small_candidates() -> tuple[Candidate, ...]:
    trend = tuple(
        SignalConfig(window_days=w, band=Decimal(b)) for w in (70, 140) for b in ("0", "0.05")
    )
    breadth = tuple(
        SignalConfig(
            kind="breadth", window_days=w, enter_above=Decimal("0.6"), exit_below=Decimal("0.4")
        )
        for w in (70, 140)
    )
    index = tuple(
        SignalConfig(kind="index_trend", window_days=w, band=Decimal("0.05")) for w in (70, 140)
    )
    vote = (SignalConfig(kind="vote", members=(trend[1], breadth[0], index[0]), need=2),)
    return (
        Candidate(BASELINE, (BTC_210_RULE,)),
        Candidate("trend", trend),
        Candidate("breadth", breadth),
        Candidate("index", index),
        Candidate("vote", vote),
    )


def run(history: MarketHistory, **kwargs: object) -> WalkForwardResult:
    return walk_forward(
        history,
        candidates=small_candidates(),
        first_test=FIRST_TEST,
        test_weeks=13,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def result(market: MarketHistory) -> WalkForwardResult:
    return run(market)


def poisoned(history: MarketHistory, after: datetime.date) -> MarketHistory:
    """Every price and cap after `after` scrambled (x5 or /5, alternating by coin)."""
    snaps = []
    for date in history.dates:
        for i, snap in enumerate(history.snapshot(date)):
            if date > after:
                factor = Decimal(5) if (i + date.toordinal()) % 2 else Decimal("0.2")
                snap = dataclasses.replace(
                    snap,
                    price_usd=snap.price_usd * factor,
                    market_cap_usd=snap.market_cap_usd * factor,
                )
            snaps.append(snap)
    return MarketHistory.from_snapshots(snaps, source_label="poisoned")


def test_choices_never_read_data_from_their_window_onwards(
    market: MarketHistory, result: WalkForwardResult
) -> None:
    windows = result.candidate("trend").windows
    cut = windows[2].test_start  # poison everything from this window's start on
    bad = run(poisoned(market, cut - datetime.timedelta(days=1)))
    changed_later = False
    for clean, dirty in zip(result.candidates, bad.candidates, strict=True):
        for a, b in zip(clean.windows, dirty.windows, strict=True):
            if a.test_start <= cut:
                assert (a.config, a.train_score) == (b.config, b.train_score), (clean.name, a)
            else:
                changed_later |= a.train_score != b.train_score
    assert changed_later  # the poison was real: later windows, trained on it, moved


def test_one_configuration_walked_forward_is_the_plain_backtest(
    market: MarketHistory, result: WalkForwardResult
) -> None:
    """Same signal, same simulate, same costs: the harness charges what the backtest does."""
    config = dataclasses.replace(DEFAULT_CONFIG, signal=BTC_210_RULE)
    plain = run_backtest(market, config, start=FIRST_TEST)
    walked = result.baseline.run
    assert [p.nav for p in walked.navs] == [p.nav for p in plain.strategy.navs]
    assert walked.costs() == plain.strategy.costs()
    assert [p.nav for p in result.passive.navs] == [p.nav for p in plain.passive.navs]


def test_stitched_curve_follows_each_windows_choice_and_replays(
    market: MarketHistory, result: WalkForwardResult
) -> None:
    prices = {d: {s.symbol: s.price_usd for s in market.snapshot(d)} for d in market.dates}
    weights = index_weights(market, market.dates)
    for report in result.candidates:
        assert list(replay_navs(report.run, prices)) == [p.nav for p in report.run.navs]
        assert report.run.navs[0].date == FIRST_TEST
        switching = sum((t.cost for t in report.run.trades if t.reason == "regime"), Decimal(0))
        assert report.switching_cost_usd == switching
        assert report.configs_tried == len(
            next(c for c in small_candidates() if c.name == report.name).grid
        )
    assert result.configs_tried == sum(len(c.grid) for c in small_candidates())
    # an always-invested signal walked forward is the passive index, cost for cost
    never = Candidate("never out", (SignalConfig(kind="drawdown", stop=Decimal("0.99")),))
    always = walk_forward(market, candidates=(never,), first_test=FIRST_TEST, index=weights)
    assert [p.nav for p in always.candidates[0].run.navs] == [p.nav for p in always.passive.navs]
    assert always.candidates[0].switches_per_year == 0


def test_window_layout_is_expanding_and_contiguous(result: WalkForwardResult) -> None:
    windows = result.candidate("trend").windows
    dates = result.test_dates
    assert windows[0].test_start == dates[0] == FIRST_TEST
    assert all(w.train_start == windows[0].train_start for w in windows)  # expanding
    assert [w.test_start for w in windows] == list(dates[::13])
    assert windows[-1].test_end == dates[-1]


def testround_trips_are_sold_and_bought_back_at_the_index_level() -> None:
    def point(day: int, nav: str, invested: bool) -> NavPoint:
        return NavPoint(datetime.date(2024, 1, 1 + day), Decimal(nav), Decimal(0), invested)

    flags = [True, False, False, True, False]
    levels = ["100", "80", "70", "90", "95"]
    strategy = Run("s", Decimal(100), tuple(point(i, "1", f) for i, f in enumerate(flags)), (), ())
    passive = Run("p", Decimal(100), tuple(point(i, v, True) for i, v in enumerate(levels)), (), ())
    trips = round_trips(strategy, passive)
    day = [p.date for p in passive.navs]
    assert trips == (
        RoundTrip(day[1], Decimal(80), day[3], Decimal(90), False),
        RoundTrip(day[4], Decimal(95), day[4], Decimal(95), True),
    )
    assert trips[0].change == pytest.approx(0.125)


def test_cash_yield_accrues_on_usdc_only(market: MarketHistory) -> None:
    never_in = SignalConfig(kind="breadth", enter_above=Decimal(1), exit_below=Decimal(1))
    config = with_cash_yield(dataclasses.replace(DEFAULT_CONFIG, signal=never_in), Decimal("0.04"))
    dates = market.dates_between(FIRST_TEST)
    held = simulate("cash", market, dates, lambda _d: None, config)
    expected = config.backtest.initial_nav_usd
    for before, after in pairwise(dates):
        expected += expected * Decimal("0.04") * (after - before).days / 365
    assert held.navs[-1].nav == expected
    assert held.navs[-1].nav > config.backtest.initial_nav_usd * Decimal("1.035")  # a year
    zero = simulate("cash", market, dates, lambda _d: None, DEFAULT_CONFIG)
    assert zero.navs[-1].nav == DEFAULT_CONFIG.backtest.initial_nav_usd  # no yield by default


def test_bad_windows(market: MarketHistory) -> None:
    with pytest.raises(InputError, match="no room"):
        walk_forward(market, candidates=small_candidates(), first_test=market.dates[0])
    with pytest.raises(InputError, match="weeks"):
        walk_forward(market, candidates=small_candidates(), test_weeks=0)


def test_default_candidates_cover_the_issue() -> None:
    kinds = {c.name: {s.kind for s in c.grid} for c in default_candidates()}
    assert kinds[BASELINE] == {"trend"}
    assert {"trend", "index_trend", "breadth", "drawdown", "volatility", "vote"} <= set().union(
        *kinds.values()
    )
    confirm = next(c for c in default_candidates() if "confirmed" in c.name)
    assert all(s.confirm >= 2 for s in confirm.grid)
    assert any(DEFAULT_CONFIG.signal in c.grid for c in default_candidates())
