// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {
    MissingReturnToken, ReturnsFalseToken, FeeOnTransferToken, RevertingToken
} from "../mocks/WeirdTokens.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice Weird tokens as constituents: handled correctly, or rejected with a clear error;
///         never silently mis-accounted.
contract WeirdTokensTest is VaultTest {
    function _listed(address token, uint256 usdcPerToken) internal returns (IUniswapV3Pool pool) {
        pool = _pool(token, FEE, usdcPerToken, 1_000_000e6);
        _age(1 hours);
    }

    function _all(address token) internal view returns (address[] memory tokens) {
        tokens = new address[](2);
        tokens[0] = token;
        tokens[1] = address(usdc);
    }

    // --- USDT-like: no return values ----------------------------------------------------------

    function test_missingReturn_buySellRebalanceWithdraw() public {
        MissingReturnToken t = new MissingReturnToken(6);
        _listed(address(t), 1e6);
        uint256 out = _quote(address(usdc), address(t), 1_000e6);
        _buy(1_100e6, _legs(_leg(address(t), 1_000e6, out)));
        assertEq(_bal(address(t), address(vault)), out, "bought exactly");

        uint256 back = _quote(address(t), address(usdc), out / 2);
        vm.prank(owner);
        vault.sell(_legs(_leg(address(t), out / 2, back)), 0, 0, ANY_FEE_BPS, block.timestamp);
        assertEq(_bal(address(t), address(vault)), out - out / 2, "sold exactly");

        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(t)));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(t), out / 4));
        vm.prank(keeper);
        vault.rebalance(sells, _noLegs(), block.timestamp);

        uint256 left = _bal(address(t), address(vault));
        vm.prank(owner);
        vault.withdrawInKind(_all(address(t)));
        assertEq(_bal(address(t), owner), left, "withdrawn in kind");
    }

    // --- returns false ------------------------------------------------------------------------

    function test_returnsFalse_worksWhileTransfersSucceed() public {
        ReturnsFalseToken t = new ReturnsFalseToken(18);
        _listed(address(t), 10e6);
        uint256 out = _quote(address(usdc), address(t), 500e6);
        _buy(600e6, _legs(_leg(address(t), 500e6, out)));
        assertEq(_bal(address(t), address(vault)), out, "bought");
        vm.prank(owner);
        vault.sell(_legs(_leg(address(t), out, 1)), 0, 0, ANY_FEE_BPS, block.timestamp);
        assertEq(_bal(address(t), address(vault)), 0, "sold");
    }

    function test_returnsFalse_rejectedWithClearErrors() public {
        ReturnsFalseToken t = new ReturnsFalseToken(18);
        _listed(address(t), 10e6);
        _buy(600e6, _legs(_leg(address(t), 500e6, 0)));
        uint256 held = _bal(address(t), address(vault));
        t.setFailing(true);

        // withdrawInKind skips the failing token (and says so) instead of reverting
        vm.expectEmit(address(vault));
        emit IIndexVault.InKindTransferFailed(address(t));
        vm.prank(owner);
        vault.withdrawInKind(_all(address(t)));
        assertEq(_bal(address(t), address(vault)), held, "the failing token stays");

        vm.expectRevert(abi.encodeWithSelector(SafeERC20.SafeERC20FailedOperation.selector, address(t)));
        vm.prank(owner);
        vault.sell(_legs(_leg(address(t), held, 1)), 0, 0, ANY_FEE_BPS, block.timestamp);

        _fund(address(usdc), owner, 100e6);
        vm.prank(owner);
        usdc.approve(address(vault), 100e6);
        vm.expectRevert(bytes("TF")); // the pool's own check on its transfer out
        vm.prank(owner);
        vault.buy(100e6, _legs(_leg(address(t), 90e6, 0)), ANY_FEE_BPS, block.timestamp);

        // the other tokens still come out
        address[] memory others = new address[](1);
        others[0] = address(usdc);
        vm.prank(owner);
        vault.withdrawInKind(others);
        assertEq(_bal(address(t), address(vault)), held, "nothing mis-accounted");
    }

    // --- fee on transfer ----------------------------------------------------------------------

    function test_feeOnTransfer_buyAccountsWhatArrived() public {
        FeeOnTransferToken t = new FeeOnTransferToken(8);
        t.setExempt(address(actor), true);
        _listed(address(t), 3e6);
        uint256 poolOut = _quote(address(usdc), address(t), 1_000e6);
        uint256 arrives = poolOut - poolOut * 100 / 10_000;

        _fund(address(usdc), owner, 2_200e6);
        vm.prank(owner);
        usdc.approve(address(vault), 2_200e6);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.InsufficientOutput.selector, address(t), arrives, poolOut));
        vm.prank(owner);
        vault.buy(1_100e6, _legs(_leg(address(t), 1_000e6, poolOut)), ANY_FEE_BPS, block.timestamp);

        vm.expectEmit(address(vault));
        emit IIndexVault.Swapped(address(usdc), address(t), 1_000e6, arrives);
        vm.prank(owner);
        vault.buy(1_100e6, _legs(_leg(address(t), 1_000e6, arrives)), ANY_FEE_BPS, block.timestamp);
        assertEq(_bal(address(t), address(vault)), arrives, "the balance delta, not the pool's figure");
    }

    function test_feeOnTransfer_sellRejectedWithClearError() public {
        FeeOnTransferToken t = new FeeOnTransferToken(8);
        t.setExempt(address(actor), true);
        _listed(address(t), 3e6);
        _buy(1_100e6, _legs(_leg(address(t), 1_000e6, 0)));
        uint256 held = _bal(address(t), address(vault));
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.InputShortfall.selector, address(t), held, held - held * 100 / 10_000)
        );
        vm.prank(owner);
        vault.sell(_legs(_leg(address(t), held, 1)), 0, 0, ANY_FEE_BPS, block.timestamp);

        _setMandate(_mandate(100, 1 hours, 1_000e6), _allow(address(t)));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(t), held));
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.InputShortfall.selector, address(t), held, held - held * 100 / 10_000)
        );
        vm.prank(keeper);
        vault.rebalance(sells, _noLegs(), block.timestamp);

        // withdrawal in kind still works; the event reports what left the vault
        uint256[] memory amounts = new uint256[](2);
        amounts[0] = held;
        amounts[1] = _bal(address(usdc), address(vault));
        vm.expectEmit(address(vault));
        emit IIndexVault.WithdrawnInKind(_all(address(t)), amounts);
        vm.prank(owner);
        vault.withdrawInKind(_all(address(t)));
        assertEq(_bal(address(t), owner), held - held * 100 / 10_000, "owner got it less the token's own fee");
    }

    /// @dev The shortfall is measured even when the vault pays more than the pool held before.
    function test_feeOnTransfer_shortfallMeasuredExactlyForLargeInputs() public {
        FeeOnTransferToken t = new FeeOnTransferToken(8);
        t.setExempt(address(actor), true);
        IUniswapV3Pool pool = _listed(address(t), 3e6); // ~1M USDC a side: ~333 333 tokens
        uint256 poolHeld = _bal(address(t), address(pool));
        uint256 held = poolHeld * 3;
        _fund(address(t), address(vault), held);
        vm.expectRevert(
            abi.encodeWithSelector(IIndexVault.InputShortfall.selector, address(t), held, held - held * 100 / 10_000)
        );
        vm.prank(owner);
        vault.sell(_legs(_leg(address(t), held, 1)), 0, 0, ANY_FEE_BPS, block.timestamp);
    }

    // --- reverting ----------------------------------------------------------------------------

    function test_reverting_onlyBlocksItself() public {
        RevertingToken t = new RevertingToken(18);
        _listed(address(t), 1e6);
        _buyBoth();
        _buy(600e6, _legs(_leg(address(t), 500e6, 0)));
        t.setReverting(true);

        address[] memory tokens = new address[](4);
        tokens[0] = address(a);
        tokens[1] = address(t);
        tokens[2] = address(b);
        tokens[3] = address(usdc);
        uint256 balA = _bal(address(a), address(vault));
        uint256 balB = _bal(address(b), address(vault));
        uint256 held = _bal(address(t), address(vault));
        vm.expectEmit(address(vault));
        emit IIndexVault.InKindTransferFailed(address(t));
        vm.prank(owner);
        vault.withdrawInKind(tokens); // listed with the others, it blocks only itself
        assertEq(_bal(address(a), owner), balA, "A out");
        assertEq(_bal(address(b), owner), balB, "B out");
        assertEq(_bal(address(usdc), address(vault)), 0, "USDC out");
        assertEq(_bal(address(t), address(vault)), held, "stuck token stays, accounted");
    }

    // --- decimals -----------------------------------------------------------------------------

    function test_decimals_6_8_18_roundTripAtTheRightPrice() public {
        uint8[3] memory decimals = [6, 8, 18];
        for (uint256 i; i < 3; ++i) {
            for (uint256 side; side < 2; ++side) {
                TestToken t = _token("DEC", decimals[i], side == 0);
                _listed(address(t), 25e6); // $25 a token
                _setMandate(_mandate(100, 0, type(uint96).max), _allow(address(t)));

                (uint256 oracleOut,) = vault.oracleQuote(address(t), FEE, 10 ** decimals[i], true);
                assertApproxEqRel(oracleOut, 25e6, 1e14, "one token is worth $25");

                _buy(1_000e6, _legs(_leg(address(t), 997e6, 0)));
                uint256 held = _bal(address(t), address(vault));
                assertApproxEqRel(held, 997e6 * 10 ** decimals[i] / 25e6, 3e15, "bought ~39.88 tokens");

                IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(t), held));
                vm.prank(keeper);
                uint256 loss = vault.rebalance(sells, _noLegs(), block.timestamp);
                // valued at the spot the buy just pushed up: the impact both ways plus the pool fee
                assertLe(loss, 2e6, "fee + impact < 2 USDC");
                assertEq(_bal(address(t), address(vault)), 0, "all sold");
                vm.prank(owner);
                vault.sell(_noLegs(), 0, 10_000, ANY_FEE_BPS, block.timestamp); // pay out the cash
            }
        }
    }
}
