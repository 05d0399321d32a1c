"""The fault matrix, second part (docs/reliability.md): faults shaped by time (F3 a node or
bundler past the client's timeout, or slow but in time; F5 a lagging node; F6 a reorg at
the same height) and keeper cycles under the proxy (F1, F2, F4, F5, F7), on a local node
of its own behind the same two proxies as `test_fault_matrix.py`.

No sleep synchronises anything: a held request waits on a `Gate` the test releases, and
the test waits on the gate's `arrived` event. Each case counts the sends at the proxies,
and checks that the journal (the user's, or the keeper's own) says what the chain says."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from orchestrator.chain.backends import dev_accounts
from orchestrator.chain.localnode import connect_node
from orchestrator.chain.vault_binding import REBALANCED
from orchestrator.errors import KeeperStopped, RpcUnavailable
from orchestrator.keeper.journal import ActionState, KeeperJournal
from orchestrator.ledger.journal import Journal
from orchestrator.networks import local_dir
from orchestrator.service import (
    LOCAL_KEEPER_ACCOUNT,
    LocalKeySigner,
    keeper_run_once,
    open_session,
)
from orchestrator.wallet.keystore import Keystore
from tests.faults.proxy import Fault, Gate
from tests.faults.test_fault_matrix import (
    PASSWORD,
    SEND,
    Rig,
    _accounts,
    _consistent,
    _done,
    _on_chain,
    _wait_for_ops,
    _wallet,
    _words,
)
from tests.keeper.test_keeper_cli import _bear_date

pytestmark = pytest.mark.anvil

RAW = "eth_sendRawTransaction"
RECEIPT = "eth_getUserOperationReceipt"


def _buy(rig: Rig, name: str, usdc: str = "50", **env: str) -> Any:
    return rig.run("buy", usdc, "--yes", "-w", name, "-n", "proxied", **env)


# -- F3 a node or a bundler past the client's timeout, or slow but in time ------------------
def test_f3_node_read_past_the_timeout_retried_as_a_read_then_said_nothing_sent(
    rig: Rig,
) -> None:
    rig.reset()
    _wallet(rig, "f3t")
    gate = Gate()
    rig.node.rule("eth_chainId", Fault.hold(gate, deliver=False, answer=False))
    try:
        failed = _buy(rig, "f3t", INDEXVAULT_RPC_TIMEOUT_S="0.1")
    finally:
        gate.release()
    _words(failed, f"the node at {rig.node.url} did not answer eth_chainId: it did not answer "
           "in time (timed out)")  # fmt: skip
    assert isinstance(failed.exception, RpcUnavailable)
    assert rig.node.arrived("eth_chainId") == 5  # a read: web3 tried it 5 times, no more
    assert rig.sends() == 0


def test_f3_bundler_answers_the_send_past_the_timeout_never_resent_settled_included(
    rig: Rig,
) -> None:
    rig.reset()
    owner = _wallet(rig, "f3s")
    gate = Gate()
    rig.bundler.rule(SEND, Fault.hold(gate, deliver=True), times=1)  # taken; answer late
    try:
        failed = _buy(rig, "f3s", INDEXVAULT_BUNDLER_TIMEOUT_S="3")
    finally:
        gate.release()
    _words(failed, f"the bundler at {rig.bundler.url} did not answer eth_sendUserOperation in "
           "time (timed out)")  # fmt: skip
    assert rig.bundler.arrived(SEND) == rig.bundler.delivered(SEND) == 1  # never re-sent
    _wait_for_ops(rig, owner, 1)
    held = rig.run("holdings", "-w", "f3s", "-n", "proxied")
    assert held.exit_code == 0, held.output
    assert "from an earlier run: included in block" in held.output, held.output
    assert rig.bundler.arrived(SEND) == 1  # settled from the chain, not sent again
    assert list(_consistent(rig, owner).values()) == [True]


def test_f3_slow_but_in_time_the_client_waits_and_sends_once(rig: Rig) -> None:
    rig.reset()
    owner = _wallet(rig, "f3w")
    gate = Gate()
    rig.bundler.rule(SEND, Fault.hold(gate, deliver=True), times=1)
    outcome: list[Any] = []
    buyer = threading.Thread(target=lambda: outcome.append(_buy(rig, "f3w")))
    buyer.start()
    try:
        assert gate.arrived.wait(120), "the send never reached the bundler"
        # held: the client is waiting for the answer, its submission journaled and open
        assert buyer.is_alive()
        with Journal(rig.home / "journal.sqlite") as journal:
            assert [s.state for s in journal.entries(owner=_account(rig, owner))] == ["submitted"]
    finally:
        gate.release()
        buyer.join(timeout=300)
    _done(outcome[0])
    assert rig.bundler.arrived(SEND) == rig.bundler.delivered(SEND) == 1
    assert list(_consistent(rig, owner).values()) == [True]


def _account(rig: Rig, owner: LocalAccount) -> str:
    return _accounts[owner.address]


# -- F5 a lagging node: stale block number, receipts missing for a while -----------------------
def test_f5_lagging_node_stale_head_and_late_receipts_buy_sell_mandate_land_once(
    rig: Rig,
) -> None:
    """The node says its head is the block before this wallet's first operation, for every
    command here, and the bundler has no receipt for each operation the first 2 times it is
    asked. Each command keeps polling and lands once. The next start does not take the
    stale head for a reorg: its receipts are "above the head", but the node still has each
    transaction in its block, so nothing is forgotten or said."""
    rig.reset()
    owner = _wallet(rig, "f5")
    with connect_node(local_dir()) as chain:
        stale = chain.block_number()
    rig.node.rule("eth_blockNumber", Fault.result(hex(stale)))
    commands = (
        ("buy", "200", "--yes", "-w", "f5", "-n", "proxied"),
        ("sell", "--percent", "50", "--yes", "-w", "f5", "-n", "proxied"),
        ("mandate", "set", "-w", "f5", "--yes", "-n", "proxied"),
    )
    for sent, command in enumerate(commands, start=1):
        rig.bundler.rule(RECEIPT, Fault.result(None), times=2)
        _done(rig.run(*command))
        assert rig.bundler.faulted(RECEIPT) == 2 * sent  # it kept asking
        assert rig.bundler.arrived(SEND) == rig.bundler.delivered(SEND) == sent  # once each
    held = rig.run("holdings", "-w", "f5", "-n", "proxied")
    assert held.exit_code == 0, held.output
    assert rig.node.faulted("eth_blockNumber") > 0  # the stale head was read
    assert rig.bundler.arrived(SEND) == 3  # settling never sends
    assert list(_consistent(rig, owner).values()) == [True, True, True]
    assert "a reorg" not in held.output, held.output  # a stale head is not a reorg
    assert "from an earlier run" not in held.output, held.output  # nothing re-settled


# -- keeper cycles under the proxy -------------------------------------------------------------
KEEPER = dev_accounts()[LOCAL_KEEPER_ACCOUNT]


@pytest.fixture(scope="module")
def bear() -> str:
    return _bear_date()


@pytest.fixture
def vault(rig: Rig, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh vault holding tokens, opted in to the keeper, in a new week (a new weekly
    cycle) with the pools' TWAP covering its window: a bear cycle must rebalance it."""
    rig.reset()
    parts = request.node.name.split("_")  # test_keeper_f4_send_... -> kf4send: one per test
    name = "k" + parts[2] + parts[3][:4]
    owner = _wallet(rig, name)
    _done(rig.run("buy", "300", "--yes", "-w", name, "-n", "local"))
    mandate = rig.run("mandate", "set", "--yes", "-w", name, "-n", "local", "--twap-window",
                      "30m", "--min-interval", "1h", "--max-slippage-bps", "300")  # fmt: skip
    assert mandate.exit_code == 0, mandate.output
    advanced = rig.run("local", "advance", "7d")
    assert advanced.exit_code == 0, advanced.output
    with open_session("local", signer=LocalKeySigner(owner)) as session:
        yield session.vault


