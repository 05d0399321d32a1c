"""Deploy a real Uniswap V3 market from a market snapshot, on any local chain.

WETH9, UniswapV3Factory, NonfungiblePositionManager, SwapRouter02 and QuoterV2 come from
their npm artifacts, deployed as shipped; the deterministic deployment proxy, Multicall3,
EntryPoint v0.8 and SimpleAccountFactory v0.8 are put at their canonical addresses
(`orchestrator.chain.canonical`), as on public chains; USDC (6 decimals) and one ERC-20 per
constituent are our `TestToken`. Each constituent gets one USDC pool, initialised at the
snapshot price and seeded with full-range liquidity sized by `pool_depth_usd`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from orchestrator.artifacts.load import load_artifact, load_npm_artifact
from orchestrator.chain.backends import Chain
from orchestrator.chain.bindings import Contract
from orchestrator.chain.canonical import deploy_canonical
from orchestrator.chain.transactor import Transactor
from orchestrator.errors import InvalidValue
from orchestrator.localmarket.addressbook import AddressBook, CoreContracts, TokenEntry
from orchestrator.localmarket.pricing import (
    full_range_ticks,
    pool_depth_usd,
    seed_amounts,
    sqrt_price_x96_for_usd_price,
    token_decimals,
)
from orchestrator.market.snapshot import AssetSnapshot

__all__ = [
    "MarketConfig",
    "deploy_externals",
    "deploy_market",
    "deploy_uniswap",
    "deploy_vault_factory",
]

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_UINT256 = 2**256 - 1
TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10_000: 200}

# Explicit gas limits (py-evm's estimate is slow); each is well above what it uses.
GAS_TOKEN_DEPLOY = 1_500_000
GAS_MINT = 120_000
GAS_APPROVE = 80_000
GAS_CREATE_POOL = 5_500_000
GAS_NPM_MINT = 700_000
GAS_PER_OBSERVATION_SLOT = 30_000
GAS_DEPLOY_VAULT_FACTORY = 10_000_000  # factory + IndexVault + BatchSettlement


def deploy_vault_factory(
    tx: Transactor,
    *,
    admin: str,
    usdc: str,
    uniswap_v3_factory: str,
    fee_recipient: str,
    fee_bps: int,
    min_block_time_s: int,
) -> Contract:
    """One call deploys the factory and its IndexVault implementation. `min_block_time_s` is
    the chain's shortest time between blocks: every mandate's pools need an oracle ring of
    ceil(twap window / min_block_time_s) + 1 observations."""
    return tx.deploy(
        load_artifact("VaultFactory"),
        admin, usdc, uniswap_v3_factory, fee_recipient, fee_bps, min_block_time_s,
        gas=GAS_DEPLOY_VAULT_FACTORY,
    )  # fmt: skip


# The minimum block time the local VaultFactory declares (seconds). A mandate needs every
# pool's oracle ring to hold ceil(twap window / this) + 1 observations: at 60 s a 30-minute
# window needs 31. Local chains mine a block per transaction and tests move the clock at will,
# so no value is "true" here; 60 keeps the ring small (raising 100 pools' rings to the 151 a
# 12 s chain needs would add ~300M gas of SSTOREs to every fresh market). A live deployment
# declares its chain's real block time (12 on Ethereum, 2 on Base).
LOCAL_MIN_BLOCK_TIME_S = 60


@dataclass(frozen=True)
class MarketConfig:
    fee: int = 3000  # every pool's fee tier, in hundredths of a bip (0.3%)
    depth_bps_of_market_cap: int = 2
    min_depth_usd: Decimal = Decimal(50_000)
    max_depth_usd: Decimal = Decimal(200_000_000)
    # oracle slots per pool: covers a 30-minute keeper TWAP at LOCAL_MIN_BLOCK_TIME_S (31)
    observation_cardinality: int = 32
    platform_fee_bps: int = 10  # the VaultFactory's fee on buy and sell notional (0.10%)


# Where platform fees go on a local market: an address nobody holds a key for, so that
# no test or demo account's balance mixes fees with anything else.
FEE_RECIPIENT = to_checksum_address(keccak(text="indexvault local fee recipient")[12:])


def deploy_externals(tx: Transactor) -> dict[str, str]:
    """What a public chain already has, put on a local one: the canonical contracts
    (deterministic deployer, Multicall3, EntryPoint v0.8 and its SimpleAccountFactory, at
    their published addresses), the Uniswap V3 stack and WETH9 (npm artifacts, as shipped)
    and a 6-decimal USDC. Keys as in a network file's `contracts`."""
    canonical = deploy_canonical(tx.chain, tx)
    weth = tx.deploy(load_npm_artifact("WETH9"), gas=1_500_000)
    factory = tx.deploy(load_npm_artifact("UniswapV3Factory"), gas=7_000_000)
    # No token descriptor: tokenURI() is unused here and the descriptor needs linking.
    npm = tx.deploy(
        load_npm_artifact("NonfungiblePositionManager"),
        factory.address, weth.address, ZERO_ADDRESS,
        gas=7_000_000,
    )  # fmt: skip
    # SwapRouter02 also routes V2; there is no V2 factory on a local market.
    router = tx.deploy(
        load_npm_artifact("SwapRouter02"),
        ZERO_ADDRESS, factory.address, npm.address, weth.address,
        gas=7_000_000,
    )  # fmt: skip
    quoter = tx.deploy(load_npm_artifact("QuoterV2"), factory.address, weth.address, gas=4_000_000)
    usdc = tx.deploy(
        load_artifact("TestToken"), "USD Coin (local test)", "USDC", 6, tx.address,
        gas=GAS_TOKEN_DEPLOY,
    )  # fmt: skip
    return {
        "deterministic_deployer": canonical.deterministic_deployer,
        "multicall3": canonical.multicall3,
        "entry_point": canonical.entry_point,
        "simple_account_factory": canonical.simple_account_factory,
        "weth9": weth.address,
        "usdc": usdc.address,
        "uniswap_v3_factory": factory.address,
        "nonfungible_position_manager": npm.address,
        "swap_router02": router.address,
        "quoter_v2": quoter.address,
    }


