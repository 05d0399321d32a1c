// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

/// @title PoolAddress
/// @notice The address of a Uniswap V3 pool, recomputed from its CREATE2 inputs, so the vault
///         never asks the factory (a cold call) and can verify that a swap callback comes from
///         the one pool it is trading with.
library PoolAddress {
    /// @notice keccak256 of UniswapV3Pool's creation bytecode, the same on every chain where the
    ///         canonical Uniswap V3 factory is deployed (tests compare it with the shipped artifact).
    bytes32 internal constant POOL_INIT_CODE_HASH = 0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54;

    /// @notice The pool of `tokenA`/`tokenB` at fee tier `fee` (hundredths of a bip) deployed by `factory`.
    function compute(address factory, address tokenA, address tokenB, uint24 fee) internal pure returns (address) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        return Create2.computeAddress(keccak256(abi.encode(token0, token1, fee)), POOL_INIT_CODE_HASH, factory);
    }
}
