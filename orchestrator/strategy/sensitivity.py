"""Sensitivity of the backtest to its parameters: is the result a knife-edge fit?

- `signal_grid`: the strategy's max drawdown and Calmar over a grid of signal windows and
  bands (for a vote: every member's window and band), next to the passive index (which
  does not depend on them). The index basket is computed once and reused. In-sample: the
  walk-forward (walkforward.py) is the evidence; this grid shows the neighbourhood.
- `one_at_a_time`: the default configuration with one other setting changed per row
  (cap, confirmation, rebalance band, gas, vanished-coin haircut), strategy vs passive.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy.backtest import index_weights, run_backtest
from orchestrator.strategy.config import DEFAULT_CONFIG, SignalConfig, StrategyConfig
from orchestrator.strategy.metrics import Metrics, compute_metrics

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_WINDOWS",
    "SensitivityRow",
    "default_variants",
    "markdown_grid",
    "markdown_rows",
    "one_at_a_time",
    "retuned",
    "signal_grid",
]

DEFAULT_WINDOWS = (140, 175, 210, 245, 280)
DEFAULT_BANDS = (Decimal(0), Decimal("0.025"), Decimal("0.05"), Decimal("0.075"), Decimal("0.1"))


def retuned(signal: SignalConfig, **changes: object) -> SignalConfig:
    """`signal` with `changes` applied; for a vote, applied to every member instead."""
    if signal.kind == "vote":
        members = tuple(dataclasses.replace(m, **changes) for m in signal.members)  # type: ignore[arg-type]
        return dataclasses.replace(signal, members=members)
    return dataclasses.replace(signal, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SensitivityRow:
    label: str
    strategy: Metrics
    passive: Metrics


def signal_grid(
    history: MarketHistory,
    config: StrategyConfig = DEFAULT_CONFIG,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    bands: Sequence[Decimal] = DEFAULT_BANDS,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> tuple[Metrics, dict[tuple[int, Decimal], Metrics]]:
    """(passive metrics, {(window_days, band): strategy metrics})."""
    dates = history.dates_between(start, end)
    index = index_weights(history, dates, config)
    cells: dict[tuple[int, Decimal], Metrics] = {}
    passive: Metrics | None = None
    for window in windows:
        for band in bands:
            signal = retuned(config.signal, window_days=window, band=band)
            result = run_backtest(
                history,
                dataclasses.replace(config, signal=signal),
                start=start,
                end=end,
                index=index,
            )
            cells[(window, band)] = compute_metrics(result.strategy)
            passive = passive or compute_metrics(result.passive)
    assert passive is not None
    return passive, cells


def default_variants(config: StrategyConfig = DEFAULT_CONFIG) -> list[tuple[str, StrategyConfig]]:
    """The default plus one change per row."""
    r = dataclasses.replace
    w, s, c, b = config.weights, config.signal, config.costs, config.backtest
    return [
        ("default", config),
        ("cap 15%", r(config, weights=r(w, cap=Decimal("0.15")))),
        ("cap 35%", r(config, weights=r(w, cap=Decimal("0.35")))),
        ("no cap (100%)", r(config, weights=r(w, cap=Decimal(1)))),
        ("top 30", r(config, universe=r(config.universe, top_n=30))),
        ("confirm 2 weeks", r(config, signal=retuned(s, confirm=2))),
        ("signal acted on 1 week late", r(config, backtest=r(b, signal_lag=1))),
        ("rebalance band 10%", r(config, backtest=r(b, rebalance_band=Decimal("0.10")))),
        ("gas $2 per leg", r(config, costs=r(c, gas_per_leg_usd=Decimal(2)))),
        ("platform fee 50 bps", r(config, costs=r(c, platform_fee_bps=50))),
        ("vanished haircut 100%", r(config, backtest=r(b, vanish_haircut=Decimal(1)))),
    ]


def one_at_a_time(
    history: MarketHistory,
    variants: Sequence[tuple[str, StrategyConfig]],
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> list[SensitivityRow]:
    rows = []
    for label, config in variants:
        result = run_backtest(history, config, start=start, end=end)
        rows.append(
            SensitivityRow(label, compute_metrics(result.strategy), compute_metrics(result.passive))
        )
    return rows


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0%}" if pct else f"{value:.2f}"


def markdown_grid(passive: Metrics, cells: dict[tuple[int, Decimal], Metrics]) -> str:
    """Two tables (max drawdown, Calmar): rows = window, columns = band."""
    windows = sorted({w for w, _ in cells})
    bands = sorted({b for _, b in cells})
    out = []
    for title, field, pct in (("max drawdown", "max_drawdown", True), ("Calmar", "calmar", False)):
        base = getattr(passive, field)
        out.append(
            f"Strategy {title} (passive index: {_fmt(base, pct)}); rows: window, columns: band"
        )
        out.append("")
        out.append("| window | " + " | ".join(f"±{float(b):.1%}" for b in bands) + " |")
        out.append("|---|" + "---|" * len(bands))
        for w in windows:
            shown = [_fmt(getattr(cells[(w, b)], field), pct) for b in bands]
            out.append(f"| {w} d ({w / 7:g} w) | " + " | ".join(shown) + " |")
        out.append("")
    return "\n".join(out)


def markdown_rows(rows: Sequence[SensitivityRow]) -> str:
    lines = [
        "| variant | strategy max DD | passive max DD | strategy Calmar | passive Calmar "
        "| strategy CAGR | passive CAGR | switches |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        s, p = row.strategy, row.passive
        lines.append(
            f"| {row.label} | {_fmt(s.max_drawdown, True)} | {_fmt(p.max_drawdown, True)} "
            f"| {_fmt(s.calmar)} | {_fmt(p.calmar)} | {_fmt(s.cagr, True)} "
            f"| {_fmt(p.cagr, True)} | {s.switches} |"
        )
    return "\n".join(lines) + "\n"
