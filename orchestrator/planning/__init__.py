"""Planning, pure: holdings + targets -> legs. No I/O, integers in base units.

plan_buy(usdc_amount, fee_bps, weights_bps, tokens, regime, min_leg_usdc) -> BuyPlan
plan_sell(holdings, fraction_bps, cash_usdc, fee_bps)                       -> SellPlan
plan_rebalance(holdings, prices, targets, regime, bands)                    -> RebalancePlan
"""

from orchestrator.planning.buy import BuyPlan, min_buy_usdc, plan_buy
from orchestrator.planning.rebalance import RebalanceBands, RebalancePlan, plan_rebalance
from orchestrator.planning.sell import SellPlan, plan_sell

__all__ = [
    "BuyPlan",
    "RebalanceBands",
    "RebalancePlan",
    "SellPlan",
    "min_buy_usdc",
    "plan_buy",
    "plan_rebalance",
    "plan_sell",
]
