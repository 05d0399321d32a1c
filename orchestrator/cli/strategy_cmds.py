"""Strategy commands: `weights`, `signal`, `strategy`, `backtest`, `sensitivity`.

Thin: parse options, call orchestrator.market / orchestrator.strategy, print. With
`--json` the output keys are a contract (see docs/strategy.md); `source` is extra and says
where the data came from ("synthetic (seed=7)" when --market-data is omitted).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Protocol

import typer

from orchestrator.cli.app import app
from orchestrator.cli.output import JsonOpt, emit
from orchestrator.errors import InputError
from orchestrator.service import strategy as facade

__all__ = ["backtest", "sensitivity", "signal", "strategy", "weights"]

MarketData = Annotated[
    str | None,
    typer.Option(
        "--market-data",
        help="A market CSV, or 'coingecko' (live, needs network). Default, as for every "
        "command: the local network's market data (`local up --market-data`), else the "
        "synthetic market (seed 7).",
    ),
]
DateOpt = Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: the latest).")]
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


class _Dated(Protocol):
    @property
    def dates(self) -> tuple[datetime.date, ...]: ...


def _date(text: str | None, history: _Dated) -> datetime.date:
    if text is None:
        return history.dates[-1]
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date {text!r} is not a date", hint="Use YYYY-MM-DD.") from None


def _config(
    top: int | None = None, cap: str | None = None, cash_yield: str | None = None
) -> facade.StrategyConfig:
    cap_fraction = _decimal(cap, "--cap")
    if cap_fraction is not None and not 0 < cap_fraction <= 1:
        raise InputError(
            f"--cap {cap} is not a share between 0 and 1",
            hint="The largest weight one asset may have, as a fraction: 0.25 is 25%.",
        )
    return facade.strategy_config(top, cap_fraction, _decimal(cash_yield, "--cash-yield"))


def _print_json(command: str, payload: dict[str, object]) -> None:
    emit(command, payload)


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
    pool_share = _decimal(max_pool_share, "--max-pool-share")
    gas_share = _decimal(max_gas_share, "--max-gas-share")
    history, exclusions = facade.load_market(market_data, config.universe.top_n)
    day = _date(date, history)
    result = facade.weights_on(
        history, day, config, exclusions=exclusions, max_pool_share=pool_share,
        max_gas_share=gas_share, ticket_usd=_decimal(ticket, "--ticket"),
    )  # fmt: skip
    if as_json:
        payload: dict[str, object] = {
            "date": day.isoformat(),
            "weights_bps": dict(result.weights_bps),
            "excluded": dict(result.excluded),
            "source": history.source_label,
        }
        if result.notes:
            payload["notes"] = list(result.notes)
        _print_json("weights", payload)
        return
    typer.echo(
        f"Index weights on market date {day} ({history.source_label}), "
        f"{len(result.weights_bps)} coins:"
    )
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
    """The market regime (bull/bear), its 0-100 gauge and the switch thresholds on a date."""
    history, exclusions = facade.load_market(market_data)
    day = _date(date, history)
    reading = facade.signal_on(history, day, exclusions=exclusions)
    if as_json:
        payload = reading.model_dump(mode="json")
        payload["gauge"] = reading.value
        _print_json("signal", payload)
        return
    typer.echo(
        f"market date {day}: {reading.regime.upper()}, gauge {reading.value}/100 ({reading.rule}; "
        f"bear below {reading.exit_below}, bull "
        f"{'at or above' if reading.kind == 'vote' else 'above'} {reading.enter_above})"
        + (" [warming up]" if reading.warming_up else "")
        + f" [{history.source_label}]"
    )
    for part in reading.components:
        typer.echo(
            f"  {part.regime:<4} gauge {part.value:>3}/100  {part.rule}: {part.measure} "
            f"{part.measure_value:+.3f}; bear below {part.exit_below}, bull above "
            f"{part.enter_above}" + (" [warming up]" if part.warming_up else "")
        )
    if reading.last_switch is not None:
        typer.echo(f"  last switch: {reading.last_switch} to {reading.last_switch_to}")


@app.command()
def strategy(as_json: JsonOpt = False) -> None:
    """The strategy's rules, generated from the live configuration."""
    if as_json:
        emit("strategy", {"rules_markdown": facade.strategy_rules()})
        return
    typer.echo(facade.strategy_rules(), nl=False)


@app.command()
def backtest(
    market_data: MarketData = None,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    top: TopOpt = None,
    cap: CapOpt = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the NAV chart here.")] = None,
    cash_yield: Annotated[
        str | None,
        typer.Option("--cash-yield", help="Annual yield on the USDC side, e.g. 0.02 (default 0)."),
    ] = None,
    walk_forward: Annotated[
        bool,
        typer.Option(
            "--walk-forward",
            help="Walk every candidate signal forward: parameters chosen only on the data "
            "before each test window (slow on real data: ~15 s).",
        ),
    ] = False,
    test_weeks: Annotated[
        int, typer.Option("--test-weeks", min=1, help="Walk-forward test window, in weeks.")
    ] = 13,
    yields: Annotated[
        bool,
        typer.Option("--yield-sensitivity", help="With --walk-forward: also at 0/2/4% yield."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Backtest the strategy against the passive index and BTC, net of costs."""
    config = _config(top, cap, cash_yield)
    history, exclusions = facade.load_market(market_data, config.universe.top_n)
    if walk_forward:
        if start or end or plot:
            raise InputError(
                "--walk-forward uses the whole history; --from, --to and --plot do not apply",
                hint="Drop them, or run the backtest without --walk-forward.",
            )
        _walk_forward(history, config, exclusions, test_weeks, yields, as_json)
        return
    first = _date(start, history) if start else None
    last = _date(end, history) if end else None
    result = facade.backtest(history, config, start=first, end=last, exclusions=exclusions)
    metrics = facade.backtest_metrics(result)
    if plot is not None:
        facade.plot_backtest(result, plot)
    if as_json:
        payload: dict[str, object] = {name: m.to_json() for name, m in metrics.items()}
        payload["source"] = history.source_label
        payload["from"] = result.strategy.navs[0].date.isoformat()
        payload["to"] = result.strategy.navs[-1].date.isoformat()
        payload["initial_nav"] = float(config.backtest.initial_nav_usd)
        _print_json("backtest", payload)
        return
    typer.echo(
        f"Backtest, market dates {result.strategy.navs[0].date} to "
        f"{result.strategy.navs[-1].date} on "
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


def _walk_forward(
    history: facade.MarketHistory,
    config: facade.StrategyConfig,
    exclusions: facade.Exclusions,
    test_weeks: int,
    yields: bool,
    as_json: bool,
) -> None:
    result = facade.walk_forward_run(history, config, exclusions=exclusions, test_weeks=test_weeks)
    if as_json:
        _print_json("backtest", facade.walk_forward_json(result))
        return
    typer.echo(facade.walk_forward_report(result))
    if yields:
        typer.echo(facade.yield_sensitivity_report(history, result, exclusions=exclusions))


@app.command()
def sensitivity(market_data: MarketData = None, as_json: JsonOpt = False) -> None:
    """Markdown tables: the backtest under neighbouring parameter values (slow: ~30 s)."""
    history, _ = facade.load_market(market_data)
    grid, rows = facade.sensitivity_tables(history)
    if as_json:
        emit("sensitivity", {"grid_markdown": grid, "rows_markdown": rows,
                             "source": history.source_label})  # fmt: skip
        return
    typer.echo(grid)
    typer.echo(rows)
