"""`indexvault deploy`: put the platform (and optionally a test market) on a public
network, as a facade operation: predict (no node), plan (checks, what is done, gas, cost,
balances; sends nothing), deploy (asks `confirm`, then sends what is not on chain yet)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from eth_account.signers.local import LocalAccount

from orchestrator.chain.backends import connect_rpc
from orchestrator.chain.transactor import Transactor
from orchestrator.deployment.record import DeploymentRecord, SentTx, deployment_path
from orchestrator.deployment.run import DeployPlan, MarketChoice, execute, predict, prepare
from orchestrator.errors import InputError
from orchestrator.networks import NetworkConfig, require_rpc_url, resolve_network
from orchestrator.service.local import select_assets
from orchestrator.service.session import load_history
from orchestrator.strategy import DEFAULT_CONFIG
from orchestrator.trading.targets import trading_date

__all__ = ["DEFAULT_POOL_DEPTH_USD", "DeployOutcome", "deploy", "deploy_plan", "deploy_predict"]

# Each test pool's full-range depth: small, because testnet USDC comes from a faucet a few
# dollars at a time (Circle's gives 10 USDC an hour); half of it is USDC.
DEFAULT_POOL_DEPTH_USD = Decimal(100)


def _public(network: str) -> NetworkConfig:
    config = resolve_network(network)
    if config.public is None:
        raise InputError(
            f"{network!r} is not a public network: `deploy` puts the platform on a testnet",
            hint="On the local chain, `indexvault local up` deploys everything.",
        )
    return config


def _market(config: NetworkConfig, tokens: int, depth_usd: Decimal) -> MarketChoice | None:
    if tokens <= 0:
        return None
    fewest = math.ceil(1 / DEFAULT_CONFIG.weights.cap)
    if tokens < fewest:
        raise InputError(
            f"a test market of {tokens} token(s) cannot hold the index: it caps each coin at "
            f"{DEFAULT_CONFIG.weights.cap:.0%}, so it needs at least {fewest}",
            hint=f"Use --with-test-market {fewest} or more.",
        )
    if depth_usd <= 0:
        raise InputError(f"the pool depth must be positive, got ${depth_usd}")
    history = load_history(config.market_data, tokens=tokens)
    assets = select_assets(history, trading_date(history), tokens)
    return MarketChoice(tuple(assets), history.source_label, history.is_synthetic, depth_usd)


def deploy_predict(
    network: str,
    deployer: str,
    *,
    with_test_market: int = 0,
    pool_depth_usd: Decimal = DEFAULT_POOL_DEPTH_USD,
    fee_bps: int = 10,
    fee_recipient: str | None = None,
) -> DeployPlan:
    """Every address the deployment will have, from the network file alone."""
    config = _public(network)
    assert config.public is not None
    return predict(
        config.public, deployer, fee_recipient=fee_recipient, fee_bps=fee_bps,
        market=_market(config, with_test_market, pool_depth_usd),
    )  # fmt: skip


def deploy_plan(
    network: str,
    deployer: str,
    *,
    with_test_market: int = 0,
    pool_depth_usd: Decimal = DEFAULT_POOL_DEPTH_USD,
    fee_bps: int = 10,
    fee_recipient: str | None = None,
) -> DeployPlan:
    """The dry run: the address-book checks, then what would be sent, its gas and cost at
    the current fees, and the deployer's balances. Sends nothing."""
    config = _public(network)
    planned = deploy_predict(
        network, deployer, with_test_market=with_test_market, pool_depth_usd=pool_depth_usd,
        fee_bps=fee_bps, fee_recipient=fee_recipient,
    )  # fmt: skip
    assert config.public is not None
    url = require_rpc_url(config)
    with connect_rpc(url, expected_chain_id=config.public.chain_id) as chain:
        return prepare(chain, planned, url)


@dataclass(frozen=True)
class DeployOutcome:
    plan: DeployPlan
    record: DeploymentRecord | None  # None: not confirmed, nothing sent
    path: Path
    sent: int  # transactions this run sent


def deploy(
    network: str,
    key: LocalAccount,
    *,
    confirm: Callable[[DeployPlan], bool],
    with_test_market: int = 0,
    pool_depth_usd: Decimal = DEFAULT_POOL_DEPTH_USD,
    fee_bps: int = 10,
    fee_recipient: str | None = None,
    on_sent: Callable[[SentTx], None] = lambda _sent: None,
) -> DeployOutcome:
    """Check, plan, ask `confirm` (skipped when nothing is left to send), send what is not
    on chain yet. Idempotent: run it again and it sends nothing, or finishes what a killed
    run left undone."""
    config = _public(network)
    assert config.public is not None
    planned = deploy_predict(
        network, key.address, with_test_market=with_test_market,
        pool_depth_usd=pool_depth_usd, fee_bps=fee_bps, fee_recipient=fee_recipient,
    )  # fmt: skip
    url = require_rpc_url(config)
    path = deployment_path(network)
    sent: list[SentTx] = []

    def count(done: SentTx) -> None:
        sent.append(done)
        on_sent(done)

    with connect_rpc(url, expected_chain_id=config.public.chain_id) as chain:
        plan = prepare(chain, planned, url)
        if plan.pending and not confirm(plan):
            return DeployOutcome(plan, None, path, 0)
        record = execute(chain, Transactor(chain, key), plan, record_path=path, on_sent=count)
    return DeployOutcome(plan, record, path, len(sent))
