"""CoinGecko over HTTP: `/coins/markets` (today's top coins) and `/coins/{id}/market_chart`
(daily price, cap and volume history), behind the MarketDataSource interface.

JSON numbers are parsed straight into Decimal (`parse_float=Decimal`), never float.
The transport is injectable (`httpx.MockTransport` in tests: no network). Every failure is
a MarketDataError whose `path` is the URL and whose hint says what to do (HTTP 429: wait
or use an API key; 401/403: check the key; 404: check the coin id).

Free API: https://api.coingecko.com/api/v3 (about 30 calls a minute). With a demo key,
pass `api_key`; with a Pro key, also pass `base_url=PRO_BASE_URL`.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from orchestrator.errors import MarketDataError
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory

__all__ = ["FREE_BASE_URL", "PRO_BASE_URL", "CoinGeckoClient", "CoinGeckoSource"]

FREE_BASE_URL = "https://api.coingecko.com/api/v3"
PRO_BASE_URL = "https://pro-api.coingecko.com/api/v3"


def _utc_date(milliseconds: Decimal) -> datetime.date:
    return datetime.datetime.fromtimestamp(int(milliseconds) // 1000, tz=datetime.UTC).date()


class CoinGeckoClient:
    """A small CoinGecko client. `min_interval` seconds are kept between requests."""

    def __init__(
        self,
        *,
        base_url: str = FREE_BASE_URL,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 20.0,
        min_interval: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        headers = {"accept": "application/json"}
        if api_key:
            header = "x-cg-pro-api-key" if base_url == PRO_BASE_URL else "x-cg-demo-api-key"
            headers[header] = api_key
        self._http = httpx.Client(
            base_url=base_url, headers=headers, transport=transport, timeout=timeout
        )
        self._min_interval = min_interval
        self._sleep = sleep
        self._last = 0.0

    def close(self) -> None:
        self._http.close()

    def get_json(self, path: str, params: Mapping[str, str | int]) -> Any:
        """GET `path`; the decoded JSON (numbers as Decimal) or a MarketDataError."""
        wait = self._last + self._min_interval - time.monotonic()
        if self._min_interval and wait > 0:
            self._sleep(wait)
        url = str(self._http.base_url).rstrip("/") + path
        try:
            response = self._http.get(path, params=dict(params))
        except httpx.TimeoutException:
            raise MarketDataError(
                "CoinGecko did not answer in time", path=url, hint="Try again in a minute."
            ) from None
        except httpx.TransportError as error:
            raise MarketDataError(
                f"cannot reach CoinGecko ({type(error).__name__})",
                path=url,
                hint="Check the network connection, or use --market-data with a CSV file.",
            ) from None
        finally:
            self._last = time.monotonic()
        _raise_for_status(response, url)
        try:
            return json.loads(response.text, parse_float=Decimal, parse_int=Decimal)
        except json.JSONDecodeError:
            raise MarketDataError(
                "CoinGecko answered with something that is not JSON", path=url
            ) from None

    def markets(self, *, top_n: int = 100, vs_currency: str = "usd") -> list[dict[str, Any]]:
        """`/coins/markets`, largest market cap first (pages of up to 250)."""
        rows: list[dict[str, Any]] = []
        page = 1
        while len(rows) < top_n:
            per_page = min(250, top_n - len(rows)) if page == 1 else 250
            batch = self.get_json(
                "/coins/markets",
                {
                    "vs_currency": vs_currency,
                    "order": "market_cap_desc",
                    "per_page": per_page,
                    "page": page,
                },
            )
            if not isinstance(batch, list):
                raise MarketDataError("/coins/markets did not return a list", path="coingecko")
            rows.extend(batch)
            if len(batch) < per_page:
                break
            page += 1
        return rows[:top_n]

    def market_chart(self, coin_id: str, *, days: int, vs_currency: str = "usd") -> Any:
        """`/coins/{id}/market_chart` with daily points."""
        return self.get_json(
            f"/coins/{coin_id}/market_chart",
            {"vs_currency": vs_currency, "days": days, "interval": "daily"},
        )


def _raise_for_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 429:
        after = response.headers.get("retry-after")
        raise MarketDataError(
            "CoinGecko rate limit reached (HTTP 429)",
            path=url,
            hint=(f"Wait {after} s" if after else "Wait a minute")
            + " and retry, or use an API key (fewer limits).",
        )
    if status in (401, 403):
        raise MarketDataError(
            f"CoinGecko refused the request (HTTP {status})",
            path=url,
            hint="Check the API key, and that the base URL matches its plan (demo or pro).",
        )
    if status == 404:
        raise MarketDataError(
            "CoinGecko does not know this resource (HTTP 404)",
            path=url,
            hint="Check the coin id (CoinGecko ids look like 'bitcoin', not 'BTC').",
        )
    raise MarketDataError(f"CoinGecko answered HTTP {status}", path=url, hint="Try again later.")


def _number(row: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, Decimal):
        raise MarketDataError(f"{key} is {value!r}, not a number", path=where)
    return value


def snapshots_from_markets(rows: Sequence[Mapping[str, Any]]) -> list[AssetSnapshot]:
    """Today's snapshots from `/coins/markets` rows. Coins without a price are skipped;
    ranks are re-numbered 1.. by market cap; the date is the newest `last_updated`."""
    parsed: list[tuple[str, str, Decimal, Decimal, Decimal]] = []
    dates: list[datetime.date] = []
    for row in rows:
        try:
            symbol, name = str(row["symbol"]).upper(), str(row["name"])
        except (KeyError, TypeError):
            raise MarketDataError(
                "a /coins/markets row lacks symbol or name", path="coingecko"
            ) from None
        price = _number(row, "current_price", "coingecko /coins/markets")
        if price is None or price <= 0:
            continue
        cap = _number(row, "market_cap", "coingecko /coins/markets") or Decimal(0)
        volume = _number(row, "total_volume", "coingecko /coins/markets") or Decimal(0)
        parsed.append((symbol, name, price, cap, volume))
        stamp = row.get("last_updated")
        if isinstance(stamp, str):
            dates.append(datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).date())
    if not parsed:
        raise MarketDataError("/coins/markets returned no priced coins", path="coingecko")
    date = max(dates) if dates else datetime.datetime.now(tz=datetime.UTC).date()
    parsed.sort(key=lambda p: (-p[3], p[0]))
    seen: set[str] = set()
    snaps: list[AssetSnapshot] = []
    for symbol, name, price, cap, volume in parsed:
        if symbol in seen:  # CoinGecko reuses symbols; the larger coin keeps it
            continue
        seen.add(symbol)
        snaps.append(AssetSnapshot(date, symbol, name, price, cap, volume, len(snaps) + 1))
    return snaps


def _series(chart: Any, key: str, where: str) -> dict[datetime.date, Decimal]:
    if not isinstance(chart, dict) or not isinstance(chart.get(key), list):
        raise MarketDataError(f"market_chart has no {key!r} list", path=where)
    out: dict[datetime.date, Decimal] = {}
    for point in chart[key]:
        if not (isinstance(point, list) and len(point) == 2):
            raise MarketDataError(f"bad {key} point {point!r}", path=where)
        stamp, value = point
        if isinstance(value, Decimal):
            out[_utc_date(stamp)] = value  # a later point of the same day wins
    return out


class CoinGeckoSource:
    """MarketDataSource: today's top `top_n` coins and `days` of their daily history.

    Costs 1 + top_n requests (throttled by the client's `min_interval`). Ranks are by
    market cap within each day among the coins fetched.
    """

    def __init__(self, client: CoinGeckoClient, *, top_n: int = 100, days: int = 365) -> None:
        self.client, self.top_n, self.days = client, top_n, days

    def history(self) -> MarketHistory:
        rows = self.client.markets(top_n=self.top_n)
        by_date: dict[datetime.date, list[AssetSnapshot]] = {}
        taken: set[str] = set()
        for row in sorted(rows, key=lambda r: -(r.get("market_cap") or 0)):
            symbol = str(row.get("symbol", "")).upper()
            if not symbol or symbol in taken or row.get("current_price") is None:
                continue  # unpriced (delisted) coins are skipped, as in snapshots_from_markets
            taken.add(symbol)
            where = f"coingecko /coins/{row.get('id')}/market_chart"
            chart = self.client.market_chart(str(row["id"]), days=self.days)
            prices = _series(chart, "prices", where)
            caps = _series(chart, "market_caps", where)
            volumes = _series(chart, "total_volumes", where)
            for date, price in prices.items():
                if price > 0:
                    by_date.setdefault(date, []).append(
                        AssetSnapshot(
                            date,
                            symbol,
                            str(row.get("name", symbol)),
                            price,
                            caps.get(date, Decimal(0)),
                            volumes.get(date, Decimal(0)),
                            1,
                        )
                    )
        snapshots = []
        for day in by_date.values():
            day.sort(key=lambda s: (-s.market_cap_usd, s.symbol))
            for rank, snap in enumerate(day, start=1):
                snapshots.append(
                    AssetSnapshot(
                        snap.date,
                        snap.symbol,
                        snap.name,
                        snap.price_usd,
                        snap.market_cap_usd,
                        snap.volume_24h_usd,
                        rank,
                    )
                )
        return MarketHistory.from_snapshots(snapshots, source_label="coingecko")
