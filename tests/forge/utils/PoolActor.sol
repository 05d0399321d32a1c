// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";

/// @notice Test-only: a liquidity provider and trader that talks to pools directly and pays
///         their callbacks from its own balance (the test mints tokens to it). It plays the LP,
///         the market, and the sandwich attacker.
contract PoolActor {
    using SafeERC20 for IERC20;

    error SwapQuote(int256 amount0, int256 amount1);

    /// @notice Adds `liquidity` over the pool's full tick range.
    function mintFullRange(address pool, uint128 liquidity) external {
        int24 spacing = IUniswapV3Pool(pool).tickSpacing();
        int24 maxTick = (TickMath.MAX_TICK / spacing) * spacing;
        IUniswapV3Pool(pool).mint(address(this), -maxTick, maxTick, liquidity, "");
    }

    /// @notice Adds `liquidity` between two ticks (multiples of the pool's spacing).
    function mintRange(address pool, int24 lower, int24 upper, uint128 liquidity) external {
        IUniswapV3Pool(pool).mint(address(this), lower, upper, liquidity, "");
    }

    /// @notice Removes `liquidity` between two ticks and collects everything owed to this actor.
    function burnRange(address pool, int24 lower, int24 upper, uint128 liquidity) external {
        IUniswapV3Pool(pool).burn(lower, upper, liquidity);
        IUniswapV3Pool(pool).collect(address(this), lower, upper, type(uint128).max, type(uint128).max);
    }

    /// @notice Swaps in `pool`; `amountSpecified` > 0 is exact input. Price limit 0 = none.
    function swap(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
        public
        returns (int256 amount0, int256 amount1)
    {
        if (sqrtPriceLimitX96 == 0) {
            sqrtPriceLimitX96 = zeroForOne ? TickMath.MIN_SQRT_RATIO + 1 : TickMath.MAX_SQRT_RATIO - 1;
        }
        return IUniswapV3Pool(pool).swap(address(this), zeroForOne, amountSpecified, sqrtPriceLimitX96, "");
    }

    /// @notice Moves the pool's price to `sqrtPriceX96` by trading as much as needed.
    function pushPrice(address pool, uint160 sqrtPriceX96) external {
        (uint160 current,,,,,,) = IUniswapV3Pool(pool).slot0();
        if (current == sqrtPriceX96) return;
        swap(pool, sqrtPriceX96 < current, type(int128).max, sqrtPriceX96);
    }

    /// @notice The amounts an exact-input swap would move now, without moving them.
    function quote(address pool, bool zeroForOne, int256 amountSpecified) external returns (int256, int256) {
        try this.quoteAndRevert(pool, zeroForOne, amountSpecified) {} catch (bytes memory reason) {
            if (bytes4(reason) != SwapQuote.selector) _bubble(reason);
            bytes memory args = new bytes(reason.length - 4);
            for (uint256 i; i < args.length; ++i) args[i] = reason[i + 4];
            return abi.decode(args, (int256, int256));
        }
        revert("quote did not revert");
    }

    function quoteAndRevert(address pool, bool zeroForOne, int256 amountSpecified) external {
        (int256 a0, int256 a1) = swap(pool, zeroForOne, amountSpecified, 0);
        revert SwapQuote(a0, a1);
    }

    function uniswapV3MintCallback(uint256 owed0, uint256 owed1, bytes calldata) external {
        if (owed0 > 0) IERC20(IUniswapV3Pool(msg.sender).token0()).safeTransfer(msg.sender, owed0);
        if (owed1 > 0) IERC20(IUniswapV3Pool(msg.sender).token1()).safeTransfer(msg.sender, owed1);
    }

    function uniswapV3SwapCallback(int256 delta0, int256 delta1, bytes calldata) external {
        if (delta0 > 0) IERC20(IUniswapV3Pool(msg.sender).token0()).safeTransfer(msg.sender, uint256(delta0));
        if (delta1 > 0) IERC20(IUniswapV3Pool(msg.sender).token1()).safeTransfer(msg.sender, uint256(delta1));
    }

    function _bubble(bytes memory reason) private pure {
        assembly {
            revert(add(reason, 32), mload(reason))
        }
    }
}
