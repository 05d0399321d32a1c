// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {SandwichKeeper, FakePool, RecipientThief} from "../mocks/Attackers.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {IVaultFactory} from "../../../contracts/interfaces/IVaultFactory.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";

/// @notice A careless or malicious keeper: everything outside the mandate fails, and what is
///         inside it loses at most the owner's slippage per leg.
contract AdversarialKeeperTest is VaultTest {
    SandwichKeeper internal evil;

    function setUp() public override {
        super.setUp();
        _buyBoth();
        evil = new SandwichKeeper();
        _fund(address(usdc), address(evil), 100_000_000e6);
        _fund(address(a), address(evil), 100_000e18);
        _fund(address(b), address(evil), 10_000e8);
        keeper = address(evil); // the keeper is the attacker's contract
        _defaultMandate();
    }

    function test_keeper_cannotTradeATokenOutsideTheMandate() public {
        // the keeper lists its own token with a real pool, to dump the vault's USDC into it
        TestToken junk = _token("JUNK", 18, false);
        _pool(address(junk), FEE, 1e6, 1_000e6);
        _age(1 hours);
        IIndexVault.Leg[] memory buys = _legs(_leg(address(junk), 3e6, 0));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.TokenNotAllowed.selector, address(junk), FEE));
        vm.prank(keeper);
        vault.rebalance(_noLegs(), buys, block.timestamp);
    }

    function test_keeper_cannotPickAThinnerPoolOfAnAllowedToken() public {
        _pool(address(a), 10_000, 2_000e6, 1_000e6); // a 1% pool with 1 000 USDC, cheap to move
        _age(1 hours);
        IIndexVault.Leg[] memory sells =
            _legs(IIndexVault.Leg({token: address(a), fee: 10_000, amountIn: 1e17, amountOutMin: 0}));
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.TokenNotAllowed.selector, address(a), uint24(10_000)));
        vm.prank(keeper);
        vault.rebalance(sells, _noLegs(), block.timestamp);
    }

    function test_keeper_cannotBePaidByTheCallbackDirectly() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.UnauthorizedCallback.selector, keeper));
        vm.prank(keeper);
        vault.uniswapV3SwapCallback(1e6, 1e6, "");
    }

    function test_keeper_cannotBePaidThroughAFakePool() public {
        FakePool fake = new FakePool();
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.UnauthorizedCallback.selector, address(fake)));
        fake.steal(vault, 1e6, 1e6);
    }

    function test_keeper_cannotRouteAVaultPaymentToAnotherRecipient() public {
        RecipientThief thief = new RecipientThief();
        // the pool calls back its own caller (the thief), never the vault
        // the pool calls back its own caller (the thief); the vault rejects the thief
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.UnauthorizedCallback.selector, address(thief)));
        thief.attack(vault, address(poolA), false, 1e6);
        assertEq(_bal(address(usdc), address(thief)), 0, "thief got nothing");
    }

    function test_keeper_hasNoRecipientParameter_proceedsStayInVault() public {
        uint256 balA = _bal(address(a), address(vault));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), balA));
        uint256 out = _quote(address(a), address(usdc), balA);
        uint256 vaultUsdc = _bal(address(usdc), address(vault));
        uint256 evilUsdc = _bal(address(usdc), address(evil));
        vm.prank(keeper);
        vault.rebalance(sells, _noLegs(), block.timestamp);
        assertEq(_bal(address(usdc), address(vault)), vaultUsdc + out, "all proceeds in the vault");
        assertEq(_bal(address(usdc), address(evil)), evilUsdc, "keeper unchanged");
    }

    function test_keeper_sandwichWithZeroMinOutFails() public {
        uint256 balA = _bal(address(a), address(vault));
        (, int24 tick,,,,,) = poolA.slot0();
        IIndexVault.Leg[] memory sells = _legs(_leg(address(a), balA, 0));
        // a push within the max slippage (a larger one is refused as PriceUnsettled first)
        try evil.sandwich(vault, address(poolA), TickMath.sqrtRatioAtTick(tick - 90), sells, _noLegs()) {
            revert("a zero min-out went through");
        } catch (bytes memory err) {
            assertEq(bytes4(err), IIndexVault.MinOutBelowOracle.selector, "MinOutBelowOracle");
        }
    }

    function test_keeper_sandwichBeyondTheLimitFails() public {
        uint256 balA = _bal(address(a), address(vault));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), balA));
        (, int24 tick,,,,,) = poolA.slot0();
        // 2% down, twice the owner's 1% slippage: the spot now disagrees with the TWAP halves
        uint160 pushTo = TickMath.sqrtRatioAtTick(tick - 200);
        try evil.sandwich(vault, address(poolA), pushTo, sells, _noLegs()) {
            revert("sandwich beyond the limit succeeded");
        } catch (bytes memory err) {
            (bytes4 selector, bytes memory args) = _splitError(err);
            assertEq(selector, IIndexVault.PriceUnsettled.selector, "PriceUnsettled");
            (address pool, int24 spot,,) = abi.decode(args, (address, int24, int24, int24));
            assertEq(pool, address(poolA), "pool");
            assertEq(int256(spot), int256(tick - 200), "the pushed spot");
        }
        // 0.95% down, inside the agreement band: the floor (at the undisturbed means) refuses it
        try evil.sandwich(vault, address(poolA), TickMath.sqrtRatioAtTick(tick - 95), sells, _noLegs()) {
            revert("sandwich beyond the floor succeeded");
        } catch (bytes memory err) {
            (bytes4 selector, bytes memory args) = _splitError(err);
            assertEq(selector, IIndexVault.InsufficientOutput.selector, "InsufficientOutput");
            (address token, uint256 out, uint256 minOut) = abi.decode(args, (address, uint256, uint256));
            assertEq(token, address(a), "token");
            assertEq(minOut, sells[0].amountOutMin, "the floor");
            assertLt(out, minOut, "the pushed price gave less");
        }
        assertEq(_bal(address(a), address(vault)), balA, "nothing traded");
    }

    function test_keeper_sandwichInsideTheLimitLosesAtMostTheSlippage() public {
        uint256 balA = _bal(address(a), address(vault));
        (uint256 oracleOut, uint256 floor) = vault.oracleQuote(address(a), FEE, balA, true);
        IIndexVault.Leg[] memory sells = _legs(_leg(address(a), balA, floor));
        (, int24 tick,,,,,) = poolA.slot0();
        uint160 pushTo = TickMath.sqrtRatioAtTick(tick - 90); // 0.9% down
        uint256 before = _bal(address(usdc), address(vault));
        uint256 loss = evil.sandwich(vault, address(poolA), pushTo, sells, _noLegs());
        uint256 received = _bal(address(usdc), address(vault)) - before;
        assertGe(received, floor, "at least the floor");
        assertLe(loss, oracleOut - floor, "loss bounded by the slippage");
        assertLe(loss * 10_000, oracleOut * 100, "<= 1% of the TWAP value");
        assertGt(loss * 10_000, oracleOut * 80, "and the attack did cost about 0.9%");
    }

    function test_keeper_cannotRebalanceTwiceInsideTheInterval() public {
        vm.prank(keeper);
        vault.rebalance(_noLegs(), _noLegs(), block.timestamp);
        vm.warp(block.timestamp + 59 minutes);
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.RebalanceTooSoon.selector, block.timestamp + 1 minutes));
        vm.prank(keeper);
        vault.rebalance(_noLegs(), _noLegs(), block.timestamp);
    }

    function test_keeper_cannotExceedTheLossBudget() public {
        _setMandate(_mandate(100, 1 hours, 1e6), _allow(address(a))); // 1 USDC of loss per week
        uint256 balA = _bal(address(a), address(vault));
        (uint256 oracleOut, uint256 floor) = vault.oracleQuote(address(a), FEE, balA, true);
        IIndexVault.Leg[] memory sells = _legs(_leg(address(a), balA, floor));
        (, int24 tick,,,,,) = poolA.slot0();
        try evil.sandwich(vault, address(poolA), TickMath.sqrtRatioAtTick(tick - 90), sells, _noLegs()) {
            revert("loss above the budget accepted");
        } catch (bytes memory err) {
            (bytes4 selector, bytes memory args) = _splitError(err);
            assertEq(selector, IIndexVault.LossBudgetExceeded.selector, "LossBudgetExceeded");
            (uint256 used, uint256 budget) = abi.decode(args, (uint256, uint256));
            assertEq(budget, 1e6, "budget");
            assertGt(used, oracleOut * 80 / 10_000, "~0.9% of the sale");
        }
    }

    function test_keeper_cannotReinitialiseTheClone() public {
        vm.expectRevert(abi.encodeWithSelector(IIndexVault.NotFactory.selector, keeper));
        vm.prank(keeper);
        vault.initialize(keeper);
        assertEq(vault.owner(), owner, "owner");
    }

    function test_keeper_cannotCallOwnerFunctions() public {
        address[] memory tokens = new address[](1);
        tokens[0] = address(a);
        bytes memory notOwner = abi.encodeWithSelector(IIndexVault.NotOwner.selector, keeper);
        vm.startPrank(keeper);
        vm.expectRevert(notOwner);
        vault.buy(0, _noLegs(), ANY_FEE_BPS, block.timestamp);
        vm.expectRevert(notOwner);
        vault.sell(_noLegs(), 0, 10_000, ANY_FEE_BPS, block.timestamp);
        vm.expectRevert(notOwner);
        vault.withdrawInKind(tokens);
        vm.expectRevert(notOwner);
        vault.setMandate(_mandate(1_000, 0, type(uint96).max), _allow(address(a)));
        vm.expectRevert(notOwner);
        vault.revokeKeeper();
        vm.expectRevert(abi.encodeWithSelector(IVaultFactory.NotAdmin.selector, keeper));
        factory.setFee(100);
        vm.stopPrank();
    }

    function test_keeper_cannotSellMoreThanTheVaultHolds() public {
        uint256 balA = _bal(address(a), address(vault));
        IIndexVault.Leg[] memory sells = _legs(_keeperSell(address(a), balA + 1));
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, address(vault), balA, balA + 1)
        );
        vm.prank(keeper);
        vault.rebalance(sells, _noLegs(), block.timestamp);
    }
}
