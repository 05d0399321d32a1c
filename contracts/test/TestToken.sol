// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken
/// @notice A plain ERC-20 for local and test chains only: one per index constituent, and
///         the local USDC (6 decimals). Its minter (the market deployer) can mint at will,
///         so it must never be deployed where it could be mistaken for the real asset.
contract TestToken is ERC20 {
    /// @notice Thrown when someone other than the minter calls `mint`.
    error NotMinter(address caller, address minter);

    address public immutable minter;
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_, address minter_)
        ERC20(name_, symbol_)
    {
        _decimals = decimals_;
        minter = minter_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mints `amount` base units to `to`. Minter only.
    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert NotMinter(msg.sender, minter);
        _mint(to, amount);
    }
}
