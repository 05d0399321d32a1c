// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Vm} from "forge-std/Vm.sol";
import {BatchTest} from "./BatchTest.sol";
import {FeeOnTransferToken, ReentrantToken} from "../mocks/WeirdTokens.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {IBatchSettlement} from "../../../contracts/interfaces/IBatchSettlement.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

contract BatchSettlementTest is BatchTest {
    struct Snap {
        uint256[4] tokenBal;
        uint256[4] usdcBal;
    }

    function _snap() internal view returns (Snap memory s) {
        for (uint256 i; i < 4; ++i) {
            s.tokenBal[i] = _bal(address(a), address(vs[i]));
            s.usdcBal[i] = _bal(address(usdc), address(vs[i]));
        }
    }

    /// @dev Vaults 0 and 2 sell A, vaults 1 and 3 buy A with USDC.
    function _mixedOrders(uint256 s0, uint256 p1, uint256 s2, uint256 p3)
        internal
        view
        returns (IBatchSettlement.Order[] memory orders)
    {
        orders = new IBatchSettlement.Order[](4);
        orders[0] = _order(vs[0], _legs(_bleg(vs[0], address(a), s0, true)), _none(), _one());
        orders[1] = _order(vs[1], _none(), _legs(_bleg(vs[1], address(a), p1, false)), _one());
        orders[2] = _order(vs[2], _legs(_bleg(vs[2], address(a), s2, true)), _none(), _one());
        orders[3] = _order(vs[3], _none(), _legs(_bleg(vs[3], address(a), p3, false)), _one());
    }

    /// @dev Every vault's price in USDC per A, scaled by 1e18 (USDC per 1e18 base units of A).
    function _assertUniformPrice(Snap memory before, Snap memory afterS, uint256 tolBps) internal pure {
        uint256 ref;
        for (uint256 i; i < 4; ++i) {
            int256 dTok = int256(afterS.tokenBal[i]) - int256(before.tokenBal[i]);
            int256 dUsd = int256(afterS.usdcBal[i]) - int256(before.usdcBal[i]);
            if (dTok == 0 && dUsd == 0) continue; // nothing filled
            assertTrue((dTok < 0) != (dUsd < 0), "a vault gives one asset and gets the other");
            uint256 tok = uint256(dTok < 0 ? -dTok : dTok);
            uint256 usd = uint256(dUsd < 0 ? -dUsd : dUsd);
            if (tok < 1e12) continue; // dust fills say nothing about the price
            uint256 price = usd * 1e18 / tok;
            if (ref == 0) ref = price;
            uint256 diff = price > ref ? price - ref : ref - price;
            assertLe(diff * 10_000, ref * tolBps, "one clearing price for every vault");
        }
    }

    function _clearedEvent(Vm.Log[] memory logs) internal pure returns (uint256 paidIn, uint256 swapIn, uint256 swapOut) {
        bytes32 topic = IBatchSettlement.Cleared.selector;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == topic) {
                (, paidIn,, swapIn, swapOut) = abi.decode(logs[i].data, (bool, uint256, uint256, uint256, uint256));
            }
        }
    }

    function _settleError(IBatchSettlement.Net[] memory nets, IBatchSettlement.Order[] memory orders)
        internal
        returns (bytes4)
    {
        vm.prank(keeper);
        try batch.settle(nets, orders, block.timestamp) {
            return bytes4(0);
        } catch (bytes memory err) {
            return bytes4(err);
        }
    }

    // --- crossing, price, balance -------------------------------------------------------------

    function test_crossesOppositeFlows_swapsOnlyTheNet_atOnePrice() public {
        (uint256 s0, uint256 p1, uint256 s2, uint256 p3) = (4e18, 3_000e6, 2e18, 5_000e6);
        (bool dir, uint256 x) = _fairNetA(s0 + s2, p1 + p3);
        assertTrue(dir, "more A sold than bought");
        Snap memory before = _snap();
        vm.recordLogs();
        _settle(_netA(dir, x), _mixedOrders(s0, p1, s2, p3));
        (uint256 paidIn, uint256 swapIn,) = _clearedEvent(vm.getRecordedLogs());
        assertEq(paidIn, s0 + s2, "both sellers handed over");
        assertLt(swapIn, (s0 + s2) / 2, "more than half of the sold A crossed internally");
        _assertUniformPrice(before, _snap(), 1);
        _assertBatchEmpty();
        (, uint32 last,) = vs[0].lossUsed();
        assertEq(last, block.timestamp, "the vault recorded the rebalance");
    }

    function test_netBuy_clearsTheOtherWay() public {
        (uint256 s0, uint256 p1, uint256 s2, uint256 p3) = (1e18, 9_000e6, 0.5e18, 8_000e6);
        (bool dir, uint256 x) = _fairNetA(s0 + s2, p1 + p3);
        assertFalse(dir, "more A bought than sold");
        Snap memory before = _snap();
        _settle(_netA(dir, x), _mixedOrders(s0, p1, s2, p3));
        _assertUniformPrice(before, _snap(), 1);
        _assertBatchEmpty();
    }

    /// @dev Whatever net amount the keeper swaps, every vault in the token gets the same price
    ///      (the pool's average for that net); the keeper only moves how much of the larger side
    ///      fills. Either that, or a vault's own mandate check rejects the whole batch.
    function testFuzz_anyNetAmount_samePriceForAll_orTheBatchReverts(uint256 x, bool dir) public {
        (uint256 s0, uint256 p1, uint256 s2, uint256 p3) = (4e18, 3_000e6, 2e18, 5_000e6);
        uint256 cap = dir ? s0 + s2 : p1 + p3;
        x = bound(x, 1, cap);
        Snap memory before = _snap();
        IBatchSettlement.Order[] memory orders = _mixedOrders(s0, p1, s2, p3);
        vm.prank(keeper);
        try batch.settle(_netA(dir, x), orders, block.timestamp) {
            _assertUniformPrice(before, _snap(), 1);
            _assertBatchEmpty();
        } catch (bytes memory err) {
            // only a vault's mandate check, or a net that sets no price, may refuse it
            bytes4 sel = bytes4(err);
            assertTrue(
                sel == IIndexVault.InsufficientOutput.selector || sel == IBatchSettlement.NoClearingPrice.selector,
                "refused by a vault's own check"
            );
            _assertBatchEmpty();
        }
    }

    /// @dev The keeper cannot push a price through a batch that a vault's mandate forbids:
    ///      swapping everything sold (no crossing) in a thin pool leaves the sellers below min-out.
    function test_keeperForcingABadPrice_revertsTheWholeBatch() public {
        _fund(address(a), address(vs[0]), 2_000e18); // $4M into a 10M-deep pool: ~20% impact
        IBatchSettlement.Order[] memory orders = new IBatchSettlement.Order[](2);
        orders[0] = _order(vs[0], _legs(_bleg(vs[0], address(a), 2_000e18, true)), _none(), _one());
        orders[1] = _order(vs[1], _none(), _legs(_bleg(vs[1], address(a), 1_000e6, false)), _one());
        Snap memory before = _snap();
        assertEq(_settleError(_netA(true, 2_000e18), orders), IIndexVault.InsufficientOutput.selector, "refused");
        Snap memory afterS = _snap();
        for (uint256 i; i < 4; ++i) assertEq(afterS.tokenBal[i], before.tokenBal[i], "nothing moved");
    }

    function test_keeperMinOutBelowTheOracle_rejectedAtOpen() public {
        IBatchSettlement.Order[] memory orders = new IBatchSettlement.Order[](1);
        IIndexVault.Leg memory leg = _bleg(vs[0], address(a), 1e18, true);
        leg.amountOutMin -= 1;
        orders[0] = _order(vs[0], _legs(leg), _none(), _one());
        assertEq(_settleError(_netA(true, 1e18), orders), IIndexVault.MinOutBelowOracle.selector, "refused");
    }

    // --- order and membership -----------------------------------------------------------------

    function test_orderIsNotTheKeepersChoice_descendingRejected() public {
        IBatchSettlement.Order[] memory orders = _mixedOrders(1e18, 1_000e6, 1e18, 1_000e6);
        (orders[0], orders[1]) = (orders[1], orders[0]);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IBatchSettlement.VaultsNotAscending.selector, address(vs[0])));
        batch.settle(_netA(true, 1e18), orders, block.timestamp);
    }

    function test_aVaultTwice_rejected() public {
        IBatchSettlement.Order[] memory orders = _mixedOrders(1e18, 1_000e6, 1e18, 1_000e6);
        orders[1] = orders[0];
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IBatchSettlement.VaultsNotAscending.selector, address(vs[0])));
        batch.settle(_netA(true, 1e18), orders, block.timestamp);
    }

    function test_vaultNotOptedIn_rejectsTheBatch() public {
        _batchMandate(vs[2], vs[2].owner(), false);
        IBatchSettlement.Order[] memory orders = _mixedOrders(1e18, 1_000e6, 1e18, 1_000e6);
        vm.prank(keeper);
        vm.expectRevert(IIndexVault.NotBatchable.selector);
        batch.settle(_netA(true, 1e18), orders, block.timestamp);
        // the single-vault path stays open to it
        IIndexVault.Leg[] memory sells = _legs(_bleg(vs[2], address(a), 1e18, true));
        vm.prank(keeper);
        vs[2].rebalance(sells, _none(), block.timestamp);
    }

    function test_anotherKeepersVault_rejected() public {
        IBatchSettlement.Order[] memory orders = _mixedOrders(1e18, 1_000e6, 1e18, 1_000e6);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotKeeper.selector, stranger));
        batch.settle(_netA(true, 1e18), orders, block.timestamp);
    }

    function test_notAVault_rejected() public {
        IBatchSettlement.Order[] memory orders = new IBatchSettlement.Order[](1);
        orders[0] = _order(IndexVault(address(0xFFFFFF)), _legs(_leg(address(a), 1e18, 0)), _none(), _one());
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IBatchSettlement.NotAVault.selector, address(0xFFFFFF)));
        batch.settle(_netA(true, 1e18), orders, block.timestamp);
    }

    function test_batchEntryPoints_onlyTheBatchContract() public {
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotBatch.selector, keeper));
        vs[0].batchOpen(keeper, _legs(_leg(address(a), 1e18, 0)), _none(), block.timestamp);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotBatch.selector, keeper));
        vs[0].batchSettle(_legs(_leg(address(a), 1e18, 0)), _none(), new uint256[](1), new uint256[](1));
        vm.prank(address(batch));
        vm.expectRevert(IIndexVault.BatchNotOpen.selector);
        vs[0].batchSettle(_legs(_leg(address(a), 1e18, 0)), _none(), new uint256[](1), new uint256[](1));
    }

    function test_legMustMatchItsNet() public {
        IBatchSettlement.Order[] memory orders = new IBatchSettlement.Order[](1);
        orders[0] = _order(vs[0], _legs(_bleg(vs[0], address(b), 1e7, true)), _none(), _one());
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IBatchSettlement.LegNetMismatch.selector, address(vs[0]), address(b), 0));
        batch.settle(_netA(true, 1e18), orders, block.timestamp);
    }

    function test_intervalStillApplies() public {
        IBatchSettlement.Order[] memory orders = _mixedOrders(1e18, 1_000e6, 1e18, 1_000e6);
        (bool dir, uint256 x) = _fairNetA(2e18, 2_000e6);
        _settle(_netA(dir, x), orders);
        orders = _mixedOrders(1e18, 1_000e6, 1e18, 1_000e6);
        assertEq(_settleError(_netA(dir, x), orders), IIndexVault.RebalanceTooSoon.selector, "refused");
    }

    function test_poolReading_onlyDuringASettlement() public {
        vm.expectRevert(IBatchSettlement.NotSettling.selector);
        batch.poolReading(address(poolA), 30 minutes);
    }

    function test_strayTransferCannotBlockSettlement() public {
        _fund(address(usdc), address(batch), 7);
        _fund(address(a), address(batch), 5);
        (bool dir, uint256 x) = _fairNetA(2e18, 2_000e6);
        _settle(_netA(dir, x), _mixedOrders(1e18, 1_000e6, 1e18, 1_000e6));
        _assertBatchEmpty();
        assertEq(_bal(address(a), address(factory)), 5, "stray tokens went to the factory");
    }

    // --- weird constituents -------------------------------------------------------------------

    function test_feeOnTransferConstituent_revertsWithShortfall() public {
        FeeOnTransferToken t = new FeeOnTransferToken(18);
        t.setExempt(address(actor), true);
        _pool(address(t), FEE, 10e6, 1_000_000e6);
        _age(1 hours);
        IndexVault v = vs[0];
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 100_000e6);
        m.batchable = true;
        vm.prank(v.owner());
        v.setMandate(m, _allow(address(t)));
        t.mint(address(v), 100e18);
        IIndexVault.Leg memory leg = _bleg(v, address(t), 10e18, true);
        IBatchSettlement.Order[] memory orders = new IBatchSettlement.Order[](1);
        orders[0] = _order(v, _legs(leg), _none(), _one());
        IBatchSettlement.Net[] memory nets = new IBatchSettlement.Net[](1);
        nets[0] = IBatchSettlement.Net({token: address(t), fee: FEE, tokenToUsdc: true, amountIn: 10e18});
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IBatchSettlement.DeliveryShortfall.selector, address(t), 10e18, 10e18 - 10e18 / 100)
        );
        batch.settle(nets, orders, block.timestamp);
    }

    function test_reentrantConstituent_cannotReenterBatchOrVault() public {
        ReentrantToken t = new ReentrantToken(18);
        _pool(address(t), FEE, 10e6, 1_000_000e6);
        _age(1 hours);
        IndexVault v = vs[0];
        IIndexVault.Mandate memory m = _mandate(100, 0, 100_000e6);
        m.batchable = true;
        vm.prank(v.owner());
        v.setMandate(m, _allow(address(t)));
        t.mint(address(v), 100e18);
        IBatchSettlement.Net[] memory nets = new IBatchSettlement.Net[](1);
        nets[0] = IBatchSettlement.Net({token: address(t), fee: FEE, tokenToUsdc: true, amountIn: 10e18});
        IBatchSettlement.Order[] memory orders = new IBatchSettlement.Order[](1);
        orders[0] = _order(v, _legs(_bleg(v, address(t), 10e18, true)), _none(), _one());

        // on the hand-over to the batch, the token calls settle again (as if it were the keeper)
        t.arm(address(batch), address(batch), abi.encodeCall(IBatchSettlement.settle, (nets, orders, block.timestamp)));
        _settle(nets, orders);
        assertTrue(t.attempted(), "the token tried");
        assertFalse(t.reentrySucceeded(), "settle is not reentrant");
        assertEq(bytes4(t.reentryError()), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector, "guard");
        assertEq(_bal(address(t), address(batch)), 0, "nothing left in the batch");

        // on the hand-over, the token calls the vault's batchSettle directly
        _age(1 hours);
        orders[0] = _order(v, _legs(_bleg(v, address(t), 10e18, true)), _none(), _one());
        t.arm(
            address(batch),
            address(v),
            abi.encodeCall(IIndexVault.batchSettle, (orders[0].sells, _none(), new uint256[](1), new uint256[](1)))
        );
        _settle(nets, orders);
        assertFalse(t.reentrySucceeded(), "the vault is locked while it hands over");
        assertEq(bytes4(t.reentryError()), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector, "guard");
    }

    // --- invariants over random batches -------------------------------------------------------

    /// @dev Random sides and sizes over two tokens and four vaults: when the batch settles, the
    ///      batch holds nothing, every vault got at least its leg's min-out for what it sold,
    ///      and what the vaults hold together changed by exactly the pool swaps.
    struct Ctx {
        uint256[4] soldA;
        uint256[4] paidA;
        bool dir;
        uint256 x;
        Snap before;
    }

    function testFuzz_randomBatch_invariants(uint256 seed) public {
        Ctx memory c;
        IBatchSettlement.Order[] memory orders = _randomOrders(seed, c);
        c.before = _snap();
        vm.recordLogs();
        vm.prank(keeper);
        try batch.settle(_netA(c.dir, c.x), orders, block.timestamp) {
            (, uint256 swapIn, uint256 swapOut) = _clearedEvent(vm.getRecordedLogs());
            _assertBatchEmpty();
            Snap memory afterS = _snap();
            _assertMinOuts(c, orders, afterS);
            _assertConserved(c, afterS, swapIn, swapOut);
            _assertUniformPrice(c.before, afterS, 1);
        } catch (bytes memory err) {
            assertEq(bytes4(err), IIndexVault.InsufficientOutput.selector, "only a vault's own check refuses");
        }
    }

    function _randomOrders(uint256 seed, Ctx memory c) internal returns (IBatchSettlement.Order[] memory orders) {
        orders = new IBatchSettlement.Order[](4);
        uint256 s;
        uint256 p;
        for (uint256 i; i < 4; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            if (r % 2 == 0) {
                c.soldA[i] = 1e15 + (r >> 8) % 9e18;
                orders[i] = _order(vs[i], _legs(_bleg(vs[i], address(a), c.soldA[i], true)), _none(), _one());
            } else {
                c.paidA[i] = 1e6 + (r >> 8) % 19_000e6;
                orders[i] = _order(vs[i], _none(), _legs(_bleg(vs[i], address(a), c.paidA[i], false)), _one());
            }
            (s, p) = (s + c.soldA[i], p + c.paidA[i]);
        }
        (c.dir, c.x) = _fairNetA(s, p);
        if (c.dir && c.x > s) c.x = s;
        if (!c.dir && c.x > p) c.x = p;
    }

    function _assertMinOuts(Ctx memory c, IBatchSettlement.Order[] memory orders, Snap memory afterS) internal pure {
        for (uint256 i; i < 4; ++i) {
            if (c.soldA[i] != 0) {
                uint256 sold = c.before.tokenBal[i] - afterS.tokenBal[i];
                uint256 got = afterS.usdcBal[i] - c.before.usdcBal[i];
                assertGe(got * c.soldA[i], orders[i].sells[0].amountOutMin * sold, "seller at or above min-out");
            } else {
                uint256 spent = c.before.usdcBal[i] - afterS.usdcBal[i];
                uint256 got = afterS.tokenBal[i] - c.before.tokenBal[i];
                assertGe(got * c.paidA[i], orders[i].buys[0].amountOutMin * spent, "buyer at or above min-out");
            }
        }
    }

    function _assertConserved(Ctx memory c, Snap memory afterS, uint256 swapIn, uint256 swapOut) internal pure {
        (uint256 sumA, uint256 sumU, uint256 sumA2, uint256 sumU2) = (0, 0, 0, 0);
        for (uint256 i; i < 4; ++i) {
            (sumA, sumU) = (sumA + c.before.tokenBal[i], sumU + c.before.usdcBal[i]);
            (sumA2, sumU2) = (sumA2 + afterS.tokenBal[i], sumU2 + afterS.usdcBal[i]);
        }
        if (c.dir) {
            assertEq(sumA - sumA2, swapIn, "A: vaults lost exactly the pool's input");
            assertEq(sumU2 - sumU, swapOut, "USDC: vaults gained exactly the pool's output");
        } else {
            assertEq(sumU - sumU2, swapIn, "USDC: vaults lost exactly the pool's input");
            assertEq(sumA2 - sumA, swapOut, "A: vaults gained exactly the pool's output");
        }
    }

    // --- size ---------------------------------------------------------------------------------

    /// @dev EIP-170: 24 576 bytes. The vault keeps at least 256 bytes of margin.
    function test_vaultRuntimeSize_underTheLimitWithMargin() public view {
        uint256 size = factory.implementation().code.length;
        assertLe(size, 24_576 - 256, "IndexVault runtime size");
        assertLe(address(batch).code.length, 24_576 - 4_096, "BatchSettlement runtime size");
    }
}
