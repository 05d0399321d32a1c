"""Target weights: capped market-cap weights in basis points that sum to exactly 10,000.

1. Universe (universe.py): top N eligible coins.
2. Market-cap weights, capped per asset with iterative redistribution (`capped_weights`):
   any weight above its cap is set to the cap and the excess is shared among the uncapped
   assets in proportion to their caps; repeat until no weight exceeds its cap. Exact
   (fractions), so the result does not depend on the order of the assets.
3. Minimum weight: the smallest asset below `min_weight_bps` is dropped and step 2 re-runs,
   one asset at a time, until every weight meets the minimum. Optional, same loop: the
   ticket-size rule drops a leg whose gas would exceed `max_gas_share` of its value.
4. Rounding (`round_to_bps`): floor every weight to whole bps, then hand the missing bps to
   the largest remainders (ties: larger weight, then symbol). Sum is exactly 10,000 and no
   weight exceeds its (whole-bps) cap.

Caps are whole bps rounded down. With liquidity-aware caps, an asset's cap is also
`max_pool_share * depth / ticket` (depth defaults to its 24h volume when no pool depth is
given). If the caps cannot add up to 100% (3 assets with a 25% cap), that is a
StrategyError: the cap is never relaxed silently.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from orchestrator.domain.units import BPS
from orchestrator.errors import ConfigError, StrategyError
from orchestrator.market.snapshot import AssetSnapshot
from orchestrator.strategy.config import CostConfig, UniverseConfig, WeightsConfig
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions
from orchestrator.strategy.universe import select_universe

__all__ = ["TargetWeights", "capped_weights", "round_to_bps", "target_weights"]


@dataclass(frozen=True)
class TargetWeights:
    """The basket for one date: `weights_bps` (largest first) and why every other coin is out."""

    date: datetime.date
    weights_bps: Mapping[str, int]
    excluded: Mapping[str, str]
    notes: tuple[str, ...] = field(default=())


def capped_weights(
    values: Mapping[str, Fraction], caps: Mapping[str, Fraction]
) -> dict[str, Fraction]:
    """Weights proportional to `values`, none above its cap, summing to exactly 1.

    `values` must be > 0; caps in (0, 1]. Raises StrategyError if the caps sum below 1.
    """
    total_cap = sum(caps.values(), Fraction(0))
    if total_cap < 1:
        raise StrategyError(
            f"impossible cap: {len(caps)} assets with caps summing to "
            f"{float(total_cap):.2%} cannot hold 100%",
            hint="Raise the cap, or include more assets (a larger top N, a lower minimum "
            "weight), so that the caps add up to at least 100%.",
        )
    # Exact integer arithmetic: values scaled to integers over one common denominator,
    # caps and the budget in units of 1/scale (a common denominator of the caps).
    value_den = math.lcm(*(v.denominator for v in values.values()))
    scale = math.lcm(*(c.denominator for c in caps.values()))
    free = {s: int(v * value_den) for s, v in values.items()}
    cap_units = {s: int(caps[s] * scale) for s in values}
    budget = scale
    fixed: dict[str, int] = {}
    while True:
        total = sum(free.values())
        over = [s for s, v in free.items() if budget * v > cap_units[s] * total]
        if not over:
            break
        for s in over:
            fixed[s] = cap_units[s]
            budget -= cap_units[s]
            del free[s]
    weights = {s: Fraction(c, scale) for s, c in fixed.items()}
    for s, v in free.items():
        weights[s] = Fraction(budget * v, scale * total)
    return weights


def round_to_bps(weights: Mapping[str, Fraction]) -> dict[str, int]:
    """Whole bps summing to exactly 10,000 (largest remainder; deterministic ties)."""
    if sum(weights.values(), Fraction(0)) != 1:
        raise StrategyError("weights must sum to exactly 1 before rounding")
    floors = {s: int(w * BPS) for s, w in weights.items()}
    missing = BPS - sum(floors.values())
    order = sorted(weights, key=lambda s: (-(weights[s] * BPS - floors[s]), -weights[s], s))
    for s in order[:missing]:
        floors[s] += 1
    return dict(sorted(floors.items(), key=lambda kv: (-kv[1], kv[0])))


def _caps(
    members: Sequence[AssetSnapshot],
    config: WeightsConfig,
    ticket_usd: Decimal | None,
    depth_usd: Mapping[str, Decimal] | None,
    excluded: dict[str, str],
) -> dict[str, Fraction]:
    caps: dict[str, Fraction] = {}
    for snap in members:
        cap_bps = config.cap_bps
        if config.max_pool_share is not None:
            assert ticket_usd is not None
            depth = (depth_usd or {}).get(snap.symbol, snap.volume_24h_usd)
            liquid_bps = int(config.max_pool_share * depth / ticket_usd * BPS)
            if liquid_bps < cap_bps:
                cap_bps = liquid_bps
            if cap_bps <= 0 or cap_bps < config.min_weight_bps:
                excluded[snap.symbol] = (
                    f"pool too shallow: {config.max_pool_share:%} of depth ${depth:,.0f} "
                    f"allows {cap_bps} bps of a ${ticket_usd:,.0f} ticket"
                )
                continue
        caps[snap.symbol] = Fraction(cap_bps, BPS)
    return caps


def target_weights(
    snapshots: Sequence[AssetSnapshot],
    config: WeightsConfig = WeightsConfig(),  # noqa: B008 (frozen)
    universe: UniverseConfig = UniverseConfig(),  # noqa: B008 (frozen)
    *,
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
    tradable: Collection[str] | None = None,
    ticket_usd: Decimal | None = None,
    costs: CostConfig | None = None,
    depth_usd: Mapping[str, Decimal] | None = None,
) -> TargetWeights:
    """The basket for one date's snapshots (see the module docstring for the rules)."""
    if (config.max_pool_share is not None or config.max_gas_share is not None) and (
        ticket_usd is None or ticket_usd <= 0
    ):
        raise ConfigError(
            "liquidity-aware caps and the ticket-size rule need a ticket size > 0",
            hint="Pass the amount being invested (ticket_usd), or turn those options off.",
        )
    if config.max_gas_share is not None and costs is None:
        raise ConfigError("the ticket-size rule needs the gas per leg (costs)")
    chosen = select_universe(snapshots, universe, exclusions, tradable)
    excluded = dict(chosen.excluded)
    members = []
    for snap in chosen.members:
        if snap.market_cap_usd > 0:
            members.append(snap)
        else:
            excluded[snap.symbol] = "market cap is zero"
    caps = _caps(members, config, ticket_usd, depth_usd, excluded)
    values = {s.symbol: Fraction(s.market_cap_usd) for s in members if s.symbol in caps}
    min_weight = Fraction(config.min_weight_bps, BPS)
    notes: list[str] = []
    while True:
        if not values:
            raise StrategyError(
                f"empty universe on {chosen.date.isoformat()}: no coin passes the rules",
                hint="Lower the minimum weight or the gas threshold, or raise the ticket size.",
            )
        weights = capped_weights(values, {s: caps[s] for s in values})
        symbol, reason = _first_to_drop(weights, min_weight, config, ticket_usd, costs)
        if symbol is None:
            break
        excluded[symbol] = reason
        if reason.startswith("leg "):
            notes.append(f"dropped {symbol}: {reason}")
        del values[symbol]
    return TargetWeights(
        date=chosen.date,
        weights_bps=MappingProxyType(round_to_bps(weights)),
        excluded=MappingProxyType(dict(sorted(excluded.items()))),
        notes=tuple(notes),
    )


def _first_to_drop(
    weights: Mapping[str, Fraction],
    min_weight: Fraction,
    config: WeightsConfig,
    ticket_usd: Decimal | None,
    costs: CostConfig | None,
) -> tuple[str | None, str]:
    """The smallest weight that breaks the minimum-weight or ticket-size rule, if any."""
    symbol = min(weights, key=lambda s: (weights[s], s))
    weight = weights[symbol]
    if weight < min_weight:
        return symbol, (
            f"weight {float(weight) * BPS:.1f} bps below the minimum {config.min_weight_bps} bps"
        )
    if config.max_gas_share is not None and ticket_usd is not None and costs is not None:
        leg = Decimal(weight.numerator) / Decimal(weight.denominator) * ticket_usd
        if costs.gas_per_leg_usd > config.max_gas_share * leg:
            return symbol, (
                f"leg ${leg:,.2f} would pay ${costs.gas_per_leg_usd} gas, more than "
                f"{config.max_gas_share:%} of its value"
            )
    return None, ""
