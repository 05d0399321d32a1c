// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {TwapOracle} from "../../../contracts/libraries/TwapOracle.sol";

/// @notice IndexVault.rebalance: the keeper's only power, within the mandate.
contract RebalanceTest is VaultTest {
    function setUp() public override {
        super.setUp();
        _buyBoth();
        _defaultMandate(); // 100 bps, 1 hour interval, 30 min TWAP, 1 000 USDC per 7 days
    }

    function _rebalance(IIndexVault.Leg[] memory sells, IIndexVault.Leg[] memory buys) internal returns (uint256) {
        vm.prank(keeper);
        return vault.rebalance(sells, buys, block.timestamp);
    }

    function test_rebalance_sellsThenBuysAndKeepsProceeds() public {
        uint256 sellA = _bal(address(a), address(vault)) / 2;
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), sellA));
        // the buy spends the sell's proceeds, which only exist after the sell: sells run first
        uint256 spend = sells[0].amountOutMin + _bal(address(usdc), address(vault));
        IIndexVault.Leg[] memory buys = _legs(_keeperBuy(address(b), spend));
        uint256 outA = _quote(address(a), address(usdc), sellA);
        uint256 keeperUsdc = _bal(address(usdc), keeper);
        uint256 ownerUsdc = _bal(address(usdc), owner);
        uint256 balB = _bal(address(b), address(vault));

        vm.expectEmit(address(vault));
        emit IIndexVault.Swapped(address(a), address(usdc), sellA, outA);
        vm.prank(keeper);
        vault.rebalance(sells, buys, block.timestamp);

        assertEq(_bal(address(usdc), address(vault)), outA - sells[0].amountOutMin, "cash: what the sell beat its floor by");
        assertGt(_bal(address(b), address(vault)), balB, "bought B");
        assertEq(_bal(address(usdc), keeper), keeperUsdc, "keeper got nothing");
        assertEq(_bal(address(usdc), owner), ownerUsdc, "nothing left the vault");
        (, uint32 last,) = vault.lossUsed();
        assertEq(last, block.timestamp, "interval starts now");
    }

    function test_rebalance_bearRegimeMovesEverythingToUsdc() public {
        IIndexVault.Leg[] memory sells = _legs(
            _keeperSell(address(a), _bal(address(a), address(vault))),
            _keeperSell(address(b), _bal(address(b), address(vault)))
        );
        uint256 loss = _rebalance(sells, _noLegs());
        assertEq(_bal(address(a), address(vault)), 0, "no A");
        assertEq(_bal(address(b), address(vault)), 0, "no B");
        assertGt(_bal(address(usdc), address(vault)), 1_990e6, "all in USDC, in the vault");
        assertLt(loss, 2e6, "only fees and impact: ~0.06% of 2 000 USDC");
    }

    function test_rebalance_emitsLossVersusTwap() public {
        uint256 sellA = _bal(address(a), address(vault));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), sellA));
        int24 tick = _refTick(poolA, address(a), true);
        uint256 valueIn = TwapOracle.quoteAtTickUp(tick, sellA, address(a), address(usdc));
        uint256 out = _quote(address(a), address(usdc), sellA);
        vm.expectEmit(address(vault));
        emit IIndexVault.Rebalanced(keeper, valueIn - out, valueIn - out);
        uint256 loss = _rebalance(sells, _noLegs());
        assertEq(loss, valueIn - out, "loss = TWAP value in - USDC out");
        (uint256 used, ,) = vault.lossUsed();
        assertEq(used, loss, "booked");
    }

    function test_rebalance_buyLegLossIsValuedInUsdc() public {
        IIndexVault.Leg[] memory buys = _legs(_keeperBuy(address(b), 3e6));
        int24 tick = _refTick(poolB, address(b), false);
        uint256 out = _quote(address(usdc), address(b), 3e6);
        uint256 valueOut = TwapOracle.quoteAtTickDown(tick, out, address(b), address(usdc));
        uint256 loss = _rebalance(_noLegs(), buys);
        assertEq(loss, 3e6 - valueOut, "USDC paid - TWAP value of tokens received");
    }

    /// @dev The loss of a rebalance is the sum over its legs (two pools, independent quotes).
    function test_rebalance_lossIsTheSumOverLegs() public {
        uint256 sellA = _bal(address(a), address(vault));
        uint256 sellB = _bal(address(b), address(vault));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), sellA), _keeperSell(address(b), sellB));
        uint256 lossA = TwapOracle.quoteAtTickUp(_refTick(poolA, address(a), true), sellA, address(a), address(usdc))
            - _quote(address(a), address(usdc), sellA);
        uint256 lossB = TwapOracle.quoteAtTickUp(_refTick(poolB, address(b), true), sellB, address(b), address(usdc))
            - _quote(address(b), address(usdc), sellB);
        assertGt(lossA, 0, "A loses");
        assertGt(lossB, 0, "B loses");
        assertEq(_rebalance(sells, _noLegs()), lossA + lossB, "sells add up");
    }

    function test_rebalance_buyLossesAddUp() public {
        _fund(address(usdc), address(vault), 5_000e6);
        IIndexVault.Leg[] memory buys = _legs(_keeperBuy(address(a), 2_000e6), _keeperBuy(address(b), 3_000e6));
        uint256 outA = _quote(address(usdc), address(a), 2_000e6);
        uint256 outB = _quote(address(usdc), address(b), 3_000e6);
        uint256 lossA = 2_000e6
            - TwapOracle.quoteAtTickDown(_refTick(poolA, address(a), false), outA, address(a), address(usdc));
        uint256 lossB = 3_000e6
            - TwapOracle.quoteAtTickDown(_refTick(poolB, address(b), false), outB, address(b), address(usdc));
        assertEq(_rebalance(_noLegs(), buys), lossA + lossB, "buys add up");
    }

    /// @dev 1 USDC unit buys 0 units of B ($60 000, 8 decimals). The floor rounds the reference
    ///      output up (1 unit of B), so a dust buy with a zero min-out is refused before it swaps:
    ///      dust trades cannot leak value at all.
    function test_rebalance_dustBuyIsRefusedByTheRoundedUpFloor() public {
        IIndexVault.Leg[] memory buys = _legs(_leg(address(b), 1, 0));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.MinOutBelowOracle.selector, address(b), 0, 1));
        _rebalance(_noLegs(), buys);
    }

    function test_lossUsed_leaksOverTheWindow() public {
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), _bal(address(a), address(vault))));
        uint256 loss = _rebalance(sells, _noLegs());
        vm.warp(block.timestamp + 1 minutes); // leaks 1 000 USDC / 7 days: ~0.099 USDC a minute
        (uint256 used, ,) = vault.lossUsed();
        uint256 leak = uint256(1_000e6) * 1 minutes / 7 days;
        assertGt(loss, leak, "partly leaked");
        assertEq(used, loss - leak, "leaked pro rata");
        vm.warp(block.timestamp + 1 days - 1 minutes);
        (used,,) = vault.lossUsed();
        leak = uint256(1_000e6) * 1 days / 7 days;
        assertEq(used, loss > leak ? loss - leak : 0, "leaked");
        vm.warp(block.timestamp + 7 days);
        (used,,) = vault.lossUsed();
        assertEq(used, 0, "fully leaked");
    }

    function test_rebalance_revertsForNonKeeper() public {
        address[3] memory others = [owner, admin, stranger];
        for (uint256 i; i < 3; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotKeeper.selector, others[i]));
            vm.prank(others[i]);
            vault.rebalance(_noLegs(), _noLegs(), block.timestamp);
        }
    }

    function test_rebalance_revertsAfterDeadline() public {
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.DeadlineExpired.selector, block.timestamp - 1, block.timestamp)
        );
        vm.prank(keeper);
        vault.rebalance(_noLegs(), _noLegs(), block.timestamp - 1);
    }

    function test_rebalance_revertsWhenPaused() public {
        vm.prank(admin);
        factory.setPaused(true);
        vm.expectRevert(IIndexVault.Paused.selector);
        _rebalance(_noLegs(), _noLegs());
    }

    function test_rebalance_revertsOnTokenNotInMandate() public {
        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(b)));
        IIndexVault.Leg[] memory sells = _legs(_leg(address(a), 1e18, 0));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.TokenNotAllowed.selector, address(a), FEE));
        _rebalance(sells, _noLegs());
    }

    function test_rebalance_revertsOnOtherFeeTier() public {
        IIndexVault.Leg[] memory sells = _legs(IIndexVault.Leg({token: address(a), fee: 3000, amountIn: 1e15, amountOutMin: 0}));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.TokenNotAllowed.selector, address(a), uint24(3000)));
        _rebalance(sells, _noLegs());
    }

    function test_rebalance_revertsOnUsdcLeg() public {
        IIndexVault.Leg[] memory buys = _legs(_leg(address(usdc), 1e6, 0));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.TokenNotAllowed.selector, address(usdc), FEE));
        _rebalance(_noLegs(), buys);
    }

    function test_rebalance_revertsInsideMinInterval() public {
        _rebalance(_noLegs(), _noLegs());
        uint256 next = block.timestamp + 1 hours;
        vm.warp(next - 1);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.RebalanceTooSoon.selector, next));
        _rebalance(_noLegs(), _noLegs());
        vm.warp(next);
        _rebalance(_noLegs(), _noLegs());
    }

    function test_rebalance_revertsOnMinOutBelowOracleFloor() public {
        uint256 sellA = _bal(address(a), address(vault));
        (, uint256 floor) = vault.oracleQuote(address(a), FEE, sellA, true);
        IIndexVault.Leg[] memory sells = _legs(_leg(address(a), sellA, floor - 1));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.MinOutBelowOracle.selector, address(a), floor - 1, floor));
        _rebalance(sells, _noLegs());
    }

    function test_rebalance_revertsWhenOutputBelowMinOut() public {
        uint256 sellA = _bal(address(a), address(vault));
        uint256 out = _quote(address(a), address(usdc), sellA);
        IIndexVault.Leg[] memory sells = _legs(_leg(address(a), sellA, out + 1));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientOutput.selector, address(a), out, out + 1));
        _rebalance(sells, _noLegs());
    }

    function test_rebalance_revertsWhenLossExceedsBudget() public {
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 10); // 10 USDC units of loss
        _setMandate(m, _allow(address(a)));
        uint256 sellA = _bal(address(a), address(vault));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), sellA));
        int24 tick = _refTick(poolA, address(a), true);
        uint256 loss = TwapOracle.quoteAtTickUp(tick, sellA, address(a), address(usdc)) - _quote(address(a), address(usdc), sellA);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.LossBudgetExceeded.selector, loss, 10));
        _rebalance(sells, _noLegs());
    }

    function test_rebalance_lossExactlyAtTheBudgetPasses() public {
        uint256 sellA = _bal(address(a), address(vault));
        int24 tick = _refTick(poolA, address(a), true);
        uint256 loss = TwapOracle.quoteAtTickUp(tick, sellA, address(a), address(usdc)) - _quote(address(a), address(usdc), sellA);
        _setMandate(_mandate(100, 1 hours, uint96(loss)), _allow(address(a)));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), sellA));
        assertEq(_rebalance(sells, _noLegs()), loss, "used == budget is within the budget");
    }

    function test_rebalance_revertsOnALowerFeeTierThanAllowed() public {
        _pool(address(a), 3000, 2_000e6, 10_000_000e6);
        _age(1 hours);
        IIndexVault.AllowedPool[] memory pools = _allow(address(a));
        pools[0].fee = 3000; // the owner allows A's 0.3% pool only
        _setMandate(_mandate(100, 1 hours, 1_000e6), pools);
        IIndexVault.Leg[] memory sells = _legs(_leg(address(a), 1e15, 0)); // the keeper picks the 0.05% pool
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.TokenNotAllowed.selector, address(a), FEE));
        _rebalance(sells, _noLegs());
    }

    function test_rebalance_revertsWhenPoolYoungerThanWindow() public {
        TestToken c = _token("CCC", 18, true);
        IUniswapV3Pool poolC = _pool(address(c), FEE, 5e6, 1_000_000e6);
        _fund(address(c), address(vault), 1e18);
        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(c)));
        IIndexVault.Leg[] memory sells = _legs(_leg(address(c), 1e18, 0));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.OracleTooShort.selector, address(poolC), uint32(30 minutes)));
        _rebalance(sells, _noLegs());
    }

    function test_rebalance_revertsWhenCardinalityTooSmall() public {
        TestToken c = _token("CCC", 18, true);
        IUniswapV3Pool poolC = IUniswapV3Pool(uniFactory.createPool(address(c), address(usdc), FEE));
        poolC.initialize(_sqrtPrice(address(c), 18, 5e6)); // cardinality stays 1
        _fund(address(usdc), address(actor), 10_000_000e6);
        _fund(address(c), address(actor), 10_000_000e18);
        actor.mintFullRange(address(poolC), 1e18);
        _age(2 hours);
        actor.swap(address(poolC), true, 10_000e18, 0); // moves the tick: overwrites the only observation
        _age(5 minutes);
        // the mandate is refused for that pool, and the keeper's quote says why
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.CardinalityTooLow.selector, address(poolC), 1, 151));
        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(c)));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.CardinalityTooLow.selector, address(poolC), 1, 151));
        vault.oracleQuote(address(c), FEE, 1e18, true);
        // grown (by anyone) to 151 and then swapped in every 12-second block: the window holds
        _growCardinality(poolC, 151);
        _age(31 minutes); // and history older than the window
        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(c)));
        vault.oracleQuote(address(c), FEE, 1e18, true);
    }
}
