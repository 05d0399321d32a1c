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
        for name in ("alice", "bob", "carol", "dave"):
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
    for command in (["holdings"], ["pnl"], ["log"], ["mandate", "show"], ["balance"]):
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
    # `web` runs a server whose every answer is already JSON (its OpenAPI at /openapi.json)
    servers = {("web",)}
    missing = [" ".join(p) for p, c in commands if p not in servers and "--json" not in _options(c)]
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


# -- 3. honest previews, human units, guards -------------------------------------------------


def _dollars(line: str) -> int:
    """'  - pool fees      $29.97 (…)' -> 2997 (cents)."""
    figure = line.split("$", 1)[1].split()[0].replace(",", "")
    cents = int(figure.replace(".", ""))
    return -cents if line.split("$", 1)[0].rstrip().endswith("-") and "$" in line else cents


def _line(text: str, head: str) -> str:
    found = [line for line in text.splitlines() if line.strip().startswith(head)]
    assert len(found) == 1, (head, text)
    return found[0]


def test_buy_preview_shows_gas_pool_fees_and_adds_up(home: Path) -> None:
    _ok(home, "local", "fund", "--usdc", "20000", "-w", "carol")
    shown = _run(home, "buy", "10000", "-w", "carol", input="n\n").output
    assert "cancelled: nothing was sent" in shown
    likely = _line(shown, "gas, likely")
    assert " gas × " in likely
    assert " gwei = " in likely
    assert " ETH" in likely
    assert " gwei = " in _line(shown, "gas, at most")
    rate = _line(shown, "ETH/USD")
    assert "$" in rate
    assert "ETH/USDC Uniswap V3 pool" in rate
    paid = _dollars(_line(shown, "you pay"))
    fee = _dollars(_line(shown, "- platform fee"))
    pools = _dollars(_line(shown, "- pool fees"))
    impact = _dollars(_line(shown, "- price impact"))
    expected = _dollars(_line(shown, "= expected value"))
    assert paid == 1_000_000
    assert fee == 1_000  # 10 bps
    assert pools >= 2_900  # 0.30% pools on ~$9,990 of legs
    assert paid - fee - pools - impact == expected  # to the cent, on the page
    assert "0.30%" in _line(shown, "- pool fees")


def test_sell_preview_adds_up_too(home: Path) -> None:
    _ok(home, "local", "fund", "--usdc", "3000", "-w", "carol")
    _ok(home, "buy", "2000", "--yes", "-w", "carol")
    shown = _run(home, "sell", "--percent", "50", "-w", "carol", input="n\n").output
    at_mid = _dollars(_line(shown, "value at mid"))
    pools = _dollars(_line(shown, "- pool fees"))
    impact = _dollars(_line(shown, "- price impact"))
    fee = _dollars(_line(shown, "- platform fee"))
    expected = _dollars(_line(shown, "= expected value"))
    assert pools > 0
    assert at_mid - pools - impact - fee == expected  # to the cent, on the page
    assert "(USDC paid to you)" in _line(shown, "= expected value")


def test_a_buy_too_small_for_any_leg_is_refused_saying_the_minimum(home: Path) -> None:
    _ok(home, "local", "fund", "--usdc", "100", "-w", "carol")
    before = _ok(home, "log", "-w", "carol", "--json")
    text = _fails(_run(home, "buy", "0.01", "--yes", "-w", "carol"), "$0.01 is too small")
    assert "the smallest buy that fills a leg is $" in text
    assert "$1.00 dust floor" in text
    assert _ok(home, "log", "-w", "carol", "--json") == before  # nothing journaled or sent


