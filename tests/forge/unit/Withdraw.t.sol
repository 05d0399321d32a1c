// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {VaultTest} from "../utils/VaultTest.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {RevertingToken} from "../mocks/WeirdTokens.sol";

/// @notice IndexVault.withdrawInKind: the exit nothing can block.
contract WithdrawTest is VaultTest {
    function setUp() public override {
        super.setUp();
        _buyBoth();
        _defaultMandate();
    }

    function _all() internal view returns (address[] memory tokens) {
        tokens = new address[](3);
        tokens[0] = address(a);
        tokens[1] = address(b);
        tokens[2] = address(usdc);
    }

    function test_withdrawInKind_sendsEveryBalanceToOwner() public {
        address[] memory tokens = _all();
        uint256[] memory amounts = new uint256[](3);
        for (uint256 i; i < 3; ++i) amounts[i] = _bal(tokens[i], address(vault));
        vm.expectEmit(address(vault));
        emit IIndexVault.WithdrawnInKind(tokens, amounts);
        vm.prank(owner);
        vault.withdrawInKind(tokens);
        for (uint256 i; i < 3; ++i) {
            assertEq(_bal(tokens[i], address(vault)), 0, "vault emptied");
            assertEq(_bal(tokens[i], owner), amounts[i], "owner received");
        }
    }

    function test_withdrawInKind_worksWhilePausedAndWithKeeper() public {
        vm.prank(admin);
        factory.setPaused(true);
        vm.prank(owner);
        vault.withdrawInKind(_all());
        assertEq(_bal(address(a), address(vault)), 0, "withdrawn while paused, keeper still set");
        assertEq(vault.mandate().keeper, keeper, "mandate untouched");
    }

    function test_withdrawInKind_skipsEmptyAndDuplicateTokens() public {
        address[] memory tokens = new address[](3);
        tokens[0] = address(a);
        tokens[1] = address(a);
        tokens[2] = address(b);
        uint256 balA = _bal(address(a), address(vault));
        vm.prank(owner);
        vault.withdrawInKind(tokens);
        assertEq(_bal(address(a), owner), balA, "once");
        vm.recordLogs();
        vm.prank(owner);
        vault.withdrawInKind(tokens); // everything is zero now: still succeeds
        assertEq(_transfers(vm.getRecordedLogs(), address(vault), address(0)), 0, "no zero transfers");
    }

    function test_withdrawInKind_revertsForNonOwner() public {
        address[] memory tokens = _all();
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotOwner.selector, keeper));
        vm.prank(keeper);
        vault.withdrawInKind(tokens);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotOwner.selector, admin));
        vm.prank(admin);
        vault.withdrawInKind(tokens);
    }

    /// @dev Nothing in the list can block the rest: an address without code, a token whose
    ///      transfers revert, one whose balanceOf reverts; the factory paused and its fee
    ///      recipient changed; the keeper revoked. Each failure is reported, the rest moves.
    function test_withdrawInKind_aFailingEntryBlocksOnlyItself() public {
        RevertingToken t = new RevertingToken(18);
        _fund(address(t), address(vault), 5e18);
        t.setReverting(true);
        vm.startPrank(admin);
        factory.setPaused(true);
        factory.setFeeRecipient(address(0xDEAD));
        vm.stopPrank();
        address[] memory tokens = new address[](5);
        tokens[0] = address(0xE0A); // no code
        tokens[1] = address(t);
        tokens[2] = address(a);
        tokens[3] = address(this); // answers balanceOf with a revert (no such function)
        tokens[4] = address(usdc);
        uint256 balA = _bal(address(a), address(vault));
        uint256 cash = _bal(address(usdc), address(vault));
        vm.expectEmit(address(vault));
        emit IIndexVault.InKindTransferFailed(address(0xE0A));
        vm.expectEmit(address(vault));
        emit IIndexVault.InKindTransferFailed(address(t));
        vm.expectEmit(address(vault));
        emit IIndexVault.InKindTransferFailed(address(this));
        vm.prank(owner);
        vault.withdrawInKind(tokens);
        assertEq(_bal(address(a), owner), balA, "A out");
        assertEq(_bal(address(usdc), owner), cash, "USDC out");
        assertEq(_bal(address(t), address(vault)), 5e18, "the reverting token stays");
    }
}
