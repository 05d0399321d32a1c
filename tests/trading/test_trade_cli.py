"""`indexvault local up|fund`, `buy`, `sell`, `holdings`, `pnl`, `log` as a user runs them:
each command opens the persistent local anvil (state in a temp $INDEXVAULT_HOME), so this
also shows that state, journal and keystore survive between commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import IndexVaultError
from orchestrator.wallet.keystore import Keystore
from tests.local_network import blocks_mined, local_network

pytestmark = pytest.mark.anvil

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with local_network(tmp_path_factory.mktemp("home"), "--tokens", "5") as folder:
        for name in ("alice", "bob"):
            Keystore(folder / "keystores").create(name, PASSWORD, scrypt_n=16)
        yield folder


def _run(home: Path, *args: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    env = {"INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": password}
    return CliRunner().invoke(app, list(args), env=env)


def _fails(home: Path, message: str, *args: str, password: str = PASSWORD) -> None:
    """The command is refused with one of our errors (not a crash), saying `message`, and
    sends nothing: the node mines no block (every send would mine one)."""
    before = blocks_mined(home)
    result = _run(home, *args, password=password)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, IndexVaultError), repr(result.exception)
    text = result.output + str(result.exception)
    assert message in text, text
    assert blocks_mined(home) == before  # nothing was sent


def test_fund_buy_holdings_sell_pnl_log_across_commands(home: Path) -> None:
    assert _run(home, "local", "fund", "--usdc", "5000", "-w", "alice").exit_code == 0
    bought = _run(home, "buy", "2000", "--yes", "-w", "alice")
    assert bought.exit_code == 0, bought.output
    assert "you pay          $2,000.00 USDC" in bought.output
    assert "- platform fee   $2.00 (10 bps)" in bought.output
    assert "done: user operation" in bought.output
    held = _run(home, "holdings", "-w", "alice", "--treemap", str(home / "tm.png"))
    assert held.exit_code == 0, held.output
    assert "NAV $1,99" in held.output
    assert (home / "tm.png").stat().st_size > 0
    sold = _run(home, "sell", "--percent", "50", "--yes", "-w", "alice")
    assert sold.exit_code == 0, sold.output
    assert "(USDC paid to you)" in sold.output
    pnl = _run(home, "pnl", "-w", "alice")
    assert "deposited        $2,000.00" in pnl.output
    log = _run(home, "log", "-w", "alice")
    assert [k in log.output for k in ("vault_created", " buy ", " sell ")] == [True] * 3


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "must be positive"), ("-5", "must be positive"), ("ten", "is not an amount"),
     ("1.0000001", "more than 6 decimals"), ("1000000000", "more than your smart account")],
)  # fmt: skip
def test_bad_amounts_are_refused_before_anything_is_sent(
    home: Path, amount: str, message: str
) -> None:
    _fails(home, message, "buy", "--yes", "-w", "bob", "--", amount)


def test_sell_without_a_vault(home: Path) -> None:
    _fails(home, "no vault yet", "sell", "--percent", "50", "--yes", "-w", "bob")


def test_unknown_network(home: Path) -> None:
    _fails(home, "unknown network 'atlantis'", "buy", "100", "--yes", "-w", "bob", "--network",
           "atlantis")  # fmt: skip


def test_a_shipped_network_without_an_rpc_url_says_how_to_add_one(home: Path) -> None:
    _fails(home, "network 'sepolia' has no RPC URL", "buy", "100", "--yes", "-w", "bob",
           "--network", "sepolia")  # fmt: skip


def test_wrong_password(home: Path) -> None:
    _fails(home, "wrong password", "sell", "--yes", "-w", "alice", password="not it")
