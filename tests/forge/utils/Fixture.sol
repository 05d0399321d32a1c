// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IUniswapV3Factory} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Factory.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";

import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {VaultFactory} from "../../../contracts/VaultFactory.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {PoolAddress} from "../../../contracts/libraries/PoolAddress.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";
import {PoolActor} from "./PoolActor.sol";

interface IMintable {
    function mint(address to, uint256 amount) external;
}

/// @notice Shared setup: the shipped Uniswap V3 factory, a 6-decimal USDC, pools with full-range
///         liquidity at chosen prices, the VaultFactory and one vault owned by `owner`.
abstract contract Fixture is Test {
    string internal constant UNI_FACTORY_ARTIFACT =
        "node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json";
    string internal constant UNI_POOL_ARTIFACT =
        "node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json";

    uint24 internal constant FEE = 500; // 0.05% tier, tick spacing 10
    uint16 internal constant PLATFORM_FEE_BPS = 30;
    uint256 internal constant T0 = 1_700_000_000;
    /// @dev Ethereum's 12 s blocks: a 30-minute window needs ceil(1800 / 12) + 1 = 151 observations.
    uint32 internal constant MIN_BLOCK_TIME = 12;
    uint16 internal constant CARDINALITY = 151;
    /// @dev The fee cap: a maxFeeBps that accepts any fee the factory can charge.
    uint16 internal constant ANY_FEE_BPS = 100;

    address internal admin = address(0xAD);
    address internal feeRecipient = address(0xFEE);
    address internal owner = address(0x0A);
    address internal keeper = address(0x0B);
    address internal stranger = address(0x0C);

    IUniswapV3Factory internal uniFactory;
    TestToken internal usdc;
    PoolActor internal actor;
    VaultFactory internal factory;
    IndexVault internal vault;
    uint256 private _salt;

    function setUp() public virtual {
        vm.warp(T0);
        uniFactory = IUniswapV3Factory(vm.deployCode(UNI_FACTORY_ARTIFACT));
        usdc = new TestToken("USD Coin", "USDC", 6, address(this));
        actor = new PoolActor();
        factory = new VaultFactory(admin, address(usdc), address(uniFactory), feeRecipient, PLATFORM_FEE_BPS, MIN_BLOCK_TIME);
        vault = IndexVault(factory.createVault(owner, bytes32(0)));
        vm.label(address(usdc), "USDC");
        vm.label(address(vault), "vault");
        vm.label(address(actor), "actor");
    }

    // --- tokens and pools ---------------------------------------------------------------------

    /// @dev A TestToken whose address sorts below (token0) or above (token1) USDC.
    function _token(string memory symbol, uint8 decimals, bool belowUsdc) internal returns (TestToken t) {
        for (;;) {
            t = new TestToken{salt: bytes32(++_salt)}(symbol, symbol, decimals, address(this));
            if ((address(t) < address(usdc)) == belowUsdc) break;
        }
        vm.label(address(t), symbol);
    }

    /// @dev sqrt price of a pool where one whole token (10^decimals units) costs `usdcPerToken` USDC units.
    function _sqrtPrice(address token, uint8 decimals, uint256 usdcPerToken) internal view returns (uint160) {
        uint256 ratioX192 = token < address(usdc)
            ? Math.mulDiv(usdcPerToken, 1 << 192, 10 ** decimals)
            : Math.mulDiv(10 ** decimals, 1 << 192, usdcPerToken);
        return uint160(Math.sqrt(ratioX192));
    }

    /// @dev Creates token/USDC at `fee`, priced at `usdcPerToken`, with about `depthUsdc` USDC
    ///      of full-range liquidity on each side; grows the oracle to CARDINALITY.
    function _pool(address token, uint24 fee, uint256 usdcPerToken, uint256 depthUsdc)
        internal
        returns (IUniswapV3Pool pool)
    {
        pool = IUniswapV3Pool(uniFactory.createPool(token, address(usdc), fee));
        uint8 decimals = TestToken(token).decimals();
        uint160 sqrtP = _sqrtPrice(token, decimals, usdcPerToken);
        pool.initialize(sqrtP);
        pool.increaseObservationCardinalityNext(CARDINALITY);
        // The ring grows to CARDINALITY at its next write, which a pool makes at most once a
        // second: one second on, the liquidity below writes it (a live pool's next swap would).
        vm.warp(block.timestamp + 1);
        uint256 liquidity = token < address(usdc)
            ? Math.mulDiv(depthUsdc, 1 << 96, sqrtP) // USDC is token1: amount1 = L * sqrtP
            : Math.mulDiv(depthUsdc, sqrtP, 1 << 96); // USDC is token0: amount0 = L / sqrtP
        _fund(address(usdc), address(actor), depthUsdc * 4);
        _fund(token, address(actor), Math.mulDiv(depthUsdc * 4, 10 ** decimals, usdcPerToken) + 1);
        actor.mintFullRange(address(pool), uint128(liquidity));
        vm.label(address(pool), string.concat("pool-", TestToken(token).symbol()));
    }

    function _fund(address token, address to, uint256 amount) internal {
        IMintable(token).mint(to, amount);
    }

    /// @dev Lets every pool's oracle cover `seconds_` of history at the current price.
    function _age(uint256 seconds_) internal {
        vm.warp(block.timestamp + seconds_);
        vm.roll(block.number + seconds_ / 12 + 1);
    }

    // --- vault helpers ------------------------------------------------------------------------

    function _leg(address token, uint256 amountIn, uint256 minOut) internal pure returns (IIndexVault.Leg memory) {
        return IIndexVault.Leg({token: token, fee: FEE, amountIn: amountIn, amountOutMin: minOut});
    }

    function _legs(IIndexVault.Leg memory a) internal pure returns (IIndexVault.Leg[] memory legs) {
        legs = new IIndexVault.Leg[](1);
        legs[0] = a;
    }

    function _legs(IIndexVault.Leg memory a, IIndexVault.Leg memory b)
        internal
        pure
        returns (IIndexVault.Leg[] memory legs)
    {
        legs = new IIndexVault.Leg[](2);
        legs[0] = a;
        legs[1] = b;
    }

    function _noLegs() internal pure returns (IIndexVault.Leg[] memory) {
        return new IIndexVault.Leg[](0);
    }

    /// @dev Funds the owner and buys through the vault as the owner.
    function _buy(uint256 usdcAmount, IIndexVault.Leg[] memory legs) internal {
        _fund(address(usdc), owner, usdcAmount);
        vm.startPrank(owner);
        usdc.approve(address(vault), usdcAmount);
        vault.buy(usdcAmount, legs, ANY_FEE_BPS, block.timestamp);
        vm.stopPrank();
    }

    function _mandate(uint16 slippageBps, uint24 minInterval, uint96 lossBudget)
        internal
        view
        returns (IIndexVault.Mandate memory)
    {
        return IIndexVault.Mandate({
            keeper: keeper,
            maxSlippageBps: slippageBps,
            minInterval: minInterval,
            twapWindow: 30 minutes,
            lossBudget: lossBudget,
            lossWindow: 7 days,
            lossCap: type(uint96).max, // no lifetime cap unless a test sets one
            batchable: false
        });
    }

    function _allow(address token) internal pure returns (IIndexVault.AllowedPool[] memory pools) {
        pools = new IIndexVault.AllowedPool[](1);
        pools[0] = IIndexVault.AllowedPool({token: token, fee: FEE});
    }

    function _setMandate(IIndexVault.Mandate memory m, IIndexVault.AllowedPool[] memory pools) internal {
        vm.prank(owner);
        vault.setMandate(m, pools);
    }

    function _poolOf(address token) internal view returns (address) {
        return PoolAddress.compute(address(uniFactory), token, address(usdc), FEE);
    }

    function _bal(address token, address who) internal view returns (uint256) {
        return IERC20(token).balanceOf(who);
    }
}
