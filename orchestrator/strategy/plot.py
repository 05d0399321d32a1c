"""The backtest chart: NAV curves (log scale) with the bear periods shaded, and drawdowns.

Matplotlib with the non-interactive Agg backend; writes a PNG and returns its path.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from orchestrator.strategy.backtest import BacktestResult
from orchestrator.strategy.ledger import Run
from orchestrator.strategy.metrics import compute_metrics

__all__ = ["bear_periods", "plot_backtest"]


def bear_periods(run: Run) -> list[tuple[datetime.date, datetime.date]]:
    """(first, last) date of every stretch where the run held only USDC by regime."""
    spans: list[tuple[datetime.date, datetime.date]] = []
    start: datetime.date | None = None
    for i, point in enumerate(run.navs):
        if not point.invested and start is None:
            start = point.date
        if point.invested and start is not None:
            spans.append((start, run.navs[i - 1].date))
            start = None
    if start is not None:
        spans.append((start, run.navs[-1].date))
    return spans


def _drawdowns(navs: list[Decimal]) -> list[float]:
    peak = navs[0]
    out = []
    for nav in navs:
        peak = max(peak, nav)
        out.append(float(nav / peak - 1) * 100)
    return out


def plot_backtest(result: BacktestResult, path: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [
        (result.strategy, "strategy (regime-switched)", "tab:blue"),
        (result.passive, "passive index", "tab:orange"),
        (result.btc, "BTC alone", "tab:gray"),
    ]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]}
    )
    for run, label, color in runs:
        dates = [run.navs[0].date, *(p.date for p in run.navs)]
        navs = [run.initial_nav, *(p.nav for p in run.navs)]
        m = compute_metrics(run)
        calmar = f"{m.calmar:.2f}" if m.calmar is not None else "n/a"
        top.plot(
            dates,
            [float(n) for n in navs],
            color=color,
            linewidth=1.8 if run is result.strategy else 1.2,
            label=f"{label}: final ${float(m.final_nav):,.0f}, max drawdown "
            f"{m.max_drawdown:.0%}, Calmar {calmar}",
        )
        bottom.plot(dates, _drawdowns(navs), color=color, linewidth=1.0)
    for first, last in bear_periods(result.strategy):
        for axis in (top, bottom):
            axis.axvspan(
                first - datetime.timedelta(days=3),
                last + datetime.timedelta(days=3),
                color="tab:red",
                alpha=0.12,
                linewidth=0,
            )
    warming = [r.date for r in result.readings if r.warming_up]
    if warming:
        for axis in (top, bottom):
            axis.axvspan(warming[0], warming[-1], color="0.85", alpha=0.5, linewidth=0)
        top.annotate(
            "signal warming up:\ninvested like the index",
            xy=(warming[len(warming) // 2], 0.04),
            xycoords=("data", "axes fraction"),
            ha="center",
            fontsize=8,
            color="0.35",
        )
    top.set_yscale("log")
    top.set_ylabel("NAV, USD (log scale)")
    s = result.config.signal
    top.set_title(
        f"indexvault backtest on {Path(result.source_label).name}\n"
        f"net of fees, gas and slippage; shaded = bear regime (all USDC): {s.symbol} "
        f"{s.window_days}-day average, band ±{float(s.band):.0%}",
        fontsize=10,
    )
    top.legend(loc="upper left", fontsize=8)
    top.grid(True, which="both", alpha=0.3)
    bottom.set_ylabel("drawdown, %")
    bottom.grid(True, alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
