"""The index universe on one date: the top N eligible coins by market cap.

Eligible = not excluded (exclusions.py: stablecoins, wrapped/pegged duplicates, gold) and,
when a `tradable` set is given (what the chain can swap), in that set. Every coin of the
snapshot that is not a member gets a reason, so nothing disappears silently.

Symbols are the identity of a coin in the data. How renamed and reused symbols are
handled over time (LUNA, UST/USTC, PAX/USDP, MIOTA/IOTA, BTT's redenomination) is in
identity.py; on a single date a symbol is simply a coin.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from orchestrator.errors import StrategyError
from orchestrator.market.snapshot import AssetSnapshot
from orchestrator.strategy.config import UniverseConfig
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions

__all__ = ["Universe", "select_universe"]


@dataclass(frozen=True)
class Universe:
    """Members in market-cap order (largest first) and a reason for every other coin."""

    date: datetime.date
    members: tuple[AssetSnapshot, ...]
    excluded: Mapping[str, str]

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(s.symbol for s in self.members)


def select_universe(
    snapshots: Sequence[AssetSnapshot],
    config: UniverseConfig = UniverseConfig(),  # noqa: B008 (frozen, immutable default)
    exclusions: Exclusions = BUILTIN_EXCLUSIONS,
    tradable: Collection[str] | None = None,
) -> Universe:
    """Pick the universe from one date's snapshots. No eligible coin: StrategyError."""
    if not snapshots:
        raise StrategyError(
            "empty universe: the snapshot has no coins",
            hint="Check the market data for this date.",
        )
    date = snapshots[0].date
    ordered = sorted(snapshots, key=lambda s: (-s.market_cap_usd, s.rank, s.symbol))
    excluded: dict[str, str] = {}
    members: list[AssetSnapshot] = []
    for snap in ordered:
        reason = exclusions.reason_for(snap.symbol, snap.name)
        if reason is None and tradable is not None and snap.symbol not in tradable:
            reason = "not tradable on this chain"
        if reason is None and len(members) >= config.top_n:
            reason = f"outside the top {config.top_n} eligible coins by market cap"
        if reason is None:
            members.append(snap)
        else:
            excluded[snap.symbol] = reason
    if not members:
        raise StrategyError(
            f"empty universe on {date.isoformat()}: all {len(snapshots)} coins are excluded",
            hint="Check the exclusion list and the tradable set; the data may hold only "
            "stablecoins or wrapped tokens.",
        )
    return Universe(date=date, members=tuple(members), excluded=MappingProxyType(excluded))
