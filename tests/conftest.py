"""Shared fixtures: the backend matrix and a small local market per backend.

`backend` runs a test once on the embedded eth-tester chain and once on a spawned anvil;
`market` deploys one small real Uniswap V3 market per module and backend; `fresh_market`
gives each test that market at its freshly deployed state (snapshot + revert).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.service import LocalMarket, open_local_market

SMALL_MARKET_TOKENS = 6


@pytest.fixture(
    scope="session",
    params=["eth_tester", pytest.param("anvil", marks=pytest.mark.anvil)],
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def market(backend: str) -> Iterator[LocalMarket]:
    market = open_local_market(chain_target=backend, tokens=SMALL_MARKET_TOKENS)
    try:
        yield market
    finally:
        market.close()


@pytest.fixture
def fresh_market(market: LocalMarket) -> Iterator[LocalMarket]:
    snapshot = market.chain.snapshot()
    try:
        yield market
    finally:
        market.chain.revert_to(snapshot)
        market.deployer.resync()
