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
def test_market_command_builds_a_market_and_swaps_what_was_quoted(tmp_path: Path) -> None:
    book = tmp_path / "book.json"
    done = _indexvault("market", "--tokens", "4", "--swap-usd", "2500", "--address-book", str(book))
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
    done = _indexvault("market", "--market-data", str(path), "--tokens", "2")
    assert done.returncode == 2
    assert str(path) in done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_date_lists_what_exists(tmp_path: Path) -> None:
    path = _write(
        tmp_path, HEADER + "2021-01-04,AAA,Aaa,1,100,10,1\n2021-01-11,AAA,Aaa,1,100,10,1\n"
    )
    done = _indexvault("market", "--market-data", str(path), "--date", "2021-01-05")
    assert done.returncode == 2
    assert "2021-01-04" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_rpc_url_is_said_plainly() -> None:
    done = _indexvault("market", "--chain", "http://127.0.0.1:9", "--tokens", "2")
    assert done.returncode == 2
    assert "the node at http://127.0.0.1:9 did not answer eth_chainId" in done.stderr
    assert "hint:" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.market_data
@pytest.mark.skipif(not REAL_DATA.is_file(), reason="../shared/data/market is not present")
def test_demo_on_the_real_snapshot_prices_pools_at_the_snapshot() -> None:
    done = _indexvault(
        "market", "--market-data", str(REAL_DATA), "--date", "2021-11-08", "--tokens", "5"
    )
    assert done.returncode == 0, done.stderr
    assert "SYNTHETIC" not in done.stdout
    btc = next(line for line in done.stdout.splitlines() if line.startswith("BTC "))
    _symbol, decimals, pool_price, snapshot_price, deviation_bps = btc.split()[:5]
    assert (decimals, snapshot_price) == ("8", "67,566.83")  # 2021-11-08, per the data's README
    assert pool_price == snapshot_price
    assert abs(float(deviation_bps)) < 0.01


@pytest.mark.slow
def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    """`indexvault demo` (what `make demo` runs), small: wallet, buy, holdings + treemap,
    prices move, sell half, P&L and log; every step from real contracts."""
    done = _indexvault(
        "demo", "--tokens", "5", "--year-tokens", "5", "--year-weeks", "3",
        "--out-dir", str(tmp_path), timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for step in (
        "1. Market",
        "2. Wallet",
        "3. Preview: buy $10,000",
        "4. Holdings",
        "5. A week passes",
        "6. Preview: sell 50%",
        "7. P&L",
        "8. Transaction log",
        "9. A year in fast-forward",
        "The year used",
    ):
        assert step in out, out  # fmt: skip
    assert out.count("done: user operation") == 2
    assert "each at or above its min-out" in out
    assert "deposited        $10,000.00" in out
    log = out[out.index("8. Transaction log") : out.index("9. A year")]
    assert "vault_created" in log
    assert " buy " in log
    assert " sell " in log
    assert (tmp_path / "treemap.png").stat().st_size > 10_000
    assert (tmp_path / "journal.sqlite").is_file()
