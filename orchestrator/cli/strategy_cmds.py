"""Strategy commands: `weights`, `signal`, `strategy`, `backtest`, `sensitivity`.

Thin: parse options, call orchestrator.market / orchestrator.strategy, print. With
`--json` the output keys are a contract (see docs/strategy.md); `source` is extra and says
where the data came from ("synthetic (seed=7)" when --market-data is omitted).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.app import app
from orchestrator.errors import InputError
from orchestrator.market.snapshot import MarketHistory
from orchestrator.market.source import COINGECKO, open_market_source
from orchestrator.market.stablecoins import load_exclusions_csv, stablecoins_beside
from orchestrator.strategy.backtest import run_backtest
from orchestrator.strategy.config import DEFAULT_CONFIG, StrategyConfig
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions
from orchestrator.strategy.metrics import compute_metrics
from orchestrator.strategy.rules_text import rules_text
from orchestrator.strategy.sensitivity import (
    default_variants,
    markdown_grid,
    markdown_rows,
    one_at_a_time,
    signal_grid,
)
from orchestrator.strategy.signal import closes_of, regime_at
from orchestrator.strategy.weights import target_weights

__all__ = ["backtest", "sensitivity", "signal", "strategy", "weights"]

MarketData = Annotated[
    str | None,
    typer.Option(
        "--market-data",
        help="A market CSV, or 'coingecko' (live, needs network). Default: the synthetic market.",
    ),
]
DateOpt = Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: the latest).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
TopOpt = Annotated[int | None, typer.Option("--top", min=1, help="Universe size N (default 100).")]
CapOpt = Annotated[str | None, typer.Option("--cap", help="Single-asset cap, e.g. 0.25.")]


def _decimal(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{option} {text!r} is not a number", hint="Example: 0.25") from None
    if not value.is_finite():
        raise InputError(f"{option} {text!r} is not a finite number")
    return value


def _date(text: str | None, history: MarketHistory) -> datetime.date:
    if text is None:
        return history.dates[-1]
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date {text!r} is not a date", hint="Use YYYY-MM-DD.") from None


def _config(top: int | None = None, cap: str | None = None) -> StrategyConfig:
    config = DEFAULT_CONFIG
    if top is not None:
        config = dataclasses.replace(
            config, universe=dataclasses.replace(config.universe, top_n=top)
        )
    cap_value = _decimal(cap, "--cap")
    if cap_value is not None:
        weights = dataclasses.replace(config.weights, cap=cap_value)
        config = dataclasses.replace(config, weights=weights)
    return config


def _load(market_data: str | None, top_n: int = 100) -> tuple[MarketHistory, Exclusions]:
    api_key = os.environ.get("COINGECKO_API_KEY")
    history = open_market_source(market_data, top_n=top_n, api_key=api_key).history()
    exclusions = BUILTIN_EXCLUSIONS
    if market_data is not None and market_data != COINGECKO:
        beside = stablecoins_beside(Path(market_data))
        if beside is not None:
            exclusions = exclusions.merged(load_exclusions_csv(beside))
    return history, exclusions


def _print_json(payload: dict[str, object]) -> None:
    typer.echo(json.dumps(payload, indent=2))


@app.command()
def weights(
    market_data: MarketData = None,
    date: DateOpt = None,
    top: TopOpt = None,
    cap: CapOpt = None,
    ticket: Annotated[
        str | None, typer.Option(help="Ticket size in USD (for the two options below).")
    ] = None,
    max_pool_share: Annotated[
        str | None, typer.Option(help="Liquidity-aware caps: max share of a pool's depth.")
    ] = None,
    max_gas_share: Annotated[
        str | None, typer.Option(help="Ticket-size basket: drop legs whose gas exceeds this.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Target weights (bps) of the index on a date."""
    config = _config(top, cap)
    options = dataclasses.replace(
        config.weights,
        max_pool_share=_decimal(max_pool_share, "--max-pool-share"),
        max_gas_share=_decimal(max_gas_share, "--max-gas-share"),
    )
    history, exclusions = _load(market_data, config.universe.top_n)
    day = _date(date, history)
    result = target_weights(
        history.snapshot(day),
        options,
        config.universe,
        exclusions=exclusions,
        ticket_usd=_decimal(ticket, "--ticket"),
        costs=config.costs,
    )
    if as_json:
        payload: dict[str, object] = {
            "date": day.isoformat(),
            "weights_bps": dict(result.weights_bps),
            "excluded": dict(result.excluded),
            "source": history.source_label,
        }
        if result.notes:
            payload["notes"] = list(result.notes)
        _print_json(payload)
        return
    typer.echo(f"Index weights on {day} ({history.source_label}), {len(result.weights_bps)} coins:")
    for symbol, bps in result.weights_bps.items():
        typer.echo(f"  {symbol:<10} {bps:>6} bps  {bps / 100:>6.2f}%")
    typer.echo(f"Excluded ({len(result.excluded)}):")
    for symbol, reason in result.excluded.items():
        typer.echo(f"  {symbol:<10} {reason}")
    for note in result.notes:
        typer.echo(f"note: {note}")


