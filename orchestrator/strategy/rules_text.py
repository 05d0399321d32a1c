"""The strategy's rules in plain words, generated from the live configuration.

This is the text of the strategy modal and of `indexvault strategy`; it is never written
by hand, so it cannot drift from the numbers the orchestrator runs.
"""

from __future__ import annotations

from decimal import Decimal

from orchestrator.strategy.config import StrategyConfig
from orchestrator.strategy.exclusions import GOLD_TOKENS, STABLECOINS, WRAPPED_OR_PEGGED
from orchestrator.strategy.signal import gauge_of

__all__ = ["rules_text"]


def _pct(value: Decimal) -> str:
    text = f"{value * 100:f}".rstrip("0").rstrip(".")
    return f"{text}%"


def rules_text(config: StrategyConfig) -> str:
    """Markdown-ish plain text; every number comes from `config`."""
    u, w, s, c, b = config.universe, config.weights, config.signal, config.costs, config.backtest
    weeks = s.window_days / 7
    horizon = f"{s.window_days} days" + (f" ({weeks:g} weeks)" if s.window_days % 7 == 0 else "")
    confirm = (
        "at the first observation"
        if s.confirm == 1
        else f"after {s.confirm} consecutive observations"
    )
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
    lines += [
        "",
        "3. Market regime",
        f"   Each day and at each weekly rebalance, {s.symbol}'s close is compared with its "
        f"average close over the last {horizon}.",
        f"   Invested -> all USDC when the close is more than {_pct(s.band)} below the "
        f"average, {confirm}.",
        f"   All USDC -> invested when the close is more than {_pct(s.band)} above the "
        f"average, {confirm}.",
        f"   In between nothing changes (a {_pct(2 * s.band)} wide band against whipsaw).",
        f"   Until {horizon} of closes exist the regime reads bull (invested).",
        f"   Gauge: 50 at the average, 0 at 50% or more below, 100 at 50% or more above; "
        f"bear trigger below {gauge_of(-s.band)}, bull trigger above {gauge_of(s.band)}.",
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
