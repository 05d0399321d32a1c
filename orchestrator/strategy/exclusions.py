"""Coins an index of primary assets leaves out: stablecoins, wrapped/pegged duplicates, gold.

The built-in lists below are the source of truth; `Exclusions.merged` adds entries read
from a `stablecoins.csv`-shaped file (market/stablecoins.py) when one is available.
Symbols are compared case-insensitively (the data has both `XAUt` and `XAUT`).

Two name rules catch what the lists miss: a name starting with "Wrapped " or "Bridged ",
or containing "Staked ", is a pegged duplicate of another asset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "BUILTIN_EXCLUSIONS",
    "GOLD_TOKENS",
    "STABLECOINS",
    "WRAPPED_OR_PEGGED",
    "Exclusions",
]

# USD and other fiat stablecoins, including de-pegged and renamed ones (UST->USTC, PAX->USDP).
STABLECOINS: tuple[str, ...] = (
    "USDT", "USDC", "BUSD", "DAI", "TUSD", "UST", "USTC", "PAX", "USDP", "USDD", "USDN",
    "GUSD", "HUSD", "FEI", "FRAX", "LUSD", "SUSD", "USDE", "FDUSD", "PYUSD", "USD1",
    "RLUSD", "USDS", "USDJ", "USDK", "USDX", "CUSD", "MIM", "ALUSD", "DOLA", "GHO",
    "CRVUSD", "VAI", "OUSD", "EURS", "EURC", "EURT", "XSGD", "TRYB", "BIDR", "IDRT",
)  # fmt: skip

# symbol -> the asset it duplicates
WRAPPED_OR_PEGGED: Mapping[str, str] = MappingProxyType({
    "WBTC": "BTC", "BTCB": "BTC", "RENBTC": "BTC", "HBTC": "BTC", "TBTC": "BTC",
    "BTC.B": "BTC", "CBBTC": "BTC", "LBTC": "BTC", "SOLVBTC": "BTC",
    "WETH": "ETH", "STETH": "ETH", "WSTETH": "ETH", "RETH": "ETH", "CBETH": "ETH",
    "WBETH": "ETH", "WEETH": "ETH", "FRXETH": "ETH", "SFRXETH": "ETH", "METH": "ETH",
    "WTRX": "TRX", "WBNB": "BNB", "MSOL": "SOL", "STSOL": "SOL", "JITOSOL": "SOL",
    "WAVAX": "AVAX", "WMATIC": "MATIC", "WFTM": "FTM",
})  # fmt: skip

GOLD_TOKENS: tuple[str, ...] = ("PAXG", "XAUT", "DGX", "KAU")


@dataclass(frozen=True)
class Exclusions:
    """symbol (upper case) -> reason. `reason_for` also applies the name rules."""

    reasons: Mapping[str, str] = field(default_factory=dict)

    def reason_for(self, symbol: str, name: str = "") -> str | None:
        found = self.reasons.get(symbol.upper())
        if found is not None:
            return found
        lowered = name.lower()
        if lowered.startswith(("wrapped ", "bridged ")) or "staked " in lowered:
            return f"wrapped/pegged duplicate (name {name!r})"
        return None

    def merged(self, extra: Mapping[str, str]) -> Exclusions:
        """These exclusions plus `extra` (existing reasons win)."""
        combined = {k.upper(): v for k, v in extra.items()}
        combined.update(self.reasons)
        return Exclusions(MappingProxyType(combined))

    def symbols(self) -> Iterable[str]:
        return self.reasons.keys()


def _builtin() -> Exclusions:
    reasons: dict[str, str] = {}
    for symbol in STABLECOINS:
        reasons[symbol] = "stablecoin"
    for symbol, underlying in WRAPPED_OR_PEGGED.items():
        reasons[symbol] = f"wrapped/pegged duplicate of {underlying}"
    for symbol in GOLD_TOKENS:
        reasons[symbol] = "gold token"
    return Exclusions(MappingProxyType(reasons))


BUILTIN_EXCLUSIONS = _builtin()
