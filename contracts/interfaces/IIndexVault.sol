// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";

/// @title IIndexVault
/// @notice One user's index, held in their own vault. The owner (their smart account) buys,
///         sells and withdraws; a keeper may rebalance between USDC and allowed tokens, only
///         within the limits of the owner's mandate, and can never move funds out.
/// @dev Every constituent trades in one Uniswap V3 pool against USDC. Amounts are in token
///      base units; fees and slippage in basis points (1 bps = 0.01%); pool fee tiers in
///      hundredths of a bip (500 = 0.05%).
interface IIndexVault is IUniswapV3SwapCallback {
    /// @notice One swap between USDC and a constituent, Uniswap-style with its safety field.
    /// @param token The constituent (never USDC); the pool is token/USDC at `fee`.
    /// @param fee The pool's fee tier in hundredths of a bip (100, 500, 3000, 10000).
    /// @param amountIn The exact amount of the input token to swap.
    /// @param amountOutMin The least output the vault must receive, measured on its balance.
    struct Leg {
        address token;
        uint24 fee;
        uint256 amountIn;
        uint256 amountOutMin;
    }

    /// @notice The owner's limits on the keeper.
    /// @param keeper The only address allowed to call `rebalance`.
    /// @param maxSlippageBps Per leg: amountOutMin must be >= the reference output less this
    ///        (<= MAX_SLIPPAGE_BPS); also the most, in ticks (1 tick = 0.01%), by which the spot
    ///        price and the two half-window TWAPs may disagree. It must cover the pool fee tier
    ///        plus expected price impact.
    /// @param minInterval Seconds that must pass between two rebalances.
    /// @param twapWindow Seconds of pool history the TWAP averages (MIN_TWAP_WINDOW..MAX_TWAP_WINDOW);
    ///        every allowed pool's observation cardinality must cover it (`requiredCardinality`).
    /// @param lossBudget USDC base units of loss versus the reference the keeper may realise per `lossWindow`.
    /// @param lossWindow Seconds over which a full `lossBudget` leaks out of the used budget.
    /// @param lossCap USDC base units of loss versus the reference the keeper may realise in total
    ///        under this mandate, however long it lasts (a new `setMandate` starts a new total).
    /// @param batchable Whether the keeper may rebalance this vault through the platform's
    ///        BatchSettlement (`batchOpen`/`batchSettle`), with the same checks as `rebalance`.
    struct Mandate {
        address keeper;
        uint16 maxSlippageBps;
        uint24 minInterval;
        uint24 twapWindow;
        uint96 lossBudget;
        uint32 lossWindow;
        uint96 lossCap;
        bool batchable;
    }

    /// @notice A token the keeper may trade, and the only pool (fee tier) it may use for it.
    struct AllowedPool {
        address token;
        uint24 fee;
    }

    // --- errors -------------------------------------------------------------------------------