def _keeper(rig: Rig, bear: str, **env: str) -> Any:
    """`keeper run --once` on the proxied network (not local: the keeper's own keystore)."""
    keystore = Keystore(rig.home / "keystores")
    if "keeper" not in keystore.names():
        keystore.import_key("keeper", KEEPER.key.hex(), PASSWORD, scrypt_n=16)
    return rig.run("keeper", "run", "--once", "--as-of", bear, "-n", "proxied", "-w", "keeper",
                   INDEXVAULT_KEEPER_BACKOFF_S="0.05", **env)  # fmt: skip


def _rebalances(vault: str) -> list[str]:
    """Transaction hashes of the vault's `Rebalanced` events on chain."""
    with connect_node(local_dir()) as chain:
        logs = chain.logs(vault, ["0x" + REBALANCED.topic.hex()], from_block=0, to_block="latest")
    return ["0x" + bytes(log["transactionHash"]).hex() for log in logs]


def _keeper_consistent(rig: Rig, vault: str) -> str:
    """The keeper's journal says what the chain says for `vault`: nothing left submitted,
    one `done` action per Rebalanced event, with its transaction hash and block."""
    with KeeperJournal(rig.home / "keeper-proxied.sqlite") as journal:
        assert journal.submitted() == [], "left open"
        actions = [a for c in journal.cycles() for a in journal.actions(c.cycle_id)]
    done = [a for a in actions if a.vault.lower() == vault.lower() and a.state is ActionState.DONE]
    on_chain = _rebalances(vault)
    assert [a.tx_hash for a in done] == on_chain
    with connect_node(local_dir()) as chain:
        for action in done:
            assert action.tx_hash is not None
            receipt = chain.receipt(HexBytes(action.tx_hash))
            assert receipt is not None
            assert receipt["status"] == 1
            assert int(receipt["blockNumber"]) == action.block_number
    return on_chain[0] if on_chain else ""


