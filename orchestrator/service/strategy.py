"""The strategy's reads, for the front ends: market data (a CSV, CoinGecko or the
synthetic market), this date's weights and regime, the rules text, a backtest and its
sensitivity tables. No chain; the results are the strategy's own frozen records."""

from __future__ import annotations

import dataclasses
import datetime
import os
from decimal import Decimal
from pathlib import Path

from orchestrator.market.snapshot import AssetSnapshot, MarketHistory
from orchestrator.market.source import COINGECKO, open_market_source
from orchestrator.market.stablecoins import load_exclusions_csv, stablecoins_beside
from orchestrator.service.signal_reading import SignalReading, read_signal
from orchestrator.strategy.backtest import BacktestResult, run_backtest
from orchestrator.strategy.candidates import RegimePoint, signal_readings
from orchestrator.strategy.config import DEFAULT_CONFIG, StrategyConfig
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions
from orchestrator.strategy.metrics import Metrics, compute_metrics
from orchestrator.strategy.rules_text import rules_text
from orchestrator.strategy.sensitivity import (
    default_variants,
    markdown_grid,
    markdown_rows,
    one_at_a_time,
    signal_grid,
)
from orchestrator.strategy.signal import Regime
from orchestrator.strategy.universe import select_universe
from orchestrator.strategy.walkforward import (
    WalkForwardResult,
    cash_yield_sensitivity,
    markdown_table,
    to_json,
    walk_forward,
    with_cash_yield,
)
from orchestrator.strategy.weights import TargetWeights, target_weights
from orchestrator.trading.targets import Targets, current_targets

__all__ = [
    "COINGECKO",
    "DEFAULT_CONFIG",
    "AssetSnapshot",
    "BacktestResult",
    "Exclusions",
    "MarketHistory",
    "Metrics",
    "Regime",
    "RegimePoint",
    "SignalReading",
    "StrategyConfig",
    "TargetWeights",
    "Targets",
    "WalkForwardResult",
    "backtest",
    "backtest_metrics",
    "current_targets",
    "default_market_data",
    "load_market",
    "plot_backtest",
    "regime_on",
    "select_universe",
    "sensitivity_tables",
    "signal_on",
    "signal_readings",
    "strategy_config",
    "strategy_rules",
    "walk_forward_json",
    "walk_forward_report",
    "walk_forward_run",
    "weights_on",
    "yield_sensitivity_report",
]


def strategy_config(
    top: int | None = None, cap: Decimal | None = None, cash_yield: Decimal | None = None
) -> StrategyConfig:
    """The live configuration, with the universe size, the single-asset cap and the
    backtest's stablecoin yield overridden."""
    config = DEFAULT_CONFIG
    if cash_yield is not None:
        config = with_cash_yield(config, cash_yield)
    if top is not None:
        config = dataclasses.replace(
            config, universe=dataclasses.replace(config.universe, top_n=top)
        )
    if cap is not None:
        config = dataclasses.replace(config, weights=dataclasses.replace(config.weights, cap=cap))
    return config


def default_market_data() -> str | None:
    """The market data every command uses unless told otherwise: the local network's (what
    `local up --market-data` set, which its trading commands use too), else None (the
    synthetic market, seed 7: also what a local network started without one uses)."""
    from orchestrator.errors import ConfigError
    from orchestrator.networks import resolve_network

    try:
        configured = resolve_network("local").market_data
    except ConfigError:  # no local network set up
        return None
    return str(configured) if configured is not None else None


def load_market(market_data: str | None, top_n: int = 100) -> tuple[MarketHistory, Exclusions]:
    """A CSV file, 'coingecko' (live: COINGECKO_API_KEY optional), or None for the default
    (`default_market_data()`); with the stablecoin list found beside a CSV merged into the
    exclusions."""
    if market_data is None:
        market_data = default_market_data()
    api_key = os.environ.get("COINGECKO_API_KEY")
    history = open_market_source(market_data, top_n=top_n, api_key=api_key).history()
    exclusions = BUILTIN_EXCLUSIONS
    if market_data is not None and market_data != COINGECKO:
        beside = stablecoins_beside(Path(market_data))
        if beside is not None:
            exclusions = exclusions.merged(load_exclusions_csv(beside))
    return history, exclusions


