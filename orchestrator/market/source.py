"""The one interface every market data source implements, and how front ends pick one.

    MarketDataSource.history() -> MarketHistory

Implementations: CsvMarketSource (csv_source.py), CoinGeckoSource (coingecko.py),
SyntheticMarketSource (synthetic.py; the embedded default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from orchestrator.market.snapshot import MarketHistory

__all__ = [
    "COINGECKO",
    "DEFAULT_SYNTHETIC_SEED",
    "MarketDataSource",
    "open_market_history",
    "open_market_source",
]

DEFAULT_SYNTHETIC_SEED = 7
COINGECKO = "coingecko"


@runtime_checkable
class MarketDataSource(Protocol):
    """Anything that yields a MarketHistory (dates ascending, snapshots sorted by rank)."""

    def history(self) -> MarketHistory: ...


def open_market_source(
    spec: str | Path | None,
    *,
    top_n: int = 100,
    days: int = 400,
    api_key: str | None = None,
) -> MarketDataSource:
    """None: the synthetic market (seed 7); "coingecko": live CoinGecko (1 + top_n requests,
    throttled to stay under the free rate limit); anything else: a CSV file path."""
    if spec is None:
        from orchestrator.market.synthetic import SyntheticMarketSource

        return SyntheticMarketSource(seed=DEFAULT_SYNTHETIC_SEED)
    if str(spec) == COINGECKO:
        from orchestrator.market.coingecko import CoinGeckoClient, CoinGeckoSource

        client = CoinGeckoClient(api_key=api_key, min_interval=0.5 if api_key else 2.5)
        return CoinGeckoSource(client, top_n=top_n, days=days)
    from orchestrator.market.csv_source import CsvMarketSource

    return CsvMarketSource(spec)


def open_market_history(spec: str | Path | None) -> MarketHistory:
    """The history of `open_market_source(spec)` with its defaults."""
    return open_market_source(spec).history()