    /// @notice Thrown when a caller other than the owner calls an owner function.
    error NotOwner(address caller);
    /// @notice Thrown when a caller other than the mandate's keeper calls `rebalance`.
    error NotKeeper(address caller);
    /// @notice Thrown when a caller other than the factory calls `initialize`.
    error NotFactory(address caller);
    /// @notice Thrown when `initialize` is called on an initialised clone or on the implementation.
    error AlreadyInitialized();
    /// @notice Thrown when an address argument that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown when the call's deadline has passed.
    error DeadlineExpired(uint256 deadline, uint256 timestamp);
    /// @notice Thrown by `buy` and `rebalance` while the factory admin has paused them.
    error Paused();
    /// @notice Thrown when a leg swaps nothing.
    error ZeroAmount(address token);
    /// @notice Thrown when the token/USDC pool at `fee` has no code (never created, or token is USDC/zero).
    error PoolNotFound(address token, uint24 fee, address pool);
    /// @notice Thrown when a leg's output, measured as the vault's balance delta, is below its minimum.
    error InsufficientOutput(address token, uint256 amountOut, uint256 amountOutMin);
    /// @notice Thrown when a buy's swaps plus fee would spend more USDC than the buy brought in.
    error Overspent(uint256 spentPlusFee, uint256 usdcAmount);
    /// @notice Thrown when `sell` is asked to pay out more USDC cash than the vault holds.
    error InsufficientCash(uint256 cash, uint256 balance);
    /// @notice Thrown when a sell fraction is above 10 000 bps.
    error InvalidFraction(uint256 fractionBps);
    /// @notice Thrown when the swap callback is called by anything but the pool being traded.
    error UnauthorizedCallback(address caller);
    /// @notice Thrown when the pool received less than it was owed (fee-on-transfer input token).
    error InputShortfall(address token, uint256 owed, uint256 received);
    /// @notice Thrown when `setMandate` lists USDC or the zero address as a token.
    error InvalidToken(address token);
    /// @notice Thrown when the keeper trades a token/pool not in the current mandate.
    error TokenNotAllowed(address token, uint24 fee);
    /// @notice Thrown when the keeper rebalances before `nextAllowedAt`.
    error RebalanceTooSoon(uint256 nextAllowedAt);
    /// @notice Thrown when a keeper leg's amountOutMin is below the TWAP output less max slippage.
    error MinOutBelowOracle(address token, uint256 amountOutMin, uint256 oracleFloor);
    /// @notice Thrown when `pool`'s observations do not cover `window` seconds.
    error OracleTooShort(address pool, uint32 window);
    /// @notice Thrown when a rebalance would take the used loss budget above the budget.
    error LossBudgetExceeded(uint256 used, uint256 budget);
    /// @notice Thrown when a mandate's max slippage is above the cap.
    error SlippageAboveCap(uint16 maxSlippageBps, uint16 cap);
    /// @notice Thrown when a mandate's TWAP window is outside [min, max].
    error InvalidTwapWindow(uint24 twapWindow, uint24 min, uint24 max);
    /// @notice Thrown when a mandate's loss window is zero.
    error InvalidLossWindow(uint32 lossWindow);
    /// @notice Thrown when the factory's platform fee is above the most the owner accepted for this trade.
    error FeeAboveMax(uint16 feeBps, uint16 maxFeeBps);
    /// @notice Thrown when a pool's oracle ring is too small to cover the mandate's window at one observation per block.
    error CardinalityTooLow(address pool, uint256 cardinality, uint256 required);
    /// @notice Thrown while a pool's spot tick and its two half-window mean ticks differ by more than the max slippage.
    error PriceUnsettled(address pool, int24 spotTick, int24 olderMeanTick, int24 newerMeanTick);
    /// @notice Thrown when a rebalance would take the total loss under the current mandate above its cap.
    error LossCapExceeded(uint256 spent, uint256 cap);
    /// @notice Thrown when a caller other than the platform's BatchSettlement calls a batch entry point.
    error NotBatch(address caller);
    /// @notice Thrown when a batch includes a vault whose mandate does not opt into batching.
    error NotBatchable();
    /// @notice Thrown when `batchSettle` does not match the legs `batchOpen` took in this transaction.
    error BatchNotOpen();

    // --- events -------------------------------------------------------------------------------

    /// @notice Emitted for every leg of a buy, sell or rebalance, with the amounts that moved
    ///         (amountIn as paid to the pool, amountOut as received by the vault).
    event Swapped(address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut);
    /// @notice Emitted when the owner bought: `usdcIn` pulled, `fee` paid, `usdcSwapped` spent on legs;
    ///         the rest (usdcIn - fee - usdcSwapped) stayed in the vault as USDC.
    event Bought(uint256 usdcIn, uint256 fee, uint256 usdcSwapped);
    /// @notice Emitted when the owner sold: `proceeds` from the legs plus `cash` from the vault's
    ///         USDC, less `fee`, were paid to the owner as `paid`.
    event Sold(uint256 proceeds, uint256 cash, uint256 fee, uint256 paid);
    /// @notice Emitted when the keeper rebalanced: the loss realised versus the reference (USDC
    ///         base units) and the used loss budget after it.
    event Rebalanced(address indexed keeper, uint256 loss, uint256 lossUsed);
    /// @notice Emitted when the owner withdrew `amounts[i]` of `tokens[i]` in kind (0 for a token that failed).
    event WithdrawnInKind(address[] tokens, uint256[] amounts);
    /// @notice Emitted when a token's balance read or transfer failed in `withdrawInKind`; the others still moved.
    event InKindTransferFailed(address indexed token);
    /// @notice Emitted when the owner set a mandate; `epoch` numbers it (older allowlists are void).
    event MandateSet(Mandate mandate, AllowedPool[] pools, uint32 epoch);
    /// @notice Emitted when the owner revoked the keeper.
    event KeeperRevoked(address indexed keeper);

