"""`indexvault wallet create|import|list` as a user runs them (CliRunner, temp keystores)."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

import orchestrator.cli.wallet_cmds  # noqa: F401 - registers `wallet` on the app
from orchestrator.chain import Transactor, connect_anvil
from orchestrator.cli import main
from orchestrator.cli.app import app
from orchestrator.errors import DuplicateWallet, MalformedKey, PasswordRejected
from orchestrator.wallet import (
    AAContracts,
    Keystore,
    counterfactual_address,
    deploy_account_abstraction,
)
from orchestrator.wallet.smart_account import CANONICAL_V08

PASSWORD = "cli test password"
KNOWN_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KNOWN_OWNER = Account.from_key(KNOWN_KEY).address
FAST = ["--scrypt-n", "16"]  # tests only (hidden option): eth-account's default is 2**18


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "ks"


def _run(runner: CliRunner, *args: str, password: str | None = PASSWORD, input: str | None = None):  # type: ignore[no-untyped-def]
    env = {"INDEXVAULT_PASSWORD": password} if password is not None else {}
    return runner.invoke(app, list(args), env=env, input=input)


def test_create_with_the_automation_password(runner: CliRunner, folder: Path) -> None:
    done = _run(runner, "wallet", "create", "main", "--keystore-dir", str(folder), *FAST)
    assert done.exit_code == 0, done.output
    owner = Keystore(folder).unlock("main", PASSWORD).address
    assert f"owner {owner}" in done.output
    assert stat.S_IMODE((folder / "main.json").stat().st_mode) == 0o600
    assert PASSWORD not in done.output


def test_create_prompts_twice_without_echo(
    runner: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INDEXVAULT_PASSWORD", raising=False)
    done = _run(runner, "wallet", "create", "main", "--keystore-dir", str(folder), *FAST,
                password=None, input="first try\nmistyped\nsecret pw\nsecret pw\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "do not match" in done.output  # the confirmation caught the typo
    for typed in ("first try", "mistyped", "secret pw"):
        assert typed not in done.output  # hidden input is never echoed
    Keystore(folder).unlock("main", "secret pw")


def test_import_from_a_key_file_and_from_a_hidden_prompt(
    runner: CliRunner, folder: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(KNOWN_KEY + "\n")
    done = _run(runner, "wallet", "import", "a", "--key-file", str(key_file),
                "--keystore-dir", str(folder), *FAST)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"owner {KNOWN_OWNER}" in done.output
    other = Account.create()
    done = _run(runner, "wallet", "import", "b", "--keystore-dir", str(folder), *FAST,
                input=other.key.hex() + "\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert other.key.hex() not in done.output
    assert Keystore(folder).unlock("b", PASSWORD).address == other.address


def test_malformed_import_fails_without_echoing_the_key(
    runner: CliRunner, folder: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(KNOWN_KEY[:-3] + "xyz")
    done = _run(runner, "wallet", "import", "a", "--key-file", str(key_file),
                "--keystore-dir", str(folder), *FAST)  # fmt: skip
    assert isinstance(done.exception, MalformedKey)
    assert KNOWN_KEY[2:20] not in str(done.exception) + done.output
    assert not folder.exists() or not list(folder.iterdir())


def test_duplicate_name_is_refused_before_any_prompt(
    runner: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Keystore(folder).import_key("main", KNOWN_KEY, PASSWORD, scrypt_n=16)
    before = (folder / "main.json").read_bytes()
    monkeypatch.delenv("INDEXVAULT_PASSWORD", raising=False)
    done = _run(runner, "wallet", "create", "main", "--keystore-dir", str(folder), *FAST,
                password=None, input="")  # fmt: skip
    assert isinstance(done.exception, DuplicateWallet)
    assert "password" not in done.output.lower()  # it never asked
    assert (folder / "main.json").read_bytes() == before


def test_empty_automation_password_is_refused(runner: CliRunner, folder: Path) -> None:
    done = _run(runner, "wallet", "create", "main", "--keystore-dir", str(folder), *FAST,
                password="")  # fmt: skip
    assert isinstance(done.exception, PasswordRejected)
    assert not folder.exists() or not list(folder.iterdir())


def test_list_shows_names_owners_and_smart_accounts(runner: CliRunner, folder: Path) -> None:
    assert "no wallets" in _run(runner, "wallet", "list", "--keystore-dir", str(folder)).output
    Keystore(folder).import_key("main", KNOWN_KEY, PASSWORD, scrypt_n=16)
    (folder / "broken.json").write_text("[]")
    plain = _run(runner, "wallet", "list", "--keystore-dir", str(folder))
    assert plain.exit_code == 0, plain.output
    assert f"main                 owner {KNOWN_OWNER}" in plain.output
    assert "broken               UNREADABLE" in plain.output
    assert "smart account" not in plain.output

    factory = CANONICAL_V08.simple_account_factory
    expected = counterfactual_address(CANONICAL_V08, KNOWN_OWNER)
    shown = _run(runner, "wallet", "list", "--keystore-dir", str(folder), "--factory", factory)
    assert f"smart account {expected}" in shown.output
    assert "computed off-chain; not checked" in shown.output
    as_json = json.loads(_run(runner, "wallet", "list", "--keystore-dir", str(folder),
                              "--factory", factory, "--salt", "3", "--json").output)  # fmt: skip
    assert as_json["command"] == "wallet list"
    rows = {row["name"]: row for row in as_json["data"]["wallets"]}
    assert rows["main"]["owner"] == KNOWN_OWNER
    assert rows["main"]["smart_account"] == counterfactual_address(CANONICAL_V08, KNOWN_OWNER, 3)
    assert rows["broken"]["problem"] is not None


@pytest.mark.anvil
def test_list_checks_smart_accounts_against_a_live_factory(runner: CliRunner, folder: Path) -> None:
    Keystore(folder).import_key("main", KNOWN_KEY, PASSWORD, scrypt_n=16)
    with connect_anvil() as chain:
        aa: AAContracts = deploy_account_abstraction(Transactor(chain, chain.accounts[0]))
        done = _run(runner, "wallet", "list", "--keystore-dir", str(folder),
                    "--factory", aa.simple_account_factory, "--entry-point", aa.entry_point,
                    "--rpc-url", chain.label)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"smart account {counterfactual_address(aa, KNOWN_OWNER)}" in done.output
    assert "checked against the factory" in done.output


def test_console_entry_point_prints_error_and_hint_with_exit_code_2(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text("0x1234")
    monkeypatch.setenv("INDEXVAULT_PASSWORD", PASSWORD)
    monkeypatch.setattr(sys, "argv", ["indexvault", "wallet", "import", "x", "--key-file",
                                      str(key_file), "--keystore-dir", str(folder)])  # fmt: skip
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "error: not a private key: it has 4 characters after any 0x, not 64" in err
    assert "hint: Give 64 hex digits" in err
