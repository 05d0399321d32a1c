"""Plan a buy: the owner's USDC, less the platform fee, split across this week's targets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from orchestrator.domain.legs import Direction, PlannedLeg, TokenRef
from orchestrator.domain.units import (
    BPS,
    Bps,
    TokenUnits,
    UsdcUnits,
    fee_rounded_down,
    split_by_weights,
    usdc_units,
)
from orchestrator.errors import InputError
from orchestrator.strategy.signal import Regime


@dataclass(frozen=True)
class BuyPlan:
    usdc_amount: UsdcUnits  # what the owner pays in, fee included
    fee_usdc: UsdcUnits  # floor(usdc_amount * fee_bps / 10_000), as the vault computes it
    legs: tuple[PlannedLeg, ...]
    cash_usdc: UsdcUnits  # stays in the vault as USDC (bear regime, or nothing left to buy)
    regime: Regime
    dropped: tuple[tuple[str, str], ...]  # (symbol, why) for targets that got no leg

    @property
    def spend_usdc(self) -> int:
        return sum(leg.amount_in for leg in self.legs)


def plan_buy(
    usdc_amount: UsdcUnits,
    *,
    fee_bps: Bps,
    weights_bps: Mapping[str, int],
    tokens: Sequence[TokenRef],
    regime: Regime,
    min_leg_usdc: UsdcUnits,
    cap_bps: int = BPS,
) -> BuyPlan:
    """Legs for a buy. Bear regime: no legs, everything after the fee is held as USDC (the
    index is in stablecoins). Bull: the amount after the fee is split by target weight;
    a target without a pool is dropped, and so is any leg below `min_leg_usdc` (dust:
    its gas would cost more than it tracks); the weights of the rest are renormalised so
    that the legs spend everything after the fee, to the base unit, except that no leg
    gets more than `cap_bps` of it (the strategy's single-asset cap: dropping dust must not
    push the largest asset over it); what the cap leaves unspent stays in the vault as
    USDC."""
    if usdc_amount <= 0:
        raise InputError(
            f"the amount must be positive, got {usdc_amount} USDC base units",
            hint="Give the amount of USDC to invest, e.g. `indexvault buy 10000`.",
        )
    if min_leg_usdc < 1:
        raise InputError(f"the minimum leg must be at least 1 base unit, got {min_leg_usdc}")
    if not 0 <= fee_bps < BPS:
        raise InputError(f"platform fee {fee_bps} bps is out of range")
    fee = fee_rounded_down(usdc_amount, fee_bps)
    spend = usdc_units(usdc_amount - fee)
    by_symbol = {t.symbol: t for t in tokens}
    dropped: list[tuple[str, str]] = []
    if regime is Regime.BEAR:
        return BuyPlan(usdc_amount, fee, (), spend, regime, ())
    eligible = {}
    for symbol, weight in weights_bps.items():
        if weight <= 0:
            continue
        if symbol not in by_symbol:
            dropped.append((symbol, "no USDC pool on this network"))
        else:
            eligible[symbol] = weight
    cap = spend * cap_bps // BPS
    while eligible:
        shares = capped_split(spend, eligible, cap)
        dust = [s for s, amount in shares.items() if amount < min_leg_usdc]
        if not dust:
            break
        smallest = min(dust, key=lambda s: (shares[s], s))
        dropped.append(
            (smallest, f"leg {_usd(shares[smallest])} below the {_usd(min_leg_usdc)} minimum")
        )
        del eligible[smallest]
    if not eligible:
        return BuyPlan(usdc_amount, fee, (), spend, regime, tuple(dropped))
    shares = capped_split(spend, eligible, cap)
    legs = tuple(
        PlannedLeg(by_symbol[s], Direction.BUY, TokenUnits(shares[s]), Bps(weights_bps[s]))
        for s in sorted(eligible, key=lambda s: (-eligible[s], s))
    )
    cash = usdc_units(spend - sum(shares.values()))
    return BuyPlan(usdc_amount, fee, legs, cash, regime, tuple(dropped))


def capped_split(total: int, weights: Mapping[str, int], cap: int) -> dict[str, int]:
    """`total` split by `weights`, every share scaled down alike if the largest would
    exceed `cap` (the relative weights stay; nothing is pushed onto the small ones). Sums
    to `total` when no share needs capping, else to less (the caller keeps the rest)."""
    weight_sum, largest = sum(weights.values()), max(weights.values())
    if total * largest <= cap * weight_sum:
        return split_by_weights(total, weights)
    return split_by_weights(cap * weight_sum // largest, weights)


def min_buy_usdc(plan: Callable[[UsdcUnits], BuyPlan], *, up_to: int = 10**15) -> UsdcUnits:
    """The least amount (fee included) for which `plan(amount)` has a leg: below it every
    leg is dust and a buy would buy nothing. A binary search over `plan` itself (pure and
    fast), so it agrees with the planner's dust and cap rules by construction; 0 when no
    amount up to `up_to` fills a leg."""
    if not plan(usdc_units(up_to)).legs:
        return usdc_units(0)
    low, high = 0, up_to  # plan(low) has no leg, plan(high) has one
    while high - low > 1:
        middle = (low + high) // 2
        if plan(usdc_units(middle)).legs:
            high = middle
        else:
            low = middle
    return usdc_units(high)


def _usd(amount_usdc: int) -> str:
    return f"${Decimal(amount_usdc).scaleb(-6):,.2f}"  # display only