    // --- owner --------------------------------------------------------------------------------

    /// @notice Sets the owner of a fresh clone. Called once, by the factory, in `createVault`.
    function initialize(address owner_) external;

    /// @notice Pulls `usdcAmount` USDC from the owner (approve it exactly first), pays the platform
    ///         fee (`usdcAmount * feeBps / 10 000`, rounded down) to the factory, swaps each leg
    ///         from USDC into its token, and keeps the rest as USDC. Reverts if any leg under-delivers.
    /// @param legs `amountIn` in USDC; the sum of what the legs spend plus the fee must be <= usdcAmount.
    /// @param maxFeeBps The most platform fee the owner accepts (the fee its preview showed).
    function buy(uint256 usdcAmount, Leg[] calldata legs, uint16 maxFeeBps, uint256 deadline) external;

    /// @notice Swaps constituents to USDC and pays the owner the proceeds plus `cash`, less the
    ///         platform fee (on that sum, rounded down), which goes to the factory.
    /// @param legs Amounts mode: `amountIn` is sold, `amountOutMin` checked. Fraction mode:
    ///        `amountIn` is the amount the preview sold (non-zero) and `amountOutMin` its min-out;
    ///        the vault sells `floor(balance * fractionBps / 10 000)` and requires
    ///        `ceil(amountOutMin * sold / amountIn)`: the min-out is a minimum price, so a vault
    ///        that holds more of the token than at the preview cannot be sold cheaper. A leg
    ///        whose token the vault no longer holds is skipped.
    /// @param cash USDC the vault already holds to pay out too; ignored when `fractionBps > 0`.
    /// @param fractionBps 0: sell the given amounts. 1..10 000: sell that fraction of the vault's
    ///        balance of each leg's token and pay that fraction of its USDC (rounded down).
    /// @param maxFeeBps The most platform fee the owner accepts (the fee its preview showed).
    /// @return paid USDC sent to the owner.
    function sell(Leg[] calldata legs, uint256 cash, uint16 fractionBps, uint16 maxFeeBps, uint256 deadline)
        external
        returns (uint256 paid);

    /// @notice Sends the vault's whole balance of each of `tokens` to the owner. No swaps, no fee;
    ///         never paused, never reads the factory or the mandate. A token whose balance read or
    ///         transfer fails is skipped (`InKindTransferFailed`) and the others still move.
    function withdrawInKind(address[] calldata tokens) external;

    /// @notice Authorises `newMandate.keeper` within the mandate's limits, replacing any earlier
    ///         mandate and allowlist. The used loss budget is settled at the old budget's leak
    ///         rate up to now and carries over; the last rebalance time carries over; the total
    ///         under the new mandate starts at zero. Every pool's cardinality must cover the window.
    function setMandate(Mandate calldata newMandate, AllowedPool[] calldata pools) external;

    /// @notice Removes the keeper at once; the rest of the mandate stays until the next `setMandate`.
    function revokeKeeper() external;

    // --- keeper -------------------------------------------------------------------------------

    /// @notice Swaps `sells` (token -> USDC) then `buys` (USDC -> token), all proceeds staying in
    ///         the vault. Each leg's token and fee tier must be in the mandate; its pool's
    ///         cardinality must cover the window; its spot tick and both half-window mean ticks
    ///         must agree within `maxSlippageBps` ticks; its amountOutMin must be >= the output at
    ///         the most protective of the three less `maxSlippageBps`. The loss versus that
    ///         reference must fit the rolling budget and the mandate's cap; at least
    ///         `minInterval` must have passed since the last rebalance.
    /// @return loss The loss realised versus the reference, in USDC base units.
    function rebalance(Leg[] calldata sells, Leg[] calldata buys, uint256 deadline) external returns (uint256 loss);

