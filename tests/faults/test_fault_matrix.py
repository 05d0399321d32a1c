"""The fault-injection matrix (docs/reliability.md): the local node (anvil + alto) behind
two fault proxies of our own (tests/faults/proxy.py, in-process, loopback only), reached
as the network "proxied". Each case injects one fault into a real command and asserts:
the message is in words (no raw JSONDecodeError/HTTPError), nothing is sent twice (the
proxies count every eth_sendUserOperation they deliver), nothing is lost, and the journal
says what the chain says afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from orchestrator.chain.backends import dev_accounts
from orchestrator.chain.localnode import connect_node
from orchestrator.errors import (
    AccountMoved,
    EarlierRunLanded,
    IndexVaultError,
    KeeperStopped,
    NotIncludedYet,
    PriceUpdated,
    ReceiptNotOnChain,
    RpcUnavailable,
    UserOpRejected,
)
from orchestrator.execution.userop_result import USER_OPERATION_EVENT_TOPIC
from orchestrator.ledger.journal import Journal
from orchestrator.networks import local_dir, resolve_network
from orchestrator.service import (
    LOCAL_KEEPER_ACCOUNT,
    LocalKeySigner,
    fund_test_account,
    open_session,
)
from orchestrator.wallet.keystore import Keystore
from orchestrator.wallet.userop import UserOperation
from orchestrator.wallet.userop_signing import user_op_hash
from tests.faults.proxy import Fault, FaultProxy
from tests.local_network import local_network

pytestmark = pytest.mark.anvil

PASSWORD = "fault password"
USDC = 10**6
SEND = "eth_sendUserOperation"
CLI = [sys.executable, "-c", "from orchestrator.cli import main; main()"]


@dataclass
class Rig:
    home: Path
    node: FaultProxy  # in front of anvil
    bundler: FaultProxy  # in front of alto
    entry_point: str
    chain_id: int

    def reset(self) -> None:
        for proxy in (self.node, self.bundler):
            proxy.clear()
            proxy.reset_counts()

    def sends(self) -> int:
        """User operations (and raw transactions) the proxies delivered upstream."""
        return self.node.sends_delivered() + self.bundler.sends_delivered()

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "INDEXVAULT_HOME": str(self.home), "INDEXVAULT_PASSWORD": PASSWORD,
            "INDEXVAULT_LOCK_WAIT_S": "0", **extra,
        }  # fmt: skip

    def run(self, *args: str, **env: str) -> Any:
        return CliRunner().invoke(_app(), list(args), env=self.env(**env))

    def op_hash(self, params: list[Any]) -> str:
        op = UserOperation.from_rpc(params[0])
        return "0x" + user_op_hash(op, entry_point=self.entry_point, chain_id=self.chain_id).hex()


def _app() -> Any:
    from orchestrator.cli import app

    return app


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    with (
        local_network(tmp_path_factory.mktemp("faults"), "--tokens", "4") as home,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("INDEXVAULT_HOME", str(home))
        local = resolve_network("local")
        assert local.rpc_url
        assert local.bundler_url
        with FaultProxy(local.rpc_url) as node, FaultProxy(local.bundler_url) as bundler:
            keeper = dev_accounts()[LOCAL_KEEPER_ACCOUNT].address
            proxied = local.model_copy(update={
                "name": "proxied", "rpc_url": node.url, "bundler_url": bundler.url,
                "keeper_address": keeper,
            })  # fmt: skip
            (home / "networks").mkdir(exist_ok=True)
            (home / "networks" / "proxied.json").write_text(proxied.model_dump_json())
            book = json.loads(Path(local.address_book).read_text())
            chain = connect_node(local_dir())
            chain_id = chain.chain_id
            chain.close()
            entry_point = book["contracts"]["entry_point"]
            yield Rig(home, node, bundler, entry_point, chain_id)


_accounts: dict[str, str] = {}  # owner address -> smart account


def _wallet(rig: Rig, name: str) -> LocalAccount:
    """A keystore `name`, its smart account funded with 5,000 USDC and 1 ETH."""
    keystore = Keystore(rig.home / "keystores")
    if name not in keystore.names():
        keystore.create(name, PASSWORD, scrypt_n=16)
        owner = keystore.unlock(name, PASSWORD)
        with open_session("local", signer=LocalKeySigner(owner)) as s:
            fund_test_account(s.trading, 5_000 * USDC, eth_wei=10**18)
            _accounts[owner.address] = s.account
    return keystore.unlock(name, PASSWORD)


def _on_chain(rig: Rig, owner: LocalAccount) -> dict[str, bool]:
    """op hash -> success, for every UserOperationEvent of the owner's smart account."""
    return _account_ops(rig, owner)[1]


