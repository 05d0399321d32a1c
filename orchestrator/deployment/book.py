"""The address book of a public network: its canonical contracts (network file), our
VaultFactory (deployment file), and the tokens that really trade there, discovered on
chain: a deployed token is part of the index only if its USDC pool exists and holds
liquidity. Everything left out is listed with the reason, for the preview to say."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.deployment.network_file import NetworkFile
from orchestrator.deployment.plan import GET_POOL, LIQUIDITY
from orchestrator.deployment.record import DeploymentRecord
from orchestrator.errors import AddressBookMismatch
from orchestrator.localmarket.addressbook import AddressBook, CoreContracts, TokenEntry
from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy import DEFAULT_CONFIG
from orchestrator.strategy.weights import target_weights

__all__ = ["discover_tokens", "left_out_constituents", "public_address_book"]

ZERO = "0x0000000000000000000000000000000000000000"


def discover_tokens(
    chain: Chain, usdc: str, v3_factory: str, candidates: Sequence[TokenEntry]
) -> tuple[tuple[TokenEntry, ...], tuple[tuple[str, str], ...]]:
    """The candidates whose USDC pool exists and has liquidity; (symbol, why) for the rest."""
    kept: list[TokenEntry] = []
    left: list[tuple[str, str]] = []
    for entry in candidates:
        if not chain.code(entry.address):
            left.append((entry.symbol, f"no token contract at {entry.address}"))
            continue
        listed = GET_POOL.decode(
            call_raw(chain, v3_factory, GET_POOL.call(entry.address, usdc, entry.fee))
        )
        pool = str(listed[0])
        if pool.lower() == ZERO:
            left.append((entry.symbol, f"no USDC pool at the {entry.fee / 10_000:.2f}% tier"))
            continue
        if pool.lower() != entry.pool.lower():
            left.append((entry.symbol, f"its pool is at {pool}, not {entry.pool}"))
            continue
        liquidity = int(LIQUIDITY.decode(call_raw(chain, pool, LIQUIDITY.call()))[0])
        if liquidity == 0:
            left.append((entry.symbol, "its USDC pool has no liquidity"))
            continue
        kept.append(entry)
    return tuple(kept), tuple(left)


def public_address_book(
    chain: Chain, network: NetworkFile, record: DeploymentRecord
) -> AddressBook:
    """The book sessions trade with on `network` (checked against the chain)."""
    c = network.contracts
    factory = record.platform.vault_factory
    if not chain.code(factory):
        raise AddressBookMismatch(
            name="indexvault's VaultFactory", address=factory,
            problem=f"no code on chain {chain.chain_id}",
            hint=f"The deployment file does not describe this chain: run `indexvault deploy "
            f"--network {network.name}`.",
        )  # fmt: skip
    if record.platform.usdc != c.usdc.address:
        raise AddressBookMismatch(
            name="indexvault's VaultFactory", address=factory,
            problem=f"was deployed for USDC {record.platform.usdc}, the network file says "
            f"{c.usdc.address}",
            hint="Deploy again for this network file (the address changes with USDC).",
        )  # fmt: skip
    market = record.test_market
    candidates = market.tokens if market is not None else ()
    tokens, left = discover_tokens(chain, c.usdc.address, c.uniswap_v3_factory.address, candidates)
    return AddressBook(
        chain_id=chain.chain_id,
        chain=network.name,
        market_source=market.market_source if market else "none",
        market_is_synthetic=market.market_is_synthetic if market else False,
        market_date=market.market_date if market else datetime.date.today().isoformat(),
        deployer=record.deployer,
        contracts=CoreContracts(
            weth9=c.weth9.address,
            usdc=c.usdc.address,
            uniswap_v3_factory=c.uniswap_v3_factory.address,
            nonfungible_position_manager=c.nonfungible_position_manager.address,
            swap_router02=c.swap_router02.address,
            quoter_v2=c.quoter_v2.address,
            multicall3=c.multicall3.address,
            entry_point=c.entry_point.address,
            simple_account_factory=c.simple_account_factory.address,
            vault_factory=factory,
        ),
        tokens=tokens,
        left_out=left,
    )


def left_out_constituents(
    history: MarketHistory, date: datetime.date, on_chain: Collection[str]
) -> tuple[tuple[str, str], ...]:
    """The index's constituents on `date` that have no pool on this network, as one line
    (a testnet market has a handful of the index's coins)."""
    weights = target_weights(
        history.snapshot(date), DEFAULT_CONFIG.weights, DEFAULT_CONFIG.universe
    )
    missing = [s for s in weights.weights_bps if s not in on_chain]
    if not missing:
        return ()
    shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
    return (
        (
            f"{len(missing)} index constituents ({shown})",
            "no token with a USDC pool on this network",
        ),
    )
