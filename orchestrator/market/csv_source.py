"""Read market snapshots from a CSV file of the shared shape.

Required columns: `date,symbol,name,price_usd,market_cap_usd,volume_24h_usd,rank`;
extra columns (e.g. `cmc_rank`) are ignored. Numbers are parsed as Decimal, never float.
Every problem raises MarketDataError naming the file and the 1-based row (header = row 1).
"""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from orchestrator.errors import MarketDataError
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory

__all__ = ["REQUIRED_COLUMNS", "CsvMarketSource", "read_market_csv"]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "date",
    "symbol",
    "name",
    "price_usd",
    "market_cap_usd",
    "volume_24h_usd",
    "rank",
)


def _decimal(text: str, column: str, path: str, row: int, *, positive: bool) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise MarketDataError(
            f"{column} {text!r} is not a number", path=path, row=row, hint="Fix or remove the row."
        ) from None
    if not value.is_finite():
        raise MarketDataError(
            f"{column} {text!r} is not a finite number", path=path, row=row, hint="Fix the row."
        )
    if positive and value <= 0:
        raise MarketDataError(
            f"{column} {text!r} must be > 0", path=path, row=row, hint="Fix or remove the row."
        )
    if value < 0:
        raise MarketDataError(
            f"{column} {text!r} must not be negative", path=path, row=row, hint="Fix the row."
        )
    return value


def _parse_row(raw: dict[str, str], path: str, row: int) -> AssetSnapshot:
    text = raw["date"].strip()
    try:
        date = datetime.date.fromisoformat(text)
    except ValueError:
        raise MarketDataError(
            f"date {text!r} is not an ISO date (YYYY-MM-DD)", path=path, row=row, hint="Fix it."
        ) from None
    symbol = raw["symbol"].strip()
    if not symbol:
        raise MarketDataError("empty symbol", path=path, row=row, hint="Fix or remove the row.")
    rank_text = raw["rank"].strip()
    try:
        rank = int(rank_text)
    except ValueError:
        raise MarketDataError(
            f"rank {rank_text!r} is not an integer", path=path, row=row, hint="Fix the row."
        ) from None
    if rank < 1:
        raise MarketDataError(f"rank {rank} must be >= 1", path=path, row=row, hint="Fix it.")
    return AssetSnapshot(
        date=date,
        symbol=symbol,
        name=raw["name"].strip() or symbol,
        price_usd=_decimal(raw["price_usd"], "price_usd", path, row, positive=True),
        market_cap_usd=_decimal(raw["market_cap_usd"], "market_cap_usd", path, row, positive=False),
        volume_24h_usd=_decimal(raw["volume_24h_usd"], "volume_24h_usd", path, row, positive=False),
        rank=rank,
    )


def read_market_csv(path: str | Path) -> MarketHistory:
    """Parse the whole file; raise MarketDataError at the first bad row."""
    label = str(path)
    file = Path(path)
    if not file.is_file():
        raise MarketDataError(
            "file not found",
            path=label,
            hint="Check --market-data, or omit it to use the synthetic market.",
        )
    try:
        with file.open(newline="", encoding="utf-8") as handle:
            snapshots = _parse_rows(csv.DictReader(handle), label)
    except UnicodeDecodeError as error:
        raise MarketDataError(
            f"not UTF-8 text ({error.reason})", path=label, hint="Save the file as UTF-8 CSV."
        ) from None
    except csv.Error as error:
        raise MarketDataError(f"not a readable CSV ({error})", path=label) from None
    except OSError as error:
        raise MarketDataError(f"cannot read file: {error.strerror}", path=label) from None
    return MarketHistory.from_snapshots(snapshots, source_label=label)


def _parse_rows(reader: csv.DictReader[str], label: str) -> list[AssetSnapshot]:
    header = reader.fieldnames
    if header is None:
        raise MarketDataError("empty file (no header)", path=label, row=1)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise MarketDataError(
            f"missing column(s): {', '.join(missing)}",
            path=label,
            row=1,
            hint="Required columns: " + ",".join(REQUIRED_COLUMNS),
        )
    snapshots: list[AssetSnapshot] = []
    seen: dict[tuple[datetime.date, str], int] = {}
    for row, raw in enumerate(reader, start=2):
        if any(raw.get(c) is None for c in REQUIRED_COLUMNS):
            raise MarketDataError(
                "too few fields", path=label, row=row, hint="Every row needs every column."
            )
        snap = _parse_row(raw, label, row)
        key = (snap.date, snap.symbol)
        if key in seen:
            raise MarketDataError(
                f"duplicate symbol {snap.symbol} on {snap.date.isoformat()} "
                f"(first at row {seen[key]})",
                path=label,
                row=row,
                hint="Each date must list each symbol once.",
            )
        seen[key] = row
        snapshots.append(snap)
    if not snapshots:
        raise MarketDataError("no data rows", path=label, row=2, hint="The file has only a header.")
    return snapshots


class CsvMarketSource:
    """MarketDataSource over a CSV file (parsed once, on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._history: MarketHistory | None = None

    def history(self) -> MarketHistory:
        if self._history is None:
            self._history = read_market_csv(self.path)
        return self._history
