"""Plan a sell: a fraction of every holding (and of the cash) to USDC, paid to the owner."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.domain.legs import Direction, Holding, PlannedLeg
from orchestrator.domain.units import BPS, Bps, TokenUnits, UsdcUnits, usdc_units
from orchestrator.errors import InputError


@dataclass(frozen=True)
class SellPlan:
    fraction_bps: Bps
    legs: tuple[PlannedLeg, ...]
    cash_usdc: UsdcUnits  # the vault's USDC that is paid out without a swap
    fee_bps: Bps
    skipped: tuple[tuple[str, str], ...]  # (symbol, why) holdings without a leg


def plan_sell(
    holdings: Sequence[Holding], *, fraction_bps: Bps, cash_usdc: UsdcUnits, fee_bps: Bps
) -> SellPlan:
    """One leg per holding: `floor(amount * fraction_bps / 10_000)`, exactly what the
    vault computes on-chain from its balance (so min-outs quoted here match the swap);
    a holding whose share rounds to zero is skipped. Cash: the same fraction, rounded
    down, as the vault computes it."""
    if not 0 < fraction_bps <= BPS:
        raise InputError(
            f"the share to sell must be between 0.01% and 100%, got {fraction_bps / 100}%",
            hint="e.g. `indexvault sell --percent 50`.",
        )
    legs, skipped = [], []
    for holding in holdings:
        amount_in = TokenUnits(holding.amount * fraction_bps // BPS)
        if amount_in == 0:
            if holding.amount:
                skipped.append((holding.token.symbol, "share rounds to zero"))
            continue
        legs.append(PlannedLeg(holding.token, Direction.SELL, amount_in, Bps(0)))
    cash = usdc_units(cash_usdc * fraction_bps // BPS)
    if not legs and cash == 0:
        raise InputError(
            "nothing to sell: the vault holds no tokens and no USDC",
            hint="Buy first (`indexvault buy AMOUNT`), or check `indexvault holdings`.",
        )
    return SellPlan(fraction_bps, tuple(legs), cash, fee_bps, tuple(skipped))
