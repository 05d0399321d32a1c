// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {PoolActor} from "../utils/PoolActor.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice A keeper that is a contract: in ONE transaction it moves a pool's spot price, calls
///         `rebalance`, then moves the price back (a self-sandwich). Holds its own tokens.
contract SandwichKeeper is PoolActor {
    function sandwich(
        IIndexVault vault,
        address pool,
        uint160 pushTo,
        IIndexVault.Leg[] calldata sells,
        IIndexVault.Leg[] calldata buys
    ) external returns (uint256 loss) {
        (uint160 start,,,,,,) = IUniswapV3Pool(pool).slot0();
        this.pushPrice(pool, pushTo);
        loss = vault.rebalance(sells, buys, block.timestamp);
        this.pushPrice(pool, start);
    }
}

/// @notice Pretends to be a pool: calls the vault's swap callback asking to be paid.
contract FakePool {
    function steal(IIndexVault vault, int256 amount0, int256 amount1) external {
        vault.uniswapV3SwapCallback(amount0, amount1, "");
    }
}

/// @notice Swaps in a real pool with itself as recipient and, in its own callback, asks the
///         vault to pay the pool (the "recipient other than the vault" attack).
contract RecipientThief {
    IIndexVault internal vault;

    function attack(IIndexVault vault_, address pool, bool zeroForOne, int256 amount) external {
        vault = vault_;
        IUniswapV3Pool(pool).swap(address(this), zeroForOne, amount, zeroForOne ? 4295128740 : 1461446703485210103287273052203988822378723970341, "");
    }

    function uniswapV3SwapCallback(int256 amount0, int256 amount1, bytes calldata data) external {
        vault.uniswapV3SwapCallback(amount0, amount1, data); // msg.sender is this contract, not the pool
    }
}

/// @notice A keeper contract that, in one transaction, sandwiches rebalances of several vaults
///         in the same pool: before each vault it pushes the price to `pushTo`, at the end it
///         restores the starting price (the "ten vaults in one transaction" attack).
contract BatchSandwichKeeper is PoolActor {
    function sandwichMany(
        IIndexVault[] calldata vaults,
        address pool,
        uint160 pushTo,
        IIndexVault.Leg[][] calldata sells,
        IIndexVault.Leg[][] calldata buys
    ) external returns (uint256 loss) {
        (uint160 start,,,,,,) = IUniswapV3Pool(pool).slot0();
        for (uint256 i; i < vaults.length; ++i) {
            this.pushPrice(pool, pushTo);
            loss += vaults[i].rebalance(sells[i], buys[i], block.timestamp);
        }
        this.pushPrice(pool, start);
    }
}
