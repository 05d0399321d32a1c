"""`indexvault keeper run|status` and `local advance` as an operator runs them, on the
persistent local network, next to an owner using `buy`, `mandate set|revoke` and `log`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.service import load_history
from orchestrator.strategy import DEFAULT_CONFIG
from orchestrator.strategy.candidates import signal_readings
from orchestrator.strategy.signal import Regime
from orchestrator.trading.targets import trading_date
from orchestrator.wallet.keystore import Keystore
from tests.local_network import local_network

pytestmark = pytest.mark.anvil

PASSWORD = "keeper cli password"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with local_network(tmp_path_factory.mktemp("keeper-home"), "--tokens", "4") as folder:
        Keystore(folder / "keystores").create("carol", PASSWORD, scrypt_n=16)
        yield folder


def _bear_date() -> str:
    """A date on which the synthetic history's signal reads bear."""
    history = load_history(None, tokens=4)
    date = trading_date(history, regime=Regime.BEAR)
    readings = {p.date: p for p in signal_readings(history, DEFAULT_CONFIG)}
    assert readings[date].regime is Regime.BEAR
    return date.isoformat()


def _run(home: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": PASSWORD}
    result = CliRunner().invoke(app, list(args), env=env)
    return result


def _ok(home: Path, *args: str) -> str:
    result = _run(home, *args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return str(result.output)


def test_owner_opts_in_keeper_rebalances_status_and_log_show_it(home: Path) -> None:
    assert "has not run" in _ok(home, "keeper", "status")
    _ok(home, "local", "fund", "--usdc", "5000", "-w", "carol")
    _ok(home, "buy", "3000", "--yes", "-w", "carol")
    _ok(home, "mandate", "set", "--yes", "-w", "carol", "--twap-window", "30m",
        "--min-interval", "1h", "--max-slippage-bps", "300")  # fmt: skip
    _ok(home, "local", "advance", "40m")  # the pools' TWAP covers the 30 min window

    bear = _bear_date()  # targets of a bear week: the keeper moves the vault to USDC
    dry = _ok(home, "keeper", "run", "--dry-run", "--as-of", bear)
    assert "would rebalance" in dry, dry
    run = _ok(home, "keeper", "run", "--once", "--as-of", bear)
    assert "bear" in run, run
    assert "1 done" in run, run
    assert "cycle finished" in run, run
    again = _ok(home, "keeper", "run", "--once", "--as-of", bear)
    assert "nothing to do" in again, again

    status = _ok(home, "keeper", "status")
    assert "last cycle weekly-" in status
    assert " done " in status
    assert "next daily check" in status
    assert "rebalance" in _ok(home, "log", "-w", "carol")
    assert "USDC" in _ok(home, "holdings", "-w", "carol")

    _ok(home, "mandate", "revoke", "--yes", "-w", "carol")
    _ok(home, "local", "advance", "7d")  # a new week: a new cycle
    after = _ok(home, "keeper", "run", "--once")
    assert "not opted in" in after, after


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--as-of", "soon"), "is not a date"), (("--at-hour", "24"), "must be 0..23"),
     (("-n", "nowhere"), "unknown network"), (("-n", "nowhere", "-w", "carol"), "unknown network")],
)  # fmt: skip
def test_bad_keeper_input_is_refused(home: Path, args: tuple[str, ...], message: str) -> None:
    result = _run(home, "keeper", "run", "--once", *args)
    assert result.exit_code != 0
    assert message in str(result.exception) + str(result.output)


def test_local_clock_never_runs_backwards_across_restarts(home: Path) -> None:
    """anvil reloaded from its state file would mine at the wall-clock time, behind a chain
    moved forward by `local advance` (a TWAP read then reverts): the clock resumes instead."""
    first = _ok(home, "local", "advance", "2h").strip().rsplit(" is now ", 1)[1]
    second = _ok(home, "local", "advance", "1m").strip().rsplit(" is now ", 1)[1]
    assert second > first, (first, second)  # "YYYY-MM-DD HH:MM UTC" sorts as time
    assert "must be positive" in str(_run(home, "local", "advance", "0").exception)
