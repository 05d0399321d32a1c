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
///         Before the fix (cfe2344): $456.68 lost in 30 days (4.6%) and $5 285.27 in a year (52.7%)
///         of $10 030.98, in 123 trades each inside the budget: exactly the leaky bucket's bound
///         budget x (1 + T / window) = 100 x (1 + 365 / 7) = $5 314.29, which never tops out.
///         Now a mandate also carries `lossCap`, the most the keeper can ever lose under it
///         (a new total starts only when the owner signs a new mandate). The CLI's default is
///         2% of the vault at signing: $200 here.
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

    function _year(uint96 cap) internal returns (uint256 start, uint256 lost30, uint256 lost365, uint256 trades) {
        IIndexVault.Mandate memory m = _issueMandate();
        m.lossCap = cap;
        _setMandate(m, _allow(address(a)));
        start = _valueAt(address(vault), marketTick);
        trades = _days(30);
        lost30 = start - _valueAt(address(vault), marketTick);
        trades += _days(335);
        lost365 = start - _valueAt(address(vault), marketTick);
        console.log("cap (USDC units)", cap);
        console.log("  vault value at start (USDC units)", start);
        console.log("  lost in 30 days (USDC units)", lost30);
        console.log("  trades in 365 days", trades);
        console.log("  lost in 365 days (USDC units)", lost365);
    }

    /// @dev The leaky bucket alone: its bound over a year holds, and is most of the vault.
    function test_bucketAloneForAYear_boundHoldsButIsHalfTheVault() public {
        (,, uint256 lost365,) = _year(type(uint96).max);
        uint256 bound_ = uint256(BUDGET_USDC) + uint256(BUDGET_USDC) * 365 days / 7 days;
        assertLe(lost365, bound_ + 365, "<= budget x (1 + T / window) (+1 unit a trade)");
    }

    /// @dev With the cap: the keeper stops once the mandate's total reaches it.
    function test_withTheCap_aYearOfSandwichesLosesAtMostTheCap() public {
        uint96 cap = 200e6; // 2% of the vault
        (, uint256 lost30, uint256 lost365,) = _year(cap);
        (,, uint256 spent) = vault.lossUsed();
        assertLe(spent, cap, "recorded total <= cap");
        assertLe(lost365, uint256(cap) + 365, "lost at market <= cap (+1 unit a trade)");
        assertLe(lost30, uint256(cap) + 30, "and in any shorter period");
    }
}
