"""Mid-price conversions from a Uniswap V3 pool's sqrtPriceX96, in integers.

The pool price is token1 per token0 in base units: (sqrtPriceX96 / 2**96) ** 2. Every
conversion here rounds down (values are never overstated)."""

from __future__ import annotations

from orchestrator.errors import InvalidValue

Q96 = 2**96
Q192 = 2**192


def token_is_token0(token: str, usdc: str) -> bool:
    """Uniswap orders a pool's tokens by address."""
    return int(token, 16) < int(usdc, 16)


def mid_out(amount_in: int, sqrt_price_x96: int, *, zero_for_one: bool) -> int:
    """What `amount_in` would fetch at the mid price, before fees and impact (rounds down)."""
    if sqrt_price_x96 <= 0:
        raise InvalidValue(
            "a pool price must be positive", name="sqrt_price_x96", value=sqrt_price_x96
        )
    square = sqrt_price_x96 * sqrt_price_x96
    if zero_for_one:
        return amount_in * square // Q192
    return amount_in * Q192 // square


def value_in_usdc(amount: int, sqrt_price_x96: int, *, token_is_0: bool) -> int:
    """A token amount's value in USDC base units at the mid price (rounds down)."""
    return mid_out(amount, sqrt_price_x96, zero_for_one=token_is_0)


def usdc_to_token_mid(amount_usdc: int, sqrt_price_x96: int, *, token_is_0: bool) -> int:
    return mid_out(amount_usdc, sqrt_price_x96, zero_for_one=not token_is_0)
