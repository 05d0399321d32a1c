// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";

/// @notice Test-only code etched over a real pool's address (impossible on-chain: the CREATE2
///         address fixes the code): on `swap` it asks its caller to pay twice.
contract DoubleCallbackPool {
    function swap(address, bool zeroForOne, int256 amountSpecified, uint160, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1)
    {
        (amount0, amount1) = zeroForOne ? (amountSpecified, int256(0)) : (int256(0), amountSpecified);
        IUniswapV3SwapCallback(msg.sender).uniswapV3SwapCallback(amount0, amount1, data);
        IUniswapV3SwapCallback(msg.sender).uniswapV3SwapCallback(amount0, amount1, data);
    }
}
