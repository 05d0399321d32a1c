"""The strategy's rules in plain words, generated from the live configuration.

This is the text of the strategy modal and of `indexvault strategy`; it is never written
by hand, so it cannot drift from the numbers the orchestrator runs.
"""

from __future__ import annotations

from decimal import Decimal

from orchestrator.strategy.candidates import gauge_thresholds
from orchestrator.strategy.config import SignalConfig, StrategyConfig
from orchestrator.strategy.exclusions import GOLD_TOKENS, STABLECOINS, WRAPPED_OR_PEGGED

__all__ = ["rules_text", "signal_lines"]


def _pct(value: Decimal) -> str:
    text = f"{value * 100:f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _horizon(days: int) -> str:
    return f"{days} days" + (f" ({days / 7:g} weeks)" if days % 7 == 0 else "")


def _confirm(s: SignalConfig) -> str:
    return (
        "at the first observation"
        if s.confirm == 1
        else f"after {s.confirm} consecutive observations"
    )


def _member_lines(s: SignalConfig) -> list[str]:
    """One signal's rule (no vote), indented by three spaces."""
    horizon, confirm = _horizon(s.window_days), _confirm(s)
    if s.kind in ("trend", "index_trend"):
        what = f"{s.symbol}'s close" if s.kind == "trend" else "The index's level"
        what_lc = what if s.kind == "trend" else "the index's level"
        return [
            f"   {what[0].upper() + what[1:]} against its average over the last {horizon}:",
            f"   bear when {what_lc} is more than {_pct(s.band)} below the average, "
            f"bull when more than {_pct(s.band)} above it, {confirm};",
            f"   in between nothing changes (a {_pct(2 * s.band)} wide band against whipsaw).",
        ]
    if s.kind == "breadth":
        return [
            f"   Breadth: the share of the universe whose close is above its own {horizon} "
            "average;",
            f"   bear when it falls below {_pct(s.exit_below)}, bull when it rises above "
            f"{_pct(s.enter_above)}, {confirm}; in between nothing changes.",
            f"   A coin counts once it has {horizon} of closes.",
        ]
    if s.kind == "drawdown":
        return [
            f"   Drawdown stop: bear when the index is more than {_pct(s.stop)} below its "
            "high since the last purchase;",
            f"   back in after {s.cooloff_days} days in USDC.",
        ]
    if s.kind == "volatility":
        return [
            f"   Volatility filter: the index's annualised volatility over {horizon};",
            f"   bear above {_pct(s.exit_below)}, bull again below {_pct(s.enter_above)}.",
        ]
    raise ValueError(f"a {s.kind} signal has no member lines")


def signal_lines(s: SignalConfig) -> list[str]:
    """Section 3 of the rules: the signal in plain words, from `s` (every kind)."""
    if s.kind != "vote":
        lines = _member_lines(s)
        low, high = gauge_thresholds(s)
        return [
            "   Checked each day and at each weekly rebalance.",
            *lines,
            "   Until the window is covered the regime reads bull (invested).",
            f"   Gauge 0-100: bear trigger below {low}, bull trigger above {high}.",
        ]
    n = len(s.members)
    rule = "all" if s.need == n else f"at least {s.need}"
    lines = [
        f"   Checked each day and at each weekly rebalance. Invested while {rule} of {n} "
        "signals read bull, all USDC otherwise:",
    ]
    for i, member in enumerate(s.members, start=1):
        lines.append(f"   ({i}) " + _member_lines(member)[0][3:])
        lines += [f"    {line}" for line in _member_lines(member)[1:]]
    need_pct = gauge_thresholds(s)[1]
    lines += [
        "   Each signal keeps its own band, so one signal changing its mind does not flip "
        "the others.",
        "   A signal whose window is not yet covered reads bull.",
        f"   Gauge 0-100: the share of the {n} signals reading bull; invested at "
        + (f"{need_pct} ({n} of {n})" if s.need == n else f"{need_pct} or more ({s.need} of {n})")
        + ", USDC below.",
    ]
    return lines


def rules_text(config: StrategyConfig) -> str:
    """Markdown-ish plain text; every number comes from `config`."""
    u, w, s, c, b = config.universe, config.weights, config.signal, config.costs, config.backtest
    lines = [
        "indexvault strategy rules",
        "",
        "1. Universe",
        f"   Up to {u.top_n} coins, the largest by market cap after leaving out stablecoins "
        f"({len(STABLECOINS)} listed, e.g. USDT, USDC, DAI, UST/USTC),",
        f"   wrapped or pegged duplicates ({len(WRAPPED_OR_PEGGED)} listed, e.g. WBTC, "
        f"stETH, BTCB) and gold tokens ({', '.join(GOLD_TOKENS)}).",
        "   Names starting with 'Wrapped ' or 'Bridged ' or containing 'Staked ' are left out too.",
        "",
        "2. Weights",
        f"   Market-cap weights, each capped at {_pct(w.cap)}; the excess is shared "
        "among the others in proportion to their market caps, repeated until no "
        "weight is above the cap.",
        f"   Coins below {w.min_weight_bps} bps ({_pct(Decimal(w.min_weight_bps) / 10_000)}) "
        "are dropped, smallest first, and the rest re-weighted.",
        "   Weights are whole basis points summing to exactly 10,000 (largest "
        "remainders get the rounding).",
    ]
    if w.max_pool_share is not None:
        lines.append(
            f"   Liquidity: no position larger than {_pct(w.max_pool_share)} of its pool's depth."
        )
    if w.max_gas_share is not None:
        lines.append(
            f"   Ticket size: a leg whose gas would exceed {_pct(w.max_gas_share)} of its "
            "value is dropped; the preview lists it."
        )
    lines += ["", "3. Market regime", *signal_lines(s)]
    lines += [
        "",
        "4. Rebalancing",
        "   Weekly. While invested, a coin is traded when its value is more than "
        f"{_pct(b.rebalance_band)} off its target; new and dropped coins always trade.",
        "   A regime change sells everything into USDC, or buys the whole basket back.",
        "",
        "5. Costs (what the backtest charges)",
        f"   Platform fee {c.platform_fee_bps} bps of each swap; pool fee "
        f"{c.swap_fee_bps} bps plus price impact {c.impact_coef} x sqrt(trade / daily "
        f"volume); gas ${c.gas_per_leg_usd} per leg.",
        "",
        "Past performance in a backtest does not predict future returns. The rules are "
        "mechanical: they will be late at turning points and will sometimes switch for "
        "nothing.",
    ]
    return "\n".join(lines) + "\n"
