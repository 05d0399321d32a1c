"""The optional stablecoins.csv reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.errors import MarketDataError
from orchestrator.market.stablecoins import load_exclusions_csv, stablecoins_beside
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS


def test_reads_pegs_and_merges_with_the_builtin_list(tmp_path: Path) -> None:
    path = tmp_path / "stablecoins.csv"
    path.write_text("symbol,names,peg\nNEWUSD,New USD,USD\nxaut,Tether Gold,gold\nEURX,E,EUR\n")
    found = load_exclusions_csv(path)
    assert found == {"NEWUSD": "stablecoin (USD)", "XAUT": "gold token", "EURX": "stablecoin (EUR)"}
    merged = BUILTIN_EXCLUSIONS.merged(found)
    assert merged.reason_for("NewUSD") == "stablecoin (USD)"
    assert merged.reason_for("USDT") == "stablecoin"  # the built-in reason wins
    assert BUILTIN_EXCLUSIONS.reason_for("NEWUSD") is None
    assert stablecoins_beside(tmp_path / "market.csv") == path
    assert stablecoins_beside(tmp_path / "sub" / "market.csv") is None


@pytest.mark.parametrize(
    ("text", "row"), [("symbol,name\nA,B\n", 1), ("symbol,peg\nA,USD\n,USD\n", 3)]
)
def test_bad_files(tmp_path: Path, text: str, row: int) -> None:
    path = tmp_path / "s.csv"
    path.write_text(text)
    with pytest.raises(MarketDataError) as caught:
        load_exclusions_csv(path)
    assert caught.value.row == row


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MarketDataError, match="file not found"):
        load_exclusions_csv(tmp_path / "none.csv")