    /// @notice Batch phase 1, called only by the platform's BatchSettlement for `keeper`, its
    ///         caller, who must be this mandate's keeper; the mandate must be `batchable`. Checks
    ///         everything `rebalance` checks before it trades (deadline, pause, interval, allowlist,
    ///         price guard, each leg's min-out against the reference, read before any swap of the
    ///         batch), then hands over what the legs sell: each sell leg's token, and the buy legs'
    ///         USDC from its cash; what the cash does not cover is owed and netted from what the
    ///         batch pays the vault in phase 2 (as `rebalance` buys with the sells' proceeds).
    /// @return debt The buy legs' USDC not handed over.
    function batchOpen(address keeper, Leg[] calldata sells, Leg[] calldata buys, uint256 deadline)
        external
        returns (uint256 debt);

    /// @notice Batch phase 2, same transaction: for leg i (sells, then buys) the batch sent `outs[i]`
    ///         of the other asset and returned `backs[i]` of what the leg handed over (a partial
    ///         fill), less its debt in USDC. The vault checks on its balances that it received them, that each leg's
    ///         output meets its min-out scaled to what it sold, and charges the loss versus the
    ///         reference to the budget and the cap as `rebalance` does. Reverts the whole batch otherwise.
    /// @return loss The loss realised versus the reference, in USDC base units.
    function batchSettle(Leg[] calldata sells, Leg[] calldata buys, uint256[] calldata outs, uint256[] calldata backs)
        external
        returns (uint256 loss);

    // --- views --------------------------------------------------------------------------------

    /// @notice The cap on a mandate's per-leg slippage (10%).
    function MAX_SLIPPAGE_BPS() external view returns (uint16);
    /// @notice The shortest TWAP window a mandate may use (30 minutes).
    function MIN_TWAP_WINDOW() external view returns (uint24);
    /// @notice The longest TWAP window a mandate may use (1 day).
    function MAX_TWAP_WINDOW() external view returns (uint24);

    /// @notice The vault's owner.
    function owner() external view returns (address);
    /// @notice The factory that created the vault (fee, pause).
    function factory() external view returns (address);
    /// @notice The quote token (USDC).
    function usdc() external view returns (address);
    /// @notice The Uniswap V3 factory whose pools the vault trades with.
    function uniswapV3Factory() external view returns (address);
    /// @notice The platform's BatchSettlement, the only caller of `batchOpen` and `batchSettle`.
    function batchSettlement() external view returns (address);
    /// @notice The chain's shortest possible time between blocks, in seconds (set per chain at deployment).
    function minBlockTime() external view returns (uint32);
    /// @notice The least observation cardinality a pool needs for `window`: ceil(window / minBlockTime) + 1.
    function requiredCardinality(uint32 window) external view returns (uint256);

    /// @notice The current mandate (keeper zero: none or revoked).
    function mandate() external view returns (Mandate memory);
    /// @notice The number of the current mandate; allowlist entries of older ones are void.
    function mandateEpoch() external view returns (uint32);
    /// @notice Whether the keeper may trade `token`, and through which fee tier.
    function allowedPool(address token) external view returns (bool allowed, uint24 fee);
    /// @notice The used loss budget as of now (after leaking), the last rebalance time, and the
    ///         total loss realised under the current mandate (compare with `mandate().lossCap`).
    function lossUsed() external view returns (uint256 used, uint32 lastRebalance, uint256 spent);

    /// @notice A keeper leg's output at the reference `rebalance` would use now (the most
    ///         protective of spot and the two half-window TWAPs) and the least amountOutMin it
    ///         accepts. Reverts with the error `rebalance` would raise for the leg's price
    ///         checks (`CardinalityTooLow`, `OracleTooShort`, `PriceUnsettled`).
    /// @param tokenToUsdc True for a sell leg (token -> USDC), false for a buy leg.
    function oracleQuote(address token, uint24 fee, uint256 amountIn, bool tokenToUsdc)
        external
        view
        returns (uint256 oracleOut, uint256 minOutFloor);
}
