// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice The part of SwapRouter02 (IV3SwapRouter) the naive baseline uses.
interface ISwapRouter02 {
    struct ExactInputSingleParams {
        address tokenIn;
        address tokenOut;
        uint24 fee;
        address recipient;
        uint256 amountIn;
        uint256 amountOutMinimum;
        uint160 sqrtPriceLimitX96;
    }

    function exactInputSingle(ExactInputSingleParams calldata params) external payable returns (uint256 amountOut);
}
