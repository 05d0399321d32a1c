"""Max slippage (auto or user-set) and minimum outputs.

Auto slippage follows the cost of failing: a leg that reverts on a tight tolerance wastes
the whole operation's gas, so the tolerance is at least the gas cost as a share of the
value traded, clamped to [AUTO_MIN_BPS, AUTO_MAX_BPS]. A user-set value may be anywhere
in [1, USER_MAX_BPS]."""

from __future__ import annotations

from orchestrator.errors import InputError

BPS = 10_000
AUTO_MIN_BPS = 50  # 0.5%: below this, ordinary block-to-block moves revert the op
AUTO_MAX_BPS = 300  # 3%: above this, an auto setting would invite sandwiching
USER_MAX_BPS = 2_000


def auto_slippage_bps(gas_cost_usdc: int | None, value_usdc: int) -> int:
    if gas_cost_usdc is None or value_usdc <= 0:
        return AUTO_MIN_BPS
    gas_share_bps = -(-gas_cost_usdc * BPS // value_usdc)
    return min(max(gas_share_bps, AUTO_MIN_BPS), AUTO_MAX_BPS)


def check_user_slippage(slippage_bps: int) -> int:
    if not 1 <= slippage_bps <= USER_MAX_BPS:
        raise InputError(
            f"max slippage must be between 1 and {USER_MAX_BPS} bps, got {slippage_bps}",
            hint="e.g. --max-slippage 50 for 0.5%; leave it out for the automatic setting.",
        )
    return slippage_bps


def min_out(expected_out: int, slippage_bps: int) -> int:
    """The least output accepted: rounds down, so it never exceeds the stated tolerance."""
    return expected_out * (BPS - slippage_bps) // BPS
