// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title TickMath
/// @notice Tick -> sqrt price for Uniswap V3 pools, written for Solidity 0.8 (Uniswap's own
///         library is pragma <0.8). A tick t stands for the price 1.0001^t of token0 in token1;
///         the pool stores sqrt(price) as a Q64.96 fixed-point number.
/// @dev Method: sqrt(1.0001)^(-|t|) = product over the set bits i of |t| of
///      1.0001^(-2^i / 2). Each factor is a Q128 constant K_i = floor(2^128 * 1.0001^(-2^(i-1))),
///      derived with 120-digit decimal arithmetic (see SPECIFICATION.md, "Tick math"). Multiplying
///      Q128 factors with a right shift by 128 only rounds down, by at most 20 ulps of 2^-128.
///      For t > 0 the Q128 ratio is inverted. The Q128 -> Q96 conversion rounds up, so that
///      `sqrtRatioAtTick(MIN_TICK) == MIN_SQRT_RATIO` and `(MAX_TICK) == MAX_SQRT_RATIO`, the
///      bounds the pools enforce (checked by tests against the shipped UniswapV3Pool).
library TickMath {
    /// @notice Thrown when a tick is outside [MIN_TICK, MAX_TICK].
    error TickOutOfRange(int24 tick);

    /// @notice The smallest tick a pool accepts: log_1.0001(2^-128), rounded toward zero.
    int24 internal constant MIN_TICK = -887272;
    /// @notice The largest tick a pool accepts.
    int24 internal constant MAX_TICK = 887272;
    /// @notice sqrtRatioAtTick(MIN_TICK); a swap's price limit must be strictly above it.
    uint160 internal constant MIN_SQRT_RATIO = 4295128739;
    /// @notice sqrtRatioAtTick(MAX_TICK); a swap's price limit must be strictly below it.
    uint160 internal constant MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342;

    /// @notice sqrt(1.0001^tick) as a Q64.96, rounded up.
    function sqrtRatioAtTick(int24 tick) internal pure returns (uint160) {
        // |tick| of an int24 is non-negative and < 2^23: the casts cannot truncate.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 absTick = tick < 0 ? uint256(-int256(tick)) : uint256(int256(tick));
        // forge-lint: disable-next-line(unsafe-typecast)
        if (absTick > uint256(int256(MAX_TICK))) revert TickOutOfRange(tick);

        // Every factor is < 2^128 and the running ratio is <= 2^128: products fit in 256 bits.
        unchecked {
            uint256 r = absTick & 0x1 != 0 ? 0xfffcb933bd6fad37aa2d162d1a594001 : 1 << 128;
            if (absTick & 0x2 != 0) r = (r * 0xfff97272373d413259a46990580e2139) >> 128;
            if (absTick & 0x4 != 0) r = (r * 0xfff2e50f5f656932ef12357cf3c7fdcb) >> 128;
            if (absTick & 0x8 != 0) r = (r * 0xffe5caca7e10e4e61c3624eaa0941ccf) >> 128;
            if (absTick & 0x10 != 0) r = (r * 0xffcb9843d60f6159c9db58835c926643) >> 128;
            if (absTick & 0x20 != 0) r = (r * 0xff973b41fa98c081472e6896dfb254bf) >> 128;
            if (absTick & 0x40 != 0) r = (r * 0xff2ea16466c96a3843ec78b326b52860) >> 128;
            if (absTick & 0x80 != 0) r = (r * 0xfe5dee046a99a2a811c461f1969c3052) >> 128;
            if (absTick & 0x100 != 0) r = (r * 0xfcbe86c7900a88aedcffc83b479aa3a3) >> 128;
            if (absTick & 0x200 != 0) r = (r * 0xf987a7253ac413176f2b074cf7815e53) >> 128;
            if (absTick & 0x400 != 0) r = (r * 0xf3392b0822b70005940c7a398e4b70f2) >> 128;
            if (absTick & 0x800 != 0) r = (r * 0xe7159475a2c29b7443b29c7fa6e889d8) >> 128;
            if (absTick & 0x1000 != 0) r = (r * 0xd097f3bdfd2022b8845ad8f792aa5825) >> 128;
            if (absTick & 0x2000 != 0) r = (r * 0xa9f746462d870fdf8a65dc1f90e061e4) >> 128;
            if (absTick & 0x4000 != 0) r = (r * 0x70d869a156d2a1b890bb3df62baf32f6) >> 128;
            if (absTick & 0x8000 != 0) r = (r * 0x31be135f97d08fd981231505542fcfa5) >> 128;
            if (absTick & 0x10000 != 0) r = (r * 0x9aa508b5b7a84e1c677de54f3e99bc8) >> 128;
            if (absTick & 0x20000 != 0) r = (r * 0x5d6af8dedb81196699c329225ee604) >> 128;
            if (absTick & 0x40000 != 0) r = (r * 0x2216e584f5fa1ea926041bedfe97) >> 128;
            if (absTick & 0x80000 != 0) r = (r * 0x48a170391f7dc42444e8fa2) >> 128;

            if (tick > 0) r = type(uint256).max / r;
            // Q128 -> Q96, rounding up.
            return uint160((r >> 32) + (r & 0xffffffff == 0 ? 0 : 1));
        }
    }
}
