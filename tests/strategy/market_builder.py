"""Small hand-made markets for the strategy tests (never the shared real data)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal

from orchestrator.market.snapshot import AssetSnapshot, MarketHistory

__all__ = ["START", "Day", "build_history", "week"]

START = datetime.date(2024, 1, 1)
# symbol -> (price, market cap, 24h volume) or (price, cap, volume, name)
Day = Mapping[str, tuple[object, ...]]


def week(i: int) -> datetime.date:
    return START + datetime.timedelta(weeks=i)


def day_snapshots(date: datetime.date, day: Day) -> list[AssetSnapshot]:
    ordered = sorted(day.items(), key=lambda kv: -Decimal(str(kv[1][1])))
    snaps = []
    for rank, (symbol, row) in enumerate(ordered, start=1):
        name = str(row[3]) if len(row) > 3 else symbol.title()
        price, cap, volume = (Decimal(str(v)) for v in row[:3])
        snaps.append(AssetSnapshot(date, symbol, name, price, cap, volume, rank))
    return snaps


def build_history(days: Sequence[Day]) -> MarketHistory:
    """One weekly date per element of `days`, starting 2024-01-01."""
    snaps = [s for i, day in enumerate(days) for s in day_snapshots(week(i), day)]
    return MarketHistory.from_snapshots(snaps, source_label="hand-made")