def test_small_buy_keeps_every_asset_under_the_cap(home: Path) -> None:
    _ok(home, "local", "fund", "--usdc", "100", "-w", "carol")
    data = _envelope(_ok(home, "buy", "5", "-w", "carol", "--json"), "buy")
    preview = data["preview"]
    spent = preview["usdc_amount"] - preview["platform_fee_usdc"]  # type: ignore[index]
    shares = [leg["amount_in"] * 10_000 // spent for leg in preview["legs"]]  # type: ignore[index]
    assert len(shares) < 5  # some legs were dust at $5
    assert max(shares) <= 2_500, shares  # the 25% cap, dust dropped or not
    assert preview["cash_usdc"] > 0  # type: ignore[index]  # what the cap leaves stays USDC


def test_withdraw_lists_tokens_pnl_at_market_empty_vault_and_log_in_human_units(
    home: Path,
) -> None:
    _ok(home, "local", "fund", "--usdc", "2000", "-w", "dave")
    _ok(home, "buy", "1000", "--yes", "-w", "dave")
    preview = _run(home, "withdraw", "--in-kind", "-w", "dave", input="n\n").output
    assert "0 legs" not in preview
    assert "max slippage" not in preview
    out = _envelope(_ok(home, "withdraw", "--in-kind", "--yes", "-w", "dave", "--json"), "withdraw")
    outflows = out["preview"]["outflows"]  # type: ignore[index]
    assert {o["symbol"] for o in outflows} >= {"BTC", "ETH"}  # type: ignore[union-attr]
    for o in outflows:  # type: ignore[union-attr]
        assert f"    {o['symbol']:<10} " in preview  # every token that leaves, listed
    value_then = out["preview"]["expected_value_usdc"]  # type: ignore[index]
    pnl = _envelope(_ok(home, "pnl", "-w", "dave", "--json"), "pnl")["pnl"]
    assert pnl["withdrawals_usdc"] == value_then  # type: ignore[index]  # at market, not cost
    assert (
        pnl["equity_usdc"] + pnl["withdrawals_usdc"] - pnl["deposits_usdc"]
        == pnl[  # type: ignore[index]
            "net_pnl_usdc"
        ]
    )
    held = _ok(home, "holdings", "-w", "dave")
    assert "tracking error n/a" in held
    log = _ok(home, "log", "-w", "dave")
    assert "USDC swapped" in log
    assert "$999.00 USDC swapped" in log  # dollars, not 999000000
    rows = _envelope(_ok(home, "log", "-w", "dave", "--json"), "log")["rows"]
    for row in rows:  # type: ignore[union-attr]
        if row["tx_hash"]:
            assert row["tx_hash"] in log  # in full, not cut to 16 characters
    assert "to the smart account: " in log
    assert " BTC" in log


# -- 4. the smart account's balance, and sending from it ---------------------------------------


def _account(home: Path, wallet: str) -> str:
    data = _envelope(_ok(home, "balance", "-w", wallet, "--json", password=None), "balance")
    address: str = data["smart_account"]["address"]  # type: ignore[index]
    return address


def _usdc_held(home: Path, wallet: str) -> int:
    data = _envelope(_ok(home, "balance", "-w", wallet, "--json", password=None), "balance")
    rows = data["smart_account"]["tokens"]  # type: ignore[index]
    return sum(r["amount"] for r in rows if r["symbol"] == "USDC")  # type: ignore[union-attr]


def test_balance_and_send_from_the_smart_account(home: Path) -> None:
    _ok(home, "local", "fund", "--usdc", "3000", "-w", "alice")
    _ok(home, "buy", "1000", "--yes", "-w", "alice")
    shown = _ok(home, "balance", "-w", "alice", password=None)
    assert _line(shown, "smart account").count("$") >= 2  # tokens and gas, in USD
    assert "vault          0x" in shown
    assert "BTC" in shown  # the vault's tokens, each with its value
    assert "values at the mid prices" in shown
    bob = _account(home, "bob")
    before, bob_before = _usdc_held(home, "alice"), _usdc_held(home, "bob")
    preview = _run(home, "send", "250.5", "USDC", bob, "-w", "alice", input="n\n").output
    assert "sending          250.5 USDC ≈ $250.50" in preview
    assert f"to               {bob}" in preview
    assert "cancelled: nothing was sent" in preview
    assert _usdc_held(home, "alice") == before
    sent = _ok(home, "send", "250.5", "USDC", bob, "-w", "alice", "--yes")
    assert "done: user operation 0x" in sent
    assert _usdc_held(home, "alice") == before - 250_500_000
    assert _usdc_held(home, "bob") == bob_before + 250_500_000
    assert f"sent 250.5 USDC from the smart account to {bob}" in _ok(home, "log", "-w", "alice")


def test_send_refuses_the_vault_and_the_zero_address_and_warns_on_a_contract(home: Path) -> None:
    _ok(home, "local", "fund", "--usdc", "3000", "-w", "alice")
    _ok(home, "buy", "100", "--yes", "-w", "alice")
    balances = _envelope(_ok(home, "balance", "-w", "alice", "--json"), "balance")
    vault = balances["vault"]["address"]  # type: ignore[index]
    held = _usdc_held(home, "alice")
    log = _ok(home, "log", "-w", "alice", "--json")
    _fails(_run(home, "send", "1", "USDC", vault, "-w", "alice", "--yes"), "is your vault")
    _fails(_run(home, "send", "1", "USDC", "0x" + "00" * 20, "-w", "alice", "--yes"),
           "the zero address would burn the tokens")  # fmt: skip
    _fails(_run(home, "send", "1", "USDC", "0x1234", "-w", "alice", "--yes"), "is not an address")
    _fails(_run(home, "send", "-1", "USDC", vault, "-w", "alice"), "must be positive")
    _fails(_run(home, "send", "1", "DOGE", vault, "-w", "alice"), "no token 'DOGE'")
    assert _usdc_held(home, "alice") == held  # nothing was sent
    assert _ok(home, "log", "-w", "alice", "--json") == log
    _ok(home, "local", "fund", "--usdc", "200", "-w", "bob")
    _ok(home, "buy", "100", "--yes", "-w", "bob")
    other_vault = _envelope(_ok(home, "balance", "-w", "bob", "--json"), "balance")["vault"]
    data = _envelope(
        _ok(home, "send", "1", "USDC", other_vault["address"], "-w", "alice", "--json"),  # type: ignore[index]
        "send",
    )
    assert data["execution"] is None
    (warning,) = data["preview"]["warnings"]  # type: ignore[index]
    assert "is a contract that is not a smart account like yours" in warning


# -- 5. local up, keeper status, network files ---------------------------------------------------


def test_local_up_guards_the_chain_and_the_market_size(tmp_path: Path) -> None:
    try:
        small = _run(tmp_path, "local", "up", "--tokens", "3")
        _fails(small, "a market of 3 tokens cannot hold the index", "at least 4 tokens")
        assert not (tmp_path / "local" / "anvil.json").exists()  # refused before it started
    finally:  # were it not refused, nothing may keep running
        _run(tmp_path, "local", "down")
    with local_network(tmp_path / "own", "--tokens", "4") as home:
        Keystore(home / "keystores").create("erin", PASSWORD, scrypt_n=16)
        _ok(home, "local", "fund", "--usdc", "500", "-w", "erin")
        _ok(home, "buy", "300", "--yes", "-w", "erin")
        asked = _run(home, "local", "up", "--reset", input="n\n")
        _fails(asked, "1 vault worth $29", "nothing was changed")
        held = _ok(home, "holdings", "-w", "erin")
        assert "NAV $29" in held  # still there
        ahead = _envelope(_ok(home, "local", "advance", "30d", "--json"), "local advance")
        status = _envelope(_ok(home, "keeper", "status", "--json"), "keeper status")
        assert status["clock"] == "chain"
        assert status["now_s"] >= ahead["chain_time_s"]  # type: ignore[operator]
        assert status["next_daily_check_s"] > ahead["chain_time_s"]  # type: ignore[operator]
        assert status["next_weekly_s"] > ahead["chain_time_s"]  # type: ignore[operator]
        _ok(home, "local", "down")
        (home / "local" / "anvil-state.json").unlink()  # the saved chain is lost
        gone = _run(home, "local", "up")
        _fails(gone, "is missing, but this local network had a chain")
        assert "--reset" in gone.exception.hint  # type: ignore[union-attr]


def test_network_files_and_keeper_hints_in_words(home: Path) -> None:
    networks = home / "networks"
    networks.mkdir(exist_ok=True)
    (networks / "nameless.json").write_text('{"chain_id": "eleven"}')
    # without an address_book it is read as a public network's file (deploy/networks/*.json)
    text = _fails(_run(home, "holdings", "-w", "alice", "-n", "nameless"), "contracts is missing")
    assert "chain_id: " in text
    assert "errors.pydantic.dev" not in text
    assert "name is missing" not in text  # the file's name is the network's
    assert "sepolia.json" in str(
        _run(home, "holdings", "-w", "alice", "-n", "nameless").exception.hint  # type: ignore[union-attr]
    )
    status = _ok(home, "keeper", "status")
    assert "next daily check" in status
    assert "(chain clock, now " in status
    assert status.endswith("\n")


# -- 6. the treemap, market data, calendars -------------------------------------------------------


def test_treemap_says_value_weight_nav_date_and_synthetic(home: Path) -> None:
    from PIL import Image

    _ok(home, "local", "fund", "--usdc", "1000", "-w", "bob")
    _ok(home, "buy", "500", "--yes", "-w", "bob")
    png = home / "out" / "bob.png"
    _ok(home, "holdings", "-w", "bob", "--treemap", str(png))
    with Image.open(png) as image:
        text = dict(image.text)  # type: ignore[attr-defined]
    assert "NAV $" in text["Title"]
    assert "UTC (chain clock)" in text["Title"]
    assert "SYNTHETIC market (seed=7): generated prices, not real ones" in text["Title"]
    assert "BTC $" in text["Description"]
    assert "%" in text["Description"]


def test_one_default_market_for_every_command_and_labelled_dates(tmp_path: Path) -> None:
    csv = tmp_path / "m.csv"
    csv.write_text(
        "date,symbol,name,price_usd,market_cap_usd,volume_24h_usd,rank\n"
        "2024-01-01,AAA,A,1,500,1,1\n2024-01-01,BBB,B,1,300,1,2\n"
        "2024-01-01,CCC,C,1,200,1,3\n2024-01-01,DDD,D,1,100,1,4\n"
    )
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "network.json").write_text(
        json.dumps(
            {"name": "local", "address_book": str(tmp_path / "book.json"), "market_data": str(csv)}
        )
    )  # what `local up --market-data m.csv` leaves: the trading commands' market
    weights = _envelope(_ok(tmp_path, "weights", "--cap", "0.5", "--json"), "weights")
    assert set(weights["weights_bps"]) == {"AAA", "BBB", "CCC", "DDD"}  # type: ignore[arg-type]
    assert "synthetic" not in str(weights["source"])
    assert "market date 2024-01-01" in _ok(tmp_path, "weights", "--cap", "0.5")
    shown = _ok(tmp_path, "weights", "--help")
    assert "as for every command: the local network's market data" in " ".join(shown.split())
    assert "'chain clock'" in _ok(tmp_path, "--help")
