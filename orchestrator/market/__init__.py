"""Market data: snapshots, the MarketDataSource interface and its implementations.

Data access only (I/O at the edges); the strategy in `orchestrator.strategy` is pure.
"""

from __future__ import annotations

from orchestrator.market.snapshot import (
    AssetSnapshot,
    MarketHistory,
    load_market_csv,
    synthetic_market,
)
from orchestrator.market.source import MarketDataSource, open_market_history

__all__ = [
    "AssetSnapshot",
    "MarketDataSource",
    "MarketHistory",
    "load_market_csv",
    "open_market_history",
    "synthetic_market",
]
