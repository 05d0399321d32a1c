// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {VaultTest} from "../utils/VaultTest.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {PoolAddress} from "../../../contracts/libraries/PoolAddress.sol";

/// @notice IndexVault.setMandate and revokeKeeper, and the mandate views.
contract MandateTest is VaultTest {
    function test_setMandate_storesAndEmits() public {
        IIndexVault.Mandate memory m = _mandate(150, 2 hours, 5_000e6);
        m.lossCap = 5_000e6;
        IIndexVault.AllowedPool[] memory pools = _allow(address(a));
        vm.expectEmit(address(vault));
        emit IIndexVault.MandateSet(m, pools, 1);
        _setMandate(m, pools);

        IIndexVault.Mandate memory stored = vault.mandate();
        assertEq(stored.keeper, keeper, "keeper");
        assertEq(stored.maxSlippageBps, 150, "slippage");
        assertEq(stored.minInterval, 2 hours, "interval");
        assertEq(stored.twapWindow, 30 minutes, "window");
        assertEq(stored.lossBudget, 5_000e6, "budget");
        assertEq(stored.lossWindow, 7 days, "loss window");
        assertEq(stored.lossCap, 5_000e6, "loss cap");
        assertEq(vault.mandateEpoch(), 1, "epoch");
        (bool allowed, uint24 fee) = vault.allowedPool(address(a));
        assertTrue(allowed, "A allowed");
        assertEq(fee, FEE, "A's pool");
        (allowed,) = vault.allowedPool(address(b));
        assertFalse(allowed, "B not allowed");
    }

    function test_setMandate_replacesTheAllowlist() public {
        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(a)));
        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(b)));
        assertEq(vault.mandateEpoch(), 2, "epoch");
        (bool allowedA,) = vault.allowedPool(address(a));
        (bool allowedB,) = vault.allowedPool(address(b));
        assertFalse(allowedA, "A void after the new mandate");
        assertTrue(allowedB, "B allowed");
    }

    function test_setMandate_keepsUsedBudgetAndLastRebalance() public {
        _buyBoth();
        _defaultMandate();
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), _bal(address(a), address(vault))));
        vm.prank(keeper); // after computing the legs: a prank applies to the next call only
        vault.rebalance(sells, _noLegs(), block.timestamp);
        (uint256 usedBefore, uint32 last,) = vault.lossUsed();
        assertGt(usedBefore, 0, "a loss was booked");
        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(a)));
        (uint256 usedAfter, uint32 lastAfter,) = vault.lossUsed();
        assertEq(usedAfter, usedBefore, "budget carried over");
        assertEq(lastAfter, last, "interval carried over");
    }

    function test_setMandate_acceptsTheBounds() public {
        IIndexVault.Mandate memory m = _mandate(1_000, 0, 0); // the slippage cap, no interval, no budget
        m.twapWindow = 30 minutes;
        _setMandate(m, _allow(address(a)));
        assertEq(vault.mandate().twapWindow, 1_800, "MIN_TWAP_WINDOW allowed");
        assertEq(vault.mandate().maxSlippageBps, 1_000, "MAX_SLIPPAGE_BPS allowed");
        m.twapWindow = 1 days; // no pool here has the 7 201 observations a day needs at 12 s
        _setMandate(m, new IIndexVault.AllowedPool[](0));
        assertEq(vault.mandate().twapWindow, 86_400, "MAX_TWAP_WINDOW allowed");
        m.lossWindow = 1;
        _setMandate(m, new IIndexVault.AllowedPool[](0));
        assertEq(vault.mandate().lossWindow, 1, "one second is a window");
    }

    function test_setMandate_revertsForNonOwner() public {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 1_000e6);
        IIndexVault.AllowedPool[] memory pools = _allow(address(a));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotOwner.selector, keeper));
        vm.prank(keeper);
        vault.setMandate(m, pools);
    }

    function test_setMandate_revertsOnZeroKeeper() public {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 1_000e6);
        m.keeper = address(0);
        IIndexVault.AllowedPool[] memory pools = _allow(address(a));
        vm.expectRevert(IIndexVault.ZeroAddress.selector);
        vm.prank(owner);
        vault.setMandate(m, pools);
    }

    function test_setMandate_revertsAboveSlippageCap() public {
        IIndexVault.Mandate memory m = _mandate(1_001, 1 hours, 1_000e6);
        IIndexVault.AllowedPool[] memory pools = _allow(address(a));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.SlippageAboveCap.selector, uint16(1_001), uint16(1_000)));
        vm.prank(owner);
        vault.setMandate(m, pools);
    }

    function test_setMandate_revertsOnTwapWindowOutOfRange() public {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 1_000e6);
        IIndexVault.AllowedPool[] memory pools = _allow(address(a));
        m.twapWindow = 30 minutes - 1;
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.InvalidTwapWindow.selector, m.twapWindow, uint24(1_800), uint24(86_400))
        );
        vm.prank(owner);
        vault.setMandate(m, pools);
        m.twapWindow = 1 days + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.InvalidTwapWindow.selector, m.twapWindow, uint24(1_800), uint24(86_400))
        );
        vm.prank(owner);
        vault.setMandate(m, pools);
    }

    function test_setMandate_revertsOnZeroLossWindow() public {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 1_000e6);
        m.lossWindow = 0;
        IIndexVault.AllowedPool[] memory pools = _allow(address(a));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InvalidLossWindow.selector, uint32(0)));
        vm.prank(owner);
        vault.setMandate(m, pools);
    }

    function test_setMandate_revertsOnUsdcOrZeroToken() public {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 1_000e6);
        IIndexVault.AllowedPool[] memory pools = _allow(address(usdc));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InvalidToken.selector, address(usdc)));
        vm.prank(owner);
        vault.setMandate(m, pools);
        pools = _allow(address(0));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InvalidToken.selector, address(0)));
        vm.prank(owner);
        vault.setMandate(m, pools);
    }

    function test_setMandate_revertsOnMissingPool() public {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 1_000e6);
        IIndexVault.AllowedPool[] memory pools = _allow(address(a));
        pools[0].fee = 10_000;
        address missing = PoolAddress.compute(address(uniFactory), address(a), address(usdc), 10_000);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.PoolNotFound.selector, address(a), uint24(10_000), missing));
        vm.prank(owner);
        vault.setMandate(m, pools);
    }

    function test_revokeKeeper_removesKeeperAndEmits() public {
        _defaultMandate();
        vm.expectEmit(address(vault));
        emit IIndexVault.KeeperRevoked(keeper);
        vm.prank(owner);
        vault.revokeKeeper();
        assertEq(vault.mandate().keeper, address(0), "revoked");
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotKeeper.selector, keeper));
        vm.prank(keeper);
        vault.rebalance(_noLegs(), _noLegs(), block.timestamp);
    }

    function test_revokeKeeper_isIdempotent() public {
        vm.expectEmit(address(vault));
        emit IIndexVault.KeeperRevoked(address(0));
        vm.prank(owner);
        vault.revokeKeeper();
    }

    function test_revokeKeeper_revertsForNonOwner() public {
        _defaultMandate();
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotOwner.selector, keeper));
        vm.prank(keeper);
        vault.revokeKeeper();
    }

    function test_oracleQuote_revertsWithoutMandate() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InvalidTwapWindow.selector, uint24(0), uint24(1_800), uint24(86_400)));
        vault.oracleQuote(address(a), FEE, 1e18, true);
    }

    function test_oracleQuote_revertsOnMissingPool() public {
        _defaultMandate();
        address missing = PoolAddress.compute(address(uniFactory), address(a), address(usdc), 100);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.PoolNotFound.selector, address(a), uint24(100), missing));
        vault.oracleQuote(address(a), 100, 1e18, true);
    }

    function test_allowedPool_falseWithoutMandate() public view {
        (bool allowed, uint24 fee) = vault.allowedPool(address(a));
        assertFalse(allowed, "nothing allowed before a mandate");
        assertEq(fee, 0, "no fee tier");
    }

    function test_lossUsed_zeroWithoutMandate() public view {
        (uint256 used, uint32 last,) = vault.lossUsed();
        assertEq(used, 0, "used");
        assertEq(last, 0, "never rebalanced");
    }

    // --- issue 13: cardinality, settled leak, lifetime cap ------------------------------------

    function test_requiredCardinality_coversTheWindowAtOneObservationPerBlock() public view {
        assertEq(vault.minBlockTime(), 12, "the fixture's chain");
        assertEq(vault.requiredCardinality(30 minutes), 151, "1 800 / 12 + 1");
        assertEq(vault.requiredCardinality(1_801), 152, "rounded up");
        assertEq(vault.requiredCardinality(1 days), 7_201, "a day");
    }

    function test_setMandate_revertsWhenAPoolsCardinalityIsTooLow() public {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 1_000e6);
        m.twapWindow = 30 minutes + 12; // needs 152, the pools have 151
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.CardinalityTooLow.selector, address(poolA), 151, 152));
        _setMandate(m, _allow(address(a)));
        _growCardinality(poolA, 152);
        (,,, uint16 cardinality,,,) = poolA.slot0();
        assertEq(cardinality, 152, "grown");
        _setMandate(m, _allow(address(a)));
    }

    /// @dev Raising the budget applies from now on: the leak already accrued at the old rate is
    ///      settled, not recomputed at the new one.
    function test_setMandate_raisingTheBudgetDoesNotRewriteTheAccruedLeak() public {
        _buyBoth();
        _setMandate(_mandate(100, 1 hours, 100e6), _allow(address(a)));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), _bal(address(a), address(vault))));
        vm.prank(keeper);
        uint256 loss = vault.rebalance(sells, _noLegs(), block.timestamp);
        vm.warp(block.timestamp + 1 minutes);
        (uint256 usedBefore,,) = vault.lossUsed();
        assertEq(usedBefore, loss - uint256(100e6) * 1 minutes / 7 days, "leaked at 100 USDC / 7 days");
        _setMandate(_mandate(100, 1 hours, 100_000e6), _allow(address(a))); // 1 000x the budget
        (uint256 usedAfter,,) = vault.lossUsed();
        assertEq(usedAfter, usedBefore, "the past minute still leaked at the old rate");
        vm.warp(block.timestamp + 1);
        (usedAfter,,) = vault.lossUsed();
        uint256 newLeak = uint256(100_000e6) * 1 / 7 days;
        assertEq(usedAfter, usedBefore > newLeak ? usedBefore - newLeak : 0, "the new rate from now on");
    }

    /// @dev The cap bounds the total under a mandate however long it lasts; a new mandate (an
    ///      owner's act) starts a new total.
    function test_setMandate_capsTheTotalAndANewMandateStartsANewTotal() public {
        _buyBoth();
        IIndexVault.Mandate memory m = _mandate(100, 0, 1_000e6);
        m.lossCap = 1; // one USDC unit in total
        _setMandate(m, _allow(address(a)));
        uint256 sellA = _bal(address(a), address(vault)) / 4;
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), sellA));
        vm.prank(keeper);
        try vault.rebalance(sells, _noLegs(), block.timestamp) {
            revert("a loss above the cap went through");
        } catch (bytes memory err) {
            assertEq(bytes4(err), IIndexVault.LossCapExceeded.selector, "LossCapExceeded");
        }
        m.lossCap = 1_000e6;
        _setMandate(m, _allow(address(a)));
        vm.prank(keeper);
        uint256 loss = vault.rebalance(sells, _noLegs(), block.timestamp);
        (,, uint256 spent) = vault.lossUsed();
        assertEq(spent, loss, "the total under this mandate");
        _setMandate(m, _allow(address(a)));
        (,, spent) = vault.lossUsed();
        assertEq(spent, 0, "a new mandate, a new total");
    }

    /// @dev The cap is inclusive: a loss that brings the total exactly to the cap goes through,
    ///      one unit more does not (a mutant with `>=` survived the sampled campaign before this).
    function test_setMandate_capIsInclusiveToTheUnit() public {
        _buyBoth();
        IIndexVault.Mandate memory m = _mandate(100, 0, 1_000e6);
        _setMandate(m, _allow(address(a)));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), _bal(address(a), address(vault)) / 4));
        uint256 before = vm.snapshotState();
        vm.prank(keeper);
        uint256 loss = vault.rebalance(sells, _noLegs(), block.timestamp);
        assertGt(loss, 0, "the leg costs something");
        vm.revertToState(before);
        m.lossCap = uint96(loss - 1);
        _setMandate(m, _allow(address(a)));
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.LossCapExceeded.selector, loss, loss - 1));
        vault.rebalance(sells, _noLegs(), block.timestamp);
        m.lossCap = uint96(loss);
        _setMandate(m, _allow(address(a)));
        vm.prank(keeper);
        assertEq(vault.rebalance(sells, _noLegs(), block.timestamp), loss, "exactly at the cap");
        (,, uint256 spent) = vault.lossUsed();
        assertEq(spent, loss, "spent == cap");
    }
}
