// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Fixture} from "../utils/Fixture.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice Each initialisation guard on its own: the factory-only check, the zero owner, the
///         one-shot flag on a clone, and the implementation's disabled initialiser.
contract InitializeTest is Fixture {
    IndexVault internal bare; // a clone nobody has initialised (made outside the factory)

    function setUp() public override {
        super.setUp();
        bare = IndexVault(Clones.clone(factory.implementation()));
    }

    function test_bareClone_isUninitialised() public view {
        assertEq(bare.owner(), address(0), "fresh clone");
    }

    function test_guard_onlyFactory() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotFactory.selector, stranger));
        vm.prank(stranger);
        bare.initialize(stranger);
        assertEq(bare.owner(), address(0), "still uninitialised");
    }

    function test_guard_zeroOwner() public {
        vm.expectRevert(IIndexVault.ZeroAddress.selector);
        vm.prank(address(factory));
        bare.initialize(address(0));
    }

    function test_guard_oneShot() public {
        vm.prank(address(factory));
        bare.initialize(owner);
        assertEq(bare.owner(), owner, "initialised");
        vm.expectRevert(IIndexVault.AlreadyInitialized.selector);
        vm.prank(address(factory));
        bare.initialize(stranger);
        assertEq(bare.owner(), owner, "unchanged");
    }

    function test_guard_factoryCloneCannotBeReinitialised() public {
        vm.expectRevert(IIndexVault.AlreadyInitialized.selector);
        vm.prank(address(factory));
        vault.initialize(stranger);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotFactory.selector, keeper));
        vm.prank(keeper);
        vault.initialize(keeper);
        assertEq(vault.owner(), owner, "owner unchanged");
    }

    function test_guard_implementationDisabled() public {
        IndexVault impl = IndexVault(factory.implementation());
        vm.expectRevert(IIndexVault.AlreadyInitialized.selector);
        vm.prank(address(factory));
        impl.initialize(stranger);
        assertEq(impl.owner(), address(1), "implementation stays disabled");
    }

    function test_implementation_constructorRejectsZeroAddresses() public {
        vm.expectRevert(IIndexVault.ZeroAddress.selector);
        new IndexVault(address(0), address(usdc), address(uniFactory), MIN_BLOCK_TIME, address(0));
        vm.expectRevert(IIndexVault.ZeroAddress.selector);
        new IndexVault(address(factory), address(0), address(uniFactory), MIN_BLOCK_TIME, address(0));
        vm.expectRevert(IIndexVault.ZeroAddress.selector);
        new IndexVault(address(factory), address(usdc), address(0), MIN_BLOCK_TIME, address(0));
    }
}
