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
        uint256 feeBefore = _bal(address(usdc), address(factory));
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
            vault.sell(_legs(_leg(address(a), sellA, outA), _leg(address(b), sellB, outB)), 1e6, 0, ANY_FEE_BPS, block.timestamp);

        assertEq(paid, expectedPaid, "paid = proceeds + cash - fee");
        assertEq(_bal(address(usdc), owner), paid, "owner got paid");
        assertEq(_bal(address(usdc), address(factory)) - feeBefore, fee, "exact fee");
        assertEq(_bal(address(usdc), address(vault)), cash - 1e6, "cash left");
        assertEq(_bal(address(b), address(vault)), 0, "B sold");
    }

    function test_sell_fractionSellsShareOfEverything() public {
        uint256 balA = _bal(address(a), address(vault));
        uint256 balB = _bal(address(b), address(vault));
        uint256 cash = _bal(address(usdc), address(vault));
        vm.prank(owner);
        // in fraction mode amountIn is the previewed amount and cash is ignored
        vault.sell(
            _legs(_leg(address(a), balA * 2_500 / 10_000, 1), _leg(address(b), balB * 2_500 / 10_000, 1)),
            999,
            2_500,
            ANY_FEE_BPS,
            block.timestamp
        );
        assertEq(_bal(address(a), address(vault)), balA - balA * 2_500 / 10_000, "25% of A sold");
        assertEq(_bal(address(b), address(vault)), balB - balB * 2_500 / 10_000, "25% of B sold");
        assertEq(_bal(address(usdc), address(vault)), cash - cash * 2_500 / 10_000, "25% of cash paid");
    }

    function test_sell_everything() public {
        IIndexVault.Leg[] memory legs =
            _legs(_leg(address(a), _bal(address(a), address(vault)), 1), _leg(address(b), _bal(address(b), address(vault)), 1));
        vm.prank(owner);
        uint256 paid = vault.sell(legs, 0, 10_000, ANY_FEE_BPS, block.timestamp);
        assertEq(_bal(address(a), address(vault)), 0, "no A");
        assertEq(_bal(address(b), address(vault)), 0, "no B");
        assertEq(_bal(address(usdc), address(vault)), 0, "no cash");
        assertGt(paid, 1_990e6, "about 2 000 USDC back");
    }

    function test_sell_worksWhilePaused() public {
        vm.prank(admin);
        factory.setPaused(true);
        vm.prank(owner);
        vault.sell(_noLegs(), 1e6, 0, ANY_FEE_BPS, block.timestamp);
        assertEq(_bal(address(usdc), owner), 1e6 - 1e6 * uint256(PLATFORM_FEE_BPS) / 10_000, "paid");
    }

    function test_sell_nothingToPayMovesNothing() public {
        vm.recordLogs();
        vm.prank(owner);
        uint256 paid = vault.sell(_noLegs(), 0, 0, ANY_FEE_BPS, block.timestamp);
        assertEq(paid, 0, "nothing");
        assertEq(_transfers(vm.getRecordedLogs(), address(vault), address(0)), 0, "no zero transfers");
    }

    function test_sell_zeroFeeSkipsTheFeeTransfer() public {
        vm.prank(admin);
        factory.setFee(0);
        vm.recordLogs();
        vm.prank(owner);
        vault.sell(_noLegs(), 1e6, 0, ANY_FEE_BPS, block.timestamp);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_transfers(logs, address(vault), address(factory)), 0, "no zero fee transfer");
        assertEq(_transfers(logs, address(vault), owner), 1, "paid the owner");
    }

    function test_sell_revertsWhenALegUnderDelivers() public {
        uint256 sellA = _bal(address(a), address(vault));
        uint256 outA = _quote(address(a), address(usdc), sellA);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientOutput.selector, address(a), outA, outA + 1));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), sellA, outA + 1)), 0, 0, ANY_FEE_BPS, block.timestamp);
    }

    function test_sell_revertsOnTooMuchCash() public {
        uint256 cash = _bal(address(usdc), address(vault));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientCash.selector, cash + 1, cash));
        vm.prank(owner);
        vault.sell(_noLegs(), cash + 1, 0, ANY_FEE_BPS, block.timestamp);
    }

    function test_sell_revertsOnFractionAboveWhole() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InvalidFraction.selector, 10_001));
        vm.prank(owner);
        vault.sell(_noLegs(), 0, 10_001, ANY_FEE_BPS, block.timestamp);
    }

    function test_sell_revertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.ZeroAmount.selector, address(a)));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), 0, 0)), 0, 0, ANY_FEE_BPS, block.timestamp);
    }

    function test_sell_revertsAfterDeadline() public {
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.DeadlineExpired.selector, block.timestamp - 1, block.timestamp)
        );
        vm.prank(owner);
        vault.sell(_noLegs(), 0, 0, ANY_FEE_BPS, block.timestamp - 1);
    }

    function test_sell_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotOwner.selector, stranger));
        vm.prank(stranger);
        vault.sell(_noLegs(), 0, 10_000, ANY_FEE_BPS, block.timestamp);
    }

    function testFuzz_sell_feeRoundsDown(uint256 cash, uint16 feeBps) public {
        cash = bound(cash, 0, _bal(address(usdc), address(vault)));
        feeBps = uint16(bound(feeBps, 0, 100));
        vm.prank(admin);
        factory.setFee(feeBps);
        uint256 feeBefore = _bal(address(usdc), address(factory));
        vm.prank(owner);
        uint256 paid = vault.sell(_noLegs(), cash, 0, ANY_FEE_BPS, block.timestamp);
        uint256 fee = _bal(address(usdc), address(factory)) - feeBefore;
        assertEq(fee, cash * feeBps / 10_000, "floor");
        assertEq(paid + fee, cash, "all accounted");
        assertEq(_bal(address(usdc), owner), paid, "owner");
    }

    // --- issue 13: fraction-mode min-outs are minimum prices; the owner's maximum fee -----------

    /// @dev The vault holds twice the A the preview saw (e.g. a keeper bought A with the cash):
    ///      the min-out scales with the amount actually sold, rounded up.
    function test_sell_fractionScalesTheMinOutWithTheAmountSold() public {
        uint256 previewed = _bal(address(a), address(vault));
        uint256 previewOut = _quote(address(a), address(usdc), previewed);
        _fund(address(a), address(vault), previewed); // now twice as much
        uint256 sold = _bal(address(a), address(vault));
        uint256 out = _quote(address(a), address(usdc), sold);
        uint256 minOut = previewOut - 1; // the preview's min-out, one unit under its quote
        uint256 scaled = (minOut * sold + previewed - 1) / previewed;
        assertLt(out, scaled, "twice the amount has more impact than the minimum price allows");
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientOutput.selector, address(a), out, scaled));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), previewed, minOut)), 0, 10_000, ANY_FEE_BPS, block.timestamp);
        // at a minimum price the owner can live with, the same sell goes through
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), previewed, minOut * 99 / 100)), 0, 10_000, ANY_FEE_BPS, block.timestamp);
        assertEq(_bal(address(a), address(vault)), 0, "all of it sold");
    }

    function test_sell_fractionMinOutRoundsUp() public {
        uint256 held = _bal(address(a), address(vault));
        uint256 half = held * 5_000 / 10_000;
        uint256 out = _quote(address(a), address(usdc), half);
        // previewed 2 x half with min-out 2 x out + 1: the scaled min-out is out + 1 (rounded up)
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientOutput.selector, address(a), out, out + 1));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), half * 2, out * 2 + 1)), 0, 5_000, ANY_FEE_BPS, block.timestamp);
    }

    /// @dev A keeper sold all of B since the preview: the owner's sell skips B instead of reverting.
    function test_sell_fractionSkipsATokenNoLongerHeld() public {
        uint256 balB = _bal(address(b), address(vault));
        vm.prank(address(vault));
        b.transfer(stranger, balB); // B gone (as if sold to cash by the keeper)
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), 1, 0), _leg(address(b), balB, 1)), 0, 10_000, ANY_FEE_BPS, block.timestamp);
        assertEq(_bal(address(a), address(vault)), 0, "A sold");
    }

    function test_sell_fractionRevertsOnAZeroPreviewedAmount() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.ZeroAmount.selector, address(a)));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(a), 0, 0)), 0, 10_000, ANY_FEE_BPS, block.timestamp);
    }

    function test_sell_revertsWhenTheFeeIsAboveTheOwnersMax() public {
        vm.prank(admin);
        factory.setFee(100);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.FeeAboveMax.selector, uint16(100), uint16(30)));
        vm.prank(owner);
        vault.sell(_noLegs(), 1e6, 0, 30, block.timestamp);
        vm.prank(owner);
        vault.sell(_noLegs(), 1e6, 0, 100, block.timestamp); // the owner accepts it explicitly
    }

    /// @dev A fee recipient that cannot receive USDC (e.g. blocklisted by the issuer) cannot block
    ///      a sell: the vault never transfers to it; the fee waits in the factory for `claimFees`.
    function test_sell_feeGoesToTheFactoryNeverToTheRecipient() public {
        uint256 factoryBefore = _bal(address(usdc), address(factory));
        vm.recordLogs();
        vm.prank(owner);
        uint256 paid = vault.sell(_noLegs(), 1e6, 0, 30, block.timestamp);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(paid, 1e6 - 3_000, "paid");
        assertEq(_transfers(logs, address(vault), feeRecipient), 0, "nothing sent to the recipient");
        assertEq(_bal(address(usdc), address(factory)) - factoryBefore, 3_000, "fee held by the factory");
    }
}
