"""Trading costs of one swap in the backtest (all Decimal USD): platform fee, swap cost, gas.

    platform fee = notional * platform_fee_bps / 10,000
    slippage     = notional * (swap_fee_bps / 10,000 + impact_coef * sqrt(notional / volume))
                   capped at 50% of the notional
    gas          = gas_per_leg_usd

`volume` is the coin's 24h volume, the liquidity proxy of the snapshot data (on chain,
pass the pool depth instead). A zero volume means no liquidity: the impact is the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrator.strategy.config import CostConfig

__all__ = ["MAX_SLIPPAGE", "TradeCost", "trade_cost"]

MAX_SLIPPAGE = Decimal("0.5")


@dataclass(frozen=True)
class TradeCost:
    fee: Decimal
    slippage: Decimal
    gas: Decimal

    @property
    def total(self) -> Decimal:
        return self.fee + self.slippage + self.gas


def trade_cost(notional: Decimal, volume_usd: Decimal, costs: CostConfig) -> TradeCost:
    """The cost of swapping `notional` USD of a coin with `volume_usd` daily volume."""
    if volume_usd > 0:
        rate = (
            Decimal(costs.swap_fee_bps) / 10_000
            + costs.impact_coef * (notional / volume_usd).sqrt()
        )
    else:
        rate = MAX_SLIPPAGE
    return TradeCost(
        fee=notional * costs.platform_fee_bps / 10_000,
        slippage=notional * min(rate, MAX_SLIPPAGE),
        gas=costs.gas_per_leg_usd,
    )
