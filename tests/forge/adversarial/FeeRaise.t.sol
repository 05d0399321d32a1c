// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {console} from "forge-std/Test.sol";
import {RealisticMarket} from "../utils/RealisticMarket.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice Issue 13, finding 6: the owner previews a sell at the 30 bps fee; the factory admin
///         raises it to the 100 bps cap before the sell lands.
///         Before the fix (cfe2344): $99.70 paid instead of the $29.91 previewed.
///         Now the owner's call carries the fee it saw (`maxFeeBps`) and reverts above it.
contract FeeRaiseTest is RealisticMarket {
    function _attack(uint256) internal override {}

    function test_feeRaisedBetweenPreviewAndSell_theSellRevertsAndNothingMoves() public {
        _buy(VAULT_USDC, _noLegs()); // $9 970 cash after the buy fee
        uint256 cash = _bal(address(usdc), address(vault));
        vm.prank(admin);
        factory.setFee(100);
        uint256 ownerBefore = _bal(address(usdc), owner);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.FeeAboveMax.selector, uint16(100), PLATFORM_FEE_BPS));
        vm.prank(owner);
        vault.sell(_noLegs(), cash, 0, PLATFORM_FEE_BPS, block.timestamp);
        assertEq(_bal(address(usdc), owner), ownerBefore, "nothing paid");
        assertEq(_bal(address(usdc), address(vault)), cash, "nothing left the vault");
        console.log("fee previewed (bps)", PLATFORM_FEE_BPS);
        console.log("fee at landing (bps): refused", uint256(100));
    }

    function test_feeRaisedBetweenPreviewAndBuy_theBuyReverts() public {
        vm.prank(admin);
        factory.setFee(100);
        _fund(address(usdc), owner, VAULT_USDC);
        vm.startPrank(owner);
        usdc.approve(address(vault), VAULT_USDC);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.FeeAboveMax.selector, uint16(100), PLATFORM_FEE_BPS));
        vault.buy(VAULT_USDC, _noLegs(), PLATFORM_FEE_BPS, block.timestamp);
        vm.stopPrank();
        assertEq(_bal(address(usdc), owner), VAULT_USDC, "nothing pulled");
    }
}
