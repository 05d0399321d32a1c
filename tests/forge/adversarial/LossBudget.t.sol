// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {console} from "forge-std/Test.sol";
import {Fixture} from "../utils/Fixture.sol";
import {SandwichKeeper} from "../mocks/Attackers.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";
import {TwapOracle} from "../../../contracts/libraries/TwapOracle.sol";

/// @notice The death-by-a-thousand-cuts keeper: 200 rebalances an hour apart, each sandwiched
///         so that it loses just inside the per-trade slippage limit. Every trade is legal on its
///         own; only the rolling loss budget stops the drain.
contract LossBudgetTest is Fixture {
    uint16 internal constant SLIPPAGE_BPS = 40;
    uint256 internal constant ROUNDS = 200;
    uint256 internal constant START_USDC = 100_000e6;

    TestToken internal t;
    IUniswapV3Pool internal pool;
    SandwichKeeper internal evil;
    int24 internal startTick;
    uint160 internal startSqrt;

    function setUp() public override {
        super.setUp();
        vm.prank(admin);
        factory.setFee(0);
        t = _token("TTT", 18, true);
        pool = _pool(address(t), FEE, 100e6, 1_000_000_000e6); // deep: the vault's own impact is ~0.02%
        _age(1 hours);
        _buy(START_USDC, _legs(_leg(address(t), START_USDC, 0)));
        (startSqrt, startTick,,,,,) = pool.slot0(); // the undisturbed price from here on

        evil = new SandwichKeeper();
        _fund(address(usdc), address(evil), 10_000_000_000e6);
        _fund(address(t), address(evil), 100_000_000e18);
        keeper = address(evil);
    }

    function test_200TradesJustInsideTheSlippage_drainOver40PercentWithoutABudget() public {
        _setMandate(_mandate(SLIPPAGE_BPS, 1 hours, type(uint96).max), _allow(address(t)));
        uint256 start = _value();
        (uint256 trades, uint256 blocked) = _run();
        uint256 end = _value();
        console.log("no budget: trades", trades);
        console.log("no budget: value left (USDC units)", end);
        assertEq(trades, ROUNDS, "every trade was legal on its own");
        assertEq(blocked, 0, "nothing stopped it");
        assertLt(end * 100, start * 60, "over 40% drained");
    }

    function test_200TradesJustInsideTheSlippage_stoppedByTheRollingLossBudget() public {
        uint96 budget = 1_000e6; // 1% of the vault per 7 days
        _setMandate(_mandate(SLIPPAGE_BPS, 1 hours, budget), _allow(address(t)));
        uint256 start = _value();
        uint256 t0 = block.timestamp;
        (uint256 trades, uint256 blocked) = _run();
        uint256 end = _value();
        uint256 elapsed = block.timestamp - t0;
        uint256 bound_ = budget + uint256(budget) * elapsed / 7 days;
        console.log("budget: trades", trades);
        console.log("budget: blocked by LossBudgetExceeded", blocked);
        console.log("budget: value lost (USDC units)", start - end);
        assertGt(blocked, 0, "the budget stopped the keeper");
        assertLt(trades, 20, "few trades got through");
        assertLe(start - end, bound_, "loss <= budget + leak over the period");
        assertLt((start - end) * 100, start * 3, "under 3% lost in 200 hours");
    }

    /// @dev Each hour: the attacker pushes the price against the vault as far as the vault's
    ///      floor allows (found by stepping one tick at a time), the keeper trades the whole
    ///      position with min-out = floor, and the attacker restores the price.
    function _run() internal returns (uint256 trades, uint256 blocked) {
        int24 depth = int24(uint24(SLIPPAGE_BPS)); // ticks of adverse push to try first
        for (uint256 round; round < ROUNDS; ++round) {
            vm.warp(block.timestamp + 1 hours);
            vm.roll(block.number + 300);
            bool sellLeg = _bal(address(t), address(vault)) > 0;
            uint256 amountIn = sellLeg ? _bal(address(t), address(vault)) : _bal(address(usdc), address(vault));
            (, uint256 floor) = vault.oracleQuote(address(t), FEE, amountIn, sellLeg);
            IIndexVault.Leg[] memory legs = _legs(_leg(address(t), amountIn, floor));
            // adverse = the token cheaper when the vault sells it, dearer when it buys
            int24 sign = sellLeg == (address(t) < address(usdc)) ? int24(-1) : int24(1);
            for (int24 d = depth + 2; d >= 0; --d) {
                uint160 pushTo = TickMath.sqrtRatioAtTick(startTick + sign * d);
                try evil.sandwich(vault, address(pool), pushTo, sellLeg ? legs : _noLegs(), sellLeg ? _noLegs() : legs) {
                    ++trades;
                    depth = d;
                    break;
                } catch (bytes memory err) {
                    if (bytes4(err) == IIndexVault.LossBudgetExceeded.selector) {
                        ++blocked;
                        break;
                    }
                    // pushed past the floor, or past the spot/TWAP agreement band (maxSlippageBps ticks)
                    assertTrue(
                        bytes4(err) == IIndexVault.InsufficientOutput.selector
                            || bytes4(err) == IIndexVault.PriceUnsettled.selector,
                        "only the floor, the agreement band or the budget"
                    );
                }
            }
            (uint160 sqrtNow,,,,,,) = pool.slot0();
            assertEq(sqrtNow, startSqrt, "attacker restored the price");
        }
    }

    /// @dev The vault's value at the undisturbed price.
    function _value() internal view returns (uint256) {
        return _bal(address(usdc), address(vault))
            + TwapOracle.quoteAtTickDown(startTick, _bal(address(t), address(vault)), address(t), address(usdc));
    }
}
