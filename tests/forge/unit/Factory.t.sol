// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";

import {Fixture} from "../utils/Fixture.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {VaultFactory} from "../../../contracts/VaultFactory.sol";
import {IVaultFactory} from "../../../contracts/interfaces/IVaultFactory.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice VaultFactory: constructor, createVault, predictVault, claimFees, fee, pause, admin.
contract FactoryTest is Fixture {
    // --- constructor --------------------------------------------------------------------------

    function test_constructor_setsEverything() public view {
        assertEq(factory.admin(), admin, "admin");
        assertEq(factory.usdc(), address(usdc), "usdc");
        assertEq(factory.uniswapV3Factory(), address(uniFactory), "uniswap");
        (address recipient, uint16 feeBps, bool paused) = factory.config();
        assertEq(recipient, feeRecipient, "recipient");
        assertEq(feeBps, PLATFORM_FEE_BPS, "fee");
        assertFalse(paused, "paused");
        assertEq(factory.MAX_FEE_BPS(), 100, "cap");
        IndexVault impl = IndexVault(factory.implementation());
        assertEq(impl.factory(), address(factory), "impl factory");
        assertEq(impl.usdc(), address(usdc), "impl usdc");
        assertEq(impl.uniswapV3Factory(), address(uniFactory), "impl uniswap");
        assertEq(impl.owner(), address(1), "impl initialiser disabled");
    }

    function test_constructor_emits() public {
        vm.expectEmit();
        emit IVaultFactory.AdminChanged(address(0), admin);
        vm.expectEmit();
        emit IVaultFactory.FeeRecipientChanged(address(0), feeRecipient);
        vm.expectEmit();
        emit IVaultFactory.FeeChanged(0, 7);
        new VaultFactory(admin, address(usdc), address(uniFactory), feeRecipient, 7, MIN_BLOCK_TIME);
    }

    function test_constructor_revertsOnZeroAdmin() public {
        vm.expectRevert(IVaultFactory.ZeroAddress.selector);
        new VaultFactory(address(0), address(usdc), address(uniFactory), feeRecipient, 7, MIN_BLOCK_TIME);
    }

    function test_constructor_revertsOnZeroRecipient() public {
        vm.expectRevert(IVaultFactory.ZeroAddress.selector);
        new VaultFactory(admin, address(usdc), address(uniFactory), address(0), 7, MIN_BLOCK_TIME);
    }

    function test_constructor_revertsOnZeroUsdc() public {
        vm.expectRevert(IVaultFactory.ZeroAddress.selector);
        new VaultFactory(admin, address(0), address(uniFactory), feeRecipient, 7, MIN_BLOCK_TIME);
    }

    function test_constructor_revertsOnZeroUniswap() public {
        vm.expectRevert(IVaultFactory.ZeroAddress.selector);
        new VaultFactory(admin, address(usdc), address(0), feeRecipient, 7, MIN_BLOCK_TIME);
    }

    function test_constructor_acceptsTheCap() public {
        VaultFactory f = new VaultFactory(admin, address(usdc), address(uniFactory), feeRecipient, 100, MIN_BLOCK_TIME);
        (, uint16 feeBps,) = f.config();
        assertEq(feeBps, 100, "1% is allowed");
    }

    function test_constructor_revertsAboveCap() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.FeeAboveCap.selector, uint16(101), uint16(100)));
        new VaultFactory(admin, address(usdc), address(uniFactory), feeRecipient, 101, MIN_BLOCK_TIME);
    }

    // --- createVault / predictVault ----------------------------------------------------------

    function test_createVault_clonesInitialisesAndRegisters() public {
        address user = address(0xBEEF);
        bytes32 salt = keccak256("first");
        address predicted = factory.predictVault(user, salt);
        vm.expectEmit(address(factory));
        emit IVaultFactory.VaultCreated(user, predicted, salt);
        vm.prank(stranger); // anyone may create (e.g. a sponsor); the vault is the owner's
        address v = factory.createVault(user, salt);
        assertEq(v, predicted, "predicted address");
        assertEq(IndexVault(v).owner(), user, "owner");
        assertEq(IndexVault(v).factory(), address(factory), "factory");
        // EIP-1167 minimal proxy: 45 bytes pointing at the implementation.
        assertEq(v.code.length, 45, "minimal proxy");
        assertEq(keccak256(v.code), keccak256(_eip1167(factory.implementation())), "proxy code");
    }

    /// @dev Issue 13 (7): the factory keeps no per-owner list, so a stranger creating vaults for
    ///      an owner with other salts grows nothing the owner or anyone has to read on chain;
    ///      each such vault is still the owner's, found through `VaultCreated` logs.
    function test_createVault_strangerCannotGrowAnOwnersRegistry() public {
        vm.startPrank(stranger);
        for (uint256 i = 1; i <= 3; ++i) {
            address v = factory.createVault(owner, bytes32(i));
            assertEq(IndexVault(v).owner(), owner, "still the owner's vault");
        }
        vm.stopPrank();
        (bool ok,) = address(factory).staticcall(abi.encodeWithSignature("vaultsOf(address)", owner));
        assertFalse(ok, "no on-chain per-owner list to grow");
    }

    /// @dev The address the orchestrator can compute off-chain: CREATE2 by the factory of the
    ///      EIP-1167 proxy of the implementation, salt keccak256(abi.encode(owner, salt)).
    function test_predictVault_isCreate2OfTheOwnerBoundSalt() public view {
        bytes32 salt = keccak256("salt");
        bytes32 bound = keccak256(abi.encode(owner, salt));
        bytes32 initCodeHash = keccak256(
            abi.encodePacked(hex"3d602d80600a3d3981f3", _eip1167(factory.implementation()))
        );
        address expected = address(
            uint160(uint256(keccak256(abi.encodePacked(hex"ff", address(factory), bound, initCodeHash))))
        );
        assertEq(factory.predictVault(owner, salt), expected, "CREATE2 address");
    }

    function test_createVault_saltIsBoundToOwner() public view {
        bytes32 salt = keccak256("same");
        assertTrue(factory.predictVault(owner, salt) != factory.predictVault(stranger, salt), "owners differ");
    }

    function testFuzz_predictVault_matchesCreate(address user, bytes32 salt) public {
        vm.assume(user != address(0));
        address predicted = factory.predictVault(user, salt);
        vm.assume(predicted.code.length == 0);
        assertEq(factory.createVault(user, salt), predicted, "prediction");
    }

    function test_createVault_isIdempotent() public {
        vm.recordLogs();
        vm.prank(stranger); // e.g. a front-runner: the owner's own call still succeeds afterwards
        assertEq(factory.createVault(owner, bytes32(0)), address(vault), "existing vault returned");
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        assertEq(vault.owner(), owner, "owner unchanged");
    }

    function test_createVault_revertsOnZeroOwner() public {
        vm.expectRevert(IIndexVault.ZeroAddress.selector); // raised by the clone's initialiser
        factory.createVault(address(0), bytes32(0));
    }

    // --- fee ----------------------------------------------------------------------------------

    function test_setFee_updatesAndEmits() public {
        vm.expectEmit(address(factory));
        emit IVaultFactory.FeeChanged(PLATFORM_FEE_BPS, 100);
        vm.prank(admin);
        factory.setFee(100);
        (, uint16 feeBps,) = factory.config();
        assertEq(feeBps, 100, "fee");
    }

    function testFuzz_setFee_neverAboveCap(uint16 feeBps) public {
        vm.prank(admin);
        if (feeBps > 100) {
            vm.expectRevert(abi.encodeWithSelector(IVaultFactory.FeeAboveCap.selector, feeBps, uint16(100)));
        }
        factory.setFee(feeBps);
        (, uint16 stored,) = factory.config();
        assertLe(stored, 100, "cap");
    }

    function test_setFee_revertsForNonAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.NotAdmin.selector, stranger));
        vm.prank(stranger);
        factory.setFee(1);
    }

    function test_setFeeRecipient_updatesAndEmits() public {
        vm.expectEmit(address(factory));
        emit IVaultFactory.FeeRecipientChanged(feeRecipient, address(0x1234));
        vm.prank(admin);
        factory.setFeeRecipient(address(0x1234));
        (address recipient,,) = factory.config();
        assertEq(recipient, address(0x1234), "recipient");
    }

    function test_setFeeRecipient_revertsOnZero() public {
        vm.expectRevert(IVaultFactory.ZeroAddress.selector);
        vm.prank(admin);
        factory.setFeeRecipient(address(0));
    }

    function test_setFeeRecipient_revertsForNonAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.NotAdmin.selector, owner));
        vm.prank(owner);
        factory.setFeeRecipient(owner);
    }

    // --- pause --------------------------------------------------------------------------------

    function test_setPaused_togglesAndEmits() public {
        vm.expectEmit(address(factory));
        emit IVaultFactory.PauseChanged(true);
        vm.prank(admin);
        factory.setPaused(true);
        (,, bool paused) = factory.config();
        assertTrue(paused, "paused");
        vm.expectEmit(address(factory));
        emit IVaultFactory.PauseChanged(false);
        vm.prank(admin);
        factory.setPaused(false);
        (,, paused) = factory.config();
        assertFalse(paused, "unpaused");
    }

    function test_setPaused_revertsForNonAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.NotAdmin.selector, keeper));
        vm.prank(keeper);
        factory.setPaused(true);
    }

    // --- admin transfer -----------------------------------------------------------------------

    function test_adminTransfer_twoSteps() public {
        address next = address(0xA11CE);
        vm.expectEmit(address(factory));
        emit IVaultFactory.AdminTransferStarted(admin, next);
        vm.prank(admin);
        factory.transferAdmin(next);
        assertEq(factory.pendingAdmin(), next, "pending");
        assertEq(factory.admin(), admin, "not yet");

        vm.expectEmit(address(factory));
        emit IVaultFactory.AdminChanged(admin, next);
        vm.prank(next);
        factory.acceptAdmin();
        assertEq(factory.admin(), next, "admin");
        assertEq(factory.pendingAdmin(), address(0), "pending cleared");

        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.NotAdmin.selector, admin));
        vm.prank(admin);
        factory.setFee(1);
    }

    function test_transferAdmin_revertsForNonAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.NotAdmin.selector, stranger));
        vm.prank(stranger);
        factory.transferAdmin(stranger);
    }

    function test_acceptAdmin_revertsForOthers() public {
        vm.prank(admin);
        factory.transferAdmin(address(0xA11CE));
        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.NotPendingAdmin.selector, stranger));
        vm.prank(stranger);
        factory.acceptAdmin();
    }

    function _eip1167(address impl) internal pure returns (bytes memory) {
        return abi.encodePacked(
            hex"363d3d373d3d3d363d73", impl, hex"5af43d82803e903d91602b57fd5bf3"
        );
    }

    // --- issue 13: minimum block time, fees held until claimed ------------------------------

    function test_constructor_revertsOnZeroMinBlockTime() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.InvalidMinBlockTime.selector, uint32(0)));
        new VaultFactory(admin, address(usdc), address(uniFactory), feeRecipient, 7, 0);
    }

    function test_constructor_givesTheMinBlockTimeToTheImplementation() public {
        VaultFactory f = new VaultFactory(admin, address(usdc), address(uniFactory), feeRecipient, 7, 2);
        assertEq(f.minBlockTime(), 2, "factory");
        assertEq(IndexVault(f.implementation()).minBlockTime(), 2, "implementation (Base: 2 s)");
        assertEq(IndexVault(f.implementation()).requiredCardinality(30 minutes), 901, "1 800 / 2 + 1");
    }

    function test_claimFees_sendsEverythingHeldToTheRecipient() public {
        _fund(address(usdc), address(factory), 123e6);
        vm.expectEmit(address(factory));
        emit IVaultFactory.FeesClaimed(feeRecipient, 123e6);
        vm.prank(stranger); // anyone may trigger it; only the recipient is paid
        assertEq(factory.claimFees(), 123e6, "amount");
        assertEq(_bal(address(usdc), feeRecipient), 123e6, "recipient paid");
        assertEq(_bal(address(usdc), address(factory)), 0, "nothing left");
        vm.recordLogs();
        assertEq(factory.claimFees(), 0, "nothing to claim");
        assertEq(_transfersFrom(vm.getRecordedLogs(), address(factory)), 0, "no zero transfer");
    }

    function test_claimFees_goesToTheCurrentRecipient() public {
        _fund(address(usdc), address(factory), 5e6);
        vm.prank(admin);
        factory.setFeeRecipient(address(0x5A2));
        factory.claimFees();
        assertEq(_bal(address(usdc), address(0x5A2)), 5e6, "new recipient");
    }

    function _transfersFrom(Vm.Log[] memory logs, address from) internal pure returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length == 3 && address(uint160(uint256(logs[i].topics[1]))) == from) ++n;
        }
    }
}
