"""Capped market-cap weights: hand-computed cases, rounding properties, every error."""

from __future__ import annotations

import datetime
import itertools
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import ConfigError, StrategyError
from orchestrator.market.snapshot import AssetSnapshot
from orchestrator.strategy.config import CostConfig, UniverseConfig, WeightsConfig
from orchestrator.strategy.weights import capped_weights, round_to_bps, target_weights

DATE = datetime.date(2024, 1, 1)
F = Fraction


def caps_of(values: dict[str, Fraction], cap: Fraction) -> dict[str, Fraction]:
    return {s: cap for s in values}


def snaps(caps: dict[str, int], volumes: dict[str, int] | None = None) -> list[AssetSnapshot]:
    ordered = sorted(caps.items(), key=lambda kv: -kv[1])
    return [
        AssetSnapshot(
            DATE, s, s, Decimal(1), Decimal(c), Decimal((volumes or {}).get(s, 10**9)), i + 1
        )
        for i, (s, c) in enumerate(ordered)
    ]


def test_single_round_of_capping() -> None:
    # A=50% > 40%: A gets 40%, the other 60% is shared 30:10:10 -> 36%, 12%, 12%.
    values = {"A": F(50), "B": F(30), "C": F(10), "D": F(10)}
    weights = capped_weights(values, caps_of(values, F(2, 5)))
    assert weights == {"A": F(2, 5), "B": F(9, 25), "C": F(3, 25), "D": F(3, 25)}


def test_three_rounds_of_redistribution() -> None:
    # cap 25%, caps 40/21/20/10/9 (sum 100):
    # round 1: A (40%) -> 25%; 75% over 60: B = 26.25% (over), C = 25% exactly (not over)
    # round 2: B -> 25%; 50% over 39: C = 25.64% (over now)
    # round 3: C -> 25%; 25% over 19: D = 10/76, E = 9/76.
    # A single redistribution pass would have left B and C above the cap.
    values = {"A": F(40), "B": F(21), "C": F(20), "D": F(10), "E": F(9)}
    weights = capped_weights(values, caps_of(values, F(1, 4)))
    assert weights == {"A": F(1, 4), "B": F(1, 4), "C": F(1, 4), "D": F(10, 76), "E": F(9, 76)}
    # 10/76 = 1315.79 bps and 9/76 = 1184.21 bps: floors 1315 + 1184 leave 1 bp for D.
    assert round_to_bps(weights) == {"A": 2500, "B": 2500, "C": 2500, "D": 1316, "E": 1184}


def test_exactly_feasible_and_impossible_caps() -> None:
    four = {s: F(v) for s, v in zip("ABCD", (70, 10, 10, 10), strict=True)}
    assert set(capped_weights(four, caps_of(four, F(1, 4))).values()) == {F(1, 4)}
    three = {s: F(v) for s, v in zip("ABC", (70, 20, 10), strict=True)}
    with pytest.raises(StrategyError, match="impossible cap: 3 assets") as caught:
        capped_weights(three, caps_of(three, F(1, 4)))
    assert "Raise the cap" in caught.value.hint


def test_impossible_cap_through_target_weights() -> None:
    with pytest.raises(StrategyError, match="impossible cap"):
        target_weights(snaps({"A": 5, "B": 3, "C": 2}), WeightsConfig(cap=Decimal("0.25")))


def test_rounding_ties_are_deterministic() -> None:
    third = F(1, 3)
    assert round_to_bps({"C": third, "A": third, "B": third}) == {"A": 3334, "B": 3333, "C": 3333}


def test_minimum_weight_drops_one_asset_at_a_time() -> None:
    # caps 50, 45.15, 2.45, 2.4 (%), minimum 2.5%: D (2.4%) is dropped first; C then
    # becomes 2.45 / 97.6 = 2.51% and stays. Dropping every sub-minimum asset at once
    # would have removed C too.
    result = target_weights(
        snaps({"A": 5000, "B": 4515, "C": 245, "D": 240}),
        WeightsConfig(cap=Decimal(1), min_weight_bps=250),
    )
    assert set(result.weights_bps) == {"A", "B", "C"}
    assert "below the minimum 250 bps" in result.excluded["D"]
    # exact: 5000/9760, 4515/9760, 245/9760 of 10,000 bps = 5122.95, 4625.51, 251.02
    assert result.weights_bps == {"A": 5123, "B": 4626, "C": 251}


def test_weights_output_shape() -> None:
    result = target_weights(
        snaps({"BTC": 600, "ETH": 250, "USDT": 200, "SOL": 100, "DOGE": 50}),
        WeightsConfig(cap=Decimal("0.5"), min_weight_bps=0),
        UniverseConfig(top_n=3),
    )
    assert list(result.weights_bps) == ["BTC", "ETH", "SOL"]  # largest first
    assert sum(result.weights_bps.values()) == 10_000
    assert result.weights_bps["BTC"] == 5000
    assert result.excluded == {
        "DOGE": "outside the top 3 eligible coins by market cap",
        "USDT": "stablecoin",
    }


