"""Market data: snapshots, the MarketDataSource interface and its implementations.

Data access only (I/O at the edges); the strategy in `orchestrator.strategy` is pure.
"""

from __future__ import annotations

from orchestrator.market.csv_source import read_market_csv as load_market_csv
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory
from orchestrator.market.source import MarketDataSource, open_market_history
from orchestrator.market.synthetic import generate_synthetic_market as synthetic_market

__all__ = [
    "AssetSnapshot",
    "MarketDataSource",
    "MarketHistory",
    "load_market_csv",
    "open_market_history",
    "synthetic_market",
]
