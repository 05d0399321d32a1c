"""Two commands at once on the local network see one chain. Before, each command loaded
the chain from a state file into its own anvil and saved it back, so the last writer won:
two buys both printed "done" at the same nonce and one of them vanished (issue 15). Now
both talk to the one running node: every "done" is on the chain, at its own nonce, and in
the log; an operation that loses the race for its account's nonce is refused and says so.
(Serialising one wallet's commands, so that both of its buys land, is the reliability
issue's lock on top of this.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.chain.localnode import connect_node
from orchestrator.cli import app
from orchestrator.execution.userop_result import USER_OPERATION_EVENT_TOPIC
from orchestrator.ledger.journal import Journal
from orchestrator.networks import local_dir
from orchestrator.service import LocalKeySigner, fund_test_account, open_session
from orchestrator.wallet.keystore import Keystore

pytestmark = pytest.mark.anvil

PASSWORD = "concurrency password"
USDC = 10**6
DONE = re.compile(r"done: user operation (0x[0-9a-f]{64})")


@pytest.fixture(scope="module")
def wallets(node_home: Path) -> Path:
    keystore = Keystore(node_home / "keystores")
    for name in ("erin", "frank", "grace"):
        keystore.create(name, PASSWORD, scrypt_n=16)
        with open_session(
            "local", signer=LocalKeySigner(keystore.unlock(name, PASSWORD))
        ) as session:
            ctx = session.trading
            fund_test_account(ctx, 2_000 * USDC, eth_wei=10**18)
    return node_home


def _buy_at_once(home: Path, *orders: tuple[str, str]) -> list[tuple[int, str]]:
    """Start one `buy AMOUNT --yes -w WALLET` process per order, all at once; wait."""
    env = {**os.environ, "INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": PASSWORD}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from orchestrator.cli import main; main()",
                "buy",
                amount,
                "--yes",
                "-w",
                wallet,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for wallet, amount in orders
    ]
    return [(p.wait(timeout=300), p.stdout.read().decode() if p.stdout else "") for p in processes]


def _on_chain(home: Path, op_hash: str) -> tuple[str, int, bool]:
    """(sender, nonce, success) of the op's UserOperationEvent; fails if there is none."""
    chain = connect_node(local_dir())
    try:
        logs = chain.w3.eth.get_logs(
            {"fromBlock": 0, "toBlock": "latest", "topics": [USER_OPERATION_EVENT_TOPIC, op_hash]}
        )
    finally:
        chain.close()
    assert len(logs) == 1, f"{op_hash} is not on the chain"
    data = bytes(logs[0]["data"])
    sender = "0x" + logs[0]["topics"][2].hex()[-40:]
    return sender.lower(), int.from_bytes(data[:32], "big"), data[63] == 1


def _log(home: Path, wallet: str) -> str:
    env = {"INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": PASSWORD}
    result = CliRunner().invoke(app, ["log", "-w", wallet], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_two_wallets_buying_at_once_both_land_on_one_chain(wallets: Path) -> None:
    outcomes = _buy_at_once(wallets, ("erin", "300"), ("frank", "400"))
    hashes = []
    for code, output in outcomes:
        assert code == 0, output
        hashes.append(DONE.search(output).group(1))  # type: ignore[union-attr]
    senders = {_on_chain(wallets, h)[0] for h in hashes}
    assert len(senders) == 2  # both operations, each from its own account, on one chain
    assert all(_on_chain(wallets, h)[2] for h in hashes)
    assert " buy " in _log(wallets, "erin")
    assert " buy " in _log(wallets, "frank")
    assert _journal_included(wallets) >= set(hashes)


def _journal_included(home: Path) -> set[str]:
    """Op hashes the journal holds as included; each one is checked against the chain."""
    with Journal(home / "journal.sqlite") as journal:
        included = {e.submission.user_op_hash for e in journal.entries()
                    if e.state == "included" and e.submission is not None}  # fmt: skip
    for op_hash in included:
        assert _on_chain(home, op_hash)[2]
    return included


def test_one_wallet_buying_twice_at_once_never_reports_one_nonce_twice(wallets: Path) -> None:
    outcomes = _buy_at_once(wallets, ("grace", "300"), ("grace", "200"))
    landed = [DONE.search(out).group(1) for code, out in outcomes if code == 0]  # type: ignore[union-attr]
    refused = [out for code, out in outcomes if code != 0]
    assert landed, outcomes  # one of them at least: the first to take the nonce
    nonces = [_on_chain(wallets, h)[1] for h in landed]
    assert len(set(nonces)) == len(nonces)  # never two "done" at one nonce
    for output in refused:  # the loser says why, and that nothing ran
        # Under the send lock the loser checks its previewed nonce before sending: it
        # never reaches the bundler's send. On a loaded machine the winner's op can land
        # while the loser's preview is being built (between its reads and the bundler's
        # gas estimate): the preview then says the account moved (it once leaked as the
        # bundler's raw "AA10" refusal; tests/trading/test_bad_input.py pins the words).
        assert re.search(
            r"your smart account was used (since preview \w+ \(nonce moved\)|meanwhile)",
            output,
        ), output
        assert "done: user operation" not in output
    assert _log(wallets, "grace").count(" buy ") == len(landed)
    grace = Keystore(wallets / "keystores").unlock("grace", PASSWORD)
    with open_session("local", signer=LocalKeySigner(grace)) as session:
        ctx = session.trading
        sender = ctx.account.address.lower()
    ours = {h for h in _journal_included(wallets) if _on_chain(wallets, h)[0] == sender}
    assert ours == set(landed)  # the journal says exactly what the chain says


HOLD = """
import sys
from pathlib import Path
from orchestrator.sendlock import send_lock
with send_lock(Path(sys.argv[1]), "local", wait_s=0):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_sender_meets_the_lock_a_reader_does_not(wallets: Path) -> None:
    """While another process holds the send lock, `buy` is refused at once (wait 0) with
    the holder's pid and sends nothing (the account's nonce is unchanged), and `holdings`
    and `log` work."""
    grace = Keystore(wallets / "keystores").unlock("grace", PASSWORD)
    with open_session("local", signer=LocalKeySigner(grace)) as session:
        before = session.trading.account.nonce(session.chain)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(wallets)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        env = {"INDEXVAULT_HOME": str(wallets), "INDEXVAULT_PASSWORD": PASSWORD,
               "INDEXVAULT_LOCK_WAIT_S": "0"}  # fmt: skip
        refused = CliRunner().invoke(app, ["buy", "100", "--yes", "-w", "grace"], env=env)
        assert refused.exit_code != 0
        assert str(refused.exception) == (
            f"another indexvault command is sending trades on network 'local' (pid "
            f"{holder.pid}); wait for it to finish"
        )
        assert " buy " in _log(wallets, "grace")  # reads are not blocked
        held = CliRunner().invoke(app, ["holdings", "-w", "grace"], env=env)
        assert held.exit_code == 0, held.output
    finally:
        holder.kill()
        holder.wait(timeout=30)
    with open_session("local", signer=LocalKeySigner(grace)) as session:
        assert session.trading.account.nonce(session.chain) == before  # nothing was sent
