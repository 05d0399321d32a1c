// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {console} from "forge-std/Test.sol";
import {RealisticMarket} from "../utils/RealisticMarket.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {TwapOracle} from "../../../contracts/libraries/TwapOracle.sol";

/// @notice Issue 13, finding 1: the keeper front-runs the owner's fractional sell. The vault holds
///         $1 000 of A and ~$9 000 of cash; the owner previews selling everything (min-out sized
///         for its 0.5 A). Just before the sell lands the keeper buys A with the cash (within its
///         mandate), so the sell now sells ~10x what was previewed, and a searcher sandwiches it
///         as deep as the vault lets it.
///         Before the fix (cfe2344): the owner received $987.19 of a $9 970.15 vault (searcher's
///         push 23 012 ticks; the keeper's recorded loss $57.83).
///         Now the previewed min-out is a minimum price: it scales with the amount actually sold,
///         so the sandwich can take at most the owner's own 1% slippage of what is sold.
contract OwnerSellFrontRunTest is RealisticMarket {
    IIndexVault.Leg internal previewLeg;
    IIndexVault.Leg[] internal keeperBuys;
    int24 internal marketTick;

    function setUp() public override {
        super.setUp();
        _buy(VAULT_USDC, _legs(_leg(address(a), 1_000e6, 0)));
        _setMandate(_issueMandate(), _allow(address(a)));
        _age(1 hours);
        marketTick = _spotTick(poolA);
        // The owner's preview: all its A at the current price less 1% (its own max slippage).
        uint256 held = _bal(address(a), address(vault));
        uint256 expected = TwapOracle.quoteAtTickDown(marketTick, held, address(a), address(usdc));
        previewLeg = _leg(address(a), held, expected * 99 / 100);
        // The keeper's front-run: all the cash into A, at the least min-out the vault accepts.
        keeperBuys.push(_keeperBuy(address(a), _bal(address(usdc), address(vault))));
    }

    function _attack(uint256 depth) internal override {
        vm.prank(keeper);
        vault.rebalance(_noLegs(), keeperBuys, block.timestamp);
        actor.pushPrice(address(poolA), _cheaper(marketTick, depth)); // searcher's front-run
        vm.prank(owner);
        vault.sell(_legs(previewLeg), 0, 10_000, ANY_FEE_BPS, block.timestamp);
        actor.pushPrice(address(poolA), _cheaper(marketTick, 0)); // searcher's back-run
    }

    function test_keeperFrontRunThenSandwich_ownerStillReceivesTheVaultLessItsSlippage() public {
        uint256 valueBefore = _valueAt(address(vault), marketTick);
        uint256 depth = _deepest(30_000);
        uint256 ownerBefore = _bal(address(usdc), owner);
        _attack(depth);
        uint256 received = _bal(address(usdc), owner) - ownerBefore;
        (uint256 lossRecorded, ,) = vault.lossUsed();
        console.log("vault value before (USDC units)", valueBefore);
        console.log("owner received (USDC units)", received);
        console.log("keeper's recorded loss (USDC units)", lossRecorded);
        console.log("searcher's push (ticks)", depth);
        // bound: the keeper's recorded loss, then at most 1% (the preview's slippage) of the
        // sale and the 0.3% fee; measured here 97.9% of the vault reaches the owner
        uint256 bound_ = (valueBefore - lossRecorded) * 99 / 100 * (10_000 - PLATFORM_FEE_BPS) / 10_000;
        assertGe(received, bound_, "owner >= (vault - keeper's recorded loss) x 99% less the fee");
    }
}
