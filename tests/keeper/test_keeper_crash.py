"""Crash safety with a real process: `indexvault keeper run --once` against a real
JSON-RPC node (anvil) is killed at chosen points (fault injection: the process dies with
`os._exit`, no cleanup) at chosen and at randomly drawn points; a restart finishes the
cycle.
Afterwards every opted-in vault was rebalanced exactly once — one `Rebalanced` event and
one keeper transaction each — and none was skipped."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from orchestrator.keeper.cycle import CRASH_ENV
from orchestrator.keeper.journal import ActionState, KeeperJournal
from orchestrator.networks import NetworkConfig
from orchestrator.service import LOCAL_KEEPER_ACCOUNT, LocalMarket, open_local_market
from orchestrator.wallet.keystore import Keystore
from tests.keeper.conftest import USDC, KeeperEnv, make_kenv

pytestmark = pytest.mark.anvil

PASSWORD = "keeper password"
VAULTS = 3
REBALANCED = "0x" + keccak(text="Rebalanced(address,uint256,uint256)").hex()


@pytest.fixture(scope="module")
def node() -> Iterator[LocalMarket]:
    market = open_local_market(chain_target="anvil", tokens=5)
    try:
        yield market
    finally:
        market.close()


@pytest.fixture
def setup(node: LocalMarket, tmp_path: Path) -> Iterator[tuple[KeeperEnv, Path]]:
    """Three opted-in vaults on the node, a network file pointing at it, a keeper keystore."""
    snapshot = node.chain.snapshot()
    home = tmp_path / "home"
    (home / "networks").mkdir(parents=True)
    try:
        with KeeperJournal(tmp_path / "unused.sqlite") as scratch:
            kenv = make_kenv(node, scratch)
            symbols = [t.symbol for t in node.book.tokens]
            for i in range(VAULTS):
                vault = kenv.open_vault(f"crash{i}", buy_usdc=1_500 * USDC, symbols=symbols[:1])
                kenv.set_mandate(vault)
            kenv.chain.increase_time(1_900)
            node.book.save(home / "addressbook.json")
            url = str(node.chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
            config = NetworkConfig(name="node", rpc_url=url, chain_id=node.chain.chain_id,
                                   address_book=home / "addressbook.json")  # fmt: skip
            (home / "networks" / "node.json").write_text(config.model_dump_json())
            key = node.chain.accounts[LOCAL_KEEPER_ACCOUNT].key
            Keystore(home / "keystores").import_key("keeper", key.hex(), PASSWORD, scrypt_n=16)
            yield kenv, home
    finally:
        node.chain.revert_to(snapshot)
        node.deployer.resync()


def _keeper(home: Path, crash_at: str | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "INDEXVAULT_HOME": str(home), "INDEXVAULT_PASSWORD": PASSWORD}
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    argv = [sys.executable, "-c", "from orchestrator.cli import main; main()",
            "keeper", "run", "--once", "--network", "node", "--wallet", "keeper"]  # fmt: skip
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=180)
    return proc.returncode, out.decode()


def _assert_each_vault_rebalanced_once(kenv: KeeperEnv, home: Path) -> None:
    chain = kenv.chain
    logs = chain.w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "topics": [REBALANCED]})
    per_vault: dict[str, int] = {}
    for log in logs:
        per_vault[log["address"]] = per_vault.get(log["address"], 0) + 1
    with KeeperJournal(home / "keeper-node.sqlite") as journal:
        cycle = journal.cycles()[0]
        actions = journal.actions(cycle.cycle_id)
        assert cycle.finished
    assert len(actions) == VAULTS
    assert all(a.state is ActionState.DONE for a in actions), actions
    assert per_vault == {a.vault: 1 for a in actions}
    keeper = chain.accounts[LOCAL_KEEPER_ACCOUNT].address
    assert chain.w3.eth.get_transaction_count(keeper) == VAULTS  # no extra transaction


@pytest.mark.parametrize("crash_at", ["signed:1", "signed:2", "broadcast:2", "done:1"])
def test_killed_at_a_point_then_restarted_finishes_the_cycle_once(
    setup: tuple[KeeperEnv, Path], crash_at: str
) -> None:
    kenv, home = setup
    code, out = _finish(_keeper(home, crash_at))
    assert code == 86, out  # the injected death, not a clean exit
    code, out = _finish(_keeper(home))
    assert code == 0, out
    assert "cycle finished" in out, out
    _assert_each_vault_rebalanced_once(kenv, home)


@pytest.mark.parametrize("seed", [1, 2])
def test_killed_at_a_random_point_mid_cycle_then_restart(
    setup: tuple[KeeperEnv, Path], seed: int
) -> None:
    """A random crash point (which step, at which vault), chosen by the test and injected
    by the hook, so the run provably dies mid-cycle (exit 86, the cycle left unfinished in
    the journal), not wherever a sleep happened to end."""
    kenv, home = setup
    point = random.Random(seed).choice(["signed", "broadcast", "done"])
    nth = random.Random(seed * 7).randint(1, VAULTS)
    code, out = _finish(_keeper(home, f"{point}:{nth}"))
    assert code == 86, out  # it died at the injected point
    with KeeperJournal(home / "keeper-node.sqlite") as journal:
        assert not journal.cycles()[0].finished  # mid-cycle
    code, out = _finish(_keeper(home))
    assert code == 0, out
    _assert_each_vault_rebalanced_once(kenv, home)
