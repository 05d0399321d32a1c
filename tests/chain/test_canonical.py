"""Canonical addresses: the published salts + the npm bytecode reproduce the published
CREATE2 addresses; the published pre-signed transactions are signed by the published
one-time keys and create the published addresses; and a local chain (eth-tester and
anvil) gets every contract at its canonical address, idempotently."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from orchestrator.chain import Chain, Transactor, connect_anvil, connect_eth_tester
from orchestrator.chain.bindings import bind_npm
from orchestrator.chain.canonical import (
    ENTRY_POINT_V08,
    ENTRY_POINT_V08_SALT,
    MULTICALL3,
    SIMPLE_ACCOUNT_FACTORY_V08,
    SIMPLE_ACCOUNT_FACTORY_V08_SALT,
    deploy_canonical,
    entry_point_init_code,
    simple_account_factory_init_code,
)
from orchestrator.chain.create2 import (
    DETERMINISTIC_DEPLOYER,
    DETERMINISTIC_DEPLOYER_RUNTIME,
    create2_address,
    create_address,
    deploy_create2,
    ensure_deterministic_deployer,
    predict_create2,
    presigned,
    salt_bytes,
)
from orchestrator.errors import ConfigError, SetupError
from orchestrator.wallet.smart_account import AAContracts

# From the publishers (see orchestrator/chain/canonical.py for where each comes from).
PUBLISHED = {
    "deterministic_deployment_proxy": (
        DETERMINISTIC_DEPLOYER,
        "0x3fAB184622Dc19b6109349B94811493BF2a45362",
    ),
    "multicall3": (MULTICALL3, "0x05f32B3cC3888453ff71B01135B34FF8e41263F2"),
}


def test_npm_entry_point_with_the_published_salt_lands_at_the_canonical_address() -> None:
    assert predict_create2(entry_point_init_code(), ENTRY_POINT_V08_SALT) == ENTRY_POINT_V08
    assert ENTRY_POINT_V08 == "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"


def test_npm_simple_account_factory_with_salt_zero_lands_at_the_canonical_address() -> None:
    init_code = simple_account_factory_init_code()
    assert predict_create2(init_code, SIMPLE_ACCOUNT_FACTORY_V08_SALT) == (
        SIMPLE_ACCOUNT_FACTORY_V08
    )
    # the address commits to the EntryPoint it serves: another one gives another address
    other = simple_account_factory_init_code("0x" + "11" * 20)
    assert predict_create2(other, SIMPLE_ACCOUNT_FACTORY_V08_SALT) != SIMPLE_ACCOUNT_FACTORY_V08


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_presigned_transactions_are_signed_by_the_one_time_key_and_create_the_address(
    name: str,
) -> None:
    deployment = presigned(name)
    address, signer = PUBLISHED[name]
    assert (deployment.address, deployment.signer) == (address, signer)
    assert create_address(signer, 0) == address
    assert deployment.funding_wei == deployment.gas_price_wei * deployment.gas_limit


def test_an_edited_presigned_transaction_is_refused(tmp_path: Path) -> None:
    deployment = presigned("multicall3")
    raw = bytearray(deployment.raw_transaction)
    raw[-40] ^= 1  # one bit of the signature's s
    tampered = type(deployment)(**{**deployment.__dict__, "raw_transaction": bytes(raw)})
    with pytest.raises((SetupError, ValueError)):
        tampered.check()


def test_create2_matches_the_eip_1014_examples() -> None:
    # EIP-1014's second example: deployer 0xdeadbeef…, salt 0, init code 0x00
    example = create2_address(
        "0xdeadbeef00000000000000000000000000000000", 0, keccak(bytes.fromhex("00"))
    )
    assert example == "0xB928f69Bb1D91Cd65274e3c79d8986362984fDA3"
    with pytest.raises(ValueError, match="32 bytes"):
        salt_bytes(b"\x01")
    with pytest.raises(ValueError, match="uint256"):
        salt_bytes(-1)


@pytest.fixture(
    scope="module",
    params=["eth_tester", pytest.param("anvil", marks=pytest.mark.anvil)],
)
def bare_chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    """A chain without the proxy: anvil pre-installs it unless told not to."""
    if request.param == "eth_tester":
        chain = connect_eth_tester()
    else:
        chain = connect_anvil(extra_args=("--disable-default-create2-deployer",))
    try:
        yield chain
    finally:
        chain.close()


def _sends(chain: Chain) -> int:
    return int(chain.w3.eth.get_block("latest")["number"])


def test_local_chain_gets_every_canonical_contract_once(bare_chain: Chain) -> None:
    w3 = bare_chain.w3
    assert not w3.eth.get_code(DETERMINISTIC_DEPLOYER)
    funder = Transactor(bare_chain, bare_chain.accounts[0])
    with pytest.raises(ConfigError, match=r"deterministic deployment proxy .* has no code"):
        deploy_create2(funder, b"\x00", 0)

    first = deploy_canonical(bare_chain, funder)
    assert first.sent == (
        "deterministic deployment proxy",
        "Multicall3",
        "EntryPoint v0.8",
        "SimpleAccountFactory v0.8",
    )
    assert bytes(w3.eth.get_code(DETERMINISTIC_DEPLOYER)) == DETERMINISTIC_DEPLOYER_RUNTIME
    for address in (MULTICALL3, ENTRY_POINT_V08, SIMPLE_ACCOUNT_FACTORY_V08):
        assert w3.eth.get_code(address), address
    # the factory serves this EntryPoint (its SenderCreator is the EntryPoint's first CREATE)
    factory = bind_npm(w3, "SimpleAccountFactory", SIMPLE_ACCOUNT_FACTORY_V08)
    assert (
        factory.functions.senderCreator().call()
        == AAContracts(ENTRY_POINT_V08, SIMPLE_ACCOUNT_FACTORY_V08).sender_creator
    )
    # Multicall3 answers as Multicall3: getChainId() through the canonical copy
    chain_id = w3.eth.call({"to": MULTICALL3, "data": keccak(text="getChainId()")[:4]})
    assert int.from_bytes(chain_id, "big") == bare_chain.chain_id

    blocks = _sends(bare_chain)
    again = deploy_canonical(bare_chain, funder)
    assert again.sent == ()
    assert _sends(bare_chain) == blocks  # nothing was sent
    assert ensure_deterministic_deployer(bare_chain, funder) == "present"


@pytest.mark.anvil
def test_anvil_preinstalls_the_same_proxy() -> None:
    with connect_anvil() as chain:
        funder = Transactor(chain, chain.accounts[0])
        assert ensure_deterministic_deployer(chain, funder) == "present"
        assert bytes(chain.w3.eth.get_code(DETERMINISTIC_DEPLOYER)) == (
            DETERMINISTIC_DEPLOYER_RUNTIME
        )


@pytest.mark.anvil
def test_other_code_at_the_proxy_address_is_refused() -> None:
    with connect_anvil() as chain:
        chain.set_code(DETERMINISTIC_DEPLOYER, bytes.fromhex("00"))
        funder = Transactor(chain, chain.accounts[0])
        with pytest.raises(ConfigError, match="holds other code"):
            ensure_deterministic_deployer(chain, funder)


def test_presigned_file_names_its_sources() -> None:
    path = Path(__file__).parents[2] / "orchestrator" / "chain" / "presigned_deployments.json"
    entries = {k: v for k, v in json.loads(path.read_text()).items() if not k.startswith("_")}
    assert sorted(entries) == sorted(PUBLISHED)
    assert all(entry["source"].startswith("https://github.com/") for entry in entries.values())
