"""The CLI as a demanding user meets it (issue 17), on the persistent local node: reads
without a password, one JSON envelope, honest previews, human units, the smart account's
balance and a way to send from it, guards on `local up`.

Every command runs with no terminal (CliRunner) and, unless it signs, no password."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orchestrator.cli import app
from orchestrator.wallet.keystore import Keystore
from tests.local_network import local_network

pytestmark = pytest.mark.anvil

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with local_network(tmp_path_factory.mktemp("home"), "--tokens", "5") as folder:
        for name in ("alice", "bob"):
            Keystore(folder / "keystores").create(name, PASSWORD, scrypt_n=16)
        yield folder


def _run(home: Path, *args: str, password: str | None = PASSWORD, input: str = "") -> Result:
    env = {"INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": password}
    return CliRunner().invoke(app, list(args), env=env, input=input)


def _ok(home: Path, *args: str, password: str | None = PASSWORD) -> str:
    done = _run(home, *args, password=password)
    assert done.exit_code == 0, (done.output, done.exception)
    return done.output


def _fails(done: Result, *messages: str) -> str:
    assert done.exit_code != 0, done.output
    text = done.output + str(done.exception)
    for message in messages:
        assert message in text, text
    return text


# -- 1. reads need no password -------------------------------------------------------------


def test_read_only_commands_ask_no_password(home: Path) -> None:
    _ok(home, "local", "fund", "--usdc", "3000", "-w", "alice", password=None)
    _ok(home, "buy", "1000", "--yes", "-w", "alice")
    for command in (["holdings"], ["pnl"], ["log"], ["mandate", "show"]):
        out = _ok(home, *command, "-w", "alice", password=None)  # no env, no terminal
        assert "password" not in out.lower(), out


def test_a_trade_without_a_terminal_or_password_says_how(home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "INDEXVAULT_PASSWORD"}
    done = subprocess.run(  # a process of its own, no controlling terminal, stdin empty
        [sys.executable, "-c", "from orchestrator.cli import main; main()",
         "sell", "--percent", "1", "--yes", "-w", "alice"],
        env={**env, "INDEXVAULT_HOME": str(home)}, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120, check=False, start_new_session=True,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "password rejected: no terminal to ask for it" in done.stderr
    assert "set INDEXVAULT_PASSWORD" in done.stderr
    assert "GetPassWarning" not in done.stderr


def test_wallet_create_wants_eight_characters_and_shows_the_smart_account(tmp_path: Path) -> None:
    folder = str(tmp_path / "ks")
    short = _run(tmp_path, "wallet", "create", "w", "--keystore-dir", folder, "--scrypt-n",
                 "16", password="1234567")  # fmt: skip
    _fails(short, "it has 7 characters; a new password needs at least 8")
    assert not (tmp_path / "ks" / "w.json").exists()
    made = _ok(tmp_path, "wallet", "create", "w", "--keystore-dir", folder, "--scrypt-n", "16",
               password="12345678")  # fmt: skip
    assert "smart account 0x" in made
