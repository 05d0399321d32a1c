// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {PoolAddress} from "../../../contracts/libraries/PoolAddress.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";
import {TwapOracle} from "../../../contracts/libraries/TwapOracle.sol";

/// @dev External wrapper so reverts of the internal library can be asserted.
contract TickMathHarness {
    function sqrtRatioAtTick(int24 tick) external pure returns (uint160) {
        return TickMath.sqrtRatioAtTick(tick);
    }
}

/// @notice The libraries: pool address, tick math (against exact values and the shipped pool),
///         the TWAP read and the quote.
contract OracleTest is VaultTest {
    TickMathHarness internal harness = new TickMathHarness();

    // --- PoolAddress --------------------------------------------------------------------------

    function test_initCodeHash_matchesShippedPoolBytecode() public view {
        assertEq(keccak256(vm.getCode(UNI_POOL_ARTIFACT)), PoolAddress.POOL_INIT_CODE_HASH, "init code hash");
    }

    function test_poolAddress_matchesFactory() public view {
        assertEq(PoolAddress.compute(address(uniFactory), address(a), address(usdc), FEE), address(poolA), "A");
        assertEq(PoolAddress.compute(address(uniFactory), address(usdc), address(b), FEE), address(poolB), "B, reversed");
        assertEq(uniFactory.getPool(address(a), address(usdc), FEE), address(poolA), "factory agrees");
    }

    // --- TickMath -----------------------------------------------------------------------------

    function test_tickMath_boundsMatchThePool() public pure {
        assertEq(TickMath.sqrtRatioAtTick(TickMath.MIN_TICK), TickMath.MIN_SQRT_RATIO, "min");
        assertEq(TickMath.sqrtRatioAtTick(TickMath.MAX_TICK), TickMath.MAX_SQRT_RATIO, "max");
        assertEq(TickMath.sqrtRatioAtTick(0), 1 << 96, "tick 0 is price 1");
    }

    function test_tickMath_revertsOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(TickMath.TickOutOfRange.selector, int24(887273)));
        harness.sqrtRatioAtTick(887273);
        vm.expectRevert(abi.encodeWithSelector(TickMath.TickOutOfRange.selector, int24(-887273)));
        harness.sqrtRatioAtTick(-887273);
    }

    /// @dev Expected values: ceil(sqrt(1.0001^tick) * 2^96) with 150-digit decimals (Python).
    function test_tickMath_matchesExactValues() public pure {
        _check(0, 79228162514264337593543950336);
        _check(1, 79232123823359799118286999568);
        _check(-1, 79224201403219477170569942574);
        _check(5, 79247971040445709311708648151);
        _check(-7, 79200438895458472326222447580);
        _check(60, 79466191966197645195421774833);
        _check(-60, 78990846045029531151608375686);
        _check(69081, 2505413655765166104103837312489);
        _check(-69081, 2505415311736066150957655980);
        _check(123456, 37980312163600838849089827163598);
        _check(-98765, 567978745392885444464551635);
        _check(200000, 1744244129640337381386292603617838);
        _check(-200000, 3598751819609688046946419);
        _check(443636, 340275971719517849884101479063205952280);
        _check(-443636, 18447090764788882728);
        _check(887272, 1461446703485210103244672773810124308346321380903);
        _check(-887272, 4295128739);
    }

    function _check(int24 tick, uint256 exactCeil) internal pure {
        // relative error below 1e-15 (Q128 intermediate precision), exact for small ticks
        vm.assertApproxEqRel(TickMath.sqrtRatioAtTick(tick), exactCeil, 1e3, "tick math");
    }

    /// @dev The shipped pool computes the tick of a sqrt price with Uniswap's own TickMath:
    ///      initialising a pool at our sqrtRatioAtTick(t) must land exactly on tick t.
    function testFuzz_tickMath_agreesWithShippedPool(int24 tick) public {
        tick = int24(int256(bound(uint256(int256(tick) + 887272), 0, 2 * 887272 - 1)) - 887272);
        TestToken c = new TestToken("C", "C", 18, address(this));
        IUniswapV3Pool pool = IUniswapV3Pool(uniFactory.createPool(address(c), address(usdc), FEE));
        pool.initialize(TickMath.sqrtRatioAtTick(tick));
        (, int24 poolTick,,,,,) = pool.slot0();
        assertEq(int256(poolTick), int256(tick), "pool tick");
    }

    // --- TWAP ---------------------------------------------------------------------------------

    function test_quoteAtTick_pricesBothOrientationsAndDecimals() public view {
        int24 tickA = TwapOracle.meanTick(address(poolA), 30 minutes);
        int24 tickB = TwapOracle.meanTick(address(poolB), 30 minutes);
        // one whole token in USDC: A is token0 (18 decimals), B is token1 (8 decimals)
        assertApproxEqRel(TwapOracle.quoteAtTickDown(tickA, 1e18, address(a), address(usdc)), 2_000e6, 1e14, "A->USDC");
        assertApproxEqRel(TwapOracle.quoteAtTickDown(tickB, 1e8, address(b), address(usdc)), 60_000e6, 1e14, "B->USDC");
        assertApproxEqRel(TwapOracle.quoteAtTickDown(tickA, 2_000e6, address(usdc), address(a)), 1e18, 1e14, "USDC->A");
        assertApproxEqRel(TwapOracle.quoteAtTickDown(tickB, 60_000e6, address(usdc), address(b)), 1e8, 1e14, "USDC->B");
    }

    function testFuzz_quoteAtTick_inverseWithinOneTick(int24 tick, uint96 amount) public view {
        tick = int24(int256(bound(uint256(int256(tick) + 400_000), 0, 800_000)) - 400_000);
        vm.assume(amount > 1e9);
        uint256 out = TwapOracle.quoteAtTickDown(tick, amount, address(a), address(usdc));
        vm.assume(out > 1e9);
        uint256 back = TwapOracle.quoteAtTickDown(tick, out, address(usdc), address(a));
        assertLe(back, amount, "rounds down both ways");
        assertApproxEqRel(back, amount, 1e10, "round trip");
    }

    function test_meanTick_roundsTowardNegativeInfinity() public {
        // a price where the tick is negative and the cumulative does not divide evenly
        TestToken c = _token("CCC", 18, true);
        IUniswapV3Pool pool = _pool(address(c), FEE, 3e6, 1_000_000e6); // tick < 0
        _age(15 minutes);
        actor.swap(address(pool), true, 1_000e18, 0); // a second tick inside the window
        _age(3 minutes + 7 seconds);
        uint32[] memory ago = new uint32[](2);
        ago[0] = 601;
        (int56[] memory cum,) = pool.observe(ago);
        int56 delta = cum[1] - cum[0];
        assertTrue(delta < 0 && delta % 601 != 0, "negative, inexact");
        assertEq(int256(TwapOracle.meanTick(address(pool), 601)), int256(delta / 601 - 1), "floor");
    }

    /// @dev Same-block manipulation moves slot0 (which the guard now reads) but not the two
    ///      half-window means: pushed further than the max slippage the quote is refused
    ///      (`PriceUnsettled`); pushed within it against the vault, the most protective
    ///      reference is still a mean, so the floor does not drop.
    function test_oracle_sameBlockSpotCanOnlyBlockOrRaiseTheFloor() public {
        _defaultMandate(); // 100 bps
        (, uint256 floorBefore) = vault.oracleQuote(address(a), FEE, 1e18, true);
        (uint160 sqrtBefore, int24 tick,,,,,) = poolA.slot0();
        actor.pushPrice(address(poolA), sqrtBefore / 2); // A at a quarter of its price, this block
        (uint160 sqrtAfter, int24 tickAfter,,,,,) = poolA.slot0();
        assertLt(sqrtAfter, sqrtBefore, "spot moved");
        (int24 older, int24 newer) = TwapOracle.halfMeanTicks(address(poolA), 30 minutes);
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.PriceUnsettled.selector, address(poolA), tickAfter, older, newer)
        );
        vault.oracleQuote(address(a), FEE, 1e18, true);
        actor.pushPrice(address(poolA), TickMath.sqrtRatioAtTick(tick - 60)); // within the 100 ticks
        (, uint256 floorPushed) = vault.oracleQuote(address(a), FEE, 1e18, true);
        assertGe(floorPushed, floorBefore * 9_999 / 10_000, "a cheaper spot does not lower the sell floor");
        actor.pushPrice(address(poolA), TickMath.sqrtRatioAtTick(tick + 60)); // in the vault's favour
        (, uint256 floorRaised) = vault.oracleQuote(address(a), FEE, 1e18, true);
        assertGt(floorRaised, floorBefore, "a dearer spot raises the sell floor");
    }
}
