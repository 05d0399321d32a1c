"""load_market_csv: Decimal parsing and one clear error per malformed input."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrator.errors import MarketDataError
from orchestrator.market import load_market_csv
from orchestrator.market.source import open_market_history

HEADER = "date,symbol,name,price_usd,market_cap_usd,volume_24h_usd,rank,cmc_rank\n"
GOOD = (
    HEADER
    + "2024-01-01,BTC,Bitcoin,42000.10,820000000000.00,21000000000.5,1,1\n"
    + "2024-01-01,ETH,Ethereum,0.1,270000000000,9000000000,2,2\n"
    + "2024-01-08,ETH,Ethereum,0.3,280000000000,9100000000,2,2\n"
    + "2024-01-08,BTC,Bitcoin,43000,830000000000,20000000000,1,1\n"
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "market.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_decimals_exactly_and_ignores_extra_columns(tmp_path: Path) -> None:
    history = load_market_csv(write(tmp_path, GOOD))
    assert history.dates == (datetime.date(2024, 1, 1), datetime.date(2024, 1, 8))
    btc, eth = history.snapshot(datetime.date(2024, 1, 1))
    assert (btc.symbol, eth.symbol) == ("BTC", "ETH")
    assert isinstance(eth.price_usd, Decimal)
    assert eth.price_usd == Decimal("0.1")  # exact: a float would not be
    assert eth.price_usd * 3 == Decimal("0.3")
    assert btc.volume_24h_usd == Decimal("21000000000.5")
    assert btc.rank == 1
    assert not history.is_synthetic
    assert history.source_label == str(tmp_path / "market.csv")


@pytest.mark.parametrize(
    ("line", "row", "problem"),
    [
        ("2024-01-15,BTC,Bitcoin,abc,1,1,1,1", 6, "price_usd 'abc' is not a number"),
        ("2024-01-15,BTC,Bitcoin,0,1,1,1,1", 6, "price_usd '0' must be > 0"),
        ("2024-01-15,BTC,Bitcoin,-5,1,1,1,1", 6, "price_usd '-5' must be > 0"),
        ("2024-01-15,BTC,Bitcoin,5,-1,1,1,1", 6, "market_cap_usd '-1' must not be negative"),
        ("2024-01-15,BTC,Bitcoin,5,1,NaN,1,1", 6, "volume_24h_usd 'NaN' is not a finite"),
        ("2024-13-01,BTC,Bitcoin,5,1,1,1,1", 6, "date '2024-13-01' is not an ISO date"),
        ("01/02/2024,BTC,Bitcoin,5,1,1,1,1", 6, "date '01/02/2024' is not an ISO date"),
        ("2024-01-15,BTC,Bitcoin,5,1,1,first,1", 6, "rank 'first' is not an integer"),
        ("2024-01-15,BTC,Bitcoin,5,1,1,0,1", 6, "rank 0 must be >= 1"),
        ("2024-01-15,,Bitcoin,5,1,1,1,1", 6, "empty symbol"),
        ("2024-01-15,BTC,Bitcoin,5", 6, "too few fields"),
        (
            "2024-01-08,BTC,Bitcoin,5,1,1,3,3",
            6,
            "duplicate symbol BTC on 2024-01-08 (first at row 5)",
        ),
    ],
)
def test_malformed_row_names_file_row_and_problem(
    tmp_path: Path, line: str, row: int, problem: str
) -> None:
    path = write(tmp_path, GOOD + line + "\n")
    with pytest.raises(MarketDataError) as caught:
        load_market_csv(path)
    error = caught.value
    assert error.row == row
    assert error.path == str(path)
    assert problem in error.problem
    assert f"{path}, row {row}: " in str(error)


def test_missing_column_is_reported_on_the_header_row(tmp_path: Path) -> None:
    text = GOOD.replace("volume_24h_usd,", "")
    with pytest.raises(MarketDataError) as caught:
        load_market_csv(write(tmp_path, text))
    assert caught.value.row == 1
    assert "volume_24h_usd" in caught.value.problem
    assert "Required columns" in caught.value.hint


@pytest.mark.parametrize(("text", "problem"), [("", "empty file"), (HEADER, "no data rows")])
def test_empty_files(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(MarketDataError, match=problem):
        load_market_csv(write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MarketDataError, match="file not found") as caught:
        load_market_csv(tmp_path / "nope.csv")
    assert "synthetic" in caught.value.hint


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(GOOD.encode() + "2024-01-15,XYZ,Caf\xe9,1,1,1,3,3\n".encode("latin-1"))
    with pytest.raises(MarketDataError, match="UTF-8"):
        load_market_csv(path)


def test_open_market_history_defaults_to_the_synthetic_market(tmp_path: Path) -> None:
    assert open_market_history(None).source_label == "synthetic (seed=7)"
    assert open_market_history(write(tmp_path, GOOD)).dates[0] == datetime.date(2024, 1, 1)
