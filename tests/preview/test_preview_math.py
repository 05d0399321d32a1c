"""Preview arithmetic: mid prices, price impact and its tiers, slippage, gas in USDC."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.domain.impact import ImpactTier, impact_tier, price_impact_bps
from orchestrator.domain.prices import mid_out, token_is_token0, usdc_to_token_mid, value_in_usdc
from orchestrator.domain.units import min_out_rounded_down
from orchestrator.errors import InputError
from orchestrator.localmarket.pricing import sqrt_price_x96_for_usd_price
from orchestrator.preview import (
    GasFacts,
    auto_max_slippage_bps,
    check_max_slippage,
    choose_max_slippage,
)

USDC_ADDR = "0x" + "8" * 40
LOW, HIGH = "0x" + "0" * 39 + "1", "0x" + "f" * 40  # token0 / token1 against USDC
Q96 = 2**96
# MIN_SQRT_RATIO .. a ratio far above any real USDC pair
sqrt_st = st.integers(4_295_128_739, 2**160)


def test_token_order_is_by_address_value() -> None:
    assert token_is_token0(LOW, USDC_ADDR)
    assert not token_is_token0(HIGH, USDC_ADDR)
    assert token_is_token0("0x" + "A" * 40, "0x" + "b" * 40)  # case does not matter


@pytest.mark.parametrize(("address", "sqrt_price"), [(LOW, 2 * Q96), (HIGH, Q96 // 2)])
def test_mid_out_exact_prices_both_orientations(address: str, sqrt_price: int) -> None:
    """A 6-decimal token at exactly 4 USDC: price 4 (token0) or 1/4 (token1)."""
    is0 = token_is_token0(address, USDC_ADDR)
    assert usdc_to_token_mid(1_000_000, sqrt_price, token_is_0=is0) == 250_000
    assert value_in_usdc(250_000, sqrt_price, token_is_0=is0) == 1_000_000
    assert value_in_usdc(3, sqrt_price, token_is_0=is0) == 12
    assert usdc_to_token_mid(3, sqrt_price, token_is_0=is0) == 0  # 0.75 rounds down


@pytest.mark.parametrize("is0", [True, False])
@pytest.mark.parametrize(("price", "decimals"), [("3000", 18), ("65000.5", 8), ("0.0712", 18)])
def test_mid_out_realistic_prices(is0: bool, price: str, decimals: int) -> None:
    sqrt_price = sqrt_price_x96_for_usd_price(Decimal(price), decimals, is0)
    one_token_usdc = int(Decimal(price) * 10**6)
    assert abs(value_in_usdc(10**decimals, sqrt_price, token_is_0=is0) - one_token_usdc) <= 1
    got = usdc_to_token_mid(one_token_usdc, sqrt_price, token_is_0=is0)
    assert abs(got - 10**decimals) <= 10**decimals // 10**8


def test_mid_out_rejects_non_positive_price() -> None:
    with pytest.raises(ValueError, match="positive"):
        mid_out(1, 0, zero_for_one=True)


@given(amount=st.integers(0, 10**30), sqrt_price=sqrt_st, is0=st.booleans())
def test_mid_round_trips_never_gain(amount: int, sqrt_price: int, is0: bool) -> None:
    tokens = usdc_to_token_mid(amount, sqrt_price, token_is_0=is0)
    assert value_in_usdc(tokens, sqrt_price, token_is_0=is0) <= amount
    usdc = value_in_usdc(amount, sqrt_price, token_is_0=is0)
    assert usdc_to_token_mid(usdc, sqrt_price, token_is_0=is0) <= amount


@given(a=st.integers(0, 10**30), b=st.integers(0, 10**30), sqrt_price=sqrt_st, z=st.booleans())
def test_mid_out_monotone_in_amount(a: int, b: int, sqrt_price: int, z: bool) -> None:
    lo, hi = sorted((a, b))
    assert mid_out(lo, sqrt_price, zero_for_one=z) <= mid_out(hi, sqrt_price, zero_for_one=z)


# --- price impact ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount_out", "expected"),
    [
        (997_000, 0),  # exactly mid less the 0.3% LP fee
        (1_000_000, 0),  # better than mid: never negative
        (996_999, 1),  # 1 unit short: rounds up to 1 bps
        (897_300, 1000),  # exactly 10% short of 997_000
        (897_301, 1000),  # 9.9999%: rounds up
        (897_299, 1001),
        (0, 10_000),
    ],
)
def test_price_impact_hand_computed(amount_out: int, expected: int) -> None:
    assert price_impact_bps(amount_out, 1_000_000, 3000) == expected


def test_price_impact_without_an_ideal_output_is_total() -> None:
    assert price_impact_bps(0, 0, 3000) == 10_000
    assert price_impact_bps(5, 1, 3000) == 10_000  # ideal 0.997 rounds to 0


@given(
    mid=st.integers(1, 10**30),
    fee=st.sampled_from([100, 500, 3000, 10_000]),
    a=st.integers(0, 10**30),
    b=st.integers(0, 10**30),
)
def test_price_impact_rounds_up_and_is_monotone(mid: int, fee: int, a: int, b: int) -> None:
    ideal = mid * (1_000_000 - fee) // 1_000_000
    lo, hi = sorted((a % (2 * mid + 1), b % (2 * mid + 1)))
    impact_lo, impact_hi = price_impact_bps(lo, mid, fee), price_impact_bps(hi, mid, fee)
    assert 0 <= impact_hi <= impact_lo <= 10_000
    if ideal > 0 and lo < ideal:
        shortfall = ideal - lo
        assert impact_lo * ideal >= shortfall * 10_000 > (impact_lo - 1) * ideal


@pytest.mark.parametrize(
    ("bps", "tier"),
    [
        (0, ImpactTier.OK),
        (100, ImpactTier.OK),
        (101, ImpactTier.NOTICE),
        (300, ImpactTier.NOTICE),
        (301, ImpactTier.WARNING),
        (500, ImpactTier.WARNING),
        (501, ImpactTier.HIGH),
        (999, ImpactTier.HIGH),
        (1000, ImpactTier.CONFIRM),
        (1499, ImpactTier.CONFIRM),
        (1500, ImpactTier.BLOCKED),
        (10_000, ImpactTier.BLOCKED),
    ],
)
def test_impact_tier_boundaries(bps: int, tier: ImpactTier) -> None:
    assert impact_tier(bps) is tier


# --- slippage --------------------------------------------------------------------------


def test_min_out_hand_computed() -> None:
    assert min_out_rounded_down(1_000_000, 50) == 995_000
    assert min_out_rounded_down(999, 50) == 994  # 994.005 rounds down
    assert min_out_rounded_down(12_345, 0) == 12_345
    assert min_out_rounded_down(1, 1) == 0


@given(expected=st.integers(0, 10**30), slippage=st.integers(0, 10_000))
def test_min_out_is_the_largest_within_tolerance(expected: int, slippage: int) -> None:
    got = min_out_rounded_down(expected, slippage)
    assert got * 10_000 <= expected * (10_000 - slippage) < (got + 1) * 10_000
    assert got <= expected


@pytest.mark.parametrize(
    ("gas_usdc", "value_usdc", "expected"),
    [
        (1_000_000, 1_000_000_000, 50),  # 0.1% of value: the 0.5% floor
        (20_000_000, 1_000_000_000, 200),
        (20_000_001, 1_000_000_000, 201),  # gas share rounds up
        (50_000_000, 1_000_000_000, 300),  # 5%: the 3% ceiling
        (None, 1_000_000_000, 50),  # no ETH price known
        (1_000_000, 0, 50),
    ],
)
def test_auto_slippage(gas_usdc: int | None, value_usdc: int, expected: int) -> None:
    assert auto_max_slippage_bps(gas_usdc, value_usdc) == expected


@given(gas=st.integers(0, 10**12), value=st.integers(1, 10**15))
def test_auto_slippage_clamped(gas: int, value: int) -> None:
    assert 50 <= auto_max_slippage_bps(gas, value) <= 300


@pytest.mark.parametrize("bps", [1, 50, 2000])
def test_user_slippage_accepted(bps: int) -> None:
    assert check_max_slippage(bps) == bps


@pytest.mark.parametrize("bps", [0, -5, 2001])
def test_user_slippage_rejected(bps: int) -> None:
    with pytest.raises(InputError, match="between 1 and 2000"):
        check_max_slippage(bps)


def gas(eth_price: int | None = 3000 * 10**6, fee_per_gas: int = 10**9) -> GasFacts:
    return GasFacts(
        likely_gas=1_000_000,
        max_gas=1_500_000,
        likely_fee_per_gas_wei=fee_per_gas,
        max_fee_per_gas_wei=2 * fee_per_gas,
        eth_price_usdc=eth_price,
        deploys_account=False,
        creates_vault=True,
    )


def test_choose_slippage() -> None:
    # likely cost 1e15 wei = 0.001 ETH = 3 USDC
    assert choose_max_slippage(None, gas(), 100 * 10**6) == (300, True)  # 3% of 100 USDC
    assert choose_max_slippage(None, gas(), 200 * 10**6) == (150, True)
    assert choose_max_slippage(None, gas(), 10_000 * 10**6) == (50, True)
    assert choose_max_slippage(None, gas(eth_price=None), 100 * 10**6) == (50, True)
    assert choose_max_slippage(75, gas(), 100 * 10**6) == (75, False)
    with pytest.raises(InputError):
        choose_max_slippage(2001, gas(), 100 * 10**6)


def test_gas_preview_costs_round_up() -> None:
    preview = gas().preview()
    assert preview.likely_cost_wei == 10**15
    assert preview.max_cost_wei == 3 * 10**15
    assert preview.likely_cost_usdc == 3_000_000
    assert preview.max_cost_usdc == 9_000_000
    assert preview.creates_vault
    assert not preview.deploys_account
    assert gas(fee_per_gas=1).usdc(1) == 1  # 3e-9 USDC units rounds up to 1
    assert gas(eth_price=None).preview().likely_cost_usdc is None
