// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Multicall3
/// @notice Batches many calls into one `eth_call`. Its `aggregate3` has the same ABI as the
///         canonical Multicall3 deployed on public chains, so the orchestrator uses the same
///         code everywhere and deploys this one only where the canonical one is absent
///         (local chains).
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice Thrown when a call that does not allow failure reverts.
    error CallFailed(uint256 index, address target, bytes returnData);

    /// @notice Runs every call in order; a failing call with `allowFailure = false` reverts all.
    /// @dev Not `view`: callers may batch state-changing calls (e.g. QuoterV2 quotes) in an
    ///      `eth_call`, where nothing is persisted. Not `payable` (unlike the canonical one):
    ///      it forwards no value, so ether sent to it would be locked. The selector is the same.
    function aggregate3(Call3[] calldata calls) external returns (Result[] memory results) {
        uint256 length = calls.length;
        results = new Result[](length);
        for (uint256 i = 0; i < length; ++i) {
            Call3 calldata call = calls[i];
            (bool success, bytes memory returnData) = call.target.call(call.callData);
            if (!success && !call.allowFailure) revert CallFailed(i, call.target, returnData);
            results[i] = Result(success, returnData);
        }
    }

    function getBlockNumber() external view returns (uint256) {
        return block.number;
    }

    function getCurrentBlockTimestamp() external view returns (uint256) {
        return block.timestamp;
    }

    function getEthBalance(address account) external view returns (uint256) {
        return account.balance;
    }
}
