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
        (, uint32 last) = vault.lossUsed();
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
        int24 tick = TwapOracle.meanTick(address(poolA), 30 minutes);
        uint256 valueIn = TwapOracle.quoteAtTick(tick, sellA, address(a), address(usdc));
        uint256 out = _quote(address(a), address(usdc), sellA);
        vm.expectEmit(address(vault));
        emit IIndexVault.Rebalanced(keeper, valueIn - out, valueIn - out);
        uint256 loss = _rebalance(sells, _noLegs());
        assertEq(loss, valueIn - out, "loss = TWAP value in - USDC out");
        (uint256 used,) = vault.lossUsed();
        assertEq(used, loss, "booked");
    }

    function test_rebalance_buyLegLossIsValuedInUsdc() public {
        IIndexVault.Leg[] memory buys = _legs(_keeperBuy(address(b), 3e6));
        int24 tick = TwapOracle.meanTick(address(poolB), 30 minutes);
        uint256 out = _quote(address(usdc), address(b), 3e6);
        uint256 valueOut = TwapOracle.quoteAtTick(tick, out, address(b), address(usdc));
        uint256 loss = _rebalance(_noLegs(), buys);
        assertEq(loss, 3e6 - valueOut, "USDC paid - TWAP value of tokens received");
    }

    function test_lossUsed_leaksOverTheWindow() public {
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), _bal(address(a), address(vault))));
        uint256 loss = _rebalance(sells, _noLegs());
        vm.warp(block.timestamp + 1 days); // leaks 1 000 USDC / 7 per day
        (uint256 used,) = vault.lossUsed();
        uint256 leak = uint256(1_000e6) * 1 days / 7 days;
        assertEq(used, loss > leak ? loss - leak : 0, "leaked");
        vm.warp(block.timestamp + 7 days);
        (used,) = vault.lossUsed();
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
        int24 tick = TwapOracle.meanTick(address(poolA), 30 minutes);
        uint256 loss = TwapOracle.quoteAtTick(tick, sellA, address(a), address(usdc)) - _quote(address(a), address(usdc), sellA);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.LossBudgetExceeded.selector, loss, 10));
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
        _fund(address(c), address(vault), 1e18);
        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(c)));
        IIndexVault.Leg[] memory sells = _legs(_leg(address(c), 1e18, 0));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.OracleTooShort.selector, address(poolC), uint32(30 minutes)));
        _rebalance(sells, _noLegs());
    }
}