def _raw_sends(rig: Rig) -> tuple[int, int, int]:
    """(arrived, distinct signed transactions among them, delivered) at the node's proxy."""
    arrived = rig.node.sends_arrived(RAW)
    return len(arrived), len({str(raw).lower() for raw in arrived}), rig.node.delivered(RAW)


def test_keeper_f1_node_refuses_then_returns_the_run_retries_and_rebalances_once(
    rig: Rig, vault: str, bear: str
) -> None:
    """Through the facade: the keeper's backoff is a `sleep` the test owns, and the node
    comes back during it (no wall-clock wait)."""
    slept: list[float] = []

    def back_during_the_backoff(seconds: float) -> None:
        slept.append(seconds)
        rig.node.start()

    rig.node.refuse()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("INDEXVAULT_KEEPER_BACKOFF_S", "0.05")
            report, _ = keeper_run_once(
                "proxied", LocalKeySigner(KEEPER), as_of=datetime.date.fromisoformat(bear),
                sleep=back_during_the_backoff,
            )  # fmt: skip
    finally:
        if not rig.node.listening:
            rig.node.start()
    assert slept == [0.05]  # refused once, backed off once, then the run went through
    assert [o.state for o in report.outcomes if o.vault.lower() == vault.lower()] == [
        ActionState.DONE
    ]
    arrived, distinct, delivered = _raw_sends(rig)
    assert arrived == distinct == delivered >= 1  # other opted-in vaults may share the cycle
    assert len(_rebalances(vault)) == 1
    _keeper_consistent(rig, vault)


def test_keeper_f2_503_on_the_send_and_receipts_lagging_rebroadcast_once_done(
    rig: Rig, vault: str, bear: str
) -> None:
    """F2 + F5 for the keeper: the node answers the first eth_sendRawTransaction with HTTP
    503 (not delivered) and has no receipt for a while. web3 does not retry a send; the
    keeper's vault step is retried, finds the nonce still free and re-broadcasts the same
    signed bytes (one transaction, never two)."""
    rig.node.rule(RAW, Fault.http(503), times=1)
    rig.node.rule("eth_getTransactionReceipt", Fault.result(None), times=3)
    run = _keeper(rig, bear)
    assert run.exit_code == 0, run.output + repr(run.exception)
    assert "done" in run.output, run.output
    arrived, distinct, delivered = _raw_sends(rig)
    assert rig.node.faulted(RAW) == 1
    assert rig.node.faulted("eth_getTransactionReceipt") == 3
    assert (arrived, distinct, delivered) == (2, 1, 1)  # the same bytes again, delivered once
    assert len(_rebalances(vault)) == 1
    _keeper_consistent(rig, vault)


def test_keeper_f4_garbled_answers_stop_the_run_in_words_then_the_next_run_rebalances(
    rig: Rig, vault: str, bear: str
) -> None:
    rig.node.rule("eth_estimateGas", Fault.garbage())
    started = time.monotonic()
    stopped = _keeper(rig, bear)
    elapsed = time.monotonic() - started
    error = stopped.exception
    assert isinstance(error, KeeperStopped), stopped.output
    text = str(error)
    assert "after 4 attempts" in text, text
    assert "did not answer eth_estimateGas: its answer was not valid JSON" in text, text
    assert "JSONDecodeError" not in text
    assert elapsed >= 0.05 + 0.1 + 0.2  # it backed off between its attempts
    assert rig.node.faulted("eth_estimateGas") == 4  # 4 attempts, not 4 runs of 4
    assert _raw_sends(rig) == (0, 0, 0)
    _keeper_consistent(rig, vault)  # nothing signed, nothing open
    rig.reset()
    again = _keeper(rig, bear)
    assert again.exit_code == 0, again.output + repr(again.exception)
    assert _raw_sends(rig) == (1, 1, 1)
    assert len(_rebalances(vault)) == 1
    _keeper_consistent(rig, vault)


