// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {console} from "forge-std/Test.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {RealisticMarket} from "../utils/RealisticMarket.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";

/// @notice Issue 13, finding 5: a pool whose oracle holds 16 observations (the local market's
///         setting) covers a 30-minute window only while fewer than 16 blocks in that window
///         moved its tick. Anyone can make 16 one-tick swaps in separate blocks for the cost of
///         the pool fee on a few hundred dollars, and every keeper rebalance through that pool
///         reverts until the window has passed again.
///         Before the fix (cfe2344): 16 swaps costing $1.19 froze the pool's rebalances.
///         Now a mandate needs every pool's cardinality to cover the window at one observation
///         per block (ceil(1 800 / 12) + 1 = 151 on a 12-second chain), and then no number of
///         swaps, at most one per block, can push the window's start out of the ring.
contract CardinalityFreezeTest is RealisticMarket {
    TestToken internal d;
    IUniswapV3Pool internal poolD;
    uint256 internal attackerSpent;

    function setUp() public override {
        super.setUp();
        d = _token("DDD", 18, true);
        poolD = IUniswapV3Pool(uniFactory.createPool(address(d), address(usdc), FEE));
        poolD.initialize(_sqrtPrice(address(d), 18, 2_000e6));
        poolD.increaseObservationCardinalityNext(16);
        _fundPoolD();
        _age(1 hours);
        _buy(VAULT_USDC, _legs(_leg(address(d), VAULT_USDC / 2, 0)));
        _age(1 hours);
    }

    function _fundPoolD() internal {
        (uint160 sqrtP,,,,,,) = poolD.slot0();
        _fund(address(usdc), address(actor), DEPTH_USDC * 4);
        _fund(address(d), address(actor), 4_000e18);
        actor.mintFullRange(address(poolD), uint128(DEPTH_USDC * (1 << 96) / sqrtP));
    }

    function _attack(uint256) internal override {}

    /// @dev `n` swaps of one tick each, alternating up and down, one per 12-second block.
    function _tinySwaps(uint256 n) internal {
        uint256 usdcBefore = _bal(address(usdc), address(actor));
        uint256 dBefore = _bal(address(d), address(actor));
        int24 base = _spotTick(poolD);
        for (uint256 i; i < n; ++i) {
            _blocks(1);
            actor.pushPrice(address(poolD), TickMath.sqrtRatioAtTick(i % 2 == 0 ? base + 2 : base));
        }
        (uint160 sqrtP,,,,,,) = poolD.slot0();
        // what the attacker paid, valued at the price (pool fees + rounding)
        uint256 usdcNow = _bal(address(usdc), address(actor)) + (_bal(address(d), address(actor)) * uint256(sqrtP) / (1 << 96)) * uint256(sqrtP) / (1 << 96);
        uint256 usdcThen = usdcBefore + (dBefore * uint256(sqrtP) / (1 << 96)) * uint256(sqrtP) / (1 << 96);
        attackerSpent = usdcThen > usdcNow ? usdcThen - usdcNow : 0;
    }

    function test_aPoolWith16ObservationsIsRefusedAtMandateTime() public {
        IIndexVault.AllowedPool[] memory pools = new IIndexVault.AllowedPool[](1);
        pools[0] = IIndexVault.AllowedPool({token: address(d), fee: FEE});
        IIndexVault.Mandate memory m = _issueMandate();
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.CardinalityTooLow.selector, address(poolD), 16, 151));
        vm.prank(owner);
        vault.setMandate(m, pools);
    }

    function test_withTheRequiredCardinality_aSwapInEveryBlockCannotFreezeTheKeeper() public {
        poolD.increaseObservationCardinalityNext(151);
        _tinySwaps(200); // the ring grows as it wraps; by now it is 151 slots of 12-second blocks
        (,,, uint16 cardinality,,,) = poolD.slot0();
        assertEq(cardinality, 151, "grown");
        IIndexVault.AllowedPool[] memory pools = new IIndexVault.AllowedPool[](1);
        pools[0] = IIndexVault.AllowedPool({token: address(d), fee: FEE});
        _setMandate(_issueMandate(), pools);
        _tinySwaps(160); // more swaps than slots, one per block, right before the keeper
        console.log("attacker's cost of 160 swaps (USDC units)", attackerSpent);
        uint256 held = _bal(address(d), address(vault));
        uint256 amountIn = held / 2;
        (, uint256 floor) = vault.oracleQuote(address(d), FEE, amountIn, true);
        IIndexVault.Leg[] memory sells = _legs(_leg(address(d), amountIn, floor));
        vm.prank(keeper);
        vault.rebalance(sells, _noLegs(), block.timestamp);
        assertEq(_bal(address(d), address(vault)), held - amountIn, "the keeper traded");
    }
}
