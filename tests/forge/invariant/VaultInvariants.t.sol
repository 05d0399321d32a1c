// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Fixture} from "../utils/Fixture.sol";
import {VaultHandler} from "./VaultHandler.sol";
import {MissingReturnToken} from "../mocks/WeirdTokens.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice Invariants over random sequences of owner, keeper, admin, market and attacker actions.
contract VaultInvariantsTest is Fixture {
    VaultHandler internal handler;
    address[] internal constituents;

    function setUp() public override {
        super.setUp();
        constituents.push(address(_token("SIX", 6, true)));
        constituents.push(address(_token("EIGHT", 8, false)));
        constituents.push(address(_token("EIGHTEEN", 18, true)));
        constituents.push(address(new MissingReturnToken(6)));
        uint256[4] memory prices = [uint256(1e6), 30_000e6, 2_500e6, 7e6];
        for (uint256 i; i < constituents.length; ++i) {
            _pool(constituents[i], FEE, prices[i], 20_000_000e6);
        }
        _age(1 hours);
        _fund(address(usdc), owner, 1e18);
        _fund(address(usdc), address(actor), 1e18);
        for (uint256 i; i < constituents.length; ++i) _fund(constituents[i], address(actor), 1e36);

        handler = new VaultHandler(
            vault, factory, address(uniFactory), actor, constituents, [owner, keeper, admin, feeRecipient]
        );
        // start invested, with a keeper: every action is meaningful from the first call
        handler.buy(40_000e6, 15);
        handler.setMandate(12345);

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = VaultHandler.buy.selector;
        selectors[1] = VaultHandler.sell.selector;
        selectors[2] = VaultHandler.withdraw.selector;
        selectors[3] = VaultHandler.setMandate.selector;
        selectors[4] = VaultHandler.rebalance.selector;
        selectors[5] = VaultHandler.trade.selector;
        selectors[6] = VaultHandler.warp.selector;
        selectors[7] = VaultHandler.setFee.selector;
        selectors[8] = VaultHandler.setPaused.selector;
        selectors[9] = VaultHandler.attack.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function _all() internal view returns (address[] memory all) {
        all = new address[](constituents.length + 1);
        for (uint256 i; i < constituents.length; ++i) all[i] = constituents[i];
        all[constituents.length] = address(usdc);
    }

    /// @dev One campaign checks everything (each invariant_ function would rerun the campaign).
    function invariant_vault() public {
        // 1. nothing the handler audited went wrong: every token that left the vault went to the
        //    owner, the fee recipient (exact fee <= cap) or a pool inside a swap whose output came
        //    back >= min-out; no normal path reverted unexpectedly; no attacker call succeeded
        assertEq(handler.violations(), 0, handler.lastViolation());

        // 2. the fee never exceeds the cap
        (, uint16 feeBps,) = factory.config();
        assertLe(feeBps, factory.MAX_FEE_BPS(), "fee cap");

        // 3. ownership and initialisation never change
        assertEq(vault.owner(), owner, "owner");
        assertEq(IndexVault(factory.implementation()).owner(), address(1), "implementation disabled");

        // 4. no allowance is ever left, to anyone
        address[] memory all = _all();
        address[8] memory spenders =
            [owner, keeper, admin, feeRecipient, address(actor), address(factory), handler.pool(all[0]), handler.pool(all[1])];
        for (uint256 i; i < all.length; ++i) {
            for (uint256 j; j < spenders.length; ++j) {
                assertEq(IERC20(all[i]).allowance(address(vault), spenders[j]), 0, "allowance left");
            }
            assertEq(IERC20(all[i]).allowance(address(vault), handler.pool(constituents[i % constituents.length])), 0, "pool");
        }

        // 5. withdrawInKind succeeds from any reachable state and returns every token
        uint256 snapshot = vm.snapshotState();
        uint256[] memory held = new uint256[](all.length);
        for (uint256 i; i < all.length; ++i) held[i] = IERC20(all[i]).balanceOf(address(vault));
        uint256[] memory before = new uint256[](all.length);
        for (uint256 i; i < all.length; ++i) before[i] = IERC20(all[i]).balanceOf(owner);
        vm.prank(owner);
        vault.withdrawInKind(all);
        for (uint256 i; i < all.length; ++i) {
            assertEq(IERC20(all[i]).balanceOf(address(vault)), 0, "vault emptied");
            assertEq(IERC20(all[i]).balanceOf(owner) - before[i], held[i], "owner received it all");
        }
        vm.revertToState(snapshot);
    }

    /// @dev A normal path that reverts is a violation as soon as it is tried (see the handler);
    ///      here: whatever was tried in this run also succeeded at least once.
    function afterInvariant() public view {
        bytes32[4] memory paths = [bytes32("buy"), "sell", "withdraw", "setMandate"];
        for (uint256 i; i < paths.length; ++i) {
            if (handler.tried(paths[i]) > 0) assertGt(handler.calls(paths[i]), 0, "a normal path never succeeded");
        }
    }

    /// @notice Each handler path succeeds on its own (the handler is not silently broken).
    function test_handlerPathsSucceed() public {
        handler.trade(1, true);
        handler.sell(50, 15, false);
        handler.sell(5_000, 15, true);
        handler.buy(10_000e6, 15);
        handler.warp(1 hours);
        handler.rebalance(7, 0x0101);
        handler.setFee(100);
        handler.setFee(101);
        handler.setPaused(true);
        handler.buy(1_000e6, 1);
        handler.setPaused(false);
        handler.attack(0);
        handler.attack(257);
        handler.attack(2 * 256 + 2);
        handler.withdraw();
        handler.setMandate(99);
        assertEq(handler.violations(), 0, handler.lastViolation());
        assertEq(handler.calls("buy"), 2, "buys"); // setUp's + one (the paused one refused)
        assertEq(handler.calls("sell"), 2, "sells");
        assertEq(handler.calls("rebalance"), 1, "rebalance");
        assertEq(handler.calls("withdraw"), 1, "withdraw");
        assertEq(handler.calls("setMandate"), 2, "mandates");
        assertEq(handler.calls("setFee"), 1, "fee");
        assertEq(handler.calls("attack"), 3, "attacks all refused");
        assertGt(handler.feesPaid(), 2, "fees audited");
    }
}