def deploy_uniswap(tx: Transactor, *, platform_fee_bps: int = 10) -> CoreContracts:
    """The externals (`deploy_externals`) and our VaultFactory (admin: the deployer)."""
    externals = deploy_externals(tx)
    vaults = deploy_vault_factory(
        tx,
        admin=tx.address,
        usdc=externals["usdc"],
        uniswap_v3_factory=externals["uniswap_v3_factory"],
        fee_recipient=FEE_RECIPIENT,
        fee_bps=platform_fee_bps,
        min_block_time_s=LOCAL_MIN_BLOCK_TIME_S,
    )
    del externals["deterministic_deployer"]
    return CoreContracts(vault_factory=vaults.address, **externals)


def deploy_market(
    chain: Chain,
    tx: Transactor,
    assets: Sequence[AssetSnapshot],
    *,
    market_source: str,
    market_is_synthetic: bool,
    config: MarketConfig = MarketConfig(),
    progress: Callable[[str], None] = lambda _msg: None,
) -> AddressBook:
    """Deploy everything and return the address book. `assets` must not contain USDC."""
    if not assets:
        raise InvalidValue("a market needs at least one asset", name="assets", value=assets)
    progress(
        "deploying the canonical deployer, Multicall3 and EntryPoint v0.8; WETH9, Uniswap V3, "
        "SwapRouter02, QuoterV2, USDC"
    )
    first_block = chain.block_number()  # log scans (vaults, user operations) start here
    core = deploy_uniswap(tx, platform_fee_bps=config.platform_fee_bps)
    token_artifact = load_artifact("TestToken")
    usdc = chain.contract("TestToken", core.usdc)
    factory = chain.npm_contract("UniswapV3Factory", core.uniswap_v3_factory)
    npm = chain.npm_contract("NonfungiblePositionManager", core.nonfungible_position_manager)

    progress(f"deploying {len(assets)} tokens")
    decimals = [token_decimals(a.symbol) for a in assets]
    constructors = [
        tx.constructor(token_artifact, f"{a.name} (local test)", a.symbol, d, tx.address)
        for a, d in zip(assets, decimals, strict=True)
    ]
    receipts = tx.send_all([(c, GAS_TOKEN_DEPLOY) for c in constructors])
    tokens = [chain.contract("TestToken", str(r["contractAddress"])) for r in receipts]

    depths = [
        pool_depth_usd(
            a.market_cap_usd,
            depth_bps_of_market_cap=config.depth_bps_of_market_cap,
            min_depth_usd=config.min_depth_usd,
            max_depth_usd=config.max_depth_usd,
        )
        for a in assets
    ]
    amounts = [
        seed_amounts(dp, a.price_usd, d) for dp, a, d in zip(depths, assets, decimals, strict=True)
    ]
    total_usdc = sum(usdc_units for _, usdc_units in amounts)

    progress("minting liquidity and approving the position manager")
    funding = [(usdc.functions.mint(tx.address, total_usdc), GAS_MINT),
               (usdc.functions.approve(npm.address, MAX_UINT256), GAS_APPROVE)]  # fmt: skip
    for token, (token_units, _) in zip(tokens, amounts, strict=True):
        funding.append((token.functions.mint(tx.address, token_units), GAS_MINT))
        funding.append(
            (token.functions.approve(npm.address, total_usdc and MAX_UINT256), GAS_APPROVE)
        )
    tx.send_all(funding)

    progress(f"creating and seeding {len(assets)} pools (fee {config.fee / 10_000:.2f}%)")
    lower, upper = full_range_ticks(TICK_SPACING[config.fee])
    usdc_key = int(core.usdc, 16)
    deadline = chain.timestamp() + 3600 * 24 * 365
    ordered: list[tuple[str, str, bool]] = []
    create = []
    for token, asset, d in zip(tokens, assets, decimals, strict=True):
        is0 = int(token.address, 16) < usdc_key
        token0, token1 = (token.address, core.usdc) if is0 else (core.usdc, token.address)
        ordered.append((token0, token1, is0))
        sqrt_price = sqrt_price_x96_for_usd_price(asset.price_usd, d, is0)
        init = npm.functions.createAndInitializePoolIfNecessary(
            token0, token1, config.fee, sqrt_price
        )
        create.append((init, GAS_CREATE_POOL))
    tx.send_all(create)
    pools = [factory.functions.getPool(t0, t1, config.fee).call() for t0, t1, _ in ordered]

    # The ring grows to its new size at its next write, and a pool writes at most once a
    # second: one second after the pools were initialised, each pool's first mint (after the
    # cardinality raise) writes, so every ring has its full size before anyone trades (a
    # vault's mandate needs it: `CardinalityTooLow`).
    chain.increase_time(1)
    seeding = []
    for pool, (token0, token1, is0), (token_units, usdc_units) in zip(
        pools, ordered, amounts, strict=True
    ):
        amount0, amount1 = (token_units, usdc_units) if is0 else (usdc_units, token_units)
        params = (
            token0,
            token1,
            config.fee,
            lower,
            upper,
            amount0,
            amount1,
            0,
            0,
            tx.address,
            deadline,
        )
        if config.observation_cardinality > 1:
            pool_contract = chain.npm_contract("UniswapV3Pool", pool)
            seeding.append(
                (pool_contract.functions.increaseObservationCardinalityNext(config.observation_cardinality),
                 60_000 + GAS_PER_OBSERVATION_SLOT * config.observation_cardinality)
            )  # fmt: skip
        seeding.append((npm.functions.mint(params), GAS_NPM_MINT))
    tx.send_all(seeding)

    entries = tuple(
        TokenEntry(
            symbol=asset.symbol,
            name=asset.name,
            address=token.address,
            decimals=d,
            pool=pool,
            fee=config.fee,
            token_is_token0=is0,
            snapshot_price_usd=asset.price_usd,
            snapshot_market_cap_usd=asset.market_cap_usd,
            seeded_depth_usd=depth,
        )
        for asset, token, d, pool, (_, _, is0), depth in zip(
            assets, tokens, decimals, pools, ordered, depths, strict=True
        )
    )
    return AddressBook(
        chain_id=chain.chain_id,
        chain=chain.label,
        market_source=market_source,
        market_is_synthetic=market_is_synthetic,
        market_date=assets[0].date.isoformat(),
        deployer=tx.address,
        contracts=core,
        tokens=entries,
        deployed_from_block=first_block,
    )