def test_liquidity_aware_caps() -> None:
    # ticket $1M, at most 1% of pool depth (24h volume here): C's pool of $20M allows
    # $200k = 20%; D's pool of $5M allows 5% < the 10% minimum, so D is left out.
    result = target_weights(
        snaps({"A": 500, "B": 300, "C": 150, "D": 50}, {"C": 20_000_000, "D": 5_000_000}),
        WeightsConfig(cap=Decimal("0.5"), min_weight_bps=1000, max_pool_share=Decimal("0.01")),
        ticket_usd=Decimal(1_000_000),
    )
    assert "pool too shallow" in result.excluded["D"]
    # A = 500/950 = 52.6% > 50% cap -> 50%; B, C share 50% as 300:150 -> 33.33%, 16.67%
    # (C's 20% liquidity cap does not bind); C gets the rounding bp (remainder .67 > .33)
    assert result.weights_bps == {"A": 5000, "B": 3333, "C": 1667}
    smaller_pool = target_weights(
        snaps({"A": 500, "B": 300, "C": 150}, {"C": 10_000_000}),
        WeightsConfig(cap=Decimal("0.6"), min_weight_bps=0, max_pool_share=Decimal("0.01")),
        ticket_usd=Decimal(1_000_000),
    )
    # C capped at 10%; A, B share 90% as 5:3 -> 56.25%, 33.75%
    assert smaller_pool.weights_bps == {"A": 5625, "B": 3375, "C": 1000}


def test_ticket_size_rule_drops_legs_and_says_so() -> None:
    # $1,000 ticket, $1 gas, at most 2% of a leg: a leg must be >= $50 (5%).
    result = target_weights(
        snaps({"A": 600, "B": 360, "C": 30, "D": 10}),
        WeightsConfig(cap=Decimal(1), min_weight_bps=0, max_gas_share=Decimal("0.02")),
        ticket_usd=Decimal(1000),
        costs=CostConfig(gas_per_leg_usd=Decimal(1)),
    )
    assert set(result.weights_bps) == {"A", "B"}
    assert "gas" in result.excluded["C"]
    assert "gas" in result.excluded["D"]
    assert any(n.startswith("dropped D:") for n in result.notes)
    assert result.weights_bps == {"A": 6250, "B": 3750}


def test_options_need_a_ticket() -> None:
    with pytest.raises(ConfigError, match="ticket size"):
        target_weights(snaps({"A": 1, "B": 1}), WeightsConfig(max_pool_share=Decimal("0.1")))
    with pytest.raises(ConfigError, match="gas per leg"):
        target_weights(
            snaps({"A": 1, "B": 1}),
            WeightsConfig(max_gas_share=Decimal("0.1")),
            ticket_usd=Decimal(10),
        )


def test_zero_market_cap_and_all_dropped() -> None:
    result = target_weights(snaps({"A": 10, "B": 0}), WeightsConfig(cap=Decimal(1)))
    assert result.excluded["B"] == "market cap is zero"
    with pytest.raises(StrategyError, match="no coin passes"):
        target_weights(snaps({"A": 0}), WeightsConfig(cap=Decimal(1)))


@pytest.mark.parametrize(
    "bad",
    [
        {"cap": Decimal(0)},
        {"cap": Decimal("1.5")},
        {"min_weight_bps": -1},
        {"max_pool_share": Decimal(0)},
    ],
)
def test_bad_weights_config(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        WeightsConfig(**bad)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=40),
    cap_bps=st.integers(min_value=100, max_value=10_000),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_rounding_properties(values: list[int], cap_bps: int, seed: int) -> None:
    symbols = [f"S{i:02d}" for i in range(len(values))]
    exact_values = {s: F(v) for s, v in zip(symbols, values, strict=True)}
    cap = F(cap_bps, 10_000)
    if len(values) * cap < 1:
        with pytest.raises(StrategyError):
            capped_weights(exact_values, caps_of(exact_values, cap))
        return
    weights = capped_weights(exact_values, caps_of(exact_values, cap))
    assert sum(weights.values()) == 1
    assert all(w <= cap for w in weights.values())
    bps = round_to_bps(weights)
    assert sum(bps.values()) == 10_000
    assert all(abs(bps[s] - weights[s] * 10_000) < 1 for s in symbols)
    assert all(b <= cap_bps for b in bps.values())
    # capping is monotone: a larger market cap never gets a smaller weight
    ordered = sorted(symbols, key=lambda s: exact_values[s])
    assert all(weights[a] <= weights[b] for a, b in itertools.pairwise(ordered))
    # the order of the input does not matter
    shuffled = list(exact_values.items())
    random.Random(seed).shuffle(shuffled)
    assert round_to_bps(capped_weights(dict(shuffled), caps_of(exact_values, cap))) == bps
