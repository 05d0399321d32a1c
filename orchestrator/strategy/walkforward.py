"""Walk-forward evaluation of candidate regime signals (pure; no I/O).

Scheme: **expanding** training window, consecutive test windows of `test_weeks` dates.
For a test window starting on S, every configuration of a candidate's grid is scored on
the training span [first date of the data, S): the strategy's backtest NAV (backtest.simulate,
the same costs: platform fee, pool fee, impact from volume, gas per leg, the vanished-coin
rule) on the dates before S. The best training score (Calmar, drawdown floored at 1%;
ties: fewer switches, then grid order) is the configuration used for the window.

The out-of-sample curve is ONE simulated portfolio over all the test dates (starting in
cash on the first one, like the passive index it is compared with), whose regime on each
date is the signal of the configuration chosen for that date's window. Changing the
configuration at a window's start may change the regime; that trade is charged like any
other. Each configuration is simulated once over the whole history and its training score
read from the dates before S: the simulation and every signal are causal, so the score
equals the one a run on the truncated data would give (the tests poison every price after
S and check that the choices do not move).

Per candidate: return, max drawdown, Calmar, switches per year, time in market, the cost
of switching (fees, slippage and gas of the regime trades), the round trips (sold on a
bull -> bear switch, bought back on the next bear -> bull, both at the passive index's
level; an open one is marked at the last date), and the number of configurations tried.

The new default is chosen by `CHOICE_RULE`, written before any result was looked at.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from orchestrator.errors import InputError
from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy.backtest import index_weights, simulate
from orchestrator.strategy.candidates import RegimePoint, SignalSeries, signal_points, signal_series
from orchestrator.strategy.config import DEFAULT_CONFIG, SignalConfig, StrategyConfig
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions
from orchestrator.strategy.ledger import Run
from orchestrator.strategy.metrics import Metrics, compute_metrics
from orchestrator.strategy.signal import Regime

__all__ = [
    "BTC_210_RULE",
    "CHOICE_RULE",
    "SCHEME",
    "Candidate",
    "CandidateReport",
    "RoundTrip",
    "WalkForwardResult",
    "WindowChoice",
    "cash_yield_sensitivity",
    "choose_default",
    "default_candidates",
    "markdown_table",
    "round_trips",
    "to_json",
    "walk_forward",
    "with_cash_yield",
]

SCHEME = "expanding"
BTC_210_RULE = SignalConfig(
    kind="trend", symbol="BTC", window_days=210, band=Decimal("0.05"), confirm=1
)
"""The rule the product ran before the walk-forward study (the baseline)."""
BASELINE = "BTC 210d ±5% (the old rule)"
CHOICE_RULE = (
    "Among the candidates whose out-of-sample switches per year and worst round trip are "
    "no worse than the old rule's, the best out-of-sample Calmar (ties: fewer switches "
    "per year); the old rule qualifies, so there is always a choice. The default's "
    "parameters are the ones that candidate's own selection picks on all the data."
)
DRAWDOWN_FLOOR = 0.01


@dataclass(frozen=True)
class Candidate:
    """A family of signals: the harness picks one of `grid` per test window."""

    name: str
    grid: tuple[SignalConfig, ...]


@dataclass(frozen=True)
class WindowChoice:
    train_start: datetime.date
    test_start: datetime.date
    test_end: datetime.date  # the window's last date
    config: SignalConfig
    train_score: float


@dataclass(frozen=True)
class RoundTrip:
    """Sold into USDC on `sold_on`, bought back on `bought_on` (index levels: passive NAV)."""

    sold_on: datetime.date
    sold_at: Decimal
    bought_on: datetime.date
    bought_at: Decimal
    open: bool  # not bought back by the last date: marked at the last date's level

    @property
    def change(self) -> float:
        """How much higher the index was when bought back (+0.2 = 20% higher: a loss)."""
        return float(self.bought_at / self.sold_at - 1)


@dataclass(frozen=True)
class CandidateReport:
    name: str
    configs_tried: int
    windows: tuple[WindowChoice, ...]
    run: Run
    metrics: Metrics
    switches_per_year: float
    switching_cost_usd: Decimal
    round_trips: tuple[RoundTrip, ...]
    final_choice: SignalConfig  # what the selection picks on all the data

    @property
    def worst_round_trip(self) -> RoundTrip | None:
        return max(self.round_trips, key=lambda t: t.change, default=None)


@dataclass(frozen=True)
class WalkForwardResult:
    source_label: str
    scheme: str
    test_weeks: int
    candidates: tuple[CandidateReport, ...]
    passive: Run
    passive_metrics: Metrics
    configs_tried: int  # over every candidate
    chosen: str  # the candidate CHOICE_RULE picks
    config: StrategyConfig

    def candidate(self, name: str) -> CandidateReport:
        for report in self.candidates:
            if report.name == name:
                return report
        raise KeyError(name)

    @property
    def baseline(self) -> CandidateReport:
        return self.candidate(BASELINE)

    @property
    def test_dates(self) -> tuple[datetime.date, ...]:
        return tuple(p.date for p in self.passive.navs)


def _trend(window: int, band: str, confirm: int = 1) -> SignalConfig:
    return SignalConfig(kind="trend", window_days=window, band=Decimal(band), confirm=confirm)


def _breadth(window: int, enter: str, leave: str) -> SignalConfig:
    return SignalConfig(
        kind="breadth",
        window_days=window,
        enter_above=Decimal(enter),
        exit_below=Decimal(leave),
    )


def _index(window: int, band: str) -> SignalConfig:
    return SignalConfig(kind="index_trend", window_days=window, band=Decimal(band))


def default_candidates() -> tuple[Candidate, ...]:
    """The candidates of docs/strategy.md, each with a small grid."""
    bands = ("0", "0.025", "0.05", "0.1")
    thresholds = (("0.5", "0.5"), ("0.55", "0.45"), ("0.6", "0.4"), ("0.65", "0.35"))
    return (
        Candidate(BASELINE, (BTC_210_RULE,)),
        Candidate(
            "BTC trend, lookback x band",
            tuple(_trend(w, b) for w in (70, 140, 210, 280, 350) for b in bands),
        ),
        Candidate(
            "BTC trend, confirmed over N weekly closes",
            tuple(_trend(w, b, n) for w in (140, 210, 280) for b in ("0", "0.05") for n in (2, 3)),
        ),
        Candidate(
            "breadth (share of the universe above its own trend)",
            tuple(_breadth(w, e, x) for w in (70, 140, 210) for e, x in thresholds),
        ),
        Candidate(
            "index's own trend",
            tuple(_index(w, b) for w in (70, 140, 210, 280) for b in ("0", "0.05", "0.1")),
        ),
        Candidate(
            "drawdown stop with cool-off",
            tuple(
                SignalConfig(kind="drawdown", stop=Decimal(s), cooloff_days=c)
                for s in ("0.15", "0.25", "0.35")
                for c in (28, 56, 91)
            ),
        ),
        Candidate(
            "volatility filter",
            tuple(
                SignalConfig(
                    kind="volatility",
                    window_days=w,
                    exit_below=Decimal(out),
                    enter_above=Decimal(back),
                )
                for w in (56, 91)
                for out, back in (("0.8", "0.6"), ("1.0", "0.8"), ("1.2", "0.9"))
            ),
        ),
        Candidate(
            "vote (BTC trend, breadth, index trend)",
            tuple(
                SignalConfig(
                    kind="vote",
                    members=(_trend(w, "0.05"), _breadth(w, "0.6", "0.4"), _index(w, "0.05")),
                    need=n,
                )
                for w in (140, 210)
                for n in (2, 3)
            ),
        ),
    )


def _score(metrics: Metrics) -> float:
    return metrics.cagr / max(metrics.max_drawdown, DRAWDOWN_FLOOR)


def _truncated(run: Run, before: datetime.date) -> Run:
    return Run(
        run.name,
        run.initial_nav,
        tuple(p for p in run.navs if p.date < before),
        tuple(t for t in run.trades if t.date < before),
        tuple(r for r in run.renames if r.date < before),
    )


def round_trips(run: Run, passive: Run) -> tuple[RoundTrip, ...]:
    level = {p.date: p.nav for p in passive.navs}
    trips: list[RoundTrip] = []
    sold: datetime.date | None = None
    was = run.navs[0].invested  # starting in USDC on the first date is not a sale
    for point in run.navs:
        if was and not point.invested:
            sold = point.date
        elif not was and point.invested and sold is not None:
            trips.append(RoundTrip(sold, level[sold], point.date, level[point.date], False))
            sold = None
        was = point.invested
    if sold is not None:
        last = run.navs[-1].date
        trips.append(RoundTrip(sold, level[sold], last, level[last], True))
    return tuple(trips)


def _report(
    name: str,
    configs: int,
    windows: tuple[WindowChoice, ...],
    run: Run,
    passive: Run,
    final: SignalConfig,
) -> CandidateReport:
    metrics = compute_metrics(run)
    years = (run.navs[-1].date - run.navs[0].date).days / 365.25
    switching = sum((t.cost for t in run.trades if t.reason == "regime"), Decimal(0))
    return CandidateReport(
        name,
        configs,
        windows,
        run,
        metrics,
        metrics.switches / years,
        switching,
        round_trips(run, passive),
        final,
    )


def choose_default(reports: Sequence[CandidateReport], baseline: CandidateReport) -> str:
    """CHOICE_RULE."""

    def worst(report: CandidateReport) -> float:
        trip = report.worst_round_trip
        return trip.change if trip is not None else float("-inf")

    eligible = [
        r
        for r in reports
        if r.switches_per_year <= baseline.switches_per_year + 1e-9
        and worst(r) <= worst(baseline) + 1e-9
    ]
    eligible.sort(
        key=lambda r: (
            -(r.metrics.calmar if r.metrics.calmar is not None else float("inf")),
            r.switches_per_year,
        )
    )
    return eligible[0].name if eligible else baseline.name


def walk_forward(
    history: MarketHistory,
    config: StrategyConfig = DEFAULT_CONFIG,
    *,
    candidates: Sequence[Candidate] | None = None,
    test_weeks: int = 13,
    first_test: datetime.date | None = None,
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
    index: Mapping[datetime.date, Mapping[str, int]] | None = None,
    series: SignalSeries | None = None,
) -> WalkForwardResult:
    """Every candidate walked forward over the test windows (see the module docstring).

    `first_test` defaults to the first date at least 52 weeks after the data's start
    (one year of training before the first choice)."""
    dates = history.dates
    if test_weeks < 1:
        raise InputError(f"test windows of {test_weeks} weeks", hint="Use 1 or more weeks.")
    start = first_test or dates[0] + datetime.timedelta(weeks=52)
    test_dates = tuple(d for d in dates if d >= start)
    if len(test_dates) < 2 or test_dates[0] == dates[0]:
        raise InputError(
            f"no room for a walk-forward test from {start}: {history.source_label} covers "
            f"{dates[0]} to {dates[-1]}",
            hint="The first test date must leave training data before it and 2 dates after.",
        )
    cands = tuple(candidates) if candidates is not None else default_candidates()
    weights = index if index is not None else index_weights(history, dates, config, exclusions)
    inputs = series or signal_series(
        history,
        universe=config.universe,
        cap=config.weights.cap,
        exclusions=exclusions,
        haircut=config.backtest.vanish_haircut,
    )
    blocks = [test_dates[i : i + test_weeks] for i in range(0, len(test_dates), test_weeks)]

    runs: dict[tuple[Regime, ...], Run] = {}
    paths: dict[SignalConfig, tuple[RegimePoint, ...]] = {}

    def path(signal: SignalConfig) -> tuple[RegimePoint, ...]:
        if signal not in paths:
            paths[signal] = signal_points(inputs, signal)
        return paths[signal]

    def full_run(signal: SignalConfig) -> Run:
        regimes = tuple(p.regime for p in path(signal))
        if regimes not in runs:
            by_date = dict(zip(dates, regimes, strict=True))

            def targets(date: datetime.date) -> Mapping[str, int] | None:
                return weights[date] if by_date[date] is Regime.BULL else None

            runs[regimes] = simulate("train", history, dates, targets, config)
        return runs[regimes]

    def pick(grid: Sequence[SignalConfig], before: datetime.date) -> tuple[SignalConfig, float]:
        best: tuple[float, int, int] | None = None
        chosen = grid[0]
        for order, signal in enumerate(grid):
            metrics = compute_metrics(_truncated(full_run(signal), before))
            key = (-_score(metrics), metrics.switches, order)
            if best is None or key < best:
                best, chosen = key, signal
        assert best is not None
        return chosen, -best[0]

    passive = simulate("passive", history, test_dates, weights.__getitem__, config)
    after_end = dates[-1] + datetime.timedelta(days=1)
    reports = []
    for cand in cands:
        windows = []
        regime_on: dict[datetime.date, Regime] = {}
        for block in blocks:
            signal, score = pick(cand.grid, block[0])
            windows.append(WindowChoice(dates[0], block[0], block[-1], signal, score))
            by_date = {p.date: p.regime for p in path(signal)}
            regime_on.update((d, by_date[d]) for d in block)

        def targets(
            date: datetime.date, on: Mapping[datetime.date, Regime] = regime_on
        ) -> Mapping[str, int] | None:
            return weights[date] if on[date] is Regime.BULL else None

        run = simulate(cand.name, history, test_dates, targets, config)
        final, _ = pick(cand.grid, after_end)
        reports.append(_report(cand.name, len(cand.grid), tuple(windows), run, passive, final))
    base = next((r for r in reports if r.name == BASELINE), reports[0])
    return WalkForwardResult(
        source_label=history.source_label,
        scheme=SCHEME,
        test_weeks=test_weeks,
        candidates=tuple(reports),
        passive=passive,
        passive_metrics=compute_metrics(passive),
        configs_tried=sum(len(c.grid) for c in cands),
        chosen=choose_default(reports, base),
        config=config,
    )


def with_cash_yield(config: StrategyConfig, cash_yield: Decimal) -> StrategyConfig:
    return dataclasses.replace(
        config, backtest=dataclasses.replace(config.backtest, cash_yield=cash_yield)
    )


def cash_yield_sensitivity(
    history: MarketHistory,
    names: Sequence[str],
    yields: Sequence[Decimal] = (Decimal(0), Decimal("0.02"), Decimal("0.04")),
    config: StrategyConfig = DEFAULT_CONFIG,
    *,
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
    test_weeks: int = 13,
    index: Mapping[datetime.date, Mapping[str, int]] | None = None,
) -> dict[Decimal, WalkForwardResult]:
    """The walk-forward of the candidates called `names`, once per stablecoin yield."""
    chosen = tuple(c for c in default_candidates() if c.name in names)
    weights = (
        index if index is not None else index_weights(history, history.dates, config, exclusions)
    )
    series = signal_series(
        history,
        universe=config.universe,
        cap=config.weights.cap,
        exclusions=exclusions,
        haircut=config.backtest.vanish_haircut,
    )
    return {
        y: walk_forward(
            history,
            with_cash_yield(config, y),
            candidates=chosen,
            test_weeks=test_weeks,
            exclusions=exclusions,
            index=weights,
            series=series,
        )
        for y in yields
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1%}"


def _trip(trip: RoundTrip | None) -> str:
    if trip is None:
        return "none"
    sold = f"sold {trip.sold_on} at {trip.sold_at:,.0f}"
    back = "still out, marked" if trip.open else "bought back"
    return f"{trip.change:+.1%} ({sold}, {back} {trip.bought_on} at {trip.bought_at:,.0f})"


def markdown_table(result: WalkForwardResult) -> str:
    """The walk-forward table (docs/strategy.md, `backtest --walk-forward`)."""
    dates = result.test_dates
    p = result.passive_metrics
    c = result.config.costs
    lines = [
        f"Walk-forward on {result.source_label}: {result.scheme} training window (from the "
        f"data's first date), {result.test_weeks}-week test windows, out of sample "
        f"{dates[0]} to {dates[-1]}, ${result.config.backtest.initial_nav_usd:,} start, net "
        f"of costs, stablecoin yield {float(result.config.backtest.cash_yield):.0%}; "
        f"{result.configs_tried} configurations tried over {len(result.candidates)} "
        f"candidates. Costs on every leg: platform fee {c.platform_fee_bps} bps, pool fee "
        f"{c.swap_fee_bps} bps, impact {c.impact_coef} x sqrt(notional / 24h volume), gas "
        f"${c.gas_per_leg_usd} per leg; vanished coins marked with a "
        f"{float(result.config.backtest.vanish_haircut):.0%} haircut. Round trips are "
        "measured on the passive index's level (+ = bought back higher).",
        "",
        "| candidate | configs tried | return | max DD | Calmar | switches/yr "
        "| time in market | cost of switching | worst round trip |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| passive index | 1 | {_pct(float(p.final_nav / result.passive.initial_nav - 1))} "
        f"| {p.max_drawdown:.1%} | {p.calmar if p.calmar is None else f'{p.calmar:.2f}'} "
        "| 0.00 | 100% | $0 | n/a |",
    ]
    for r in result.candidates:
        m = r.metrics
        mark = " **(chosen)**" if r.name == result.chosen else ""
        calmar = "n/a" if m.calmar is None else f"{m.calmar:.2f}"
        lines.append(
            f"| {r.name}{mark} | {r.configs_tried} "
            f"| {_pct(float(m.final_nav / r.run.initial_nav - 1))} | {m.max_drawdown:.1%} "
            f"| {calmar} | {r.switches_per_year:.2f} | {m.time_in_market:.0%} "
            f"| ${r.switching_cost_usd:,.0f} | {_trip(r.worst_round_trip)} |"
        )
    chosen = result.candidate(result.chosen)
    lines += ["", f"Windows of the chosen candidate ({result.chosen}):", ""]
    lines += ["| test window | configuration chosen on the data before it | training score |"]
    lines += ["|---|---|---|"]
    for w in chosen.windows:
        lines.append(f"| {w.test_start} to {w.test_end} | {w.config.label} | {w.train_score:.2f} |")
    lines += ["", f"On all the data it picks: {chosen.final_choice.label}.", ""]
    return "\n".join(lines)


def to_json(result: WalkForwardResult) -> dict[str, object]:
    """The `backtest --walk-forward --json` payload (keys are a contract: docs/strategy.md)."""

    def trip(t: RoundTrip) -> dict[str, object]:
        return {
            "sold_on": t.sold_on.isoformat(),
            "sold_at": float(round(t.sold_at, 2)),
            "bought_on": t.bought_on.isoformat(),
            "bought_at": float(round(t.bought_at, 2)),
            "open": t.open,
            "change": t.change,
        }

    def candidate(r: CandidateReport) -> dict[str, object]:
        worst = r.worst_round_trip
        return {
            "name": r.name,
            "configs_tried": r.configs_tried,
            "return": float(r.metrics.final_nav / r.run.initial_nav - 1),
            "metrics": r.metrics.to_json(),
            "switches_per_year": r.switches_per_year,
            "switching_cost_usd": float(round(r.switching_cost_usd, 2)),
            "round_trips": [trip(t) for t in r.round_trips],
            "worst_round_trip": trip(worst) if worst is not None else None,
            "windows": [
                {
                    "train_start": w.train_start.isoformat(),
                    "test_start": w.test_start.isoformat(),
                    "test_end": w.test_end.isoformat(),
                    "config": w.config.label,
                    "train_score": w.train_score,
                }
                for w in r.windows
            ],
            "final_choice": r.final_choice.label,
        }

    dates = result.test_dates
    return {
        "source": result.source_label,
        "scheme": result.scheme,
        "test_weeks": result.test_weeks,
        "from": dates[0].isoformat(),
        "to": dates[-1].isoformat(),
        "cash_yield": float(result.config.backtest.cash_yield),
        "costs": {
            "platform_fee_bps": result.config.costs.platform_fee_bps,
            "swap_fee_bps": result.config.costs.swap_fee_bps,
            "impact_coef": float(result.config.costs.impact_coef),
            "gas_per_leg_usd": float(result.config.costs.gas_per_leg_usd),
            "vanish_haircut": float(result.config.backtest.vanish_haircut),
        },
        "configs_tried": result.configs_tried,
        "choice_rule": CHOICE_RULE,
        "chosen": result.chosen,
        "passive": {
            "return": float(result.passive_metrics.final_nav / result.passive.initial_nav - 1),
            "metrics": result.passive_metrics.to_json(),
        },
        "candidates": [candidate(r) for r in result.candidates],
    }
