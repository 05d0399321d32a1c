"""build_preview: values, fees, min-outs, impact flags and warnings, from hand-made quotes.

Two 6-decimal tokens worth exactly 4 USDC: LOW sorts below the USDC address (token0,
sqrtPriceX96 = 2 * 2**96) and HIGH above it (token1, sqrtPriceX96 = 2**96 / 2)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from orchestrator.domain.impact import ImpactTier
from orchestrator.domain.legs import Direction, PlannedLeg, QuotedLeg, TokenRef
from orchestrator.domain.prices import mid_out
from orchestrator.errors import InputError
from orchestrator.localmarket.pricing import sqrt_price_x96_for_usd_price
from orchestrator.preview import (
    GasFacts,
    Preview,
    PreviewContext,
    PreviewKind,
    build_preview,
)

USDC_ADDR = "0x" + "8" * 40
Q96 = 2**96
LOW = TokenRef("LOW", "0x" + "1" * 40, 6, 3000, "0xpoolLOW")
HIGH = TokenRef("HIGH", "0x" + "f" * 40, 6, 3000, "0xpoolHIGH")
SQRT = {"LOW": 2 * Q96, "HIGH": Q96 // 2}


def ctx(*, fee_bps: int = 50, force: bool = False, ttl_s: int = 120) -> PreviewContext:
    return PreviewContext(
        quote_id="q-1",
        chain_id=31337,
        owner="0x" + "a" * 40,
        vault="0x" + "b" * 40,
        usdc=USDC_ADDR,
        now_s=1_700_000_000,
        ttl_s=ttl_s,
        deadline_s=1_700_000_300,
        regime="bull",
        fee_bps=fee_bps,
        user_op_hash="0x" + "c" * 64,
        user_op={"sender": "0x" + "a" * 40},
        force=force,
    )


def gas(*, eth_price: int | None = None, deploys: bool = False, creates: bool = False) -> GasFacts:
    return GasFacts(1_000_000, 1_500_000, 10**9, 2 * 10**9, eth_price, deploys, creates)


def quote(token: TokenRef, direction: Direction, amount_in: int, out: int) -> QuotedLeg:
    leg = PlannedLeg(token, direction, amount_in, 5000)
    return QuotedLeg(leg, SQRT.get(token.symbol, 2 * Q96), out)


def preview(
    kind: PreviewKind,
    quotes: Sequence[QuotedLeg],
    *,
    context: PreviewContext | None = None,
    gas_facts: GasFacts | None = None,
    slippage: int = 100,
    auto: bool = True,
    usdc_amount: int = 0,
    cash: int = 0,
    dropped: Sequence[tuple[str, str]] = (),
) -> Preview:
    return build_preview(
        kind,
        quotes,
        ctx=context or ctx(),
        gas=gas_facts or gas(),
        max_slippage_bps=slippage,
        slippage_is_auto=auto,
        usdc_amount=usdc_amount,
        cash_usdc=cash,
        fraction_bps=5000 if kind is PreviewKind.SELL else 0,
        dropped=dropped,
    )


def test_buy_hand_computed_both_orientations() -> None:
    # 10 USDC in, 0.5% fee: 9.95 USDC split 5 / 4.95; quotes at mid less the 0.3% LP fee
    quotes = [
        quote(LOW, Direction.BUY, 5_000_000, 1_246_250),
        quote(HIGH, Direction.BUY, 4_950_000, 1_233_787),
    ]
    p = preview(
        PreviewKind.BUY, quotes, usdc_amount=10_000_000, gas_facts=gas(eth_price=3000 * 10**6)
    )
    assert p.platform_fee_usdc == 50_000
    low, high = p.leg("LOW"), p.leg("HIGH")
    assert (low.mid_out, high.mid_out) == (1_250_000, 1_237_500)
    assert (low.price_impact_bps, high.price_impact_bps, p.price_impact_bps) == (0, 0, 0)
    assert (low.min_out, high.min_out) == (1_233_787, 1_221_449)  # 1% slippage, rounded down
    assert p.expected_value_usdc == 4_985_000 + 4_935_148
    assert p.min_expected_value_usdc == 4_935_148 + 4_885_796
    assert low.route == "Uniswap V3 USDC/LOW 0.30%"
    assert (low.direction, low.in_decimals, low.target_bps) == ("buy", 6, 5000)
    assert p.expires_at_s == 1_700_000_120
    assert p.usdc_amount == 10_000_000
    # 3 USDC of gas on 9.92 USDC of value
    assert p.warnings == ("estimated gas is 30.24% of the value: consider more",)
    assert not p.needs_explicit_confirmation
    assert not p.blocked


def test_sell_hand_computed_fee_on_gross() -> None:
    quotes = [
        quote(LOW, Direction.SELL, 1_000_000, 3_988_000),  # mid 4 USDC less 0.3%: impact 0
        quote(HIGH, Direction.SELL, 1_000_000, 3_900_000),  # 88_000 / 3_988_000 -> 221 bps
    ]
    p = preview(PreviewKind.SELL, quotes, cash=1_000_000)
    assert (p.leg("LOW").mid_out, p.leg("HIGH").mid_out) == (4_000_000, 4_000_000)
    assert p.leg("HIGH").price_impact_bps == 221
    assert p.leg("HIGH").impact_tier is ImpactTier.NOTICE
    assert p.leg("HIGH").route == "Uniswap V3 HIGH/USDC 0.30%"
    assert p.price_impact_bps == 111  # (0 + 221) / 2 rounded up
    assert p.usdc_amount == 8_888_000  # gross: expected proceeds + cash
    assert p.platform_fee_usdc == 44_440
    assert p.expected_value_usdc == 8_843_560
    # min gross 3_948_120 + 3_861_000 + 1_000_000, fee 44_045.6 rounded down
    assert p.min_expected_value_usdc == 8_809_120 - 44_045
    assert p.warnings == ("HIGH: price impact 2.21% (notice)",)


def test_withdraw_has_no_fee_and_no_slip() -> None:
    p = preview(PreviewKind.WITHDRAW, [], cash=5_000_000, context=ctx(fee_bps=100))
    assert p.platform_fee_usdc == 0
    assert p.expected_value_usdc == p.min_expected_value_usdc == 5_000_000
    assert p.legs == ()
    assert p.price_impact_bps == 0


def test_non_positive_ttl_rejected() -> None:
    with pytest.raises(InputError, match="positive time"):
        preview(PreviewKind.BUY, [], usdc_amount=1, context=ctx(ttl_s=0))


def impact_quotes(impacts: Sequence[int]) -> list[QuotedLeg]:
    """Zero-fee pools: 4 USDC buys 1_000_000 units at mid; the quote sets the impact."""
    out = []
    for i, bps in enumerate(impacts):
        token = TokenRef(f"T{i}", "0x" + f"{i + 1:x}" * 40, 6, 0, f"0xpool{i}")
        out.append(quote(token, Direction.BUY, 4_000_000, 1_000_000 - bps * 100))
    return out


@pytest.mark.parametrize(
    ("impacts", "force", "confirm", "blocked"),
    [
        ([100, 0], False, False, False),
        ([101, 999], False, False, False),
        ([1000], False, True, False),
        ([1000], True, True, False),
        ([1499, 1500], False, True, True),
        ([1000, 1500], True, True, False),
    ],
)
def test_confirm_and_blocked_flags(
    impacts: list[int], force: bool, confirm: bool, blocked: bool
) -> None:
    p = preview(
        PreviewKind.BUY, impact_quotes(impacts), usdc_amount=10**9, context=ctx(force=force)
    )
    assert [leg.price_impact_bps for leg in p.legs] == impacts
    assert (p.needs_explicit_confirmation, p.blocked) == (confirm, blocked)
    assert len(p.warnings) == sum(bps > 100 for bps in impacts)


def test_impact_warning_texts() -> None:
    p = preview(PreviewKind.BUY, impact_quotes([501, 1000, 1500]), usdc_amount=10**9)
    assert p.warnings == (
        "T0: price impact 5.01% (high)",
        "T1: price impact 10.00% (10% or more): confirm this leg",
        "T2: price impact 15.00% (15% or more): blocked unless forced",
    )


def test_forced_blocked_leg_still_needs_confirmation() -> None:
    p = preview(PreviewKind.BUY, impact_quotes([1500]), usdc_amount=10**9, context=ctx(force=True))
    assert not p.blocked
    assert p.needs_explicit_confirmation  # actual: False


def test_warnings_for_setup_slippage_and_dropped_legs() -> None:
    p = preview(
        PreviewKind.BUY,
        [],
        usdc_amount=10**9,
        cash=10**9,
        gas_facts=gas(deploys=True, creates=True),
        slippage=1001,
        auto=False,
        dropped=[("XMR", "no USDC pool on this network")],
    )
    assert p.warnings == (
        "this operation also deploys your smart account (first use)",
        "this operation also creates your vault (first buy)",
        "max slippage 10.01% is unusually wide",
        "XMR not bought: no USDC pool on this network",
    )
    assert p.dropped == (("XMR", "no USDC pool on this network"),)
    quiet = preview(PreviewKind.BUY, [], usdc_amount=10**9, cash=10**9, slippage=1000, auto=False)
    assert quiet.warnings == ()


def test_sell_skipped_holding_not_called_not_bought() -> None:
    p = preview(PreviewKind.SELL, [], cash=10**6, dropped=[("ETH", "share rounds to zero")])
    assert not any("not bought" in w for w in p.warnings)


def test_sell_impact_is_value_weighted_across_decimals() -> None:
    legs = []
    for symbol, address, decimals, price, short in [
        ("BTC", "0x" + "2" * 40, 8, "60000", 10),  # 1 BTC = 60_000 USDC, 10% short
        ("ETH", "0x" + "e" * 40, 18, "3000", 0),  # 1 ETH = 3_000 USDC, at mid
    ]:
        token = TokenRef(symbol, address, decimals, 0, "0xpool" + symbol)
        is0 = int(address, 16) < int(USDC_ADDR, 16)
        sqrt_price = sqrt_price_x96_for_usd_price(Decimal(price), decimals, is0)
        mid = mid_out(10**decimals, sqrt_price, zero_for_one=is0)
        leg = PlannedLeg(token, Direction.SELL, 10**decimals, 0)
        legs.append(QuotedLeg(leg, sqrt_price, mid * (100 - short) // 100))
    p = preview(PreviewKind.SELL, legs)
    assert p.leg("BTC").price_impact_bps >= 1000
    assert p.price_impact_bps >= 900  # value-weighted ~952; actual: 1


def test_preview_model_is_frozen_and_round_trips() -> None:
    p = preview(PreviewKind.SELL, [quote(LOW, Direction.SELL, 10**6, 3_988_000)])
    assert Preview.model_validate_json(p.model_dump_json()) == p
    with pytest.raises(KeyError):
        p.leg("NOPE")
    with pytest.raises(ValidationError):
        p.blocked = True  # type: ignore[misc]


@settings(max_examples=150, deadline=None)
@given(
    sell=st.booleans(),
    legs=st.lists(st.tuples(st.integers(1, 10**12), st.integers(0, 10**15)), max_size=2),
    price_num=st.integers(1, 10**6),
    fee_bps=st.integers(0, 300),
    slippage=st.integers(1, 2000),
    cash=st.integers(0, 10**12),
    usdc_amount=st.integers(1, 10**13),
)
def test_preview_properties(
    sell: bool,
    legs: list[tuple[int, int]],
    price_num: int,
    fee_bps: int,
    slippage: int,
    cash: int,
    usdc_amount: int,
) -> None:
    direction = Direction.SELL if sell else Direction.BUY
    sqrt_price = Q96 * price_num // 1000
    quotes = [  # one leg per orientation
        QuotedLeg(PlannedLeg(token, direction, amount, 0), sqrt_price, out)
        for token, (amount, out) in zip((LOW, HIGH), legs, strict=False)
    ]
    kind = PreviewKind.SELL if sell else PreviewKind.BUY
    p = preview(
        kind,
        quotes,
        context=ctx(fee_bps=fee_bps),
        slippage=slippage,
        cash=cash,
        usdc_amount=usdc_amount,
    )
    assert p.min_expected_value_usdc <= p.expected_value_usdc
    for leg in p.legs:
        assert leg.min_out * 10_000 <= leg.expected_out * (10_000 - slippage)
        assert 0 <= leg.price_impact_bps <= 10_000
    assert 0 <= p.price_impact_bps <= max([0, *(leg.price_impact_bps for leg in p.legs)])
    assert not p.blocked or p.needs_explicit_confirmation
    fee = p.platform_fee_usdc
    if sell:
        assert p.usdc_amount == cash + sum(leg.expected_out for leg in p.legs)
        assert fee * 10_000 <= p.usdc_amount * fee_bps < (fee + 1) * 10_000
        assert p.expected_value_usdc == p.usdc_amount - fee
    else:
        assert fee * 10_000 <= usdc_amount * fee_bps < (fee + 1) * 10_000
        assert p.expected_value_usdc >= cash
