"""Which assets a local market lists: the N largest, never USDC (the quote token)."""

from __future__ import annotations

import pytest

from orchestrator.errors import InputError
from orchestrator.service import load_history, select_assets


@pytest.mark.parametrize("tokens", [5, 100, 150])
def test_synthetic_market_lists_exactly_the_requested_tokens_without_usdc(tokens: int) -> None:
    assets = select_assets(load_history(None, tokens=tokens), None, tokens)
    assert len(assets) == tokens
    assert "USDC" not in {a.symbol for a in assets}
    caps = [a.market_cap_usd for a in assets]
    assert caps == sorted(caps, reverse=True)  # the largest first


def test_zero_tokens_is_refused() -> None:
    with pytest.raises(InputError, match="at least one token"):
        select_assets(load_history(None), None, 0)
