"""What a deployment sends, planned before anything is sent.

The platform is one CREATE2 through the deterministic deployment proxy: the VaultFactory,
whose constructor deploys its BatchSettlement (the factory's first CREATE, nonce 1) and
its IndexVault implementation (the second, nonce 2), so they can never exist apart. Its address
is `keccak256(0xff ‖ proxy ‖ salt ‖ keccak256(init code))`, and the init code is the
compiled VaultFactory followed by its constructor arguments (admin, USDC, the V3 factory,
fee recipient, fee, the chain's block time). Same salt, same bytecode, same arguments:
the same address on every chain. Chains whose address books differ (USDC and the V3
factory do differ between Sepolia and Base Sepolia) get different, equally predictable,
addresses.

A test market (`--with-test-market N`) adds, per token: its TestToken (CREATE2 too, salt
from the symbol), a mint and an approval, the pool's creation at the snapshot price, the
oracle ring the vault's TWAP needs, and full-range liquidity. Every step says how to tell
from the chain that it is done, so a run killed between two transactions is finished by
the next run without sending anything twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from eth_utils.crypto import keccak

from orchestrator.artifacts.load import load_artifact
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.chain.create2 import (
    DETERMINISTIC_DEPLOYER,
    PROXY_OVERHEAD_GAS,
    create2_address,
    create2_calldata,
    create_address,
    predict_create2,
)
from orchestrator.chain.vault_binding import APPROVE, BALANCE_OF, Function
from orchestrator.localmarket.addressbook import TokenEntry
from orchestrator.localmarket.pricing import (
    full_range_ticks,
    seed_amounts,
    sqrt_price_x96_for_usd_price,
    token_decimals,
)
from orchestrator.market.snapshot import AssetSnapshot

__all__ = [
    "GAS_VAULT_FACTORY",
    "PLATFORM_SALT",
    "POOL_INIT_CODE_HASH",
    "PlatformArgs",
    "Step",
    "TestMarketPlan",
    "observation_cardinality",
    "plan_platform",
    "plan_test_market",
    "pool_address",
    "vault_factory_constructor_args",
    "vault_factory_init_code",
]

PLATFORM_SALT = keccak(text="indexvault platform v1")
# contracts/libraries/PoolAddress.sol: the init-code hash of the canonical UniswapV3Pool.
POOL_INIT_CODE_HASH = bytes.fromhex(
    "e34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
)
GAS_VAULT_FACTORY = (
    11_000_000 + PROXY_OVERHEAD_GAS
)  # factory + IndexVault + BatchSettlement (~9.1M measured)
GAS_TOKEN = 1_500_000 + PROXY_OVERHEAD_GAS
GAS_MINT = 120_000
GAS_APPROVE = 80_000
GAS_CREATE_POOL = 5_500_000
GAS_PER_OBSERVATION_SLOT = 30_000
GAS_NPM_MINT = 700_000
TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10_000: 200}
DEFAULT_TWAP_WINDOW_S = 1_800  # the default mandate's window: the oracle ring must cover it

GET_POOL = Function("UniswapV3Factory", "getPool(address,address,uint24)", ("address",))
ALLOWANCE = Function("TestToken", "allowance(address,address)", ("uint256",))
LIQUIDITY = Function("UniswapV3Pool", "liquidity()", ("uint128",))
SLOT0 = Function(
    "UniswapV3Pool", "slot0()", ("uint160", "int24", "uint16", "uint16", "uint16", "uint8", "bool")
)
GROW_ORACLE = Function("UniswapV3Pool", "increaseObservationCardinalityNext(uint16)")
CREATE_POOL = Function(
    "NonfungiblePositionManager",
    "createAndInitializePoolIfNecessary(address,address,uint24,uint160)",
    ("address",),
)
NPM_MINT = Function(
    "NonfungiblePositionManager",
    "mint((address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address,uint256))",
    ("uint256", "uint128", "uint256", "uint256"),
)

Done = Callable[[Chain], bool]


@dataclass(frozen=True)
class Step:
    """One transaction of a deployment: `done` reads the chain to tell whether it (or its
    effect) is there already, in which case it is skipped."""

    key: str  # stable name, e.g. "platform:VaultFactory", "market:BTC:pool"
    what: str  # for a person
    to: str
    data: bytes
    gas_limit: int
    done: Done
    creates: str | None = None  # the address that holds code once it ran


def _has_code(address: str) -> Done:
    return lambda chain: bool(chain.code(address))


def _read_uint(chain: Chain, to: str, function: Function, *args: object) -> int:
    return int(function.decode(call_raw(chain, to, function.call(*args)))[0])


# --- the platform -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformArgs:
    """The VaultFactory's constructor arguments."""

    admin: str
    usdc: str
    uniswap_v3_factory: str
    fee_recipient: str
    fee_bps: int
    min_block_time_s: int