@app.command()
def signal(
    market_data: MarketData = None,
    date: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The market regime (bull/bear) and its 0-100 gauge on a date."""
    config = DEFAULT_CONFIG.signal
    history, _ = _load(market_data)
    day = _date(date, history)
    history.snapshot(day)  # an unknown date names the nearest available ones
    reading = regime_at(closes_of(history, config.symbol), day, config)
    if as_json:
        _print_json(
            {
                "date": day.isoformat(),
                "regime": reading.regime.value,
                "gauge": reading.gauge,
                "inputs": reading.inputs(config),
                "source": history.source_label,
            }
        )
        return
    typer.echo(
        f"{day}: {reading.regime.value.upper()}, gauge {reading.gauge}/100 "
        f"({config.symbol} {reading.close} vs {config.window_days}-day average "
        f"{reading.average:.2f}: {float(reading.distance):+.1%}; "
        f"bear below {float(-config.band):+.1%}, bull above {float(config.band):+.1%})"
        + (" [warming up]" if reading.warming_up else "")
        + f" [{history.source_label}]"
    )


@app.command()
def strategy() -> None:
    """The strategy's rules, generated from the live configuration."""
    typer.echo(rules_text(DEFAULT_CONFIG), nl=False)


@app.command()
def backtest(
    market_data: MarketData = None,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    top: TopOpt = None,
    cap: CapOpt = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the NAV chart here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Backtest the strategy against the passive index and BTC, net of costs."""
    config = _config(top, cap)
    history, exclusions = _load(market_data, config.universe.top_n)
    first = _date(start, history) if start else None
    last = _date(end, history) if end else None
    result = run_backtest(history, config, start=first, end=last, exclusions=exclusions)
    metrics = {
        "strategy": compute_metrics(result.strategy),
        "passive": compute_metrics(result.passive),
        "btc": compute_metrics(result.btc),
    }
    if plot is not None:
        from orchestrator.strategy.plot import plot_backtest

        plot_backtest(result, plot)
    if as_json:
        payload: dict[str, object] = {name: m.to_json() for name, m in metrics.items()}
        payload["source"] = history.source_label
        payload["from"] = result.strategy.navs[0].date.isoformat()
        payload["to"] = result.strategy.navs[-1].date.isoformat()
        payload["initial_nav"] = float(config.backtest.initial_nav_usd)
        _print_json(payload)
        return
    typer.echo(
        f"Backtest {result.strategy.navs[0].date} to {result.strategy.navs[-1].date} on "
        f"{history.source_label}, ${config.backtest.initial_nav_usd:,} start, net of costs:"
    )
    typer.echo(f"  {'':<9} {'final NAV':>12} {'CAGR':>7} {'max DD':>7} {'Calmar':>7} {'Sharpe':>7}")
    for name, m in metrics.items():
        calmar = f"{m.calmar:.2f}" if m.calmar is not None else "n/a"
        sharpe = f"{m.sharpe:.2f}" if m.sharpe is not None else "n/a"
        typer.echo(
            f"  {name:<9} {float(m.final_nav):>12,.2f} {m.cagr:>7.1%} {m.max_drawdown:>7.1%} "
            f"{calmar:>7} {sharpe:>7}"
        )
    if plot is not None:
        typer.echo(f"chart: {plot}")


@app.command()
def sensitivity(market_data: MarketData = None) -> None:
    """Markdown tables: the backtest under neighbouring parameter values (slow: ~30 s)."""
    history, _ = _load(market_data)
    passive, cells = signal_grid(history)
    typer.echo(markdown_grid(passive, cells))
    typer.echo(markdown_rows(one_at_a_time(history, default_variants())))
