// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {ISwapRouter02} from "../utils/ISwapRouter02.sol";

/// @notice Test-only: the vault's `buy` done through SwapRouter02 instead of direct pool calls
///         (pull, fee, then per leg an exact approve + exactInputSingle + balance-delta check),
///         to measure the per-leg cost of the router path against IndexVault's pool path.
contract RouterBuyer {
    using SafeERC20 for IERC20;

    error InsufficientOutput(address token, uint256 amountOut, uint256 amountOutMin);

    event Swapped(address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut);
    event Bought(uint256 usdcIn, uint256 fee, uint256 usdcSwapped);

    address public immutable owner;
    IERC20 public immutable usdc;
    ISwapRouter02 public immutable router;
    address public immutable feeRecipient;

    constructor(address owner_, IERC20 usdc_, ISwapRouter02 router_, address feeRecipient_) {
        owner = owner_;
        usdc = usdc_;
        router = router_;
        feeRecipient = feeRecipient_;
    }

    function buy(uint256 usdcAmount, IIndexVault.Leg[] calldata legs, uint256 deadline) external {
        require(msg.sender == owner && block.timestamp <= deadline, "auth");
        usdc.safeTransferFrom(msg.sender, address(this), usdcAmount);
        uint256 fee = usdcAmount * 30 / 10_000;
        usdc.safeTransfer(feeRecipient, fee);
        uint256 spent;
        for (uint256 i; i < legs.length; ++i) {
            IIndexVault.Leg calldata leg = legs[i];
            uint256 before = IERC20(leg.token).balanceOf(address(this));
            usdc.forceApprove(address(router), leg.amountIn);
            router.exactInputSingle(
                ISwapRouter02.ExactInputSingleParams({
                    tokenIn: address(usdc),
                    tokenOut: leg.token,
                    fee: leg.fee,
                    recipient: address(this),
                    amountIn: leg.amountIn,
                    amountOutMinimum: 0,
                    sqrtPriceLimitX96: 0
                })
            );
            uint256 received = IERC20(leg.token).balanceOf(address(this)) - before;
            if (received < leg.amountOutMin) revert InsufficientOutput(leg.token, received, leg.amountOutMin);
            spent += leg.amountIn;
            emit Swapped(address(usdc), leg.token, leg.amountIn, received);
        }
        require(spent + fee <= usdcAmount, "overspent");
        emit Bought(usdcAmount, fee, spent);
    }
}