def vault_factory_constructor_args(args: PlatformArgs) -> bytes:
    """The ABI-encoded constructor arguments (an explorer's verification form asks for them)."""
    return abi_encode(
        ["address", "address", "address", "address", "uint16", "uint32"],
        [args.admin, args.usdc, args.uniswap_v3_factory, args.fee_recipient, args.fee_bps,
         args.min_block_time_s],
    )  # fmt: skip


def vault_factory_init_code(args: PlatformArgs) -> bytes:
    creation = bytes.fromhex(load_artifact("VaultFactory").bytecode.removeprefix("0x"))
    return creation + vault_factory_constructor_args(args)


def plan_platform(args: PlatformArgs) -> tuple[Step, str, str]:
    """The VaultFactory's step, its address and its IndexVault implementation's address."""
    init_code = vault_factory_init_code(args)
    factory = predict_create2(init_code, PLATFORM_SALT)
    step = Step(
        key="platform:VaultFactory",
        what="VaultFactory, its BatchSettlement and IndexVault implementation (CREATE2)",
        to=DETERMINISTIC_DEPLOYER,
        data=create2_calldata(init_code, PLATFORM_SALT),
        gas_limit=GAS_VAULT_FACTORY,
        done=_has_code(factory),
        creates=factory,
    )
    return step, factory, create_address(factory, 2)  # nonce 1 is its BatchSettlement


# --- a test market ------------------------------------------------------------------------


def observation_cardinality(block_time_s: int, twap_window_s: int = DEFAULT_TWAP_WINDOW_S) -> int:
    """The oracle ring a mandate's pools need on this chain: ceil(window / block time) + 1
    (contracts/IndexVault.sol, `CardinalityTooLow`)."""
    return math.ceil(twap_window_s / block_time_s) + 1


def pool_address(v3_factory: str, token_a: str, token_b: str, fee: int) -> str:
    """The pool's CREATE2 address, computed with the init-code hash the vault assumes."""
    t0, t1 = sorted((token_a, token_b), key=lambda a: int(a, 16))
    salt = keccak(abi_encode(["address", "address", "uint24"], [t0, t1, fee]))
    return create2_address(v3_factory, salt, POOL_INIT_CODE_HASH)


def _token_salt(symbol: str) -> bytes:
    return keccak(text=f"indexvault test market token {symbol}")


@dataclass(frozen=True)
class TestMarketPlan:
    steps: tuple[Step, ...]
    tokens: tuple[TokenEntry, ...]
    usdc_needed: int  # base units the deployer must hold to seed every pool
    observation_cardinality: int
    usdc_per_pool: dict[str, int]  # symbol -> the USDC base units its liquidity step spends


