"""Pure parts of the deploy path: the pool init-code hash, CREATE2 predictions, network
files (layers, words for every bad field) and the explorer's standard-JSON input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from orchestrator.artifacts.load import load_artifact, load_npm_artifact, repo_root
from orchestrator.deployment.network_file import load_network_file
from orchestrator.deployment.plan import (
    POOL_INIT_CODE_HASH,
    PlatformArgs,
    observation_cardinality,
    plan_platform,
)
from orchestrator.deployment.record import standard_json_input
from orchestrator.errors import ConfigError

ARGS = PlatformArgs(
    admin="0x1111111111111111111111111111111111111111",
    usdc="0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238",
    uniswap_v3_factory="0x0227628f3F023bb0B980b67D528571c95c6DaC1c",
    fee_recipient="0x1111111111111111111111111111111111111111",
    fee_bps=10,
    min_block_time_s=12,
)


def test_the_pool_init_code_hash_is_the_canonical_pools_and_the_vaults() -> None:
    pool = bytes.fromhex(load_npm_artifact("UniswapV3Pool").bytecode.removeprefix("0x"))
    assert keccak(pool) == POOL_INIT_CODE_HASH
    library = (repo_root() / "contracts" / "libraries" / "PoolAddress.sol").read_text()
    assert "0x" + POOL_INIT_CODE_HASH.hex() in library


def test_the_same_arguments_give_the_same_address_and_other_ones_another() -> None:
    first, factory, implementation = plan_platform(ARGS)
    again = plan_platform(ARGS)
    assert (again[1], again[2]) == (factory, implementation)
    assert first.creates == factory
    base = PlatformArgs(**{**ARGS.__dict__, "usdc": "0x036CbD53842c5426634e7929541eC2318f3dCF7e"})
    assert plan_platform(base)[1] != factory  # Base Sepolia's USDC: another init code


def test_the_oracle_ring_a_chain_needs() -> None:
    assert observation_cardinality(12) == 151  # Sepolia: 30 minutes of 12 s blocks
    assert observation_cardinality(2) == 901  # Base Sepolia


def test_shipped_network_files_load_and_cite_a_source_for_every_address(tmp_path: Path) -> None:
    for name, chain_id in (("sepolia", 11_155_111), ("base-sepolia", 84_532)):
        network = load_network_file(name, tmp_path)
        assert network is not None
        assert network.chain_id == chain_id
        assert network.rpc_url is None  # the user adds it
        for _key, entry in network.contracts.items():
            assert entry.source.startswith(("https://", "eth-infinitism/"))


def test_the_user_adds_only_urls_by_file_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "networks").mkdir()
    (tmp_path / "networks" / "sepolia.json").write_text('{"rpc_url": "https://file.example"}')
    network = load_network_file("sepolia", tmp_path)
    assert network is not None
    assert network.rpc_url == "https://file.example"
    assert network.contracts.usdc.address == "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238"
    monkeypatch.setenv("INDEXVAULT_SEPOLIA_RPC_URL", "https://env.example")
    monkeypatch.setenv("INDEXVAULT_BASE_SEPOLIA_BUNDLER_URL", "https://bundler.example")
    assert (load_network_file("sepolia", tmp_path) or network).rpc_url == "https://env.example"
    base = load_network_file("base-sepolia", tmp_path)
    assert base is not None
    assert base.bundler_url == "https://bundler.example"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"chain_id": 5}', "contracts is missing"),
        ('{"chain_id": 5, "block_time_s": 2, "explorer_url": "x", "contracts": {}}',
         "contracts.usdc is missing"),
        ('{"chain_id": "five"}', "chain_id:"),
        ('{"chain_id": 5, "rpc": "x"}', "rpc is not a known field"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "one JSON object"),
    ],
)  # fmt: skip
def test_a_bad_network_file_is_described_in_words(tmp_path: Path, content: str, words: str) -> None:
    (tmp_path / "networks").mkdir()
    (tmp_path / "networks" / "mychain.json").write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_network_file("mychain", tmp_path)
    assert words in str(raised.value)
    assert "pydantic" not in str(raised.value)


def test_a_wrong_address_in_a_network_file(tmp_path: Path) -> None:
    (tmp_path / "networks").mkdir()
    bad = {"contracts": {"usdc": {"address": "0x1234", "source": "typo"}}}
    (tmp_path / "networks" / "sepolia.json").write_text(json.dumps(bad))
    with pytest.raises(ConfigError) as raised:
        load_network_file("sepolia", tmp_path)
    assert "contracts.usdc.address: '0x1234' is not an address" in str(raised.value)


def test_the_standard_json_input_rebuilds_the_deployed_bytecode() -> None:
    """What an explorer compiles from it is the VaultFactory we deploy, to the byte."""
    request = standard_json_input()
    assert "node_modules/@openzeppelin/contracts/proxy/Clones.sol" in request["sources"]
    completed = subprocess.run(
        ["node", str(repo_root() / "deploy" / "solc"), "--standard-json"],
        input=json.dumps(request), capture_output=True, text=True, cwd=repo_root(), check=True,
    )  # fmt: skip
    output = json.loads(completed.stdout)
    compiled = output["contracts"]["contracts/VaultFactory.sol"]["VaultFactory"]
    assert "0x" + compiled["evm"]["bytecode"]["object"] == load_artifact("VaultFactory").bytecode
