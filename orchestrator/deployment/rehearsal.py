"""A local chain that plays a public testnet, for the rehearsal (`make rehearsal`, the
test in tests/deployment/) and the deploy benchmark.

`start_public_chain` starts anvil with the testnet's chain id (11155111: Sepolia), puts on
it once what the public chain already has (the canonical contracts at their published
addresses, Uniswap V3, WETH9, a 6-decimal USDC, a USDC/WETH pool) and starts the alto
bundler beside it; `network_file` is then shaped exactly like deploy/networks/sepolia.json
with this chain's addresses and URLs. Nothing of indexvault is on it: `indexvault deploy`
puts it there, as a user would on Sepolia. `faucet` plays the testnet faucets (ETH, and
USDC minted by the chain's own USDC minter)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.chain.backends import dev_accounts
from orchestrator.chain.localnode import connect_node, start_node, stop_node
from orchestrator.chain.transactor import Transactor
from orchestrator.chain.vault_binding import MINT
from orchestrator.deployment.network_file import shipped_network_path
from orchestrator.deployment.plan import CREATE_POOL
from orchestrator.execution.alto import start_bundler, stop_bundler
from orchestrator.localmarket.deploy import deploy_externals

__all__ = [
    "SEPOLIA_CHAIN_ID",
    "PublicChain",
    "faucet",
    "network_file",
    "start_public_chain",
    "stop_public_chain",
]

SEPOLIA_CHAIN_ID = 11_155_111
BUNDLER_EXECUTOR_ACCOUNT = 1
BUNDLER_UTILITY_ACCOUNT = 7
_RECORD = "public-chain.json"


@dataclass(frozen=True)
class PublicChain:
    folder: Path
    rpc_url: str
    bundler_url: str
    chain_id: int
    contracts: dict[str, str]  # network-file keys -> addresses


def start_public_chain(folder: Path, *, chain_id: int = SEPOLIA_CHAIN_ID) -> PublicChain:
    """anvil + the externals + alto, in `folder` (stop with `stop_public_chain`)."""
    folder.mkdir(parents=True, exist_ok=True)
    node = start_node(folder, chain_id=chain_id)
    try:
        with connect_node(folder) as chain:
            deployer = Transactor(chain, dev_accounts()[0])
            contracts = deploy_externals(deployer)
            usdc, weth = contracts["usdc"], contracts["weth9"]
            t0, t1 = sorted((usdc, weth), key=lambda a: int(a, 16))
            deployer.send(  # the USDC/WETH pool every testnet has: proves the init-code hash
                {"to": contracts["nonfungible_position_manager"],
                 "data": CREATE_POOL.call(t0, t1, 3000, 2**96)},
                gas=5_500_000,
            )  # fmt: skip
        keys = dev_accounts()
        bundler = start_bundler(
            folder,
            rpc_url=node.record.url,
            entry_point=contracts["entry_point"],
            executor=keys[BUNDLER_EXECUTOR_ACCOUNT],
            utility=keys[BUNDLER_UTILITY_ACCOUNT],
        )
    except BaseException:
        stop_public_chain(folder)
        raise
    public = PublicChain(folder, node.record.url, bundler.url, chain_id, contracts)
    (folder / _RECORD).write_text(json.dumps({"contracts": contracts}, indent=2) + "\n")
    return public


def stop_public_chain(folder: Path) -> None:
    stop_bundler(folder)
    stop_node(folder)


def network_file(public: PublicChain, *, like: str = "sepolia") -> dict[str, Any]:
    """The shipped `like` network file with this chain's addresses and URLs."""
    data: dict[str, Any] = json.loads(shipped_network_path(like).read_text())
    for key, address in public.contracts.items():
        data["contracts"][key] = {
            "address": address,
            "source": "rehearsal chain: deployed by orchestrator.deployment.rehearsal",
        }
    data["chain_id"] = public.chain_id
    data["rpc_url"] = public.rpc_url
    data["bundler_url"] = public.bundler_url
    return data


def faucet(public: PublicChain, address: str, *, eth_wei: int = 0, usdc_units: int = 0) -> None:
    """Give `address` ETH (added to its balance) and test USDC."""
    with connect_node(public.folder) as chain:
        if eth_wei:
            chain.set_balance(address, chain.balance_wei(address) + eth_wei)
        if usdc_units:
            minter = Transactor(chain, dev_accounts()[0])
            minter.send(
                {"to": public.contracts["usdc"], "data": MINT.call(address, usdc_units)},
                gas=100_000,
            )
