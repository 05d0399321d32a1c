"""Price impact and its tiers.

Impact compares the quote with the mid price net of the pool's LP fee (the fee is a cost
the preview shows on its own line, as Uniswap's interface does), and rounds up: it is
never understated."""

from __future__ import annotations

from enum import StrEnum

from orchestrator.domain.units import BPS, PIPS, Bps, TokenUnits, mul_div_down, mul_div_up


class ImpactTier(StrEnum):
    OK = "ok"  # up to 1%
    NOTICE = "notice"  # above 1%
    WARNING = "warning"  # above 3%
    HIGH = "high"  # above 5%
    CONFIRM = "confirm"  # 10% or more: the user must confirm this leg explicitly
    BLOCKED = "blocked"  # 15% or more: refused unless forced


def price_impact_bps(amount_out: TokenUnits, mid_amount_out: int, pool_fee: int) -> Bps:
    """`1 - amount_out / (mid_amount_out * (1 - fee))` in bps, rounded up; 0 if better."""
    ideal = mul_div_down(mid_amount_out, PIPS - pool_fee, PIPS)
    if ideal <= 0:
        return Bps(BPS)
    shortfall = ideal - amount_out
    if shortfall <= 0:
        return Bps(0)
    return Bps(mul_div_up(shortfall, BPS, ideal))


def impact_tier(impact_bps: int) -> ImpactTier:
    if impact_bps >= 1_500:
        return ImpactTier.BLOCKED
    if impact_bps >= 1_000:
        return ImpactTier.CONFIRM
    if impact_bps > 500:
        return ImpactTier.HIGH
    if impact_bps > 300:
        return ImpactTier.WARNING
    if impact_bps > 100:
        return ImpactTier.NOTICE
    return ImpactTier.OK
