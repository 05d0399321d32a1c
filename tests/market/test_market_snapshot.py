"""MarketHistory: grouping, ordering, and the unknown-date error."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from orchestrator.errors import MarketDataError
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory

D1, D2, D3 = datetime.date(2024, 1, 1), datetime.date(2024, 1, 8), datetime.date(2024, 1, 15)


def snap(date: datetime.date, symbol: str, rank: int, cap: str = "100") -> AssetSnapshot:
    return AssetSnapshot(date, symbol, symbol.title(), Decimal(1), Decimal(cap), Decimal(5), rank)


def make() -> MarketHistory:
    return MarketHistory.from_snapshots(
        [snap(D3, "B", 2), snap(D1, "B", 2), snap(D1, "A", 1), snap(D3, "A", 1)],
        source_label="test",
    )


def test_dates_sorted_and_snapshots_sorted_by_rank() -> None:
    history = make()
    assert history.dates == (D1, D3)
    assert [s.symbol for s in history.snapshot(D1)] == ["A", "B"]
    assert history.latest() == history.snapshot(D3)


def test_unknown_date_names_the_nearest_dates() -> None:
    with pytest.raises(MarketDataError) as caught:
        make().snapshot(D2)
    assert "2024-01-01" in str(caught.value)
    assert "2024-01-15" in str(caught.value)
    assert caught.value.path == "test"


@pytest.mark.parametrize(
    ("date", "nearest"),
    [(datetime.date(2023, 1, 1), "2024-01-01"), (datetime.date(2025, 1, 1), "2024-01-15")],
)
def test_unknown_date_outside_the_range(date: datetime.date, nearest: str) -> None:
    with pytest.raises(MarketDataError, match=nearest):
        make().snapshot(date)


def test_duplicate_symbol_on_one_date_is_an_error() -> None:
    with pytest.raises(MarketDataError, match="A appears twice"):
        MarketHistory.from_snapshots([snap(D1, "A", 1), snap(D1, "A", 2)], source_label="x")


def test_empty_history_is_an_error() -> None:
    with pytest.raises(MarketDataError, match="no snapshots"):
        MarketHistory.from_snapshots([], source_label="x")


def test_dates_between() -> None:
    history = make()
    assert history.dates_between(D2, None) == (D3,)
    assert history.dates_between(None, D2) == (D1,)
    assert history.dates_between() == (D1, D3)
