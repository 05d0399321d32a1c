"""`indexvault demo` as a user runs it: a real process, real output, clear errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.artifacts.load import repo_root

REAL_DATA = repo_root().parent / "shared" / "data" / "market" / "weekly_top100_2021_2023.csv"


def _indexvault(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from orchestrator.cli import main; main()", *args],
        capture_output=True, text=True, timeout=timeout, cwd=repo_root(),
    )  # fmt: skip


@pytest.mark.slow
def test_demo_builds_a_market_and_swaps_what_was_quoted(tmp_path: Path) -> None:
    book = tmp_path / "book.json"
    done = _indexvault("demo", "--tokens", "4", "--swap-usd", "2500", "--address-book", str(book))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "synthetic (seed=7) (SYNTHETIC data)" in out
    swap = re.search(r"2,500\.000000 USDC -> ([\d.]+) (\w+) \(QuoterV2 quoted ([\d.]+);", out)
    assert swap is not None, out
    assert swap.group(1) == swap.group(3)  # received exactly what was quoted
    table = out[out.index("symbol") : out.index("Swap via")].strip().splitlines()[2:]
    assert len(table) == 4
    assert all(abs(float(row.split()[4])) < 0.01 for row in table)  # deviation in bps
    assert book.is_file()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "market.csv"
    path.write_text(text)
    return path


HEADER = "date,symbol,name,price_usd,market_cap_usd,volume_24h_usd,rank\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (HEADER.replace(",rank", "") + "2021-01-04,AAA,Aaa,1,100,10\n", "rank"),
        (HEADER + "2021-01-04,AAA,Aaa,-1,100,10,1\n", "row 2"),
        (HEADER + "2021-01-04,AAA,Aaa,1,100,10,1\n2021-01-04,AAA,Aaa,2,100,10,2\n", "AAA"),
    ],
    ids=["missing-column", "negative-price", "duplicate-symbol"],
)
def test_malformed_market_file_names_file_row_and_problem(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = _write(tmp_path, body)
    done = _indexvault("demo", "--market-data", str(path), "--tokens", "2")
    assert done.returncode == 2
    assert str(path) in done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_date_lists_what_exists(tmp_path: Path) -> None:
    path = _write(
        tmp_path, HEADER + "2021-01-04,AAA,Aaa,1,100,10,1\n2021-01-11,AAA,Aaa,1,100,10,1\n"
    )
    done = _indexvault("demo", "--market-data", str(path), "--date", "2021-01-05")
    assert done.returncode == 2
    assert "2021-01-04" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_rpc_url_is_said_plainly() -> None:
    done = _indexvault("demo", "--chain", "http://127.0.0.1:9", "--tokens", "2")
    assert done.returncode == 2
    assert "no JSON-RPC answer from http://127.0.0.1:9" in done.stderr
    assert "hint:" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.market_data
@pytest.mark.skipif(not REAL_DATA.is_file(), reason="../shared/data/market is not present")
def test_demo_on_the_real_snapshot_prices_pools_at_the_snapshot() -> None:
    done = _indexvault(
        "demo", "--market-data", str(REAL_DATA), "--date", "2021-11-08", "--tokens", "5"
    )
    assert done.returncode == 0, done.stderr
    assert "SYNTHETIC" not in done.stdout
    btc = next(line for line in done.stdout.splitlines() if line.startswith("BTC "))
    _symbol, decimals, pool_price, snapshot_price, deviation_bps = btc.split()[:5]
    assert (decimals, snapshot_price) == ("8", "67,566.83")  # 2021-11-08, per the data's README
    assert pool_price == snapshot_price
    assert abs(float(deviation_bps)) < 0.01
