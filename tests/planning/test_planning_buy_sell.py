"""split_by_weights, plan_buy and plan_sell: pure planning, integers in base units."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.domain.legs import Direction, Holding, TokenRef
from orchestrator.domain.units import split_by_weights
from orchestrator.errors import InputError
from orchestrator.planning import BuyPlan, min_buy_usdc, plan_buy, plan_sell
from orchestrator.strategy.signal import Regime

USDC = 10**6


def ref(symbol: str, address_digit: str = "1", decimals: int = 18) -> TokenRef:
    return TokenRef(symbol, "0x" + address_digit * 40, decimals, 3000, "0xpool" + symbol)


TOKENS = [ref("BTC", "1", 8), ref("ETH", "2"), ref("SOL", "a"), ref("DOGE", "f", 8)]
SYMBOLS = [t.symbol for t in TOKENS]

weights_st = st.dictionaries(
    st.sampled_from([*SYMBOLS, "XMR", "HYPE"]), st.integers(0, 10_000), min_size=1, max_size=6
)


# --- split_by_weights ------------------------------------------------------------------


def test_split_exact_proportions() -> None:
    shares = split_by_weights(100, {"BTC": 5000, "ETH": 3000, "SOL": 2000})
    assert shares == {"BTC": 50, "ETH": 30, "SOL": 20}


def test_split_leftover_ties_go_to_larger_weight_then_symbol() -> None:
    # equal weights: the one leftover unit goes to the first symbol
    assert split_by_weights(10, {"b": 1, "a": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    # equal remainders (2/4 each): the larger weight wins the unit
    assert split_by_weights(2, {"a": 1, "b": 3}) == {"a": 0, "b": 2}
    # largest remainder first: 7 * 2/3 = 4.67 beats 7 * 1/3 = 2.33
    assert split_by_weights(7, {"x": 1, "y": 2}) == {"x": 2, "y": 5}


@pytest.mark.parametrize(
    ("total", "weights"), [(-1, {"a": 1}), (5, {"a": 0}), (5, {}), (5, {"a": 2, "b": -1})]
)
def test_split_rejects_bad_input(total: int, weights: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="cannot split"):
        split_by_weights(total, weights)


@given(
    total=st.integers(0, 10**15),
    weights=st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 10**6), min_size=1),
)
def test_split_sums_exactly_and_each_share_within_one_unit(
    total: int, weights: dict[str, int]
) -> None:
    if sum(weights.values()) == 0:
        weights = {**weights, "zz": 1}
    shares = split_by_weights(total, weights)
    assert shares.keys() == weights.keys()
    assert sum(shares.values()) == total
    weight_sum = sum(weights.values())
    for key, share in shares.items():
        exact = Fraction(total * weights[key], weight_sum)
        assert abs(share - exact) < 1
        assert share >= 0
    assert split_by_weights(total, dict(reversed(list(weights.items())))) == shares


# --- plan_buy --------------------------------------------------------------------------


def buy(
    amount: int,
    weights: dict[str, int],
    *,
    fee_bps: int = 50,
    min_leg: int = 1,
    regime: Regime = Regime.BULL,
    cap_bps: int = 10_000,
) -> BuyPlan:
    return plan_buy(
        amount,
        fee_bps=fee_bps,
        weights_bps=weights,
        tokens=TOKENS,
        regime=regime,
        min_leg_usdc=min_leg,
        cap_bps=cap_bps,
    )


def test_dust_never_pushes_an_asset_over_the_cap() -> None:
    # ETH is dust; renormalised, BTC would get 100% of the spend, above its 25% cap
    plan = buy(20 * USDC, {"BTC": 2500, "ETH": 100}, fee_bps=0, min_leg=USDC, cap_bps=2500)
    assert [(leg.token.symbol, leg.amount_in) for leg in plan.legs] == [("BTC", 5 * USDC)]
    assert plan.cash_usdc == 15 * USDC  # what the cap leaves unspent stays USDC
    assert plan.spend_usdc + plan.cash_usdc + plan.fee_usdc == 20 * USDC


def test_min_buy_is_the_least_amount_that_fills_a_leg() -> None:
    weights = {"BTC": 2500, "ETH": 1500, "SOL": 100}
    least = min_buy_usdc(lambda a: buy(a, weights, fee_bps=10, min_leg=USDC, cap_bps=2500))
    assert buy(least, weights, fee_bps=10, min_leg=USDC, cap_bps=2500).legs != ()
    assert buy(least - 1, weights, fee_bps=10, min_leg=USDC, cap_bps=2500).legs == ()
    assert 4 * USDC < least < 4_010_000  # the cap: BTC alone may take 25% of what is spent


def test_buy_hand_computed() -> None:
    plan = buy(1000 * USDC, {"BTC": 6000, "ETH": 4000}, fee_bps=50)
    assert plan.fee_usdc == 5_000_000
    assert [(leg.token.symbol, leg.amount_in, leg.target_bps) for leg in plan.legs] == [
        ("BTC", 597_000_000, 6000),
        ("ETH", 398_000_000, 4000),
    ]
    assert all(leg.direction is Direction.BUY and leg.token_in == "USDC" for leg in plan.legs)
    assert plan.cash_usdc == 0
    assert plan.spend_usdc == 995_000_000
    assert plan.dropped == ()


def test_buy_fee_rounds_down_like_the_vault() -> None:
    assert buy(199, {"BTC": 10_000}, fee_bps=50).fee_usdc == 0  # 0.995 -> 0
    assert buy(10_001, {"BTC": 10_000}, fee_bps=30).fee_usdc == 30  # 30.003 -> 30
    assert buy(10_000, {"BTC": 10_000}, fee_bps=0).fee_usdc == 0


def test_buy_bear_regime_holds_everything_as_usdc() -> None:
    plan = buy(1000 * USDC, {"BTC": 6000, "XMR": 4000}, regime=Regime.BEAR)
    assert plan.legs == ()
    assert plan.fee_usdc == 5 * USDC
    assert plan.cash_usdc == 995 * USDC
    assert plan.regime is Regime.BEAR


def test_buy_unknown_symbol_dropped_with_reason_and_weights_renormalised() -> None:
    plan = buy(100 * USDC, {"BTC": 5000, "XMR": 5000}, fee_bps=0)
    assert plan.dropped == (("XMR", "no USDC pool on this network"),)
    assert [(leg.token.symbol, leg.amount_in) for leg in plan.legs] == [("BTC", 100 * USDC)]


def test_buy_dust_leg_dropped_and_rest_gets_everything() -> None:
    plan = buy(1000 * USDC, {"BTC": 9950, "DOGE": 50}, min_leg=10 * USDC)
    # DOGE: 995 USDC * 0.5% = 4.975 USDC < 10 USDC
    assert plan.dropped == (("DOGE", "leg $4.98 below the $10.00 minimum"),)
    assert [(leg.token.symbol, leg.amount_in) for leg in plan.legs] == [("BTC", 995 * USDC)]


def test_buy_everything_dust_keeps_the_cash() -> None:
    plan = buy(5 * USDC, {"BTC": 5000, "ETH": 5000}, fee_bps=0, min_leg=10 * USDC)
    assert plan.legs == ()
    assert plan.cash_usdc == 5 * USDC
    assert {symbol for symbol, _ in plan.dropped} == {"BTC", "ETH"}


@pytest.mark.parametrize(("amount", "fee"), [(0, 50), (-1, 50), (100, -1), (100, 10_000)])
def test_buy_rejects_bad_amount_or_fee(amount: int, fee: int) -> None:
    with pytest.raises(InputError):
        buy(amount, {"BTC": 10_000}, fee_bps=fee)


@settings(max_examples=150)
@given(
    amount=st.integers(1, 10**13),
    fee_bps=st.integers(0, 500),
    weights=weights_st,
    min_leg=st.integers(1, 50 * USDC),  # below 1: InputError (tested)
    bear=st.booleans(),
)
def test_buy_properties(
    amount: int, fee_bps: int, weights: dict[str, int], min_leg: int, bear: bool
) -> None:
    regime = Regime.BEAR if bear else Regime.BULL
    plan = buy(amount, weights, fee_bps=fee_bps, min_leg=min_leg, regime=regime)
    assert plan.spend_usdc + plan.fee_usdc + plan.cash_usdc == amount
    assert plan.fee_usdc * 10_000 <= amount * fee_bps < (plan.fee_usdc + 1) * 10_000
    assert all(leg.amount_in >= min_leg for leg in plan.legs)
    assert len({leg.token.symbol for leg in plan.legs}) == len(plan.legs)
    if bear:
        assert plan.legs == ()
        assert plan.dropped == ()
    else:
        for symbol in {s for s, w in weights.items() if w > 0} - set(SYMBOLS):
            assert (symbol, "no USDC pool on this network") in plan.dropped
        bought = {leg.token.symbol for leg in plan.legs}
        assert bought <= set(SYMBOLS)
        assert bought.isdisjoint(s for s, _ in plan.dropped)
        assert plan.cash_usdc == (0 if plan.legs else amount - plan.fee_usdc)
    assert buy(amount, weights, fee_bps=fee_bps, min_leg=min_leg, regime=regime) == plan


# --- plan_sell -------------------------------------------------------------------------


def test_sell_hand_computed() -> None:
    btc, eth, doge = TOKENS[0], TOKENS[1], TOKENS[3]
    holdings = [Holding(btc, 1_000_001), Holding(eth, 1), Holding(doge, 0)]
    plan = plan_sell(holdings, fraction_bps=5000, cash_usdc=999, fee_bps=50)
    assert [(leg.token.symbol, leg.amount_in) for leg in plan.legs] == [("BTC", 500_000)]
    assert plan.legs[0].direction is Direction.SELL
    assert plan.legs[0].token_out == "USDC"
    assert plan.skipped == (("ETH", "share rounds to zero"),)  # DOGE held nothing: silent
    assert plan.cash_usdc == 499
    assert plan.fee_bps == 50


@pytest.mark.parametrize("fraction", [0, -1, 10_001])
def test_sell_rejects_fraction_out_of_range(fraction: int) -> None:
    with pytest.raises(InputError, match="between"):
        plan_sell([Holding(TOKENS[0], 10)], fraction_bps=fraction, cash_usdc=0, fee_bps=0)


def test_sell_nothing_to_sell() -> None:
    with pytest.raises(InputError, match="nothing to sell"):
        plan_sell([Holding(TOKENS[0], 1)], fraction_bps=1, cash_usdc=9_999, fee_bps=0)


@given(
    amounts=st.lists(st.integers(0, 10**30), min_size=1, max_size=4),
    fraction=st.integers(1, 10_000),
    cash=st.integers(10_000, 10**13),
)
def test_sell_amounts_are_the_vaults_floor(amounts: list[int], fraction: int, cash: int) -> None:
    holdings = [Holding(t, a) for t, a in zip(TOKENS, amounts, strict=False)]
    plan = plan_sell(holdings, fraction_bps=fraction, cash_usdc=cash, fee_bps=0)
    sold = {leg.token.symbol: leg.amount_in for leg in plan.legs}
    for holding in holdings:
        share = holding.amount * fraction // 10_000
        assert sold.get(holding.token.symbol, 0) == share
        assert share <= holding.amount
    assert plan.cash_usdc == cash * fraction // 10_000
    if fraction == 10_000:
        assert sold == {h.token.symbol: h.amount for h in holdings if h.amount}


def test_buy_minimum_leg_below_one_base_unit_is_refused() -> None:
    with pytest.raises(InputError, match="minimum leg"):
        buy(1000 * USDC, {"BTC": 10_000}, min_leg=0)
