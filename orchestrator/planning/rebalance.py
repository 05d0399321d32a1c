"""Plan a keeper rebalance: from current holdings (valued in USDC) to target weights.

Sells come first (they fund the buys in the same call). Drift bands and a dust threshold
keep tiny trades out; the bear regime is a rebalance whose target is 100% USDC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orchestrator.domain.legs import Direction, Holding, PlannedLeg, TokenRef
from orchestrator.domain.units import BPS, Bps, TokenUnits
from orchestrator.strategy.signal import Regime


@dataclass(frozen=True)
class RebalanceBands:
    drift_bps: int = 100  # skip a token whose weight is within this of its target
    min_trade_usdc: int = 10 * 10**6  # skip trades smaller than this (USDC base units)
    proceeds_haircut_bps: int = 100  # buys assume sells fetch this much less than mid


@dataclass(frozen=True)
class RebalancePlan:
    regime: Regime
    nav_usdc: int  # holdings at mid + cash
    sells: tuple[PlannedLeg, ...]
    buys: tuple[PlannedLeg, ...]
    skipped: tuple[tuple[str, str], ...]

    @property
    def is_empty(self) -> bool:
        return not self.sells and not self.buys


def _beyond(drift_usdc_bps: int, threshold_usdc_bps: int) -> bool:
    return drift_usdc_bps > threshold_usdc_bps


def plan_rebalance(
    holdings: Sequence[Holding],
    values_usdc: Mapping[str, int],
    *,
    cash_usdc: int,
    weights_bps: Mapping[str, int],
    tokens: Sequence[TokenRef],
    regime: Regime,
    bands: RebalanceBands = RebalanceBands(),
) -> RebalancePlan:
    """`values_usdc[symbol]` is the holding's value at the pool's mid price (rounded down).
    Bear: every holding is sold in full (no band: the move to stablecoins is total).
    Bull: each token moves to `nav * weight` unless within the drift band or the dust
    threshold (a token not held yet is bought if its target clears the dust threshold);
    tokens no longer in the targets are sold in full. Sell amounts round down;
    buys are scaled down, if needed, to what cash plus haircut proceeds can pay for."""
    targets = {} if regime is Regime.BEAR else dict(weights_bps)
    by_symbol = {t.symbol: t for t in tokens}
    held = {h.token.symbol: h for h in holdings if h.amount > 0}
    nav = cash_usdc + sum(values_usdc.get(s, 0) for s in held)
    # drift compared exactly (in USDC x bps), so both sides of the band behave alike
    threshold = max(nav * bands.drift_bps, bands.min_trade_usdc * BPS)
    sells: list[PlannedLeg] = []
    buys: list[tuple[TokenRef, int, int]] = []
    skipped: list[tuple[str, str]] = []
    for symbol, holding in sorted(held.items()):
        value = values_usdc.get(symbol, 0)
        target = nav * targets.get(symbol, 0) // BPS
        if symbol not in targets:
            sells.append(PlannedLeg(holding.token, Direction.SELL, holding.amount, Bps(0)))
        elif _beyond(value * BPS - nav * targets[symbol], threshold) and value > 0:
            amount = TokenUnits(holding.amount * (value - target) // value)
            if amount > 0:  # the vault rejects a zero-amount leg
                sells.append(
                    PlannedLeg(holding.token, Direction.SELL, amount, Bps(targets[symbol]))
                )
        elif value > target:
            skipped.append((symbol, "within band"))
    for symbol, weight in sorted(targets.items(), key=lambda kv: (-kv[1], kv[0])):
        if weight <= 0:
            continue
        if symbol not in by_symbol:
            skipped.append((symbol, "no USDC pool on this network"))
            continue
        value = values_usdc.get(symbol, 0) if symbol in held else 0
        target = nav * weight // BPS
        # a token not held at all is an entry: bought whenever it clears the dust floor,
        # even when its whole weight is inside the drift band (else small weights never enter)
        entry = value == 0 and target >= bands.min_trade_usdc
        if entry or _beyond(nav * weight - value * BPS, threshold):
            buys.append((by_symbol[symbol], target - value, weight))
        elif target > value:
            skipped.append((symbol, "within band"))
    sell_value = sum(
        values_usdc.get(leg.token.symbol, 0) * leg.amount_in // held[leg.token.symbol].amount
        for leg in sells
    )
    budget = cash_usdc + sell_value * (BPS - bands.proceeds_haircut_bps) // BPS
    wanted = sum(usdc for _, usdc, _ in buys)
    planned_buys = []
    for token, usdc, weight in buys:
        scaled = usdc if wanted <= budget else usdc * budget // wanted
        if scaled >= bands.min_trade_usdc:
            planned_buys.append(PlannedLeg(token, Direction.BUY, TokenUnits(scaled), Bps(weight)))
        else:
            skipped.append((token.symbol, "too small once scaled to the cash available"))
    return RebalancePlan(regime, nav, tuple(sells), tuple(planned_buys), tuple(skipped))