def _account_ops(rig: Rig, owner: LocalAccount) -> tuple[str, dict[str, bool]]:
    """Read straight from the node: a session would settle the journal on the way."""
    sender = _accounts[owner.address]
    chain = connect_node(local_dir())
    try:
        logs = chain.w3.eth.get_logs({
            "fromBlock": 0, "toBlock": "latest",
            "topics": [USER_OPERATION_EVENT_TOPIC, None, "0x" + "00" * 12 + sender[2:].lower()],
        })  # fmt: skip
    finally:
        chain.close()
    ops = {"0x" + bytes(log["topics"][1]).hex(): bytes(log["data"])[63] == 1 for log in logs}
    return sender, ops


def _consistent(rig: Rig, owner: LocalAccount) -> dict[str, bool]:
    """The journal says what the chain says for this owner: every op on chain is one
    included/failed entry (with fills when it succeeded with legs), nothing is open, and
    no entry claims an op the chain does not have."""
    account, chain_ops = _account_ops(rig, owner)
    with Journal(rig.home / "journal.sqlite") as journal:
        entries = journal.entries(owner=account)  # a preview's owner is the smart account
    settled = {}
    for e in entries:
        if e.submission is None:
            continue
        assert e.state != "submitted", f"left open: {e}"
        if e.state in ("included", "failed"):
            op = e.submission.user_op_hash
            assert op not in settled, f"two journal entries for {op}"
            settled[op] = e.state == "included"
            preview = json.loads(e.preview.preview_json)
            if e.state == "included" and preview.get("legs"):
                assert e.fills, f"included without fills: {e.preview.quote_id}"
    assert settled == chain_ops
    return chain_ops


def _dropped_once_its_nonce_is_used(rig: Rig, name: str) -> None:
    """After the next buy, nothing is left open: the op left open before was either dropped
    (the buy's new op used its nonce) or, when the fresh preview hashed the same, was that
    very op, sent again under the open one's quote id and included."""
    held = rig.run("holdings", "-w", name, "-n", "proxied")
    assert held.exit_code == 0, held.output
    assert "is still open" not in held.output, held.output
    if "from an earlier run" in held.output:
        assert "dropped nonce" in held.output, held.output
        assert "was used by another operation" in held.output, held.output


def _words(result: Any, *expected: str) -> str:
    """The command failed with one of our errors (no traceback), saying `expected`."""
    assert result.exit_code != 0, result.output
    error = result.exception
    assert isinstance(error, IndexVaultError), repr(error)
    text = str(error)
    for raw in ("JSONDecodeError", "HTTPError", "Traceback", "requests.exceptions"):
        assert raw not in text + (error.hint or ""), text
    for piece in expected:
        assert piece in text, text
    return text


def _done(result: Any) -> None:
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "done: user operation" in result.output, result.output


# -- F1 the node or the bundler refuses connections -----------------------------------------
def test_f1_node_refuses_every_command_says_so_and_sends_nothing(rig: Rig) -> None:
    rig.reset()
    _wallet(rig, "f1")
    rig.node.refuse()
    try:
        said = f"the node at {rig.node.url} did not answer eth_chainId: it refused the connection"
        for args in (
            ("buy", "50", "--yes", "-w", "f1", "-n", "proxied"),
            ("sell", "--percent", "50", "--yes", "-w", "f1", "-n", "proxied"),
            ("mandate", "set", "-w", "f1", "--yes", "-n", "proxied"),
            ("holdings", "-w", "f1", "-n", "proxied"),
        ):
            error = _words(rig.run(*args), said)
            assert isinstance(rig.run(*args).exception, RpcUnavailable), error
    finally:
        rig.node.start()
    assert rig.sends() == 0


