"""Market snapshots: one row per (date, symbol), and a history of weekly (or daily) dates.

    AssetSnapshot      one coin on one date (Decimal money, integer rank)
    MarketHistory      every snapshot of one source, indexed by date; immutable

Reading them is the sources' job (csv_source.py, synthetic.py, coingecko.py), which import
this module and never the other way round.

Identity is the symbol (the source data has no stable id); see strategy/universe.py for
how renamed and reused symbols are handled.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from orchestrator.errors import MarketDataError

__all__ = ["AssetSnapshot", "MarketHistory"]


@dataclass(frozen=True)
class AssetSnapshot:
    """One coin on one date. Money in USD as Decimal; `rank` is 1 for the largest cap."""

    date: datetime.date
    symbol: str
    name: str
    price_usd: Decimal
    market_cap_usd: Decimal
    volume_24h_usd: Decimal
    rank: int


@dataclass(frozen=True, eq=False)
class MarketHistory:
    """All snapshots of one source, grouped by date (immutable; compared by identity).

    Build it with `MarketHistory.from_snapshots`; it checks that no symbol appears twice
    on one date and sorts every date's snapshots by rank.
    """

    source_label: str
    is_synthetic: bool
    dates: tuple[datetime.date, ...]
    _by_date: Mapping[datetime.date, tuple[AssetSnapshot, ...]] = field(repr=False)

    @classmethod
    def from_snapshots(
        cls,
        snapshots: Iterable[AssetSnapshot],
        *,
        source_label: str,
        is_synthetic: bool = False,
    ) -> MarketHistory:
        grouped: dict[datetime.date, dict[str, AssetSnapshot]] = {}
        for snap in snapshots:
            day = grouped.setdefault(snap.date, {})
            if snap.symbol in day:
                raise MarketDataError(
                    f"symbol {snap.symbol} appears twice on {snap.date.isoformat()}",
                    path=source_label,
                    hint="Each date must list each symbol once.",
                )
            day[snap.symbol] = snap
        if not grouped:
            raise MarketDataError(
                "no snapshots at all",
                path=source_label,
                hint="The source returned no rows; check the file or the query.",
            )
        by_date = {
            d: tuple(sorted(day.values(), key=lambda s: (s.rank, s.symbol)))
            for d, day in grouped.items()
        }
        return cls(
            source_label=source_label,
            is_synthetic=is_synthetic,
            dates=tuple(sorted(by_date)),
            _by_date=MappingProxyType(by_date),
        )

    def snapshot(self, date: datetime.date) -> tuple[AssetSnapshot, ...]:
        """The snapshots of `date`, sorted by rank. Unknown date: MarketDataError."""
        found = self._by_date.get(date)
        if found is None:
            raise MarketDataError(
                f"no snapshot for {date.isoformat()}; nearest available: "
                + ", ".join(d.isoformat() for d in self.nearest_dates(date)),
                path=self.source_label,
                hint=f"Pick a date between {self.dates[0].isoformat()} and "
                f"{self.dates[-1].isoformat()} that the data contains.",
            )
        return found

    def latest(self) -> tuple[AssetSnapshot, ...]:
        """The snapshots of the last date."""
        return self._by_date[self.dates[-1]]

    def nearest_dates(self, date: datetime.date) -> tuple[datetime.date, ...]:
        """The available dates just before and just after `date` (one or two of them)."""
        i = bisect.bisect_left(self.dates, date)
        around = self.dates[max(i - 1, 0) : i + 1]
        return tuple(d for d in around if d != date) or around

    def dates_between(
        self, start: datetime.date | None = None, end: datetime.date | None = None
    ) -> tuple[datetime.date, ...]:
        """The available dates in [start, end] (either bound may be None)."""
        return tuple(
            d for d in self.dates if (start is None or d >= start) and (end is None or d <= end)
        )
