// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice IndexVault.sell
contract SellTest is VaultTest {
    function setUp() public override {
        super.setUp();
        _buyBoth(); // A, B, and 0.3% x 2 010 ... 4.03 USDC of cash
    }

    function test_sell_givenAmountsPaysOwnerLessFee() public {
        uint256 sellA = _bal(address(a), address(vault)) / 2;
        uint256 sellB = _bal(address(b), address(vault));
        uint256 outA = _quote(address(a), address(usdc), sellA);
        uint256 outB = _quote(address(b), address(usdc), sellB);
        uint256 cash = _bal(address(usdc), address(vault));
        uint256 feeBefore = _bal(address(usdc), feeRecipient);
        uint256 fee = (outA + outB + 1e6) * PLATFORM_FEE_BPS / 10_000;
        uint256 expectedPaid = outA + outB + 1e6 - fee;

        vm.expectEmit(address(vault));
        emit IIndexVault.Swapped(address(a), address(usdc), sellA, outA);
        vm.expectEmit(address(vault));
        emit IIndexVault.Swapped(address(b), address(usdc), sellB, outB);
        vm.expectEmit(address(vault));
        emit IIndexVault.Sold(outA + outB, 1e6, fee, expectedPaid);
        vm.prank(owner);
        uint256 paid =
            vault.sell(_legs(_leg(address(a), sellA, outA), _leg(address(b), sellB, outB)), 1e6, 0, block.timestamp);

        assertEq(paid, expectedPaid, "paid = proceeds + cash - fee");
        assertEq(_bal(address(usdc), owner), paid, "owner got paid");
        assertEq(_bal(address(usdc), feeRecipient) - feeBefore, fee, "exact fee");
        assertEq(_bal(address(usdc), address(vault)), cash - 1e6, "cash left");
        assertEq(_bal(address(b), address(vault)), 0, "B sold");
    }

    function test_sell_fractionSellsShareOfEverything() public {
        uint256 balA = _bal(address(a), address(vault));
        uint256 balB = _bal(address(b), address(vault));
        uint256 cash = _bal(address(usdc), address(vault));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), 123, 1), _leg(address(b), 456, 1)), 999, 2_500, block.timestamp);
        assertEq(_bal(address(a), address(vault)), balA - balA * 2_500 / 10_000, "25% of A sold");
        assertEq(_bal(address(b), address(vault)), balB - balB * 2_500 / 10_000, "25% of B sold");
        assertEq(_bal(address(usdc), address(vault)), cash - cash * 2_500 / 10_000, "25% of cash paid");
    }

    function test_sell_everything() public {
        vm.prank(owner);
        uint256 paid = vault.sell(_legs(_leg(address(a), 0, 1), _leg(address(b), 0, 1)), 0, 10_000, block.timestamp);
        assertEq(_bal(address(a), address(vault)), 0, "no A");
        assertEq(_bal(address(b), address(vault)), 0, "no B");
        assertEq(_bal(address(usdc), address(vault)), 0, "no cash");
        assertGt(paid, 1_990e6, "about 2 000 USDC back");
    }

    function test_sell_worksWhilePaused() public {
        vm.prank(admin);
        factory.setPaused(true);
        vm.prank(owner);
        vault.sell(_noLegs(), 1e6, 0, block.timestamp);
        assertEq(_bal(address(usdc), owner), 1e6 - 1e6 * uint256(PLATFORM_FEE_BPS) / 10_000, "paid");
    }

    function test_sell_nothingToPayMovesNothing() public {
        vm.recordLogs();
        vm.prank(owner);
        uint256 paid = vault.sell(_noLegs(), 0, 0, block.timestamp);
        assertEq(paid, 0, "nothing");
        assertEq(_transfers(vm.getRecordedLogs(), address(vault), address(0)), 0, "no zero transfers");
    }

    function test_sell_zeroFeeSkipsTheFeeTransfer() public {
        vm.prank(admin);
        factory.setFee(0);
        vm.recordLogs();
        vm.prank(owner);
        vault.sell(_noLegs(), 1e6, 0, block.timestamp);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_transfers(logs, address(vault), feeRecipient), 0, "no zero fee transfer");
        assertEq(_transfers(logs, address(vault), owner), 1, "paid the owner");
    }

    function test_sell_revertsWhenALegUnderDelivers() public {
        uint256 sellA = _bal(address(a), address(vault));
        uint256 outA = _quote(address(a), address(usdc), sellA);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientOutput.selector, address(a), outA, outA + 1));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), sellA, outA + 1)), 0, 0, block.timestamp);
    }

    function test_sell_revertsOnTooMuchCash() public {
        uint256 cash = _bal(address(usdc), address(vault));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientCash.selector, cash + 1, cash));
        vm.prank(owner);
        vault.sell(_noLegs(), cash + 1, 0, block.timestamp);
    }

    function test_sell_revertsOnFractionAboveWhole() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InvalidFraction.selector, 10_001));
        vm.prank(owner);
        vault.sell(_noLegs(), 0, 10_001, block.timestamp);
    }

    function test_sell_revertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.ZeroAmount.selector, address(a)));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), 0, 0)), 0, 0, block.timestamp);
    }

    function test_sell_revertsAfterDeadline() public {
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.DeadlineExpired.selector, block.timestamp - 1, block.timestamp)
        );
        vm.prank(owner);
        vault.sell(_noLegs(), 0, 0, block.timestamp - 1);
    }

    function test_sell_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotOwner.selector, stranger));
        vm.prank(stranger);
        vault.sell(_noLegs(), 0, 10_000, block.timestamp);
    }

    function testFuzz_sell_feeRoundsDown(uint256 cash, uint16 feeBps) public {
        cash = bound(cash, 0, _bal(address(usdc), address(vault)));
        feeBps = uint16(bound(feeBps, 0, 100));
        vm.prank(admin);
        factory.setFee(feeBps);
        uint256 feeBefore = _bal(address(usdc), feeRecipient);
        vm.prank(owner);
        uint256 paid = vault.sell(_noLegs(), cash, 0, block.timestamp);
        uint256 fee = _bal(address(usdc), feeRecipient) - feeBefore;
        assertEq(fee, cash * feeBps / 10_000, "floor");
        assertEq(paid + fee, cash, "all accounted");
        assertEq(_bal(address(usdc), owner), paid, "owner");
    }
}
