"""`indexvault mandate set|show|revoke` as a user runs them, one process per command on the
persistent local anvil (state in a temp $INDEXVAULT_HOME), plus parsing and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.chain.backends import dev_accounts
from orchestrator.cli import app
from orchestrator.cli.mandate_cmds import (
    parse_duration,
    parse_loss_budget,
    parse_tokens,
)
from orchestrator.errors import IndexVaultError, InputError
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.service import LOCAL_KEEPER_ACCOUNT
from orchestrator.text.mandate import duration_text
from orchestrator.wallet.keystore import Keystore
from tests.local_network import blocks_mined, local_network

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with local_network(tmp_path_factory.mktemp("home"), "--tokens", "5") as folder:
        for name in ("carol", "dave"):
            Keystore(folder / "keystores").create(name, PASSWORD, scrypt_n=16)
        yield folder


def _run(home: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": PASSWORD}
    return CliRunner().invoke(app, list(args), env=env)


def _fails(home: Path, message: str, *args: str) -> None:
    """The command is refused with one of our errors (not a crash), saying `message`, and
    sends nothing: the node mines no block (every send would mine one)."""
    before = blocks_mined(home)
    result = _run(home, *args)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, IndexVaultError), repr(result.exception)
    text = result.output + str(result.exception)
    assert message in text, text
    assert blocks_mined(home) == before  # nothing was sent


@pytest.mark.anvil
def test_set_show_revoke_across_commands(home: Path) -> None:
    symbols = [t.symbol for t in AddressBook.load(home / "local" / "addressbook.json").tokens]
    keeper = dev_accounts()[LOCAL_KEEPER_ACCOUNT].address
    assert _run(home, "local", "fund", "--usdc", "2000", "-w", "carol").exit_code == 0
    assert _run(home, "buy", "1000", "--yes", "-w", "carol").exit_code == 0

    chosen = ",".join(symbols[:2])
    done = _run(home, "mandate", "set", "-w", "carol", "--yes", "--tokens", chosen,
                "--max-slippage-bps", "150", "--min-interval", "2h", "--twap-window", "31m",
                "--loss-budget-usdc", "50.5", "--loss-window", "7d",
                "--loss-cap-usdc", "120")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "set the keeper's mandate (epoch 1)" in done.output
    assert f"keeper           {keeper} (may only rebalance; never withdraw)" in done.output
    assert "done: user operation" in done.output

    shown = _run(home, "mandate", "show", "-w", "carol")
    assert shown.exit_code == 0, shown.output
    for expected in (
        "— epoch 1",
        f"keeper           {keeper}",
        "max slippage     1.50% per keeper trade",
        "price guard      the keeper is refused while a pool's price moved more than 1.50% "
        "within 31m (1,860 s)",
        "min interval     2h (7,200 s)",
        "loss budget      $50.50 per 7d (604,800 s)",
        "loss cap         $120.00 in total under this mandate",
        "at most          $120.00 can ever be lost to the keeper's trades under this mandate",
        f"allowed tokens   2: {symbols[0]} (",
        "loss used        $0.00 of $50.50 this window; $0.00 of the $120.00 cap in total "
        "($50.50 available now)",
        "last rebalance   never",
        "batching         no: rebalanced in its own transaction",
    ):
        assert expected in shown.output, shown.output

    # opting into batch settlement is part of the signed mandate (a new epoch)
    batched = _run(home, "mandate", "set", "-w", "carol", "--yes", "--tokens", chosen,
                   "--batchable")  # fmt: skip
    assert batched.exit_code == 0, batched.output
    assert "batching         yes: rebalanced in one transaction with other vaults" in batched.output
    shown = _run(home, "mandate", "show", "-w", "carol")
    assert "— epoch 2" in shown.output, shown.output
    assert "batching         yes" in shown.output, shown.output

    revoked = _run(home, "mandate", "revoke", "-w", "carol", "--yes")
    assert revoked.exit_code == 0, revoked.output
    assert f"keeper           {keeper}: loses its rights at once" in revoked.output
    after = _run(home, "mandate", "show", "-w", "carol")
    assert "keeper           none (revoked)" in after.output
    log = _run(home, "log", "-w", "carol")
    assert " mandate " in log.output
    assert " keeper_revoked " in log.output


@pytest.mark.anvil
@pytest.mark.parametrize(
    ("args", "message"),
    [(["--twap-window", "10m"], "the TWAP window must be 1800..86400 s, got 600 s"),
     (["--min-interval", "6x"], "'6x' is not a duration"),
     (["--keeper", "0x1234"], "the keeper must be an address"),
     (["--tokens", "NOPE"], "unknown token(s) on this market: NOPE")],
)  # fmt: skip
def test_bad_input_is_refused(home: Path, args: list[str], message: str) -> None:
    _fails(home, message, "mandate", "set", "-w", "carol", "--yes", *args)


@pytest.mark.anvil
def test_no_vault_yet(home: Path) -> None:
    _fails(home, "no vault yet", "mandate", "set", "-w", "dave", "--yes")
    _fails(home, "no vault yet", "mandate", "show", "-w", "dave")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1_800), ("6h", 21_600), ("7d", 604_800), ("3600", 3_600), (" 45 S ", 45),
     ("0", 0)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "1.5h", "-1d", "6x", "1h30m"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(InputError, match="is not a duration"):
        parse_duration(text)


def test_parse_loss_budget_and_tokens() -> None:
    assert parse_loss_budget("0") == 0
    assert parse_loss_budget("$2,500.000001") == 2_500_000_001
    with pytest.raises(InputError, match="0 or more"):
        parse_loss_budget("-1")
    with pytest.raises(InputError, match="more than 6 decimals"):
        parse_loss_budget("0.0000001")
    assert parse_tokens("ALL") is None
    assert parse_tokens("BTC,ETH") == ["BTC", "ETH"]
    assert duration_text(5_400) == "1h 30m (5,400 s)"
    assert duration_text(90_061) == "1d 1h 1m 1s (90,061 s)"
    assert duration_text(59) == "59 s"
