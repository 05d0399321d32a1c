"""Pure pricing math: sqrtPriceX96 from USD prices, decimals, depths, seed amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.localmarket.pricing import (
    MAX_SQRT_RATIO,
    MIN_SQRT_RATIO,
    full_range_ticks,
    pool_depth_usd,
    price_usd_from_sqrt_price_x96,
    seed_amounts,
    sqrt_price_x96_for_usd_price,
    token_decimals,
)

prices = st.decimals(
    min_value=Decimal("1e-9"), max_value=Decimal("1e6"), places=12, allow_nan=False
)


def test_one_dollar_six_decimal_token_sits_at_price_one() -> None:
    # 1 USD token with 6 decimals against 6-decimal USDC: price 1, sqrtPriceX96 = 2**96
    assert sqrt_price_x96_for_usd_price(Decimal(1), 6, token_is_token0=True) == 2**96
    assert sqrt_price_x96_for_usd_price(Decimal(1), 6, token_is_token0=False) == 2**96


def test_hand_computed_btc_price() -> None:
    # 40,000 USD per BTC (8 decimals): 40,000e6 / 1e8 = 400 USDC units per sat
    # token0 = BTC -> price 400 -> sqrt 20 -> 20 * 2**96
    assert sqrt_price_x96_for_usd_price(Decimal(40_000), 8, token_is_token0=True) == 20 * 2**96
    # token1 = BTC -> price 1/400 -> sqrt 1/20 -> floor(2**96 / 20)
    assert sqrt_price_x96_for_usd_price(Decimal(40_000), 8, token_is_token0=False) == 2**96 // 20


@given(
    price=prices.filter(lambda p: p > 0), decimals=st.sampled_from([6, 8, 18]), is0=st.booleans()
)
def test_round_trip_is_exact_to_a_billionth(price: Decimal, decimals: int, is0: bool) -> None:
    sqrt_price = sqrt_price_x96_for_usd_price(price, decimals, is0)
    assert MIN_SQRT_RATIO <= sqrt_price < MAX_SQRT_RATIO
    back = price_usd_from_sqrt_price_x96(sqrt_price, decimals, is0)
    assert abs(back / price - 1) < Decimal("1e-9")


def test_prices_outside_uniswaps_range_are_refused() -> None:
    with pytest.raises(ValueError, match="outside Uniswap V3's price range"):
        sqrt_price_x96_for_usd_price(Decimal("1e-30"), 18, token_is_token0=True)
    with pytest.raises(ValueError, match="must be positive"):
        sqrt_price_x96_for_usd_price(Decimal(0), 18, token_is_token0=True)


def test_decimals_rule() -> None:
    assert token_decimals("BTC") == 8
    assert token_decimals("wbtc") == 8
    assert token_decimals("USDT") == 6
    assert token_decimals("ETH") == 18
    assert token_decimals("SYN042") == 18


def test_full_range_ticks_are_multiples_of_the_spacing() -> None:
    assert full_range_ticks(60) == (-887_220, 887_220)
    assert full_range_ticks(10) == (-887_270, 887_270)


def test_depth_scales_with_market_cap_and_is_clamped() -> None:
    assert pool_depth_usd(Decimal(10**12)) == Decimal(200_000_000)  # clamped high
    assert pool_depth_usd(Decimal(10**9)) == Decimal(200_000)  # 2 bps of 1B
    assert pool_depth_usd(Decimal(10**6)) == Decimal(50_000)  # clamped low
    assert pool_depth_usd(Decimal(10**9), depth_bps_of_market_cap=10) == Decimal(1_000_000)


def test_seed_amounts_are_half_the_depth_on_each_side_rounded_down() -> None:
    token_units, usdc_units = seed_amounts(Decimal(100_000), Decimal(3), 18)
    assert usdc_units == 50_000 * 10**6
    assert token_units == 50_000 * 10**18 // 3
