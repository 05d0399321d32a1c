// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {PoolAddress} from "../../../contracts/libraries/PoolAddress.sol";

/// @notice IndexVault.buy
contract BuyTest is VaultTest {
    function test_buy_swapsEveryLegAndKeepsTheRest() public {
        uint256 amount = 2_500e6;
        uint256 fee = amount * PLATFORM_FEE_BPS / 10_000;
        uint256 outA = _quote(address(usdc), address(a), 1_000e6);
        uint256 outB = _quote(address(usdc), address(b), 1_200e6);
        _fund(address(usdc), owner, amount);
        vm.prank(owner);
        usdc.approve(address(vault), amount);

        vm.expectEmit(address(vault));
        emit IIndexVault.Swapped(address(usdc), address(a), 1_000e6, outA);
        vm.expectEmit(address(vault));
        emit IIndexVault.Swapped(address(usdc), address(b), 1_200e6, outB);
        vm.expectEmit(address(vault));
        emit IIndexVault.Bought(amount, fee, 2_200e6);
        vm.prank(owner);
        vault.buy(amount, _legs(_leg(address(a), 1_000e6, outA), _leg(address(b), 1_200e6, outB)), ANY_FEE_BPS, block.timestamp);

        assertEq(_bal(address(a), address(vault)), outA, "A");
        assertEq(_bal(address(b), address(vault)), outB, "B");
        assertEq(_bal(address(usdc), address(vault)), amount - fee - 2_200e6, "cash");
        assertEq(_bal(address(usdc), address(factory)), fee, "fee");
        assertEq(_bal(address(usdc), owner), 0, "owner paid all");
        assertEq(usdc.allowance(owner, address(vault)), 0, "exact approval consumed");
    }

    function test_buy_withoutLegsKeepsCash() public {
        _buy(1_000e6, _noLegs());
        assertEq(_bal(address(usdc), address(vault)), 997e6, "cash after fee");
    }

    function test_buy_zeroFeeSkipsTransfer() public {
        vm.prank(admin);
        factory.setFee(0);
        vm.recordLogs();
        _buy(1_000e6, _legs(_leg(address(a), 1_000e6, 0)));
        assertEq(_transfers(vm.getRecordedLogs(), address(vault), feeRecipient), 0, "no zero transfer to the recipient");
        assertEq(_bal(address(usdc), address(factory)), 0, "no fee");
        assertEq(_bal(address(usdc), address(vault)), 0, "all swapped");
    }

    function testFuzz_buy_feeRoundsDownAndNeverExceedsCap(uint256 amount, uint16 feeBps) public {
        amount = bound(amount, 1, 1e15);
        feeBps = uint16(bound(feeBps, 0, 100));
        vm.prank(admin);
        factory.setFee(feeBps);
        _buy(amount, _noLegs());
        uint256 fee = _bal(address(usdc), address(factory));
        assertEq(fee, amount * feeBps / 10_000, "floor(amount * bps / 10 000)");
        assertLe(fee * 10_000, amount * 100, "<= cap");
        assertEq(_bal(address(usdc), address(vault)) + fee, amount, "nothing lost");
    }

    function test_buy_revertsWhenALegUnderDelivers() public {
        uint256 outB = _quote(address(usdc), address(b), 500e6);
        _fund(address(usdc), owner, 1_000e6);
        vm.prank(owner);
        usdc.approve(address(vault), 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientOutput.selector, address(b), outB, outB + 1));
        vm.prank(owner);
        vault.buy(1_000e6, _legs(_leg(address(a), 400e6, 0), _leg(address(b), 500e6, outB + 1)), ANY_FEE_BPS, block.timestamp);
        assertEq(_bal(address(a), address(vault)), 0, "the whole call reverted");
    }

    function test_buy_revertsWhenOverspending() public {
        _buy(1_000e6, _noLegs()); // 997 USDC of cash that this buy must not touch
        _fund(address(usdc), owner, 1_000e6);
        vm.prank(owner);
        usdc.approve(address(vault), 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.Overspent.selector, 1_001e6 + 3e6, 1_000e6));
        vm.prank(owner);
        vault.buy(1_000e6, _legs(_leg(address(a), 1_001e6, 0)), ANY_FEE_BPS, block.timestamp);
    }

    function test_buy_acceptsAFutureDeadline() public {
        _fund(address(usdc), owner, 1_000e6);
        vm.startPrank(owner);
        usdc.approve(address(vault), 1_000e6);
        vault.buy(1_000e6, _noLegs(), ANY_FEE_BPS, block.timestamp + 1 hours);
        vm.stopPrank();
        assertEq(_bal(address(usdc), address(vault)), 997e6, "bought");
    }

    function test_buy_revertsAfterDeadline() public {
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.DeadlineExpired.selector, block.timestamp - 1, block.timestamp)
        );
        vm.prank(owner);
        vault.buy(0, _noLegs(), ANY_FEE_BPS, block.timestamp - 1);
    }

    function test_buy_revertsWhenPaused() public {
        vm.prank(admin);
        factory.setPaused(true);
        vm.expectRevert(IIndexVault.Paused.selector);
        vm.prank(owner);
        vault.buy(0, _noLegs(), ANY_FEE_BPS, block.timestamp);
    }

    function test_buy_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotOwner.selector, keeper));
        vm.prank(keeper);
        vault.buy(0, _noLegs(), ANY_FEE_BPS, block.timestamp);
    }

    function test_buy_revertsWithoutApproval() public {
        _fund(address(usdc), owner, 1_000e6);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(vault), 0, 1_000e6)
        );
        vm.prank(owner);
        vault.buy(1_000e6, _noLegs(), ANY_FEE_BPS, block.timestamp);
    }

    function test_buy_revertsOnUnknownPool() public {
        address missing = PoolAddress.compute(address(uniFactory), address(a), address(usdc), 3000);
        _fund(address(usdc), owner, 1_000e6);
        vm.prank(owner);
        usdc.approve(address(vault), 1_000e6);
        IIndexVault.Leg memory leg = IIndexVault.Leg({token: address(a), fee: 3000, amountIn: 100e6, amountOutMin: 0});
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.PoolNotFound.selector, address(a), uint24(3000), missing));
        vm.prank(owner);
        vault.buy(1_000e6, _legs(leg), ANY_FEE_BPS, block.timestamp);
    }

    function test_buy_revertsOnUsdcAsLeg() public {
        address missing = PoolAddress.compute(address(uniFactory), address(usdc), address(usdc), FEE);
        _fund(address(usdc), owner, 1_000e6);
        vm.prank(owner);
        usdc.approve(address(vault), 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.PoolNotFound.selector, address(usdc), FEE, missing));
        vm.prank(owner);
        vault.buy(1_000e6, _legs(_leg(address(usdc), 100e6, 0)), ANY_FEE_BPS, block.timestamp);
    }

    function test_buy_revertsOnZeroAmountLeg() public {
        _fund(address(usdc), owner, 1_000e6);
        vm.prank(owner);
        usdc.approve(address(vault), 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.ZeroAmount.selector, address(a)));
        vm.prank(owner);
        vault.buy(1_000e6, _legs(_leg(address(a), 0, 0)), ANY_FEE_BPS, block.timestamp);
    }

    function test_buy_revertsOnAmountAboveInt256() public {
        _fund(address(usdc), owner, 1_000e6);
        vm.prank(owner);
        usdc.approve(address(vault), 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintToInt.selector, uint256(1) << 255));
        vm.prank(owner);
        vault.buy(1_000e6, _legs(_leg(address(a), uint256(1) << 255, 0)), ANY_FEE_BPS, block.timestamp);
    }

    function testFuzz_buy_outputIsTheBalanceDelta(uint256 amountA, uint256 amountB) public {
        amountA = bound(amountA, 1e6, 100_000e6);
        amountB = bound(amountB, 1e6, 100_000e6);
        uint256 amount = amountA + amountB + (amountA + amountB) / 100;
        _buy(amount, _legs(_leg(address(a), amountA, 0), _leg(address(b), amountB, 0)));
        uint256 before = _bal(address(a), address(vault));
        uint256 expected = _quote(address(usdc), address(a), amountA);
        _buy(amount, _legs(_leg(address(a), amountA, expected), _leg(address(b), amountB, 0)));
        assertEq(_bal(address(a), address(vault)) - before, expected, "delta = pool output");
    }

    function test_buy_revertsWhenTheFeeIsAboveTheOwnersMax() public {
        vm.prank(admin);
        factory.setFee(31);
        _fund(address(usdc), owner, 1_000e6);
        vm.startPrank(owner);
        usdc.approve(address(vault), 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.FeeAboveMax.selector, uint16(31), uint16(30)));
        vault.buy(1_000e6, _noLegs(), 30, block.timestamp);
        vault.buy(1_000e6, _noLegs(), 31, block.timestamp); // at exactly the max it goes through
        vm.stopPrank();
        assertEq(_bal(address(usdc), address(factory)), 1_000e6 * 31 / 10_000, "fee held by the factory");
    }
}
