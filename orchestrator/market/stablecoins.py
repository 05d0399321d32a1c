"""Read a `stablecoins.csv`-shaped file (columns `symbol,peg,...`) into exclusion reasons.

Optional input: the strategy's built-in list (strategy/exclusions.py) works without it.
The CLI reads `stablecoins.csv` when it sits beside the market data file.
"""

from __future__ import annotations

import csv
from pathlib import Path

from orchestrator.errors import MarketDataError

__all__ = ["STABLECOINS_FILENAME", "load_exclusions_csv", "stablecoins_beside"]

STABLECOINS_FILENAME = "stablecoins.csv"


def load_exclusions_csv(path: str | Path) -> dict[str, str]:
    """symbol (upper case) -> reason: peg `gold` -> "gold token", any other -> stablecoin."""
    label = str(path)
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"symbol", "peg"} <= set(reader.fieldnames):
                raise MarketDataError(
                    "needs columns symbol and peg", path=label, row=1, hint="Fix the header."
                )
            found: dict[str, str] = {}
            for row, raw in enumerate(reader, start=2):
                symbol = (raw.get("symbol") or "").strip().upper()
                peg = (raw.get("peg") or "").strip()
                if not symbol or not peg:
                    raise MarketDataError(
                        "empty symbol or peg", path=label, row=row, hint="Fix or remove the row."
                    )
                found[symbol] = "gold token" if peg.lower() == "gold" else f"stablecoin ({peg})"
            return found
    except FileNotFoundError:
        raise MarketDataError("file not found", path=label) from None


def stablecoins_beside(market_file: str | Path) -> Path | None:
    """The `stablecoins.csv` in the market file's folder, if there is one."""
    candidate = Path(market_file).parent / STABLECOINS_FILENAME
    return candidate if candidate.is_file() else None