def plan_test_market(
    assets: Sequence[AssetSnapshot],
    *,
    deployer: str,
    usdc: str,
    v3_factory: str,
    position_manager: str,
    depth_usd: Decimal,
    block_time_s: int,
    deadline_s: int,
    fee: int = 3000,
) -> TestMarketPlan:
    """One TestToken and one seeded USDC pool per asset, at the asset's snapshot price."""
    token_artifact = load_artifact("TestToken")
    creation = bytes.fromhex(token_artifact.bytecode.removeprefix("0x"))
    cardinality = observation_cardinality(block_time_s)
    lower, upper = full_range_ticks(TICK_SPACING[fee])
    steps: list[Step] = []
    entries: list[TokenEntry] = []
    usdc_total = 0
    seeded: list[tuple[Done, int]] = []  # per pool: has it liquidity, the USDC it takes
    for asset in assets:
        decimals = token_decimals(asset.symbol)
        init_code = creation + abi_encode(
            ["string", "string", "uint8", "address"],
            [f"{asset.name} (indexvault test)", asset.symbol, decimals, deployer],
        )
        salt = _token_salt(asset.symbol)
        token = predict_create2(init_code, salt)
        is0 = int(token, 16) < int(usdc, 16)
        t0, t1 = (token, usdc) if is0 else (usdc, token)
        pool = pool_address(v3_factory, token, usdc, fee)
        token_units, usdc_units = seed_amounts(depth_usd, asset.price_usd, decimals)
        usdc_total += usdc_units
        sym = asset.symbol

        def has_liquidity(chain: Chain, pool: str = pool) -> bool:
            return bool(chain.code(pool)) and _read_uint(chain, pool, LIQUIDITY) > 0

        def holds(
            chain: Chain, token: str = token, need: int = token_units, pool: str = pool
        ) -> bool:
            if has_liquidity(chain, pool):
                return True
            return (
                bool(chain.code(token)) and _read_uint(chain, token, BALANCE_OF, deployer) >= need
            )

        def approved(
            chain: Chain, token: str = token, need: int = token_units, pool: str = pool
        ) -> bool:
            if has_liquidity(chain, pool):
                return True
            return (
                bool(chain.code(token))
                and _read_uint(chain, token, ALLOWANCE, deployer, position_manager) >= need
            )

        def oracle_grown(chain: Chain, pool: str = pool) -> bool:
            if not chain.code(pool):
                return False
            slot0 = SLOT0.decode(call_raw(chain, pool, SLOT0.call()))
            return int(slot0[4]) >= cardinality

        sqrt_price = sqrt_price_x96_for_usd_price(asset.price_usd, decimals, is0)
        amount0, amount1 = (token_units, usdc_units) if is0 else (usdc_units, token_units)
        mint_params = (t0, t1, fee, lower, upper, amount0, amount1, 0, 0, deployer, deadline_s)
        steps += [
            Step(f"market:{sym}:token", f"{sym} test token (CREATE2)", DETERMINISTIC_DEPLOYER,
                 create2_calldata(init_code, salt), GAS_TOKEN, _has_code(token), token),
            Step(f"market:{sym}:mint", f"mint {sym} for its pool", token,
                 Function("TestToken", "mint(address,uint256)").call(deployer, token_units),
                 GAS_MINT, holds),
            Step(f"market:{sym}:approve", f"approve {sym} to the position manager", token,
                 APPROVE.call(position_manager, token_units), GAS_APPROVE, approved),
            Step(f"market:{sym}:pool", f"{sym}/USDC pool at ${asset.price_usd}", position_manager,
                 CREATE_POOL.call(t0, t1, fee, sqrt_price), GAS_CREATE_POOL, _has_code(pool), pool),
            Step(f"market:{sym}:oracle", f"{sym} pool's oracle ring to {cardinality}", pool,
                 GROW_ORACLE.call(cardinality),
                 60_000 + GAS_PER_OBSERVATION_SLOT * cardinality, oracle_grown),
            Step(f"market:{sym}:liquidity", f"{sym}/USDC full-range liquidity", position_manager,
                 NPM_MINT.call(mint_params), GAS_NPM_MINT, has_liquidity),
        ]  # fmt: skip
        seeded.append((has_liquidity, usdc_units))
        entries.append(
            TokenEntry(
                symbol=sym,
                name=asset.name,
                address=token,
                decimals=decimals,
                pool=pool,
                fee=fee,
                token_is_token0=is0,
                snapshot_price_usd=asset.price_usd,
                snapshot_market_cap_usd=asset.market_cap_usd,
                seeded_depth_usd=depth_usd,
            )
        )

    def usdc_approved(chain: Chain) -> bool:
        still_needed = sum(units for check, units in seeded if not check(chain))
        if still_needed == 0:
            return True
        return _read_uint(chain, usdc, ALLOWANCE, deployer, position_manager) >= still_needed

    if assets:  # the USDC approval comes first: every pool's liquidity step spends it
        steps.insert(
            0,
            Step("market:USDC:approve", "approve USDC to the position manager", usdc,
                 APPROVE.call(position_manager, usdc_total), GAS_APPROVE, usdc_approved),
        )  # fmt: skip
    per_pool = {e.symbol: units for e, (_, units) in zip(entries, seeded, strict=True)}
    return TestMarketPlan(tuple(steps), tuple(entries), usdc_total, cardinality, per_pool)