def test_f1_bundler_refuses_the_preview_says_so_and_sends_nothing(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f1b")
    rig.bundler.refuse()
    try:
        _words(
            rig.run("buy", "50", "--yes", "-w", "f1b", "-n", "proxied"),
            f"the bundler at {rig.bundler.url} did not answer eth_estimateUserOperationGas: "
            "it refused the connection",
        )
    finally:
        rig.bundler.start()
    assert rig.sends() == 0
    assert _consistent(rig, owner) == {}


# -- F2 HTTP 5xx and 429 ------------------------------------------------------------------------
def test_f2_node_503_on_reads_is_retried_and_the_buy_lands_once(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f2")
    rig.node.rule("eth_chainId", Fault.http(503), times=2)
    _done(rig.run("buy", "50", "--yes", "-w", "f2", "-n", "proxied"))
    assert rig.node.faulted("eth_chainId") == 2  # retried past both: a read is safe to retry
    assert rig.bundler.delivered(SEND) == 1
    assert list(_consistent(rig, owner).values()) == [True]


def test_f2_node_429_with_retry_after_says_so_and_sends_nothing(rig: Rig) -> None:
    rig.reset()
    _wallet(rig, "f2")
    rig.node.rule("eth_chainId", Fault.http(429, retry_after=1))
    _words(
        rig.run("buy", "50", "--yes", "-w", "f2", "-n", "proxied"),
        f"the node at {rig.node.url} did not answer eth_chainId: it answered HTTP 429 "
        "(too many requests); it asks to retry after 1 s",
    )
    assert rig.sends() == 0


def test_f2_bundler_503_on_the_send_never_resent_replaced_by_the_next_buy(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f2c")
    rig.bundler.rule(SEND, Fault.http(503), times=1)
    _words(
        rig.run("buy", "50", "--yes", "-w", "f2c", "-n", "proxied"),
        f"the bundler at {rig.bundler.url} did not answer eth_sendUserOperation: it "
        "answered HTTP 503",
    )
    assert rig.bundler.delivered(SEND) == 0
    held = rig.run("holdings", "-w", "f2c", "-n", "proxied")
    assert held.exit_code == 0, held.output
    assert "is still open (no trace on chain yet" in held.output, (
        held.output
    )  # no proof it is dead: never "dropped" by age
    _done(rig.run("buy", "50", "--yes", "-w", "f2c", "-n", "proxied"))  # on the same nonce
    assert rig.bundler.delivered(SEND) == 1
    _dropped_once_its_nonce_is_used(rig, "f2c")
    assert list(_consistent(rig, owner).values()) == [True]


# -- F3 slow answers and timeouts -----------------------------------------------------------
def test_f3_slow_node_and_bundler_the_buy_lands_once(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f3")
    rig.node.rule("eth_call", Fault.delay(0.3), times=3)
    rig.bundler.rule(SEND, Fault.delay(1.0), times=1)
    _done(rig.run("buy", "50", "--yes", "-w", "f3", "-n", "proxied"))
    assert rig.bundler.delivered(SEND) == 1
    assert list(_consistent(rig, owner).values()) == [True]


def test_f3_bundler_hangs_up_on_the_send_never_resent_the_next_buy_replaces_it(
    rig: Rig,
) -> None:
    rig.reset()
    owner = _wallet(rig, "f3b")
    rig.bundler.rule(SEND, Fault.hang_up(), times=1)
    _words(
        rig.run("buy", "50", "--yes", "-w", "f3b", "-n", "proxied"),
        f"the bundler at {rig.bundler.url} did not answer eth_sendUserOperation",
    )
    assert rig.bundler.delivered(SEND) == 0
    # the buy again, at once: the open op may have reached the bundler, so the new one is
    # built on its nonce (the two are exclusive: at most one executes) and is sent
    again = rig.run("buy", "50", "--yes", "-w", "f3b", "-n", "proxied")
    assert "is still open (no trace on chain yet" in again.output, again.output
    _done(again)
    assert rig.bundler.delivered(SEND) == 1
    _dropped_once_its_nonce_is_used(rig, "f3b")
    assert list(_consistent(rig, owner).values()) == [True]


# -- F4 malformed or truncated JSON ---------------------------------------------------------
def test_f4_node_garbage_says_so_and_sends_nothing(rig: Rig) -> None:
    rig.reset()
    _wallet(rig, "f4")
    rig.node.rule("eth_chainId", Fault.garbage())
    _words(
        rig.run("buy", "50", "--yes", "-w", "f4", "-n", "proxied"),
        f"the node at {rig.node.url} did not answer eth_chainId: its answer was not valid "
        "JSON (malformed or cut short)",
    )
    assert rig.sends() == 0


def test_f4_bundler_garbles_the_answer_to_a_delivered_send_settled_from_chain(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f4b")
    rig.bundler.rule(SEND, Fault.garbage(deliver=True), times=1)
    _words(
        rig.run("buy", "50", "--yes", "-w", "f4b", "-n", "proxied"),
        "did not answer eth_sendUserOperation: its answer was not valid JSON",
    )
    assert rig.bundler.delivered(SEND) == 1  # it did arrive: the op is on its way
    _wait_for_ops(rig, owner, 1)
    held = rig.run("holdings", "-w", "f4b", "-n", "proxied")
    assert held.exit_code == 0, held.output
    assert "from an earlier run: included in block" in held.output, held.output
    assert rig.bundler.delivered(SEND) == 1  # settled from the chain, never re-sent
    assert list(_consistent(rig, owner).values()) == [True]
    second = rig.run("holdings", "-w", "f4b", "-n", "proxied")
    assert "from an earlier run" not in second.output  # settled once


def _wait_for_ops(rig: Rig, owner: LocalAccount, count: int, timeout_s: float = 60) -> None:
    """Poll the chain until the owner's account has `count` operations (a condition, not a
    fixed sleep: the bundler mines on its own schedule)."""
    deadline = time.monotonic() + timeout_s
    while len(_on_chain(rig, owner)) < count:
        assert time.monotonic() < deadline, "the operation never reached the chain"
        time.sleep(0.1)


# -- F5 a lagging bundler: no receipt for a while -----------------------------------------------
def test_f5_receipts_lag_the_buy_still_lands_once(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f5")
    rig.bundler.rule("eth_getUserOperationReceipt", Fault.result(None), times=6)
    _done(rig.run("buy", "50", "--yes", "-w", "f5", "-n", "proxied"))
    assert rig.bundler.faulted("eth_getUserOperationReceipt") == 6
    assert rig.bundler.delivered(SEND) == 1
    assert list(_consistent(rig, owner).values()) == [True]


# -- F7 the operation is never mined ----------------------------------------------------------
def test_f7_never_mined_not_resent_open_until_a_new_preview_takes_its_nonce(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f7")
    rig.bundler.rule(SEND, Fault.result(rig.op_hash), times=1)  # accepted, then lost
    failed = rig.run(
        "buy", "50", "--yes", "-w", "f7", "-n", "proxied", INDEXVAULT_INCLUSION_TIMEOUT_S="1"
    )
    _words(failed, "was not included within 1 s", "it will not be sent again")
    assert isinstance(failed.exception, NotIncludedYet)
    assert rig.bundler.delivered(SEND) == 0
    held = rig.run("log", "-w", "f7", "-n", "proxied")
    assert "is still open (no trace on chain yet" in held.output, held.output
    _done(rig.run("buy", "50", "--yes", "-w", "f7", "-n", "proxied"))
    assert rig.bundler.delivered(SEND) == 1
    _dropped_once_its_nonce_is_used(rig, "f7")
    assert list(_consistent(rig, owner).values()) == [True]


# -- F8 the nonce is used by another sender ------------------------------------------------------
def test_f8_nonce_used_by_another_operation_refused_before_sending(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f8")
    with open_session("proxied", signer=LocalKeySigner(owner)) as session:
        stale = session.preview_buy(50 * USDC)  # type: ignore[arg-type]
        _done(rig.run("buy", "60", "--yes", "-w", "f8", "-n", "proxied"))  # takes the nonce
        with pytest.raises(AccountMoved, match="was used since preview"):
            session.confirm(stale)
    assert rig.bundler.delivered(SEND) == 1  # only the other one
    assert list(_consistent(rig, owner).values()) == [True]


# -- F9 the bundler rejects ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("AA21 didn't pay prefund", "the smart account cannot pay for gas"),
        ("AA23 reverted", "the smart account refused to validate the operation"),
        ("AA25 invalid account nonce", "nonce already used"),
        ("AA33 reverted", "paymaster"),
    ],
)
def test_f9_bundler_rejects_dropped_and_the_same_buy_again_lands(
    rig: Rig, code: str, words: str
) -> None:
    """Issue 15: after a rejection the same `buy` was refused as "already submitted"."""
    rig.reset()
    name = "f9" + code[:4].lower()
    owner = _wallet(rig, name)
    rig.bundler.rule(SEND, Fault.rpc_error(-32500, code), times=1)
    failed = rig.run("buy", "50", "--yes", "-w", name, "-n", "proxied")
    _words(failed, "the operation was not executed", words)
    assert isinstance(failed.exception, UserOpRejected)
    assert rig.bundler.delivered(SEND) == 0
    _done(rig.run("buy", "50", "--yes", "-w", name, "-n", "proxied"))  # same trade, new quote
    assert rig.bundler.delivered(SEND) == 1
    assert list(_consistent(rig, owner).values()) == [True]


def test_f9_mandate_rejected_then_set(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f9m")
    _done(rig.run("buy", "100", "--yes", "-w", "f9m", "-n", "proxied"))
    rig.bundler.rule(SEND, Fault.rpc_error(-32500, "AA21 didn't pay prefund"), times=1)
    mandate = ("mandate", "set", "-w", "f9m", "--yes", "-n", "proxied")
    _words(rig.run(*mandate), "the smart account cannot pay for gas")
    _done(rig.run(*mandate))
    assert rig.bundler.delivered(SEND) == 2  # the buy and the mandate, once each
    assert list(_consistent(rig, owner).values()) == [True, True]


# -- F11 a crash between each pair of journal steps ----------------------------------------------
@pytest.mark.parametrize(
    "point", ["confirm.confirmed", "confirm.journaled", "confirm.broadcast", "confirm.done"]
)
def test_f11_crash_at_each_step_settled_by_the_next_command(rig: Rig, point: str) -> None:
    rig.reset()
    name = "f11" + point.split(".")[1][:4]
    owner = _wallet(rig, name)
    env = {**os.environ, **rig.env(INDEXVAULT_CRASH_AT=point)}
    died = subprocess.run(
        [*CLI, "buy", "50", "--yes", "-w", name, "-n", "proxied"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert died.returncode == -9, died.stdout + died.stderr  # killed where it was told
    sent = rig.bundler.delivered(SEND)
    assert sent == (1 if point in ("confirm.broadcast", "confirm.done") else 0)
    _wait_for_ops(rig, owner, sent)
    held = rig.run("holdings", "-w", name, "-n", "proxied")
    assert held.exit_code == 0, held.output
    expected = {
        "confirm.confirmed": None,  # nothing submitted: nothing to settle
        "confirm.journaled": "is still open (no trace on chain yet",  # the next buy replaces it
        "confirm.broadcast": "included in block",
        "confirm.done": None,  # everything journaled already
    }[point]
    if expected is None:
        assert "from an earlier run" not in held.output, held.output
    else:
        assert expected in held.output, held.output
    assert rig.bundler.delivered(SEND) == sent  # settling never sends
    _done(rig.run("buy", "50", "--yes", "-w", name, "-n", "proxied"))
    assert rig.bundler.delivered(SEND) == sent + 1
    if point == "confirm.journaled":
        _dropped_once_its_nonce_is_used(rig, name)
    assert len(_consistent(rig, owner)) == sent + 1
    assert all(_consistent(rig, owner).values())


def test_f11_a_crashed_buy_that_landed_stops_the_next_buy_once(rig: Rig) -> None:
    """The user runs the buy again after a crash, not knowing the first one landed: the
    new command's settle finds it executed and stops before previewing, once (a repeated
    `--yes` would otherwise buy twice); run again, the command proceeds."""
    rig.reset()
    owner = _wallet(rig, "f11seen")
    env = {**os.environ, **rig.env(INDEXVAULT_CRASH_AT="confirm.broadcast")}
    died = subprocess.run(
        [*CLI, "buy", "50", "--yes", "-w", "f11seen", "-n", "proxied"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert died.returncode == -9, died.stdout + died.stderr
    _wait_for_ops(rig, owner, 1)  # it landed after the process died
    again = rig.run("buy", "50", "--yes", "-w", "f11seen", "-n", "proxied")
    _words(again, "from an earlier run has executed after all", "nothing new was previewed")
    assert isinstance(again.exception, EarlierRunLanded)
    assert rig.bundler.delivered(SEND) == 1  # the repeat was not sent
    _done(rig.run("buy", "50", "--yes", "-w", "f11seen", "-n", "proxied"))  # decided knowingly
    assert rig.bundler.delivered(SEND) == 2
    assert list(_consistent(rig, owner).values()) == [True, True]


# -- F10 the price moves between preview and confirm ------------------------------------------
@dataclass
class _Trader:
    """Another trader on the local market (what price_moves.set_prices needs)."""

    chain: Any
    deployer: Any
    book: Any


def test_f10_price_moved_since_the_preview_refused_nothing_sent(rig: Rig) -> None:
    from orchestrator.chain import Transactor
    from orchestrator.localmarket.addressbook import AddressBook
    from orchestrator.localmarket.price_moves import set_prices

    rig.reset()
    owner = _wallet(rig, "f10")
    with open_session("proxied", signer=LocalKeySigner(owner)) as session:
        preview = session.preview_buy(200 * USDC)  # type: ignore[arg-type]
        symbol = preview.legs[0].symbol
        book = AddressBook.load(resolve_network("local").address_book)
        chain = connect_node(local_dir())
        try:
            target = book.token(symbol).snapshot_price_usd * Decimal("1.25")
            moved = set_prices(_Trader(chain, Transactor(chain, chain.accounts[0]), book),
                               {symbol: target})  # fmt: skip
            assert moved[0].reached
        finally:
            chain.close()
        with pytest.raises(PriceUpdated) as caught:
            session.confirm(preview)
    assert symbol in str(caught.value)
    assert rig.bundler.delivered(SEND) == 0  # refused before anything was sent
    assert _consistent(rig, owner) == {}


# -- the keeper against a dead node ------------------------------------------------------------
def test_keeper_against_a_refusing_node_retries_then_says_so(rig: Rig) -> None:
    rig.reset()
    rig.node.refuse()
    try:
        started = time.monotonic()
        result = rig.run("keeper", "run", "--once", "-n", "proxied",
                         INDEXVAULT_KEEPER_BACKOFF_S="0.2")  # fmt: skip
        elapsed = time.monotonic() - started
    finally:
        rig.node.start()
    error = result.exception
    assert isinstance(error, KeeperStopped), result.output
    assert f"the node at {rig.node.url} did not answer" in str(error)
    assert "after 4 attempts" in str(error)
    assert elapsed >= 0.2 + 0.4 + 0.8  # it backed off between its attempts
    assert rig.sends() == 0


# -- F6 a reorg drops the block with our operation (last: it rewinds the chain) ---------------
def test_f6_reorg_drops_our_block_the_journal_follows_the_chain(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f6")
    chain = connect_node(local_dir())
    try:
        before = chain.snapshot()
        _done(rig.run("buy", "50", "--yes", "-w", "f6", "-n", "proxied"))
        assert len(_consistent(rig, owner)) == 1
        chain.revert_to(before)  # the block with our operation is gone
    finally:
        chain.close()
    assert _on_chain(rig, owner) == {}
    held = rig.run("holdings", "-w", "f6", "-n", "proxied")
    assert held.exit_code == 0, held.output
    assert "is no longer on the chain: a reorg" in held.output, held.output
    assert "is still open" in held.output  # no proof it is dead: it may be re-included
    assert rig.bundler.delivered(SEND) == 1  # settling never re-sends
    # the same buy again, after the rewind, is the very op alto remembers as included: its
    # receipt is checked against the node and refused, nothing recorded
    lied = rig.run("buy", "50", "--yes", "-w", "f6", "-n", "proxied")
    _words(lied, "which the node does not have (a reorg?)", "it will not be sent again")
    assert isinstance(lied.exception, ReceiptNotOnChain)
    assert rig.bundler.delivered(SEND) == 1
    _done(rig.run("buy", "60", "--yes", "-w", "f6", "-n", "proxied"))  # on the same nonce
    _dropped_once_its_nonce_is_used(rig, "f6")
    assert list(_consistent(rig, owner).values()) == [True]  # only what the chain has
