// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {Fixture} from "./Fixture.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";
import {TwapOracle} from "../../../contracts/libraries/TwapOracle.sol";

/// @notice The setting of issue 13's review: a $10 000 vault, pools of $1.5M full-range depth
///         per side, a mandate of 100 bps max slippage, 1 h interval, 30-minute TWAP and a loss
///         budget of 100 USDC per 7 days. A (18 decimals, $2 000) is token0 of its pool.
///         Attack helpers find the deepest adverse price push an attacker can get away with by
///         probing (each probe runs the whole attack and reverts), then run it for real.
abstract contract RealisticMarket is Fixture {
    uint256 internal constant VAULT_USDC = 10_000e6;
    uint256 internal constant DEPTH_USDC = 1_500_000e6;
    uint16 internal constant SLIPPAGE_BPS = 100;
    uint96 internal constant BUDGET_USDC = 100e6;
    uint256 internal constant BLOCK_S = 12;

    error ProbeSucceeded();

    TestToken internal a;
    IUniswapV3Pool internal poolA;

    function setUp() public virtual override {
        super.setUp();
        a = _token("AAA", 18, true);
        poolA = _pool(address(a), FEE, 2_000e6, DEPTH_USDC);
        _age(1 hours);
    }

    function _issueMandate() internal view returns (IIndexVault.Mandate memory) {
        return _mandate(SLIPPAGE_BPS, 1 hours, BUDGET_USDC);
    }

    /// @dev A keeper leg of `token` with the least min-out the vault accepts.
    function _keeperSell(address token, uint256 amountIn) internal view returns (IIndexVault.Leg memory) {
        (, uint256 floor) = vault.oracleQuote(token, FEE, amountIn, true);
        return _leg(token, amountIn, floor);
    }

    function _keeperBuy(address token, uint256 usdcIn) internal view returns (IIndexVault.Leg memory) {
        (, uint256 floor) = vault.oracleQuote(token, FEE, usdcIn, false);
        return _leg(token, usdcIn, floor);
    }

    /// @dev Moves time and blocks on at 12 s per block.
    function _blocks(uint256 n) internal {
        vm.warp(block.timestamp + n * BLOCK_S);
        vm.roll(block.number + n);
    }

    function _spotTick(IUniswapV3Pool pool) internal view returns (int24 tick) {
        (, tick,,,,,) = pool.slot0();
    }

    /// @dev A's value in USDC units at `tick` plus the USDC, for `who`.
    function _valueAt(address who, int24 tick) internal view returns (uint256) {
        return _bal(address(usdc), who) + TwapOracle.quoteAtTickDown(tick, _bal(address(a), who), address(a), address(usdc));
    }

    /// @dev Ticks of price move that make A cheaper (it is token0: a lower tick).
    function _cheaper(int24 tick, uint256 ticks) internal pure returns (uint160) {
        return TickMath.sqrtRatioAtTick(tick - int24(int256(ticks)));
    }

    /// @dev The attack at `depth`, implemented by each test (may revert).
    function _attack(uint256 depth) internal virtual;

    function probeAttack(uint256 depth) external {
        _attack(depth);
        revert ProbeSucceeded();
    }

    function _works(uint256 depth) internal returns (bool) {
        try this.probeAttack(depth) {}
        catch (bytes memory err) {
            return bytes4(err) == ProbeSucceeded.selector;
        }
        return false;
    }

    /// @dev The largest depth in [0, maxDepth] at which the attack works (binary search; the
    ///      attack gets harder with depth), or type(uint256).max if it never works.
    function _deepest(uint256 maxDepth) internal returns (uint256) {
        if (!_works(0)) return type(uint256).max;
        uint256 lo = 0;
        uint256 hi = maxDepth;
        while (lo < hi) {
            uint256 mid = (lo + hi + 1) / 2;
            if (_works(mid)) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}