def weights_on(
    history: MarketHistory,
    day: datetime.date,
    config: StrategyConfig,
    *,
    exclusions: Exclusions,
    max_pool_share: Decimal | None = None,
    max_gas_share: Decimal | None = None,
    ticket_usd: Decimal | None = None,
) -> TargetWeights:
    options = dataclasses.replace(
        config.weights, max_pool_share=max_pool_share, max_gas_share=max_gas_share
    )
    return target_weights(
        history.snapshot(day),
        options,
        config.universe,
        exclusions=exclusions,
        ticket_usd=ticket_usd,
        costs=config.costs,
    )


def regime_on(history: MarketHistory, day: datetime.date) -> RegimePoint:
    """The live signal's point on `day` (regime, gauge); `signal_on` has the thresholds."""
    history.snapshot(day)  # an unknown date names the nearest available ones
    return next(p for p in signal_readings(history, DEFAULT_CONFIG) if p.date == day)


def signal_on(
    history: MarketHistory, day: datetime.date, *, exclusions: Exclusions = BUILTIN_EXCLUSIONS
) -> SignalReading:
    """The live signal's reading on `day`: the gauge, its switch thresholds and band, the
    regime and the last switch (an unknown date names the nearest available ones)."""
    return read_signal(history, day, DEFAULT_CONFIG, exclusions)


def strategy_rules() -> str:
    """The rules, generated from the live configuration."""
    return rules_text(DEFAULT_CONFIG)


def backtest(
    history: MarketHistory,
    config: StrategyConfig,
    *,
    start: datetime.date | None,
    end: datetime.date | None,
    exclusions: Exclusions,
) -> BacktestResult:
    return run_backtest(history, config, start=start, end=end, exclusions=exclusions)


def backtest_metrics(result: BacktestResult) -> dict[str, Metrics]:
    return {
        "strategy": compute_metrics(result.strategy),
        "passive": compute_metrics(result.passive),
        "btc": compute_metrics(result.btc),
    }


def plot_backtest(result: BacktestResult, path: Path) -> None:
    from orchestrator.strategy.plot import plot_backtest as plot

    plot(result, path)


def sensitivity_tables(history: MarketHistory) -> tuple[str, str]:
    """Markdown: the signal's grid, then one parameter at a time."""
    passive, cells = signal_grid(history)
    return markdown_grid(passive, cells), markdown_rows(one_at_a_time(history, default_variants()))


def walk_forward_run(
    history: MarketHistory,
    config: StrategyConfig,
    *,
    exclusions: Exclusions,
    test_weeks: int = 13,
) -> WalkForwardResult:
    """Every candidate signal walked forward (strategy/walkforward.py)."""
    return walk_forward(history, config, exclusions=exclusions, test_weeks=test_weeks)


def walk_forward_report(result: WalkForwardResult) -> str:
    return markdown_table(result)


def walk_forward_json(result: WalkForwardResult) -> dict[str, object]:
    return to_json(result)


def yield_sensitivity_report(
    history: MarketHistory,
    result: WalkForwardResult,
    *,
    exclusions: Exclusions,
) -> str:
    """Markdown: the chosen candidate and the old rule at 0%, 2% and 4% stablecoin yield."""
    names = (result.baseline.name, result.chosen)
    runs = cash_yield_sensitivity(
        history,
        names,
        config=result.config,
        exclusions=exclusions,
        test_weeks=result.test_weeks,
    )
    lines = [
        "| stablecoin yield | candidate | return | max DD | Calmar |",
        "|---|---|---|---|---|",
    ]
    for cash_yield, run in runs.items():
        for report in run.candidates:
            m = report.metrics
            calmar = "n/a" if m.calmar is None else f"{m.calmar:.2f}"
            lines.append(
                f"| {float(cash_yield):.0%} | {report.name} "
                f"| {float(m.final_nav / report.run.initial_nav - 1):+.1%} "
                f"| {m.max_drawdown:.1%} | {calmar} |"
            )
    return "\n".join(lines) + "\n"
