// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {Vm} from "forge-std/Vm.sol";
import {Fixture} from "./Fixture.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {TwapOracle} from "../../../contracts/libraries/TwapOracle.sol";
import {TickMath} from "../../../contracts/libraries/TickMath.sol";

/// @notice Fixture plus two constituents on either side of USDC in address order:
///         A (18 decimals, $2 000, token0 of its pool) and B (8 decimals, $60 000, token1).
abstract contract VaultTest is Fixture {
    TestToken internal a;
    TestToken internal b;
    IUniswapV3Pool internal poolA;
    IUniswapV3Pool internal poolB;

    function setUp() public virtual override {
        super.setUp();
        a = _token("AAA", 18, true);
        b = _token("BBB", 8, false);
        poolA = _pool(address(a), FEE, 2_000e6, 10_000_000e6);
        poolB = _pool(address(b), FEE, 60_000e6, 10_000_000e6);
        _age(1 hours);
    }

    /// @dev The exact output of swapping `amountIn` of `tokenIn` now (the pool state is unchanged).
    function _quote(address tokenIn, address tokenOut, uint256 amountIn) internal returns (uint256) {
        address token = tokenIn == address(usdc) ? tokenOut : tokenIn;
        bool zeroForOne = tokenIn < tokenOut;
        (int256 a0, int256 a1) = actor.quote(_poolOf(token), zeroForOne, int256(amountIn));
        return uint256(-(zeroForOne ? a1 : a0));
    }

    /// @dev Buys 1 000 USDC worth of A and 1 000 of B for the owner (fee 0.3% stays as cash).
    function _buyBoth() internal {
        _buy(2_010e6, _legs(_leg(address(a), 1_000e6, 0), _leg(address(b), 1_000e6, 0)));
    }

    /// @dev Number of ERC-20 Transfer events in `logs` (from `from`, any recipient if `to` is 0).
    function _transfers(Vm.Log[] memory logs, address from, address to) internal pure returns (uint256 n) {
        bytes32 topic = keccak256("Transfer(address,address,uint256)");
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length != 3 || logs[i].topics[0] != topic) continue;
            if (address(uint160(uint256(logs[i].topics[1]))) != from) continue;
            if (to == address(0) || address(uint160(uint256(logs[i].topics[2]))) == to) ++n;
        }
    }

    /// @dev Splits revert data into its selector and ABI-encoded arguments.
    function _splitError(bytes memory err) internal pure returns (bytes4 selector, bytes memory args) {
        selector = bytes4(err);
        args = new bytes(err.length - 4);
        for (uint256 i; i < args.length; ++i) args[i] = err[i + 4];
    }

    function _defaultMandate() internal {
        IIndexVault.AllowedPool[] memory pools = new IIndexVault.AllowedPool[](2);
        pools[0] = IIndexVault.AllowedPool({token: address(a), fee: FEE});
        pools[1] = IIndexVault.AllowedPool({token: address(b), fee: FEE});
        _setMandate(_mandate(100, 1 hours, 1_000e6), pools);
    }

    /// @dev A keeper sell leg of `amountIn` of `token` with the least min-out the vault accepts.
    function _keeperSell(address token, uint256 amountIn) internal view returns (IIndexVault.Leg memory) {
        (, uint256 floor) = vault.oracleQuote(token, FEE, amountIn, true);
        return _leg(token, amountIn, floor);
    }

    /// @dev The tick the vault values a keeper leg at (30-minute mandate): the most protective of
    ///      the spot and the two half-window means for the vault (read before the leg's swap).
    function _refTick(IUniswapV3Pool pool, address token, bool tokenToUsdc) internal view returns (int24) {
        (, int24 spot,,,,,) = pool.slot0();
        (int24 older, int24 newer) = TwapOracle.halfMeanTicks(address(pool), 30 minutes);
        int24 hi = spot > older ? spot : older;
        int24 lo = spot < older ? spot : older;
        if (newer > hi) hi = newer;
        if (newer < lo) lo = newer;
        return tokenToUsdc == (token < address(usdc)) ? hi : lo;
    }

    /// @dev Grows `pool`'s oracle ring to `target` the way a live pool grows: anyone raises the
    ///      cardinality target, and the ring reaches it as swaps (one per 12-second block) wrap it.
    function _growCardinality(IUniswapV3Pool pool, uint16 target) internal {
        pool.increaseObservationCardinalityNext(target);
        (, int24 base,,,,,) = pool.slot0();
        for (uint256 i; i < 2 * uint256(target) + 2; ++i) {
            (,,, uint16 cardinality,,,) = pool.slot0();
            if (cardinality == target) return;
            vm.warp(block.timestamp + 12);
            vm.roll(block.number + 1);
            actor.pushPrice(address(pool), TickMath.sqrtRatioAtTick(i % 2 == 0 ? base + 2 : base));
        }
        revert("the ring did not grow");
    }

    function _keeperBuy(address token, uint256 usdcIn) internal view returns (IIndexVault.Leg memory) {
        (, uint256 floor) = vault.oracleQuote(token, FEE, usdcIn, false);
        return _leg(token, usdcIn, floor);
    }
}
