"""The JSON API over the facade on a real anvil market: every endpoint, bad input, stale
and reused quote ids, a wrong-key signature (sends counted), a foreign Origin."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Page

pytestmark = pytest.mark.anvil

USDC = 10**6


def funded(page: Page, usdc: str = "5000") -> dict[str, Any]:
    answer = page.post("/api/faucet", {"owner": page.owner.address, "usdc": usdc})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def buy(page: Page, usdc: str = "1000") -> dict[str, Any]:
    answer = page.post("/api/preview/buy", {"owner": page.owner.address, "usdc": usdc})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def confirm_and_sign(page: Page, quote_id: str) -> tuple[dict[str, Any], str]:
    answer = page.post("/api/confirm", {"quote_id": quote_id})
    assert answer.status_code == 200, answer.text
    request = answer.json()
    return request, page.sign(request)


def test_buy_through_the_api(page: Page) -> None:
    account = funded(page)
    assert account["usdc_balance"] == 5000 * USDC
    preview = buy(page)
    assert preview["kind"] == "buy"
    _request, signature = confirm_and_sign(page, preview["quote_id"])
    sends = page.sends()
    done = page.post("/api/submit", {"quote_id": preview["quote_id"], "signature": signature})
    assert done.status_code == 200, done.text
    assert done.json()["success"] is True
    assert page.sends() == sends + 1
    holdings = page.get("/api/holdings", owner=page.owner.address).json()
    assert holdings["view"]["exists"] is True
    assert holdings["treemap"]
