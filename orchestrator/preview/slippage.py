"""Max slippage: automatic, or set by the user. (The min-out it gives a leg is
`orchestrator.domain.units.min_out_rounded_down`.)

Auto max slippage follows the cost of failing: a leg that reverts on a tight tolerance
wastes the whole operation's gas, so the tolerance is at least the gas cost as a share of
the value traded, clamped to [AUTO_MIN_BPS, AUTO_MAX_BPS]. A user-set value may be
anywhere in [1, USER_MAX_BPS]."""

from __future__ import annotations

from orchestrator.domain.units import BPS, Bps, mul_div_up
from orchestrator.errors import InputError

AUTO_MIN_BPS = Bps(50)  # 0.5%: below this, ordinary block-to-block moves revert the op
AUTO_MAX_BPS = Bps(300)  # 3%: above this, an auto setting would invite sandwiching
USER_MAX_BPS = Bps(2_000)


def auto_max_slippage_bps(gas_cost_usdc: int | None, value_usdc: int) -> Bps:
    if gas_cost_usdc is None or value_usdc <= 0:
        return AUTO_MIN_BPS
    gas_share_bps = mul_div_up(gas_cost_usdc, BPS, value_usdc)
    return Bps(min(max(gas_share_bps, AUTO_MIN_BPS), AUTO_MAX_BPS))


def check_max_slippage(max_slippage_bps: int) -> Bps:
    """A user-set max slippage, or InputError outside [1, USER_MAX_BPS]."""
    if not 1 <= max_slippage_bps <= USER_MAX_BPS:
        raise InputError(
            f"max slippage must be between 1 and {USER_MAX_BPS} bps, got {max_slippage_bps}",
            hint="e.g. --max-slippage 50 for 0.5%; leave it out for the automatic setting.",
        )
    return Bps(max_slippage_bps)
