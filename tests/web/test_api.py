"""The JSON API over the facade on a real anvil market: every endpoint, bad input, stale
and reused quote ids, a wrong-key signature (sends counted), a foreign Origin."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from tests.web.conftest import Clock, Page

pytestmark = pytest.mark.anvil

USDC = 10**6
# on the 6-token test market: a buy whose largest legs move their pools 10-15%, and more
TICKED_USDC, BLOCKED_USDC = "2000000", "4000000"


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


def execute(page: Page, quote_id: str) -> dict[str, Any]:
    _, signature = confirm_and_sign(page, quote_id)
    done = page.post("/api/submit", {"quote_id": quote_id, "signature": signature})
    assert done.status_code == 200, done.text
    return dict(done.json())


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


def test_reads_without_a_vault(page: Page) -> None:
    config = page.get("/api/config").json()
    assert config["faucet"] is True
    assert config["network"] == "anvil-test"
    overview = page.get("/api/overview").json()
    assert overview["constituents"] == len(overview["weights_bps"]) > 0
    signal = overview["signal"]
    assert signal["exit_below"] <= signal["enter_above"]
    assert signal["band"] == [signal["exit_below"], signal["enter_above"]]
    assert signal["regime"] == overview["regime"]  # the gauge follows the signal the index uses
    assert overview["next_rebalance_s"] > overview["chain_time_s"]
    assert overview["explorer_url"] is None  # a local chain
    head = page.get("/api/head").json()
    assert head["block_number"] > 0
    text = page.get("/api/strategy").json()["text"]
    assert "BTC" in text  # the `indexvault strategy` text
    assert "Universe" in text
    owner = page.owner.address
    account = page.get("/api/account", owner=owner).json()
    assert account["owner"] == owner
    assert account["vault_exists"] is False
    assert page.get("/api/holdings", owner=owner).json()["treemap"] == []
    assert page.get("/api/log", owner=owner).json()["rows"] == []
    assert page.get("/api/pnl", owner=owner).json()["pnl"]["equity_usdc"] == 0
    mandate = page.get("/api/mandate", owner=owner)
    assert mandate.status_code == 400, mandate.text
    assert mandate.json()["error"] == "NoVault"


def test_openapi_lists_every_route(page: Page) -> None:
    paths = set(page.get("/openapi.json").json()["paths"])
    assert {
        "/api/overview", "/api/head", "/api/strategy", "/api/config", "/api/account",
        "/api/faucet", "/api/holdings", "/api/pnl", "/api/log", "/api/mandate",
        "/api/preview/buy", "/api/preview/sell", "/api/preview/withdraw",
        "/api/preview/mandate", "/api/preview/revoke", "/api/confirm", "/api/submit",
    } <= paths  # fmt: skip
    assert page.get("/docs").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        ("/api/preview/buy", {"owner": "0x1234", "usdc": "1000"}, "InputError"),
        ("/api/preview/buy", {"usdc": "ten"}, "InputError"),
        ("/api/preview/buy", {"usdc": "-5"}, "InputError"),
        ("/api/preview/buy", {"usdc": "1.0000001"}, "InputError"),
        ("/api/preview/sell", {"percent": "150"}, "InputError"),
        ("/api/preview/sell", {"percent": "0"}, "InputError"),
        ("/api/faucet", {"usdc": "0"}, "InputError"),
        ("/api/confirm", {"quote_id": "no-such-quote"}, "UnknownQuote"),
        (
            "/api/submit",
            {"quote_id": "no-such-quote", "signature": "0x" + "11" * 65},
            "UnknownQuote",
        ),
        ("/api/submit", {"quote_id": "q", "signature": "0x1234"}, "InputError"),
    ],
)
def test_bad_input_is_a_clear_error_and_sends_nothing(
    page: Page, path: str, body: dict[str, Any], problem: str
) -> None:
    if "owner" not in body and "quote_id" not in body:
        body = {"owner": page.owner.address, **body}
    sends = page.sends()
    answer = page.post(path, body)
    assert answer.status_code in (400, 404), answer.text
    payload = answer.json()
    assert payload["error"] == problem
    assert payload["message"]
    assert page.sends() == sends


def test_a_malformed_body_is_refused_by_the_schema(page: Page) -> None:
    answer = page.post("/api/preview/buy", {"owner": page.owner.address, "usdc": "1", "x": 1})
    assert answer.status_code == 422


def test_a_signature_from_another_key_sends_nothing(page: Page) -> None:
    funded(page)
    preview = buy(page)
    request, _ = confirm_and_sign(page, preview["quote_id"])
    stranger = Account.from_key(keccak(text="not the owner"))
    sends = page.sends()
    answer = page.post(
        "/api/submit",
        {"quote_id": preview["quote_id"], "signature": page.sign(request, stranger)},
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "InvalidUserOperation"
    assert stranger.address in answer.json()["message"]
    assert page.sends() == sends
    # the owner's own signature still goes through, once
    answer = page.post(
        "/api/submit", {"quote_id": preview["quote_id"], "signature": page.sign(request)}
    )
    assert answer.status_code == 200, answer.text
    assert page.sends() == sends + 1


def test_a_quote_id_is_confirmed_once(page: Page) -> None:
    funded(page)
    preview = buy(page)
    _, signature = confirm_and_sign(page, preview["quote_id"])
    body = {"quote_id": preview["quote_id"], "signature": signature}
    assert page.post("/api/submit", body).status_code == 200
    sends = page.sends()
    again = page.post("/api/submit", body)
    assert again.status_code == 409
    assert again.json()["error"] == "AlreadySubmitted"
    reconfirm = page.post("/api/confirm", {"quote_id": preview["quote_id"]})
    assert reconfirm.status_code == 409
    assert reconfirm.json()["error"] == "AlreadySubmitted"
    assert page.sends() == sends


def test_submit_before_confirm_is_refused(page: Page) -> None:
    funded(page)
    preview = buy(page)
    answer = page.post(
        "/api/submit", {"quote_id": preview["quote_id"], "signature": "0x" + "11" * 65}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "QuoteNotConfirmed"


def test_a_stale_quote_is_refused_at_confirm(page: Page, clock: Clock) -> None:
    funded(page)
    preview = buy(page)
    clock.offset_s = preview["expires_at_s"] - preview["created_at_s"] + 5
    sends = page.sends()
    answer = page.post("/api/confirm", {"quote_id": preview["quote_id"]})
    assert answer.status_code == 409
    assert answer.json()["error"] == "PreviewExpired"
    assert page.sends() == sends


def test_price_updated_between_review_and_confirm(page: Page) -> None:
    funded(page)
    preview = buy(page, "3000")
    biggest = max(preview["legs"], key=lambda leg: int(leg["amount_in"]))
    page.market.push_prices({biggest["symbol"]: 1_000})  # another trader buys it: +10%
    sends = page.sends()
    answer = page.post("/api/confirm", {"quote_id": preview["quote_id"]})
    assert answer.status_code == 409, answer.text
    payload = answer.json()
    assert payload["error"] == "PriceUpdated"
    moved = {row["symbol"]: row for row in payload["price_updated"]}
    assert biggest["symbol"] in moved
    row = moved[biggest["symbol"]]
    assert int(row["now_out"]) < int(row["reviewed_min_out"]) == int(biggest["min_out"])
    assert int(row["short_by"]) == int(row["reviewed_min_out"]) - int(row["now_out"])
    assert page.sends() == sends


@pytest.mark.parametrize("origin", ["http://evil.example", None, "http://127.0.0.1:9999"])
def test_a_foreign_origin_is_refused(page: Page, origin: str | None) -> None:
    sends = page.sends()
    answer = page.post("/api/faucet", {"owner": page.owner.address, "usdc": "100"}, origin=origin)
    assert answer.status_code == 403
    assert answer.json()["error"] == "OriginRejected"
    assert page.get("/api/account", owner=page.owner.address).json()["usdc_balance"] == 0
    assert page.sends() == sends
    assert "access-control-allow-origin" not in answer.headers


def test_a_foreign_host_is_refused(page: Page) -> None:
    answer = page.client.get("/api/head", headers={"host": "rebound.example"})
    assert answer.status_code == 400


def test_sell_half_then_withdraw_in_kind(page: Page) -> None:
    funded(page)
    preview = buy(page)
    _, signature = confirm_and_sign(page, preview["quote_id"])
    assert (
        page.post(
            "/api/submit", {"quote_id": preview["quote_id"], "signature": signature}
        ).status_code
        == 200
    )
    before = page.get("/api/holdings", owner=page.owner.address).json()["view"]["nav_usdc"]
    sell = page.post("/api/preview/sell", {"owner": page.owner.address, "percent": "50"}).json()
    assert sell["fraction_bps"] == 5000
    _, signature = confirm_and_sign(page, sell["quote_id"])
    assert (
        page.post("/api/submit", {"quote_id": sell["quote_id"], "signature": signature}).status_code
        == 200
    )
    after = page.get("/api/holdings", owner=page.owner.address).json()["view"]["nav_usdc"]
    assert after < before * 6 // 10
    out = page.post("/api/preview/withdraw", {"owner": page.owner.address}).json()
    assert out["kind"] == "withdraw"
    _, signature = confirm_and_sign(page, out["quote_id"])
    assert (
        page.post("/api/submit", {"quote_id": out["quote_id"], "signature": signature}).status_code
        == 200
    )
    assert page.get("/api/holdings", owner=page.owner.address).json()["view"]["nav_usdc"] == 0
    kinds = [row["kind"] for row in page.get("/api/log", owner=page.owner.address).json()["rows"]]
    assert kinds[0] == "withdraw"  # newest first
    assert "sell" in kinds
    assert "buy" in kinds
    pnl = page.get("/api/pnl", owner=page.owner.address).json()["pnl"]
    assert pnl["fees_usdc"] > 0


def test_mandate_set_show_revoke(page: Page) -> None:
    funded(page)
    preview = buy(page)
    _, signature = confirm_and_sign(page, preview["quote_id"])
    assert (
        page.post(
            "/api/submit", {"quote_id": preview["quote_id"], "signature": signature}
        ).status_code
        == 200
    )
    terms = {
        "owner": page.owner.address, "max_slippage_bps": 100, "min_interval_s": 86_400,
        "twap_window_s": 1_800, "loss_budget_usdc": "50", "loss_window_s": 604_800,
        "loss_cap_usdc": "200",
    }  # fmt: skip
    mandate = page.post("/api/preview/mandate", terms).json()
    assert mandate["kind"] == "mandate"
    _, signature = confirm_and_sign(page, mandate["quote_id"])
    assert (
        page.post(
            "/api/submit", {"quote_id": mandate["quote_id"], "signature": signature}
        ).status_code
        == 200
    )
    shown = page.get("/api/mandate", owner=page.owner.address).json()
    assert shown["keeper"] is not None
    assert shown["max_slippage_bps"] == 100
    assert shown["loss_budget_usdc"] == 50 * USDC
    revoke = page.post("/api/preview/revoke", {"owner": page.owner.address}).json()
    _, signature = confirm_and_sign(page, revoke["quote_id"])
    assert (
        page.post(
            "/api/submit", {"quote_id": revoke["quote_id"], "signature": signature}
        ).status_code
        == 200
    )
    assert page.get("/api/mandate", owner=page.owner.address).json()["keeper"] is None


def test_high_impact_needs_a_tick_and_very_high_is_refused(page: Page) -> None:
    """The facade's guards, carried: a leg at >= 10% impact is confirmed only with
    accept_high_impact; >= 15% is refused at confirm whatever the page sends."""
    funded(page, "10000000")
    ticked, blocked = buy(page, TICKED_USDC), buy(page, BLOCKED_USDC)
    assert ticked["needs_explicit_confirmation"] is True
    assert ticked["blocked"] is False
    assert blocked["blocked"] is True
    sends = page.sends()
    refused = page.post(
        "/api/confirm", {"quote_id": blocked["quote_id"], "accept_high_impact": True}
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "InputError"
    unticked = page.post("/api/confirm", {"quote_id": ticked["quote_id"]})
    assert unticked.status_code == 400
    assert unticked.json()["error"] == "InputError"
    accepted = page.post(
        "/api/confirm", {"quote_id": ticked["quote_id"], "accept_high_impact": True}
    )
    assert accepted.status_code == 200, accepted.text
    assert page.sends() == sends


def test_nothing_secret_reaches_the_log(page: Page, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    funded(page)
    preview = buy(page)
    _, signature = confirm_and_sign(page, preview["quote_id"])
    done = page.post("/api/submit", {"quote_id": preview["quote_id"], "signature": signature})
    assert done.status_code == 200
    assert signature[2:] not in caplog.text
    assert page.owner.key.hex() not in caplog.text
