// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {IIndexVault} from "../interfaces/IIndexVault.sol";
import {TickMath} from "./TickMath.sol";

/// @title TwapOracle
/// @notice The independent price the keeper's trades are checked against: a pool's
///         time-weighted mean tick over a past window, turned into an amount out.
/// @dev Reads only accumulated observations (`observe`), never `slot0`. The window ends "now":
///      a tick moved by a swap in the current block contributes tick x 0 seconds, so same-block
///      manipulation cannot move the mean.
library TwapOracle {
    /// @notice The arithmetic mean tick of `pool` over the last `window` seconds, rounded toward
    ///         negative infinity (the geometric mean price).
    /// @dev Reverts with `OracleTooShort(pool, window)` when the pool's observations do not reach
    ///      back `window` seconds (cardinality too small, or the pool is younger than the window).
    function meanTick(address pool, uint32 window) internal view returns (int24 tick) {
        uint32[] memory secondsAgos = new uint32[](2);
        secondsAgos[0] = window; // secondsAgos[1] = 0: now
        try IUniswapV3Pool(pool).observe(secondsAgos) returns (int56[] memory cumulatives, uint160[] memory) {
            int56 delta = cumulatives[1] - cumulatives[0];
            int56 span = int56(uint56(window));
            // The quotient is a mean of ticks, each within int24: the cast cannot truncate.
            // forge-lint: disable-next-line(unsafe-typecast)
            tick = int24(delta / span);
            if (delta < 0 && delta % span != 0) tick--;
        } catch {
            revert IIndexVault.OracleTooShort(pool, window);
        }
    }

    /// @notice What `amountIn` of `tokenIn` is worth in `tokenOut` at `tick`, rounded down.
    /// @dev price(token0 in token1) = sqrtRatio^2 / 2^192. Below 2^128 the square fits in 256
    ///      bits; above it the ratio is taken in Q128 to avoid overflow. Math.mulDiv keeps the
    ///      512-bit intermediate products exact.
    function quoteAtTick(int24 tick, uint256 amountIn, address tokenIn, address tokenOut)
        internal
        pure
        returns (uint256)
    {
        uint256 sqrtRatio = TickMath.sqrtRatioAtTick(tick);
        bool inIsToken0 = tokenIn < tokenOut;
        if (sqrtRatio <= type(uint128).max) {
            uint256 ratioX192 = sqrtRatio * sqrtRatio;
            return inIsToken0 ? Math.mulDiv(amountIn, ratioX192, 1 << 192) : Math.mulDiv(amountIn, 1 << 192, ratioX192);
        }
        uint256 ratioX128 = Math.mulDiv(sqrtRatio, sqrtRatio, 1 << 64);
        return inIsToken0 ? Math.mulDiv(amountIn, ratioX128, 1 << 128) : Math.mulDiv(amountIn, 1 << 128, ratioX128);
    }
}
