// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {VaultTest} from "../utils/VaultTest.sol";
import {DoubleCallbackPool} from "../mocks/DoubleCallbackPool.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice Defence in depth beyond the canonical-pool assumption: even code at the pool's own
///         address is paid at most once per swap (the expected pool is cleared before paying).
contract CallbackHardeningTest is VaultTest {
    function test_callback_paysOncePerSwapEvenToThePool() public {
        _buy(1_000e6, _noLegs()); // 997 USDC of cash the second payment would take
        vm.etch(address(poolB), address(new DoubleCallbackPool()).code);
        _fund(address(usdc), owner, 100e6);
        vm.prank(owner);
        usdc.approve(address(vault), 100e6);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.UnauthorizedCallback.selector, address(poolB)));
        vm.prank(owner);
        vault.buy(100e6, _legs(_leg(address(b), 50e6, 0)), ANY_FEE_BPS, block.timestamp);
    }
}
