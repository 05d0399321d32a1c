"""CoinGecko client and source against hand-written responses (httpx.MockTransport)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from orchestrator.errors import MarketDataError
from orchestrator.market.coingecko import (
    PRO_BASE_URL,
    CoinGeckoClient,
    CoinGeckoSource,
    snapshots_from_markets,
)
from orchestrator.market.source import MarketDataSource

FIXTURES = Path(__file__).parents[1] / "fixtures" / "coingecko"
Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def recorded(seen: list[httpx.Request]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path.endswith("/coins/markets"):
            return httpx.Response(200, text=fixture("markets_page1.json"))
        coin = path.split("/coins/")[1].split("/")[0]
        name = f"market_chart_{coin}.json"
        if (FIXTURES / name).is_file():
            return httpx.Response(200, text=fixture(name))
        return httpx.Response(404, json={"error": "coin not found"})

    return handle


def client(handler: Handler, **kwargs: object) -> CoinGeckoClient:
    return CoinGeckoClient(transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


def test_markets_request_and_parsing() -> None:
    seen: list[httpx.Request] = []
    rows = client(recorded(seen)).markets(top_n=4)
    params = seen[0].url.params
    assert seen[0].url.path == "/api/v3/coins/markets"
    assert params["vs_currency"] == "usd"
    assert params["order"] == "market_cap_desc"
    assert params["per_page"] == "4"
    snaps = snapshots_from_markets(rows)
    assert [s.symbol for s in snaps] == ["BTC", "ETH", "USDT"]  # the unpriced coin is skipped
    assert [s.rank for s in snaps] == [1, 2, 3]
    assert snaps[0].price_usd == Decimal("43021.5")
    assert isinstance(snaps[0].market_cap_usd, Decimal)
    assert {s.date for s in snaps} == {datetime.date(2023, 12, 25)}


def test_source_builds_a_daily_history() -> None:
    seen: list[httpx.Request] = []
    source = CoinGeckoSource(client(recorded(seen)), top_n=4, days=3)
    assert isinstance(source, MarketDataSource)
    history = source.history()
    assert history.source_label == "coingecko"
    assert not history.is_synthetic
    assert history.dates == (
        datetime.date(2023, 12, 23),
        datetime.date(2023, 12, 24),
        datetime.date(2023, 12, 25),
    )
    last = history.snapshot(datetime.date(2023, 12, 25))
    assert [s.symbol for s in last] == ["BTC", "ETH", "USDT"]
    # the intraday point of the 25th replaces its midnight point
    assert last[0].price_usd == Decimal("43021.5")
    assert history.snapshot(datetime.date(2023, 12, 23))[1].price_usd == Decimal("2315.4")
    charts = [r for r in seen if "market_chart" in r.url.path]
    assert {r.url.params["interval"] for r in charts} == {"daily"}
    assert {r.url.params["days"] for r in charts} == {"3"}
    assert len(charts) == 3  # the unpriced (delisted) coin is skipped


def test_unknown_coin_id_fails_loudly() -> None:
    with pytest.raises(MarketDataError, match="HTTP 404") as caught:
        client(recorded([])).market_chart("not-a-coin", days=3)
    assert "coin id" in caught.value.hint
    assert caught.value.path == "https://api.coingecko.com/api/v3/coins/not-a-coin/market_chart"


def test_api_key_header_and_throttle() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    api = client(
        recorded(seen),
        api_key="k-123",
        base_url=PRO_BASE_URL,
        min_interval=60.0,
        sleep=sleeps.append,
    )
    api.market_chart("bitcoin", days=3)
    api.market_chart("ethereum", days=3)
    assert seen[0].headers["x-cg-pro-api-key"] == "k-123"
    assert seen[0].url.host == "pro-api.coingecko.com"
    assert len(sleeps) == 1
    assert 59 < sleeps[0] <= 60


@pytest.mark.parametrize(
    ("response", "problem", "hint"),
    [
        (httpx.Response(429, headers={"retry-after": "30"}), "rate limit", "Wait 30 s"),
        (httpx.Response(401), "HTTP 401", "API key"),
        (httpx.Response(503), "HTTP 503", "later"),
        (httpx.Response(200, text="<html>busy</html>"), "not JSON", ""),
    ],
)
def test_http_failures_become_market_data_errors(
    response: httpx.Response, problem: str, hint: str
) -> None:
    with pytest.raises(MarketDataError, match=problem) as caught:
        client(lambda _: response).market_chart("bitcoin", days=3)
    assert hint in caught.value.hint
    assert "coins/bitcoin/market_chart" in str(caught.value.path)


def test_network_failure() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(MarketDataError, match="cannot reach CoinGecko") as caught:
        client(refuse).markets(top_n=2)
    assert "CSV" in caught.value.hint


@pytest.mark.parametrize(
    "body",
    [
        {"prices": "nope", "market_caps": [], "total_volumes": []},
        {"prices": [[1703289600000]], "market_caps": [], "total_volumes": []},
        {"market_caps": [], "total_volumes": []},
    ],
)
def test_malformed_chart(body: object) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/coins/markets"):
            rows = json.loads(fixture("markets_page1.json"))[:1]
            return httpx.Response(200, json=rows)
        return httpx.Response(200, json=body)

    with pytest.raises(MarketDataError, match=r"market_chart|point"):
        CoinGeckoSource(client(handle), top_n=1).history()


def test_markets_must_be_a_list() -> None:
    with pytest.raises(MarketDataError, match="did not return a list"):
        client(lambda _: httpx.Response(200, json={"error": "x"})).markets(top_n=2)
