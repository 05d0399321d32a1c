"""Bad input to `deploy` and to trading on a public network, on the chain that plays
Sepolia: each is a clear error naming what is wrong and what to do, and nothing is sent
(the deployer's nonce is counted); an interrupted deployment is finished by the next run
without sending anything twice; the bundler down sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from typer.testing import CliRunner

from orchestrator.chain.backends import connect_rpc
from orchestrator.chain.daemon import free_port
from orchestrator.cli import app
from orchestrator.deployment.record import DeploymentRecord
from orchestrator.deployment.rehearsal import PublicChain, faucet
from orchestrator.errors import (
    AddressBookMismatch,
    BundlerUnreachable,
    DeployerUnderfunded,
    InputError,
    NotDeployed,
    RpcUnavailable,
    WrongChain,
)
from orchestrator.service import LocalKeySigner, SentTx, deploy, deploy_plan, open_session
from tests.deployment.conftest import HomeFactory

pytestmark = pytest.mark.anvil

DEPTH = Decimal(100_000)
NOWHERE = "0x000000000000000000000000000000000000dEaD"


def _key(label: str) -> LocalAccount:
    return Account.from_key(keccak(text=f"bad input deployer {label}"))


def _nonce(public: PublicChain, address: str) -> int:
    with connect_rpc(public.rpc_url) as chain:
        return chain.tx_count(address)


def _fund(public: PublicChain, key: LocalAccount, *, tokens: int = 0) -> None:
    faucet(public, key.address, eth_wei=20 * 10**18, usdc_units=tokens * 60_000 * 10**6)


def test_wrong_chain_id_for_the_named_network(public: PublicChain, fresh_home: HomeFactory) -> None:
    fresh_home(chain_id=84_532)  # Base Sepolia's id, the node is 11155111
    with pytest.raises(WrongChain) as raised:
        deploy_plan("sepolia", _key("chain").address)
    assert (raised.value.expected, raised.value.actual) == (84_532, 11_155_111)


def test_an_rpc_url_that_does_not_answer(fresh_home: HomeFactory) -> None:
    fresh_home(rpc_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RpcUnavailable):
        deploy_plan("sepolia", _key("rpc").address)


@pytest.mark.parametrize(
    ("entry", "name"),
    [("quoter_v2", "Uniswap QuoterV2"), ("entry_point", "the ERC-4337 EntryPoint v0.8")],
)
def test_a_missing_contract_in_the_address_book(
    public: PublicChain, fresh_home: HomeFactory, entry: str, name: str
) -> None:
    fresh_home(contracts={entry: NOWHERE})
    key = _key(entry)
    _fund(public, key)
    with pytest.raises(AddressBookMismatch) as raised:
        deploy("sepolia", key, confirm=lambda _plan: True)
    assert raised.value.name == name
    assert raised.value.address == NOWHERE
    assert "no code" in raised.value.problem
    assert _nonce(public, key.address) == 0


def test_a_wrong_contract_in_the_address_book(public: PublicChain, fresh_home: HomeFactory) -> None:
    usdc = public.contracts["usdc"]  # has code, but is no Uniswap V3 factory
    fresh_home(contracts={"uniswap_v3_factory": usdc})
    key = _key("factory")
    _fund(public, key)
    with pytest.raises(AddressBookMismatch) as raised:
        deploy("sepolia", key, confirm=lambda _plan: True)
    assert raised.value.address == usdc
    assert "Uniswap V3 factory" in raised.value.name
    assert _nonce(public, key.address) == 0


def test_a_deployer_with_too_little_eth_is_told_how_much(
    public: PublicChain, fresh_home: HomeFactory
) -> None:
    fresh_home()
    key = _key("poor")
    faucet(public, key.address, eth_wei=10**15)  # 0.001 ETH
    plan = deploy_plan("sepolia", key.address)
    assert plan.missing_wei > 0
    with pytest.raises(DeployerUnderfunded) as raised:
        deploy("sepolia", key, confirm=lambda _plan: True)
    error = raised.value
    assert error.asset == "ETH"
    assert error.available == 10**15
    assert error.amount == plan.cost_max_wei
    assert "ETH more" in str(error)
    assert _nonce(public, key.address) == 0


def test_a_deployer_without_the_test_pools_usdc(
    public: PublicChain, fresh_home: HomeFactory
) -> None:
    fresh_home()
    key = _key("no usdc")
    faucet(public, key.address, eth_wei=20 * 10**18)
    with pytest.raises(DeployerUnderfunded) as raised:
        deploy("sepolia", key, confirm=lambda _plan: True, with_test_market=4, pool_depth_usd=DEPTH)
    assert raised.value.asset == "USDC"
    assert raised.value.available == 0
    assert _nonce(public, key.address) == 0


class Killed(Exception):
    """Plays a kill between two transactions."""


def test_a_deployment_killed_between_its_transactions_is_finished_by_the_next_run(
    public: PublicChain, fresh_home: HomeFactory
) -> None:
    home = fresh_home()
    key = _key("killed")
    _fund(public, key, tokens=4)
    options = {"with_test_market": 4, "pool_depth_usd": DEPTH}
    steps = 2 + 6 * 4  # the factory, the USDC approval, six per token

    def kill_after(count: int) -> Callable[[SentTx], None]:
        sent: list[str] = []

        def hook(done: SentTx) -> None:
            sent.append(done.step)
            if len(sent) == count:
                raise Killed(done.step)

        return hook

    # killed between the platform's transaction and the test market's first
    with pytest.raises(Killed):
        deploy("sepolia", key, confirm=lambda _plan: True, on_sent=kill_after(1), **options)  # type: ignore[arg-type]
    assert _nonce(public, key.address) == 1
    on_file = DeploymentRecord.load(home / "deployments" / "sepolia.json")
    assert [t.step for t in on_file.transactions] == ["platform:VaultFactory"]

    # killed again once the first token's pool exists but before its liquidity
    with pytest.raises(Killed) as raised:
        deploy("sepolia", key, confirm=lambda _plan: True, on_sent=kill_after(6), **options)  # type: ignore[arg-type]
    assert str(raised.value).endswith(":oracle")
    assert _nonce(public, key.address) == 7
    with open_session("sepolia") as session:  # discovered on chain: nothing tradable yet
        assert session.book.tokens == ()
        reasons = dict(session.book.left_out)
    first, *others = [t.symbol for t in on_file.test_market.tokens] if on_file.test_market else []
    assert reasons[first] == "its USDC pool has no liquidity"
    assert all(reasons[s].startswith("no token contract") for s in others)

    finished = deploy("sepolia", key, confirm=lambda _plan: True, **options)  # type: ignore[arg-type]
    assert finished.sent == steps - 7
    assert _nonce(public, key.address) == steps  # each step sent exactly once over three runs
    assert finished.record is not None
    assert len(finished.record.transactions) == steps
    assert len({t.step for t in finished.record.transactions}) == steps

    again = deploy("sepolia", key, confirm=lambda _plan: True, **options)  # type: ignore[arg-type]
    assert again.sent == 0
    assert _nonce(public, key.address) == steps
    with open_session("sepolia") as session:
        assert len(session.book.tokens) == 4


def test_declining_the_confirmation_sends_nothing(
    public: PublicChain, fresh_home: HomeFactory, tmp_path: Path
) -> None:
    fresh_home()
    key = _key("declines")
    _fund(public, key)
    key_file = tmp_path / "k"
    key_file.write_text(bytes(key.key).hex())
    runner = CliRunner()
    imported = runner.invoke(app, ["wallet", "import", "d", "--key-file", str(key_file),
                                   "--scrypt-n", "16"])  # fmt: skip
    assert imported.exit_code == 0, imported.output
    declined = runner.invoke(app, ["deploy", "--network", "sepolia", "-w", "d"], input="n\n")
    assert declined.exit_code == 1, declined.output
    assert "Send these transactions?" in declined.output
    assert "nothing was sent" in declined.output
    assert _nonce(public, key.address) == 0


def test_a_test_market_too_small_for_the_index_caps(fresh_home: HomeFactory) -> None:
    fresh_home()
    with pytest.raises(InputError) as raised:
        deploy_plan("sepolia", _key("small").address, with_test_market=2)
    assert "at least 4" in str(raised.value)


def test_trading_before_anything_is_deployed(fresh_home: HomeFactory) -> None:
    fresh_home()
    with pytest.raises(NotDeployed):
        open_session("sepolia")


def test_the_bundler_down_sends_nothing(public: PublicChain, fresh_home: HomeFactory) -> None:
    fresh_home(bundler_url=f"http://127.0.0.1:{free_port()}")
    key = _key("bundler down")
    _fund(public, key, tokens=4)
    deploy("sepolia", key, confirm=lambda _plan: True, with_test_market=4, pool_depth_usd=DEPTH)
    owner = Account.from_key(keccak(text="bundler down owner"))
    with open_session("sepolia", signer=LocalKeySigner(owner)) as session:
        account = session.account
        faucet(public, account, eth_wei=10**18, usdc_units=1_000 * 10**6)
        with pytest.raises(BundlerUnreachable) as raised:  # its gas estimate asks alto already
            session.confirm(session.preview_buy(500 * 10**6))  # type: ignore[arg-type]
        assert "bundler" in str(raised.value)
        assert session.trading.account.nonce(session.chain) == 0  # no operation ran
        assert not session.chain.code(account)