def test_keeper_f4_send_delivered_answer_garbled_not_resent_settled_from_the_chain(
    rig: Rig, vault: str, bear: str
) -> None:
    rig.node.rule(RAW, Fault.garbage(deliver=True), times=1)
    run = _keeper(rig, bear)
    assert run.exit_code == 0, run.output + repr(run.exception)
    assert _raw_sends(rig) == (1, 1, 1)  # it arrived: the retry looked at the chain first
    assert len(_rebalances(vault)) == 1
    _keeper_consistent(rig, vault)


def _tx_hash(params: list[Any]) -> str:
    return "0x" + keccak(HexBytes(params[0])).hex()


def test_keeper_f7_never_mined_stops_in_words_next_run_rebroadcasts_the_same_bytes(
    rig: Rig, vault: str, bear: str
) -> None:
    rig.node.rule(RAW, Fault.result(_tx_hash))  # "accepted", never delivered: never mined
    stopped = _keeper(rig, bear, INDEXVAULT_INCLUSION_TIMEOUT_S="1")
    error = stopped.exception
    assert isinstance(error, KeeperStopped), stopped.output
    assert "after 4 attempts" in str(error), str(error)
    assert "was not included within 1 s" in str(error), str(error)
    _, distinct, delivered = _raw_sends(rig)
    assert (distinct, delivered) == (1, 0)  # one signed transaction, re-broadcast, never new
    with KeeperJournal(rig.home / "keeper-proxied.sqlite") as journal:
        open_actions = journal.submitted()
    assert [a.vault.lower() for a in open_actions] == [vault.lower()]  # kept, bytes and all
    rig.reset()
    again = _keeper(rig, bear)
    assert again.exit_code == 0, again.output + repr(again.exception)
    assert _raw_sends(rig)[1:] == (1, 1)
    assert _rebalances(vault) == [open_actions[0].tx_hash]  # the journaled one landed
    _keeper_consistent(rig, vault)


# -- F6 a reorg at the same height (last: it rewinds the chain) ------------------------------
def test_f6_same_height_reorg_is_detected_the_journal_follows_the_chain(rig: Rig) -> None:
    """The block with our operation is replaced by another block at the same height. The
    next start asks the node for each recent receipt's transaction: gone, so the receipt is
    forgotten and its submission settled again (still open: nothing proves it dead); the
    next buy takes its nonce and it is dropped. Never re-sent."""
    rig.reset()
    owner = _wallet(rig, "f6h")
    with connect_node(local_dir()) as chain:
        before = chain.snapshot()
        start = chain.block_number()
        _done(_buy(rig, "f6h"))
        (op,) = _consistent(rig, owner)
        with Journal(rig.home / "journal.sqlite") as journal:
            (entry,) = [e for e in journal.entries(owner=_account(rig, owner)) if e.receipt]
        assert entry.receipt is not None
        height = entry.receipt.block_number
        lost_hash = chain.w3.eth.get_block(height)["hash"]
        chain.revert_to(before)
        for _ in range(height - start):
            chain.increase_time(1)  # another block (another timestamp) at each height
        assert chain.block_number() == height
        assert chain.w3.eth.get_block(height)["hash"] != lost_hash
        assert chain.receipt(HexBytes(entry.receipt.tx_hash)) is None
    assert _on_chain(rig, owner) == {}  # the chain lost the operation
    held = rig.run("holdings", "-w", "f6h", "-n", "proxied")
    assert held.exit_code == 0, held.output
    assert f"(its block {height} is no longer on the chain: a reorg)" in held.output
    assert "is still open" in held.output, held.output
    with Journal(rig.home / "journal.sqlite") as journal:
        states = [e.state for e in journal.entries(owner=_account(rig, owner)) if e.submission]
    assert states == ["submitted"]  # no longer claimed
    assert op not in _on_chain(rig, owner)
    assert rig.bundler.arrived(SEND) == 1  # never re-sent
    _done(_buy(rig, "f6h", "60"))  # takes its nonce (a different amount: another op)
    after = rig.run("holdings", "-w", "f6h", "-n", "proxied")
    assert "dropped nonce" in after.output, after.output
    assert list(_consistent(rig, owner).values()) == [True]
