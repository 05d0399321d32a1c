"""The platform's deployment on a chain that plays Sepolia (orchestrator.deployment.rehearsal:
anvil --chain-id 11155111 with the public chain's contracts), through the facade as
`indexvault deploy` runs it, from a funded deployer key.

    deploy_gas.total             gas of the platform: the VaultFactory's CREATE2 through the
                                 proxy (its constructor deploys the IndexVault implementation)
    deploy_cost_eth.at_1gwei     that gas at 1 gwei, in ETH
    deploy_gas.test_market.4     gas of a 4-token test market (tokens, pools, oracle rings of
                                 151 slots for 12 s blocks, liquidity), on top
    deploy_cost_eth.test_market.4.at_1gwei
"""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from eth_account import Account
from eth_utils.crypto import keccak

from orchestrator.deployment.record import DEPLOYMENTS_ENV
from orchestrator.deployment.rehearsal import (
    faucet,
    network_file,
    start_public_chain,
    stop_public_chain,
)
from orchestrator.networks import HOME_ENV
from orchestrator.service import deploy

TOKENS = 4
GWEI = 10**9


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        saved = {k: os.environ.get(k) for k in (HOME_ENV, DEPLOYMENTS_ENV)}
        os.environ[HOME_ENV] = str(root / "home")
        os.environ[DEPLOYMENTS_ENV] = str(root / "deployments")
        public = start_public_chain(root / "chain")
        try:
            (root / "home" / "networks").mkdir(parents=True)
            (root / "home" / "networks" / "sepolia.json").write_text(
                json.dumps(network_file(public))
            )
            key = Account.from_key(keccak(text="bench deployer"))
            faucet(public, key.address, eth_wei=50 * 10**18, usdc_units=TOKENS * 150_000 * 10**6)
            done = deploy("sepolia", key, confirm=lambda _plan: True,
                          with_test_market=TOKENS, pool_depth_usd=Decimal(200_000))  # fmt: skip
            assert done.record is not None
            sent = done.record.transactions
            platform = sum(t.gas_used for t in sent if t.step.startswith("platform:"))
            market = sum(t.gas_used for t in sent if t.step.startswith("market:"))
            results["deploy_gas.total"] = platform
            results["deploy_cost_eth.at_1gwei"] = platform * GWEI / 10**18
            results[f"deploy_gas.test_market.{TOKENS}"] = market
            results[f"deploy_cost_eth.test_market.{TOKENS}.at_1gwei"] = market * GWEI / 10**18
        finally:
            stop_public_chain(root / "chain")
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return results
