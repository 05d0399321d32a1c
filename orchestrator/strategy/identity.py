"""Symbol identity over time: renamed symbols, reused symbols, redenominations.

The data has no stable coin id; the symbol is the identity. Three cases matter to a
backtest that holds a coin from one date to the next:

1. **Renamed** (same coin, new symbol): `RENAMES` lists them (old -> new). When a held
   symbol disappears and its successor appears on the same date, the position carries
   over unit for unit (MIOTA -> IOTA in 2023-10, DYDX -> ETHDYDX in 2023-11). UST -> USTC
   and PAX -> USDP are stablecoins (never held). LUNA -> LUNC is listed, but Terra Classic
   fell out of the top 100 for months, so a LUNA position meets the vanished-coin rule.
2. **Reused** (a different coin takes the symbol): LUNA became Terra 2.0 in 2022-05.
   A position never spans a date on which its coin is absent (the vanished-coin rule
   closes it), so a reappearing symbol always starts a new position.
3. **Identity break** on consecutive dates: the name changes *and* the price jumps by more
   than `BREAK_PRICE_FACTOR` either way (BTT's 1000:1 redenomination as "BitTorrent (New)"
   in 2022-01). The held position is treated as vanished (closed at the conservative mark)
   and the symbol's new coin is a new asset. Name changes alone (Matic Network -> Polygon)
   are not breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from orchestrator.market.snapshot import AssetSnapshot

__all__ = ["BREAK_PRICE_FACTOR", "RENAMES", "is_identity_break", "successor"]

RENAMES: Mapping[str, str] = MappingProxyType(
    {
        "MIOTA": "IOTA",
        "DYDX": "ETHDYDX",
        "UST": "USTC",
        "PAX": "USDP",
        "LUNA": "LUNC",
    }
)

BREAK_PRICE_FACTOR = Decimal(10)


def is_identity_break(before: AssetSnapshot, after: AssetSnapshot) -> bool:
    """Same symbol on consecutive dates but, by name and price, not the same coin."""
    if before.name.strip().lower() == after.name.strip().lower():
        return False
    ratio = after.price_usd / before.price_usd
    return ratio > BREAK_PRICE_FACTOR or ratio < 1 / BREAK_PRICE_FACTOR


def successor(
    symbol: str, present_now: Mapping[str, AssetSnapshot], present_before: Mapping[str, object]
) -> str | None:
    """The renamed symbol that continues `symbol` today, if it just appeared."""
    new = RENAMES.get(symbol)
    if new is not None and new in present_now and new not in present_before:
        return new
    return None
