// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";
import {IIndexVault} from "./IIndexVault.sol";

/// @title IBatchSettlement
/// @notice Rebalances many opted-in vaults in one transaction. Each vault hands over what its
///         legs sell; per token, the sells and buys of all vaults are crossed and only the net
///         is swapped, once, in the token/USDC pool; every vault on either side of a token gets
///         the same price, the pool's average price for that net swap; each vault then checks
///         what it received against its own mandate. The contract has no admin and holds
///         nothing between transactions. See SPECIFICATION.md, "Batch settlement".
/// @dev Deployed by the VaultFactory's constructor (one per platform). Amounts in base units.
interface IBatchSettlement is IUniswapV3SwapCallback {
    /// @notice The one pool swap of a token in a batch: the net of all vaults' legs in it.
    /// @param token The constituent (never USDC). Tokens must be strictly ascending across nets.
    /// @param fee The pool's fee tier; every leg of `token` in the batch must use it.
    /// @param tokenToUsdc The swap's direction: true sells `amountIn` of the token for USDC.
    /// @param amountIn What the batch swaps into the pool (0 < amountIn <= what the side that
    ///        pays the pool handed over). It sets the clearing price; it cannot give one vault a
    ///        better price than another.
    struct Net {
        address token;
        uint24 fee;
        bool tokenToUsdc;
        uint256 amountIn;
    }

    /// @notice One vault's part in a batch: its planned legs, exactly as for `rebalance`.
    /// @param vault An IndexVault clone of this platform; vaults must be strictly ascending.
    /// @param nets For leg i (sells first, then buys), the index of its token's `Net`: one byte a leg.
    struct Order {
        address vault;
        IIndexVault.Leg[] sells;
        IIndexVault.Leg[] buys;
        bytes nets;
    }

    /// @notice What a batch did in one token: the two sides' hand-overs, the pool swap, the price.
    /// @param paidIn What the vaults paying the pool's input asset handed over (token if `tokenToUsdc`, else USDC).
    /// @param otherIn What the vaults on the other side handed over.
    /// @param swapIn The net swapped into the pool; `swapOut` what the pool returned. The clearing
    ///        price is swapOut / swapIn (or its inverse) for every vault in the token.
    event Cleared(
        address indexed token, bool tokenToUsdc, uint256 paidIn, uint256 otherIn, uint256 swapIn, uint256 swapOut
    );
    /// @notice Emitted once a batch settled: its keeper and number of vaults.
    event Settled(address indexed keeper, uint256 vaults);

    /// @notice Thrown when vaults are not strictly ascending (also rules out a vault twice).
    error VaultsNotAscending(address vault);
    /// @notice Thrown when nets are not strictly ascending by token (one net per token).
    error NetsNotAscending(address token);
    /// @notice Thrown when an order's vault is not a clone of this platform's IndexVault.
    error NotAVault(address vault);
    /// @notice Thrown when a leg's token or fee differs from its net's, or its net index is out of range.
    error LegNetMismatch(address vault, address token, uint256 net);
    /// @notice Thrown when a vault has two legs in the same token.
    error DuplicateLeg(address vault, address token);
    /// @notice Thrown when a net's swap is zero or above what its paying side handed over.
    error InvalidNetAmount(address token, uint256 amountIn, uint256 available);
    /// @notice Thrown when a net's swap took or gave nothing, so it sets no price.
    error NoClearingPrice(address token, uint256 swapIn, uint256 swapOut);
    /// @notice Thrown when the batch received less of a token than the vaults handed over (fee-on-transfer).
    error DeliveryShortfall(address token, uint256 expected, uint256 received);
    /// @notice Thrown when the batch would end holding a token.
    error BalanceLeft(address token, uint256 balance);
    /// @notice Thrown when the swap callback is called by anything but the pool being traded.
    error UnauthorizedCallback(address caller);
    /// @notice Thrown when what a vault gets in USDC does not cover the USDC its buys owe beyond its cash.
    error DebtNotCovered(address vault, uint256 usdcOwed, uint256 debt);
    /// @notice Thrown when `poolReading` is called outside a settlement.
    error NotSettling();

    /// @notice The factory that deployed this contract (its vaults are the only participants).
    function factory() external view returns (address);
    /// @notice The quote token (USDC).
    function usdc() external view returns (address);
    /// @notice The Uniswap V3 factory whose pools nets are swapped in.
    function uniswapV3Factory() external view returns (address);

    /// @notice Settles one batch (see the contract notice). Reverts as a whole if any vault's
    ///         mandate check fails. The caller must be every vault's mandate keeper.
    function settle(Net[] calldata nets, Order[] calldata orders, uint256 deadline) external;

    /// @notice A pool's spot tick, cardinality and two half-window mean ticks over `window`, read
    ///         once per settlement (before any of its swaps) and shared by its vaults.
    /// @dev Callable only during a settlement; reverts like the vault's own reading.
    function poolReading(address pool, uint32 window)
        external
        returns (int24 spotTick, uint16 cardinality, int24 olderTick, int24 newerTick);
}
