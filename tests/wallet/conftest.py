"""Wallet fixtures: temporary keystores, and EntryPoint v0.8 + SimpleAccountFactory
deployed from the npm artifacts on a bare chain (`aa_chain`) or on the local market."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.chain import Chain, Transactor, connect_anvil, connect_eth_tester
from orchestrator.service import LocalMarket
from orchestrator.wallet import AAContracts, Keystore, deploy_account_abstraction


@pytest.fixture
def keystore(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "keystores")


@dataclass
class AAChain:
    chain: Chain
    deployer: Transactor
    aa: AAContracts


@pytest.fixture(scope="module")
def aa_chain(backend: str) -> Iterator[AAChain]:
    """A bare chain with only the account-abstraction contracts (fast: two deployments)."""
    chain = connect_eth_tester() if backend == "eth_tester" else connect_anvil()
    try:
        deployer = Transactor(chain, chain.accounts[0])
        yield AAChain(chain, deployer, deploy_account_abstraction(deployer))
    finally:
        chain.close()


@pytest.fixture(scope="module")
def market_aa(market: LocalMarket) -> AAContracts:
    """The AA contracts on the module's market; deployed before any test's snapshot, so
    `fresh_market` reverts to a state that still has them."""
    return deploy_account_abstraction(market.deployer)
