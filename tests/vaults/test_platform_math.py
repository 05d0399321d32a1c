"""Pure: how much USDC to approve so the legs are covered after the fee."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orchestrator.chain.vault_binding import usdc_amount_for


@given(spend=st.integers(0, 10**15), fee_bps=st.integers(0, 100))
def test_amount_is_the_least_that_covers_spend_after_the_fee(spend: int, fee_bps: int) -> None:
    amount = usdc_amount_for(spend, fee_bps)
    assert amount - amount * fee_bps // 10_000 >= spend
    smaller = amount - 1
    assert smaller < 0 or smaller - smaller * fee_bps // 10_000 < spend


def test_hand_computed() -> None:
    # fee = floor(3,003,003,003 * 10 / 10,000) = 3,003,003, leaving exactly 3,000 USDC
    assert usdc_amount_for(3_000_000_000, 10) == 3_003_003_003
    assert usdc_amount_for(1_000, 0) == 1_000
