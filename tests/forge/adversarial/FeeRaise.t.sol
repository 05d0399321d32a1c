// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {console} from "forge-std/Test.sol";
import {RealisticMarket} from "../utils/RealisticMarket.sol";

/// @notice Issue 13, finding 6: the owner previews a sell at the 30 bps fee; the factory admin
///         raises it to the 100 bps cap before the sell lands.
contract FeeRaiseTest is RealisticMarket {
    function _attack(uint256) internal override {}

    function test_feeRaisedBetweenPreviewAndSell_ownerPaysTheNewFee() public {
        _buy(VAULT_USDC, _noLegs()); // $9 970 cash after the buy fee
        uint256 cash = _bal(address(usdc), address(vault));
        uint256 previewedFee = cash * PLATFORM_FEE_BPS / 10_000;
        vm.prank(admin);
        factory.setFee(100);
        uint256 before_ = _bal(address(usdc), owner);
        vm.prank(owner);
        vault.sell(_noLegs(), cash, 0, block.timestamp);
        uint256 paidFee = cash - (_bal(address(usdc), owner) - before_);
        console.log("fee previewed (USDC units)", previewedFee);
        console.log("fee paid (USDC units)", paidFee);
        assertEq(paidFee, cash / 100, "today: the owner paid the raised 1% fee");
    }
}
