// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Test-only stand-in for the owner's smart account: executes any call for anyone, so a
///         malicious token can make "the owner" call back into the vault mid-transaction.
contract MockAccount {
    function execute(address target, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
