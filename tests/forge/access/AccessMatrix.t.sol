// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";
import {console} from "forge-std/Test.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {IVaultFactory} from "../../../contracts/interfaces/IVaultFactory.sol";

/// @notice Every state-changing external function x {owner, keeper, factory admin, stranger}:
///         exactly the expected role succeeds, everyone else gets the role error with the caller.
///         Prints the matrix (`ACCESS <function> <role> ok|<error>`) under -vv.
contract AccessMatrixTest is VaultTest {
    enum Role {
        Owner,
        Keeper,
        Admin,
        Stranger
    }

    struct Case {
        string name;
        address target;
        bytes data;
        Role allowed; // the only role that succeeds (Stranger = anyone succeeds)
        bool anyone;
        bool nobody; // e.g. the pool callback outside a swap, initialise after creation
    }

    function setUp() public override {
        super.setUp();
        _buyBoth();
        _defaultMandate();
        vm.prank(admin);
        factory.transferAdmin(stranger); // so that acceptAdmin has a pending admin: the stranger
    }

    function _who(Role r) internal view returns (address) {
        return r == Role.Owner ? owner : r == Role.Keeper ? keeper : r == Role.Admin ? admin : stranger;
    }

    function _roleName(Role r) internal pure returns (string memory) {
        return r == Role.Owner ? "owner" : r == Role.Keeper ? "keeper" : r == Role.Admin ? "admin" : "stranger";
    }

    function _cases() internal view returns (Case[] memory c) {
        address[] memory tokens = new address[](1);
        tokens[0] = address(a);
        c = new Case[](15);
        c[0] = Case("vault.initialize", address(vault), abi.encodeCall(IIndexVault.initialize, (stranger)), Role.Owner, false, true);
        c[1] = Case("vault.buy", address(vault), abi.encodeCall(IIndexVault.buy, (1e6, _noLegs(), ANY_FEE_BPS, block.timestamp)), Role.Owner, false, false);
        c[2] = Case("vault.sell", address(vault), abi.encodeCall(IIndexVault.sell, (_noLegs(), 1e6, 0, ANY_FEE_BPS, block.timestamp)), Role.Owner, false, false);
        c[3] = Case("vault.withdrawInKind", address(vault), abi.encodeCall(IIndexVault.withdrawInKind, (tokens)), Role.Owner, false, false);
        c[4] = Case("vault.setMandate", address(vault), abi.encodeCall(IIndexVault.setMandate, (_mandate(100, 1 hours, 1e6), _allow(address(a)))), Role.Owner, false, false);
        c[5] = Case("vault.revokeKeeper", address(vault), abi.encodeCall(IIndexVault.revokeKeeper, ()), Role.Owner, false, false);
        c[6] = Case("vault.rebalance", address(vault), abi.encodeCall(IIndexVault.rebalance, (_noLegs(), _noLegs(), block.timestamp)), Role.Keeper, false, false);
        c[7] = Case("vault.uniswapV3SwapCallback", address(vault), abi.encodeCall(IUniswapV3SwapCallback.uniswapV3SwapCallback, (1e6, 1e6, "")), Role.Owner, false, true);
        c[8] = Case("factory.createVault", address(factory), abi.encodeCall(IVaultFactory.createVault, (address(0x5A1), bytes32("x"))), Role.Stranger, true, false);
        c[9] = Case("factory.setFee", address(factory), abi.encodeCall(IVaultFactory.setFee, (50)), Role.Admin, false, false);
        c[10] = Case("factory.setFeeRecipient", address(factory), abi.encodeCall(IVaultFactory.setFeeRecipient, (address(0x5A2))), Role.Admin, false, false);
        c[11] = Case("factory.setPaused", address(factory), abi.encodeCall(IVaultFactory.setPaused, (true)), Role.Admin, false, false);
        c[12] = Case("factory.transferAdmin", address(factory), abi.encodeCall(IVaultFactory.transferAdmin, (address(0x5A3))), Role.Admin, false, false);
        c[13] = Case("factory.acceptAdmin", address(factory), abi.encodeCall(IVaultFactory.acceptAdmin, ()), Role.Stranger, false, false);
        c[14] = Case("factory.claimFees", address(factory), abi.encodeCall(IVaultFactory.claimFees, ()), Role.Stranger, true, false);
    }

    /// @dev The error a caller that is not allowed gets.
    function _denied(uint256 i, address caller) internal pure returns (bytes memory) {
        if (i == 0) return abi.encodeWithSelector(IIndexVault.NotFactory.selector, caller);
        if (i >= 1 && i <= 5) return abi.encodeWithSelector(IIndexVault.NotOwner.selector, caller);
        if (i == 6) return abi.encodeWithSelector(IIndexVault.NotKeeper.selector, caller);
        if (i == 7) return abi.encodeWithSelector(IIndexVault.UnauthorizedCallback.selector, caller);
        if (i == 13) return abi.encodeWithSelector(IVaultFactory.NotPendingAdmin.selector, caller);
        return abi.encodeWithSelector(IVaultFactory.NotAdmin.selector, caller);
    }

    function test_accessMatrix() public {
        Case[] memory cases = _cases();
        uint256 checked;
        for (uint256 i; i < cases.length; ++i) {
            for (uint256 r; r < 4; ++r) {
                Role role = Role(r);
                address caller = _who(role);
                uint256 snapshot = vm.snapshotState();
                if (i == 1) {
                    _fund(address(usdc), caller, 1e6); // everyone may approve; only the owner may buy
                    vm.prank(caller);
                    usdc.approve(address(vault), 1e6);
                }
                vm.prank(caller);
                (bool ok, bytes memory ret) = cases[i].target.call(cases[i].data);
                bool shouldPass = !cases[i].nobody && (cases[i].anyone || role == cases[i].allowed);
                if (shouldPass) {
                    assertTrue(ok, string.concat(cases[i].name, " should succeed for ", _roleName(role)));
                } else {
                    assertFalse(ok, string.concat(cases[i].name, " should fail for ", _roleName(role)));
                    assertEq(keccak256(ret), keccak256(_denied(i, caller)), string.concat(cases[i].name, " error"));
                }
                console.log(string.concat("ACCESS ", cases[i].name, " ", _roleName(role), ok ? " ok" : " denied"));
                vm.revertToState(snapshot);
                ++checked;
            }
        }
        assertEq(checked, 60, "15 functions x 4 roles");
    }
}
