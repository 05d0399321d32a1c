// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {IIndexVault} from "../interfaces/IIndexVault.sol";
import {TickMath} from "./TickMath.sol";

/// @title TwapOracle
/// @notice The pool-history prices the keeper's trades are checked against: a pool's
///         time-weighted mean tick over a past window (or over each half of it), and the
///         amount out at a tick, rounded in a named direction.
/// @dev The windows end "now": a tick moved by a swap in the current block contributes
///      tick x 0 seconds, so same-block manipulation cannot move a mean.
library TwapOracle {
    /// @notice The arithmetic mean tick of `pool` over the last `window` seconds, rounded toward
    ///         negative infinity (the geometric mean price).
    /// @dev Reverts with `OracleTooShort(pool, window)` when the pool's observations do not reach
    ///      back `window` seconds (cardinality too small, or the pool is younger than the window).
    function meanTick(address pool, uint32 window) internal view returns (int24 tick) {
        uint32[] memory secondsAgos = new uint32[](2);
        secondsAgos[0] = window; // secondsAgos[1] = 0: now
        int56[] memory cumulatives = _observe(pool, secondsAgos, window);
        tick = _meanFloor(cumulatives[1] - cumulatives[0], window);
    }

    /// @notice The mean ticks of `pool` over the older half [now - window, now - window/2] and
    ///         the newer half [now - window/2, now] of the window, each rounded toward negative
    ///         infinity. One observation spike (two consecutive blocks) can shift only one half.
    /// @dev Reverts with `OracleTooShort(pool, window)` like `meanTick`.
    function halfMeanTicks(address pool, uint32 window) internal view returns (int24 olderTick, int24 newerTick) {
        uint32 newerSpan = window / 2;
        uint32[] memory secondsAgos = new uint32[](3);
        secondsAgos[0] = window;
        secondsAgos[1] = newerSpan; // secondsAgos[2] = 0: now
        int56[] memory cumulatives = _observe(pool, secondsAgos, window);
        olderTick = _meanFloor(cumulatives[1] - cumulatives[0], window - newerSpan);
        newerTick = _meanFloor(cumulatives[2] - cumulatives[1], newerSpan);
    }

    /// @notice What `amountIn` of `tokenIn` is worth in `tokenOut` at `tick`, rounded down.
    function quoteAtTickDown(int24 tick, uint256 amountIn, address tokenIn, address tokenOut)
        internal
        pure
        returns (uint256)
    {
        return _quote(tick, amountIn, tokenIn < tokenOut, false);
    }

    /// @notice What `amountIn` of `tokenIn` is worth in `tokenOut` at `tick`, rounded up.
    function quoteAtTickUp(int24 tick, uint256 amountIn, address tokenIn, address tokenOut)
        internal
        pure
        returns (uint256)
    {
        return _quote(tick, amountIn, tokenIn < tokenOut, true);
    }

    /// @notice `quoteAtTickDown` at the tick's sqrt ratio (`TickMath.sqrtRatioAtTick`), for a
    ///         caller that values several amounts at one tick and computes the ratio once.
    function quoteAtSqrtRatioDown(uint256 sqrtRatio, uint256 amountIn, address tokenIn, address tokenOut)
        internal
        pure
        returns (uint256)
    {
        return _quoteAt(sqrtRatio, amountIn, tokenIn < tokenOut, false);
    }

    /// @notice `quoteAtTickUp` at the tick's sqrt ratio.
    function quoteAtSqrtRatioUp(uint256 sqrtRatio, uint256 amountIn, address tokenIn, address tokenOut)
        internal
        pure
        returns (uint256)
    {
        return _quoteAt(sqrtRatio, amountIn, tokenIn < tokenOut, true);
    }

    function _observe(address pool, uint32[] memory secondsAgos, uint32 window)
        private
        view
        returns (int56[] memory cumulatives)
    {
        try IUniswapV3Pool(pool).observe(secondsAgos) returns (int56[] memory c, uint160[] memory) {
            cumulatives = c;
        } catch {
            revert IIndexVault.OracleTooShort(pool, window);
        }
    }

    /// @dev delta / span rounded toward negative infinity. The quotient is a mean of ticks, each
    ///      within int24: the cast cannot truncate.
    function _meanFloor(int56 delta, uint32 span) private pure returns (int24 tick) {
        int56 span56 = int56(uint56(span));
        // forge-lint: disable-next-line(unsafe-typecast)
        tick = int24(delta / span56);
        if (delta < 0 && delta % span56 != 0) tick--;
    }

    /// @dev price(token0 in token1) = sqrtRatio^2 / 2^192. Below 2^128 the square fits in 256
    ///      bits and is exact; above it the ratio is taken in Q128, itself rounded in the
    ///      direction that keeps the final result rounded as asked. Math.mulDiv keeps the
    ///      512-bit intermediate products exact.
    function _quote(int24 tick, uint256 amountIn, bool inIsToken0, bool up) private pure returns (uint256) {
        return _quoteAt(TickMath.sqrtRatioAtTick(tick), amountIn, inIsToken0, up);
    }

    function _quoteAt(uint256 sqrtRatio, uint256 amountIn, bool inIsToken0, bool up) private pure returns (uint256) {
        Math.Rounding out = up ? Math.Rounding.Ceil : Math.Rounding.Floor;
        if (sqrtRatio <= type(uint128).max) {
            uint256 ratioX192 = sqrtRatio * sqrtRatio;
            return inIsToken0
                ? Math.mulDiv(amountIn, ratioX192, 1 << 192, out)
                : Math.mulDiv(amountIn, 1 << 192, ratioX192, out);
        }
        // token0 in: the output grows with the ratio; token1 in: it shrinks with it.
        Math.Rounding ratio = (up == inIsToken0) ? Math.Rounding.Ceil : Math.Rounding.Floor;
        uint256 ratioX128 = Math.mulDiv(sqrtRatio, sqrtRatio, 1 << 64, ratio);
        return inIsToken0
            ? Math.mulDiv(amountIn, ratioX128, 1 << 128, out)
            : Math.mulDiv(amountIn, 1 << 128, ratioX128, out);
    }
}
