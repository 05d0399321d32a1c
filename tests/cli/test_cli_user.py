"""The CLI as a demanding user meets it (issue 17), on the persistent local node: reads
without a password, one JSON envelope, honest previews, human units, the smart account's
balance and a way to send from it, guards on `local up`.

Every command runs with no terminal (CliRunner) and, unless it signs, no password."""

from __future__ import annotations

import json
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


# -- 2. one JSON envelope, --version, help and errors in words ------------------------------


Path_ = tuple[str, ...]


def _commands(group: object, path: Path_ = ()) -> Iterator[tuple[Path_, object]]:
    for name, command in getattr(group, "commands", {}).items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_takes_json_and_help_has_no_type_noise() -> None:
    import typer.main

    commands = list(_commands(typer.main.get_command(app)))
    assert len(commands) >= 25
    missing = [" ".join(p) for p, c in commands if "--json" not in _options(c)]
    assert missing == []
    shown = CliRunner().invoke(app, ["buy", "--help"]).output
    assert "<bool>" not in shown
    assert "--json" in shown
    version = CliRunner().invoke(app, ["--version"])
    assert version.exit_code == 0
    assert version.output.startswith("indexvault ")


def _options(command: object) -> set[str]:
    return {o for p in getattr(command, "params", []) for o in getattr(p, "opts", [])}


def _envelope(text: str, command: str) -> dict[str, object]:
    parsed = json.loads(text)
    assert parsed["schema"] == "indexvault/1"
    assert parsed["command"] == command
    data: dict[str, object] = parsed["data"]
    return data


def test_json_envelopes_on_the_local_node(home: Path) -> None:
    _ok(home, "local", "fund", "--usdc", "3000", "-w", "bob", "--json")
    preview = _envelope(_ok(home, "buy", "1000", "-w", "bob", "--json"), "buy")
    assert preview["execution"] is None  # no --yes: previewed, nothing sent
    assert preview["preview"]["usdc_amount"] == 1_000_000_000  # type: ignore[index]
    done = _envelope(_ok(home, "buy", "1000", "-w", "bob", "--yes", "--json"), "buy")
    assert done["execution"]["user_op_hash"].startswith("0x")  # type: ignore[index]
    held = _envelope(_ok(home, "holdings", "-w", "bob", "--json", password=None), "holdings")
    assert held["holdings"]["exists"] is True  # type: ignore[index]
    _envelope(_ok(home, "pnl", "-w", "bob", "--json", password=None), "pnl")
    log = _envelope(_ok(home, "log", "-w", "bob", "--json", password=None), "log")
    assert {row["kind"] for row in log["rows"]} >= {"buy"}  # type: ignore[index,union-attr]
    _envelope(_ok(home, "mandate", "show", "-w", "bob", "--json", password=None), "mandate show")
    _envelope(_ok(home, "keeper", "status", "--json"), "keeper status")
    _envelope(_ok(home, "local", "status", "--json"), "local status")


def test_errors_in_json_and_in_words(home: Path) -> None:
    env = {**os.environ, "INDEXVAULT_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", "from orchestrator.cli import main; main()",
         "holdings", "-w", "bob", "-n", "nowhere", "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error["command"] == "holdings"
    assert error["error"]["type"] == "ConfigError"
    assert "unknown network 'nowhere'" in error["error"]["message"]
    _fails(_run(home, "buy", "-5", "-w", "bob"), "the amount must be positive, got '-5'")
    capped = _fails(_run(home, "weights", "--cap", "2"), "--cap 2 is not a share between 0 and 1")
    assert "Decimal(" not in capped
    _fails(_run(home, "keeper", "status", "-n", "nowhere"), "unknown network 'nowhere'")
