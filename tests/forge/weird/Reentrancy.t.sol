// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";
import {VaultTest} from "../utils/VaultTest.sol";
import {ReentrantToken} from "../mocks/WeirdTokens.sol";
import {MockAccount} from "../mocks/MockAccount.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice A malicious constituent tries to re-enter the vault while it is being transferred.
contract ReentrancyTest is VaultTest {
    ReentrantToken internal evil;
    MockAccount internal account; // the owner: a smart account anyone can drive (worst case)
    MockAccount internal keeperAccount;
    IndexVault internal v;

    function setUp() public override {
        super.setUp();
        evil = new ReentrantToken(18);
        _pool(address(evil), FEE, 1e6, 1_000_000e6);
        _age(1 hours);
        account = new MockAccount();
        keeperAccount = new MockAccount();
        v = IndexVault(factory.createVault(address(account), bytes32(0)));
        _fund(address(usdc), address(account), 10_000e6);
        account.execute(address(usdc), abi.encodeCall(usdc.approve, (address(v), 10_000e6)));
    }

    function _buyEvil(uint256 amount) internal {
        account.execute(address(v), abi.encodeCall(IIndexVault.buy, (amount, _legs(_leg(address(evil), amount / 2, 0)), ANY_FEE_BPS, block.timestamp)));
    }

    function _assertBlocked() internal view {
        assertTrue(evil.attempted(), "re-entry attempted");
        assertFalse(evil.reentrySucceeded(), "re-entry failed");
        assertEq(
            bytes4(evil.reentryError()), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector, "guard"
        );
    }

    function _withdrawAll() internal view returns (bytes memory) {
        address[] memory tokens = new address[](2);
        tokens[0] = address(evil);
        tokens[1] = address(usdc);
        return abi.encodeCall(IIndexVault.withdrawInKind, (tokens));
    }

    function test_reentry_duringBuy_intoWithdrawInKind() public {
        evil.arm(address(v), address(account), abi.encodeCall(MockAccount.execute, (address(v), _withdrawAll())));
        _buyEvil(1_000e6);
        _assertBlocked();
        assertGt(_bal(address(evil), address(v)), 0, "buy completed, nothing withdrawn mid-swap");
    }

    function test_reentry_duringSell_intoSell() public {
        _buyEvil(1_000e6);
        uint256 held = _bal(address(evil), address(v));
        bytes memory inner = abi.encodeCall(IIndexVault.sell, (_noLegs(), 1, 0, ANY_FEE_BPS, block.timestamp));
        evil.arm(address(v), address(account), abi.encodeCall(MockAccount.execute, (address(v), inner)));
        account.execute(address(v), abi.encodeCall(IIndexVault.sell, (_legs(_leg(address(evil), held, 1)), 0, 0, ANY_FEE_BPS, block.timestamp)));
        _assertBlocked();
    }

    function test_reentry_duringRebalance_intoRebalance() public {
        _buyEvil(1_000e6);
        IIndexVault.Mandate memory m = _mandate(100, 0, type(uint96).max);
        m.keeper = address(keeperAccount);
        account.execute(address(v), abi.encodeCall(IIndexVault.setMandate, (m, _allow(address(evil)))));
        uint256 held = _bal(address(evil), address(v));
        (, uint256 floor) = v.oracleQuote(address(evil), FEE, held, true);
        bytes memory inner = abi.encodeCall(IIndexVault.rebalance, (_noLegs(), _noLegs(), block.timestamp));
        evil.arm(address(v), address(keeperAccount), abi.encodeCall(MockAccount.execute, (address(v), inner)));
        keeperAccount.execute(
            address(v), abi.encodeCall(IIndexVault.rebalance, (_legs(_leg(address(evil), held, floor)), _noLegs(), block.timestamp))
        );
        _assertBlocked();
    }

    function test_reentry_intoTheCallbackIsNotThePool() public {
        evil.arm(address(v), address(v), abi.encodeCall(IUniswapV3SwapCallback.uniswapV3SwapCallback, (1e12, 1e12, "")));
        _buyEvil(1_000e6);
        assertTrue(evil.attempted(), "attempted");
        assertFalse(evil.reentrySucceeded(), "failed");
        assertEq(
            keccak256(evil.reentryError()),
            keccak256(abi.encodeWithSelector(IIndexVault.UnauthorizedCallback.selector, address(evil))),
            "the token is not the pool"
        );
    }
}
