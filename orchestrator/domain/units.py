"""Money and units: integers in base units, one `NewType` per unit, constants defined once.

    TokenUnits  an ERC-20's base units (its own decimals)
    UsdcUnits   USDC's base units (6 decimals)
    Wei         10**-18 ETH
    Gas         gas units
    Bps         1/10_000
    Pips        Uniswap V3 fee tiers: 1/1_000_000 (hundredths of a bip)

`UsdcUnits` is a kind of `TokenUnits` (a leg's input is USDC or a token). Arithmetic on a
NewType gives a plain int: results are wrapped where a value leaves a function. Rounding
goes in the name: `mul_div_down`, `min_out_rounded_down`. `Decimal` appears only at the
edges (display, market data), never for amounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NewType

from orchestrator.errors import InvalidValue

__all__ = [
    "BPS",
    "ONE_USDC",
    "PIPS",
    "USDC_DECIMALS",
    "WEI_PER_ETH",
    "Bps",
    "Gas",
    "Pips",
    "TokenUnits",
    "UsdcUnits",
    "Wei",
    "fee_rounded_down",
    "min_out_rounded_down",
    "mul_div_down",
    "mul_div_up",
    "split_by_weights",
    "usdc_units",
]

Bps = NewType("Bps", int)
Pips = NewType("Pips", int)  # Uniswap V3 fee tiers: hundredths of a bip (3000 = 0.30%)
TokenUnits = NewType("TokenUnits", int)
UsdcUnits = NewType("UsdcUnits", TokenUnits)
Wei = NewType("Wei", int)
Gas = NewType("Gas", int)

BPS: Final = 10_000
PIPS: Final = 1_000_000
USDC_DECIMALS: Final = 6


def usdc_units(value: int) -> UsdcUnits:
    """`value` as USDC base units (a UsdcUnits is a TokenUnits: both NewTypes in one call)."""
    return UsdcUnits(TokenUnits(value))


ONE_USDC: Final = usdc_units(10**USDC_DECIMALS)
WEI_PER_ETH: Final = 10**18


def mul_div_down(a: int, b: int, denominator: int) -> int:
    """floor(a * b / denominator) for non-negative a, b and a positive denominator."""
    return a * b // denominator


def mul_div_up(a: int, b: int, denominator: int) -> int:
    """ceil(a * b / denominator) for non-negative a, b and a positive denominator."""
    return -(-a * b // denominator)


def min_out_rounded_down(quoted_out: TokenUnits, max_slippage_bps: Bps) -> TokenUnits:
    """The least output accepted for a quote: the quote less the max slippage, rounded
    down, so it never asks for more than the tolerance allows (100% asks for nothing)."""
    if not 0 <= max_slippage_bps <= BPS:
        raise InvalidValue(
            f"max slippage {max_slippage_bps} bps is outside [0, {BPS}]",
            name="max_slippage_bps",
            value=max_slippage_bps,
        )
    return TokenUnits(mul_div_down(quoted_out, BPS - max_slippage_bps, BPS))


def fee_rounded_down(amount: UsdcUnits, fee_bps: Bps) -> UsdcUnits:
    """The platform fee on `amount`, exactly as the vault computes it (rounded down)."""
    return usdc_units(mul_div_down(amount, fee_bps, BPS))


def split_by_weights(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """`total` split proportionally to integer `weights`, summing to exactly `total`:
    floors first, then the leftover units go to the largest remainders (ties: larger
    weight, then symbol) — deterministic, never more than one unit off the exact share."""
    weight_sum = sum(weights.values())
    if total < 0 or weight_sum <= 0 or any(w < 0 for w in weights.values()):
        raise InvalidValue(
            f"cannot split {total} by weights {weights}", name="weights", value=(total, weights)
        )
    shares = {k: total * w // weight_sum for k, w in weights.items()}
    leftover = total - sum(shares.values())
    by_remainder = sorted(
        weights, key=lambda k: (-(total * weights[k] % weight_sum), -weights[k], k)
    )
    for key in by_remainder[:leftover]:
        shares[key] += 1
    return shares
