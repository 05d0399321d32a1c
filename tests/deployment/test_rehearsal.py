"""The rehearsal: what a Sepolia user types, on a local chain that plays Sepolia (chain id
11155111, the canonical contracts, Uniswap V3 and USDC deployed once as "the public
chain", alto as the bundler), from a fresh $INDEXVAULT_HOME whose network file is shaped
exactly like deploy/networks/sepolia.json. `make rehearsal` runs this file and prints the
measured gas and ETH of each step (also written to .bench/rehearsal.json).

deploy --dry-run, deploy, deploy again (nothing sent: the deployer's nonce is counted), a
second user's wallet create, funding (the faucet), buy, holdings, sell --percent 50,
mandate set, keeper run --once, log. Every user operation is looked up by its hash in
alto (eth_getUserOperationReceipt): alto carried it, in a bundle sent by alto's executor."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from typer.testing import CliRunner

from orchestrator.chain.backends import connect_rpc, dev_accounts
from orchestrator.chain.calls import call_raw
from orchestrator.chain.vault_binding import Function
from orchestrator.cli import app
from orchestrator.deployment.rehearsal import BUNDLER_EXECUTOR_ACCOUNT, PublicChain, faucet
from orchestrator.ledger.journal import Journal
from orchestrator.service import open_session
from tests.deployment.conftest import HomeFactory

pytestmark = pytest.mark.anvil

TEST_MARKET = 4
DEPTH_USD = "200000"
DEPLOYER_KEY = keccak(text="rehearsal deployer")
GWEI = 10**9
IMPLEMENTATION = Function("VaultFactory", "implementation()", ("address",))


def _run(*args: str) -> str:
    """One command as a user types it; `make rehearsal` (pytest -s) shows it and its output."""
    done = CliRunner().invoke(app, list(args))
    print(f"\n$ indexvault {' '.join(args)}\n{done.output}")
    assert done.exit_code == 0, f"{' '.join(args)}\n{done.output}"
    return done.output


def _nonce(public: PublicChain, address: str) -> int:
    with connect_rpc(public.rpc_url) as chain:
        return chain.tx_count(address)


def _alto_receipt(public: PublicChain, user_op_hash: str) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getUserOperationReceipt",
            "params": [user_op_hash]}  # fmt: skip
    reply = httpx.post(public.bundler_url, json=body, timeout=10).json()
    assert reply.get("result"), f"alto does not know {user_op_hash}: {reply}"
    return dict(reply["result"])


def test_a_sepolia_user_deploys_and_trades_through_alto(
    public: PublicChain, fresh_home: HomeFactory, tmp_path: Path
) -> None:
    home = fresh_home()
    measured: dict[str, Any] = {}
    key_file = tmp_path / "deployer.key"
    key_file.write_text(DEPLOYER_KEY.hex())
    _run("wallet", "import", "deployer", "--key-file", str(key_file), "--scrypt-n", "16")
    deployer = Account.from_key(DEPLOYER_KEY).address
    market = ["--with-test-market", str(TEST_MARKET), "--pool-depth-usd", DEPTH_USD]

    # the dry run says what is missing before anything is funded, and sends nothing
    dry = _run("deploy", "--network", "sepolia", "--dry-run", "-w", "deployer", *market)
    assert "code at all 10 canonical addresses" in dry
    assert "pool init-code hash matches" in dry
    assert "missing:" in dry
    assert "deployer balance: 0.000000 ETH" in dry
    assert _nonce(public, deployer) == 0

    faucet(public, deployer, eth_wei=20 * 10**18, usdc_units=TEST_MARKET * 150_000 * 10**6)
    sent = _run("deploy", "--network", "sepolia", "-w", "deployer", "--yes", *market)
    steps = 1 + 1 + 6 * TEST_MARKET  # factory, USDC approval, six per token
    assert _nonce(public, deployer) == steps
    assert f"sent {steps} transaction(s)" in sent
    record = json.loads((home / "deployments" / "sepolia.json").read_text())
    assert record["chain_id"] == 11_155_111
    assert len(record["transactions"]) == steps
    assert (home / "deployments" / "sepolia.standard-input.json").exists()
    factory_gas = next(t["gas_used"] for t in record["transactions"]
                       if t["step"] == "platform:VaultFactory")  # fmt: skip
    measured["deploy_gas.platform"] = factory_gas
    measured["deploy_gas.test_market"] = (
        sum(t["gas_used"] for t in record["transactions"]) - factory_gas
    )

    with connect_rpc(public.rpc_url) as chain:  # the implementation is where it was predicted
        on_chain = IMPLEMENTATION.decode(
            call_raw(chain, record["platform"]["vault_factory"], IMPLEMENTATION.call())
        )[0]
    assert on_chain.lower() == record["platform"]["index_vault_implementation"].lower()

    again = _run("deploy", "--network", "sepolia", "-w", "deployer", "--yes", *market)
    assert "nothing to send" in again
    assert _nonce(public, deployer) == steps  # not one more transaction

    # a second user, on the same network, through alto
    _run("wallet", "create", "alice", "--scrypt-n", "16")
    with open_session("sepolia", "alice") as session:
        account = session.account
        tokens = {t.symbol for t in session.book.tokens}
    assert len(tokens) == TEST_MARKET  # every test pool has liquidity: all discovered
    faucet(public, account, eth_wei=10**18, usdc_units=5_000 * 10**6)

    bought = _run("buy", "1000", "--network", "sepolia", "-w", "alice", "--yes")
    assert "index constituents" in bought  # the preview says who was left out, and why
    held = _run("holdings", "--network", "sepolia", "-w", "alice")
    assert any(symbol in held for symbol in tokens)
    _run("sell", "--percent", "50", "--network", "sepolia", "-w", "alice", "--yes")
    _run("mandate", "set", "--network", "sepolia", "-w", "alice", "--keeper", deployer, "--yes")
    keeper = _run("keeper", "run", "--once", "--network", "sepolia", "-w", "deployer")
    assert "vault" in keeper.lower()
    log = _run("log", "--network", "sepolia", "-w", "alice")
    assert "buy" in log.lower()
    assert "sell" in log.lower()

    executor = dev_accounts()[BUNDLER_EXECUTOR_ACCOUNT].address.lower()
    with Journal(home / "journal.sqlite") as journal:
        entries = [e for e in journal.entries() if e.submission is not None]
    kinds = [e.preview.kind for e in entries]
    assert len(entries) == 3, kinds  # buy, sell, mandate: three user operations
    for entry in entries:
        assert entry.submission is not None
        assert entry.receipt is not None
        assert entry.receipt.success
        receipt = _alto_receipt(public, entry.submission.user_op_hash)
        assert receipt["success"] is True
        assert receipt["receipt"]["from"].lower() == executor  # alto's bundle, not ours
        measured[f"userop_gas.{entry.preview.kind}"] = int(receipt["actualGasUsed"], 16)
    measured["deploy_cost_eth.at_1gwei.platform"] = str(Decimal(factory_gas * GWEI) / 10**18)
    out = Path(__file__).parents[2] / ".bench"
    out.mkdir(exist_ok=True)
    (out / "rehearsal.json").write_text(json.dumps(measured, indent=2) + "\n")
    print("\nrehearsal measured:", json.dumps(measured, indent=2))
