"""A preview is one round trip to the node once the session knows its facts: the facts,
the quotes and the gas simulations go in one JSON-RPC batch (eth-tester and anvil)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.trading import previews
from orchestrator.trading.previews import preview_buy, preview_sell
from tests.trading.conftest import USDC, Trader


def _count_requests(t: Trader, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"batches": 0, "requests": 0, "batch_requests": 0}
    read_batch = previews.read_batch

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts["batches"] += 1
        return read_batch(*args, **kwargs)

    monkeypatch.setattr(previews, "read_batch", counted)
    provider = t.ctx.chain.w3.provider
    if t.ctx.chain.kind == "anvil":  # the transport itself: what crosses to the node
        single, batch = provider.make_request, provider.make_batch_request

        def request(*args: Any) -> Any:
            counts["requests"] += 1
            return single(*args)

        def batch_request(*args: Any) -> Any:
            counts["batch_requests"] += 1
            return batch(*args)

        monkeypatch.setattr(provider, "make_request", request)
        monkeypatch.setattr(provider, "make_batch_request", batch_request)
    return counts


def test_a_sessions_next_preview_is_one_batch(
    trader: Trader, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = trader
    first = preview_buy(t.ctx, 1_000 * USDC)
    counts = _count_requests(t, monkeypatch)
    again = preview_buy(t.ctx, 1_000 * USDC)
    assert counts["batches"] == 1
    if t.ctx.chain.kind == "anvil":
        assert (counts["batch_requests"], counts["requests"]) == (1, 0)
    assert [leg.amount_in for leg in again.legs] == [leg.amount_in for leg in first.legs]
    assert again.user_op["nonce"] == first.user_op["nonce"]


def test_facts_that_moved_are_read_again(trader: Trader) -> None:
    """A buy moves the nonce and creates the vault: the next preview is built on fresh facts
    (a sell needs the vault, which the facts known before the buy did not have)."""
    from orchestrator.trading.confirm import confirm

    t = trader
    confirm(t.ctx, preview_buy(t.ctx, 1_000 * USDC))
    sale = preview_sell(t.ctx, 5_000)
    assert int(sale.user_op["nonce"], 16) == 1
    assert sale.legs
