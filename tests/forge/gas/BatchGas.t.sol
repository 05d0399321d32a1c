// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {console} from "forge-std/Test.sol";
import {Fixture} from "../utils/Fixture.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {BatchSettlement} from "../../../contracts/BatchSettlement.sol";
import {IBatchSettlement} from "../../../contracts/interfaces/IBatchSettlement.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice `make bench`'s batch gas numbers (run with `--isolate`, like GasBenchTest: every
///         measured call is its own transaction and pays intrinsic and calldata gas).
///         Regime switch: every vault sells its 25 constituents for USDC, one vault by one
///         (`rebalance`) against batches of 10 and 100 vaults (`BatchSettlement.settle`).
///         Weekly: 100 drifted vaults, half selling what the other half buys.
///         Prints `BENCH <metric> <integer>` lines under `-vv`.
contract BatchGasBenchTest is Fixture {
    uint256 internal constant N_TOKENS = 25;
    uint256 internal constant PER_TOKEN_USDC = 1_000e6;

    TestToken[] internal tokens; // ascending addresses
    uint256[] internal prices;
    BatchSettlement internal batch;

    function setUp() public override {
        super.setUp();
        batch = BatchSettlement(factory.batchSettlement());
        TestToken[] memory made = new TestToken[](N_TOKENS);
        for (uint256 i; i < N_TOKENS; ++i) made[i] = new TestToken("T", "T", 18, address(this));
        for (uint256 i; i < N_TOKENS; ++i) {
            for (uint256 j = i + 1; j < N_TOKENS; ++j) {
                if (address(made[j]) < address(made[i])) (made[i], made[j]) = (made[j], made[i]);
            }
        }
        for (uint256 i; i < N_TOKENS; ++i) {
            uint256 price = 1e6 + i * 137e6;
            tokens.push(made[i]);
            prices.push(price);
            address pool = address(_pool(address(made[i]), FEE, price, 100_000_000e6)); // a major pair's depth
            actor.swap(pool, true, 1e6, 0);
            actor.swap(pool, false, 1e6, 0);
        }
        _fund(address(usdc), address(batch), 0);
        _age(1 hours);
    }

    function test_bench() public {
        if (!_isolated()) {
            console.log("BatchGasBenchTest needs --isolate: skipped");
            vm.skip(true);
            return;
        }
        uint256 single = _singleRegimeSwitch();
        _bench("rebalance_regime_switch_gas_per_vault.25", single);
        uint256 g10 = _batchRegimeSwitch(10, 0x10000) / 10;
        _bench("batch_regime_switch_gas_per_vault.10", g10);
        uint256 g100 = _batchRegimeSwitch(100, 0x20000) / 100;
        _bench("batch_regime_switch_gas_per_vault.100", g100);
        _bench("batch_regime_switch_saving_x100.100", single * 100 / g100);
        (uint256 weekly, uint256 nettedBps) = _batchWeekly(100, 0x30000);
        _bench("batch_weekly_gas_per_vault.100", weekly / 100);
        _bench("batch_netted_fraction_bps.100", nettedBps);
    }

    // --- flows --------------------------------------------------------------------------------

    function _vault(address user) internal returns (IndexVault v) {
        v = IndexVault(factory.createVault(user, bytes32(0)));
        IIndexVault.AllowedPool[] memory allowed = new IIndexVault.AllowedPool[](N_TOKENS);
        for (uint256 i; i < N_TOKENS; ++i) allowed[i] = IIndexVault.AllowedPool({token: address(tokens[i]), fee: FEE});
        IIndexVault.Mandate memory m = _mandate(100, 1 hours, 1_000_000e6);
        m.batchable = true;
        vm.prank(user);
        v.setMandate(m, allowed);
        for (uint256 i; i < N_TOKENS; ++i) _fund(address(tokens[i]), address(v), _units(i, PER_TOKEN_USDC));
        _fund(address(usdc), address(v), 10e6); // a vault holds some cash
    }

    function _units(uint256 i, uint256 usdcValue) internal view returns (uint256) {
        return usdcValue * 1e18 / prices[i];
    }

    function _sellAllLegs(IndexVault v) internal view returns (IIndexVault.Leg[] memory sells) {
        sells = new IIndexVault.Leg[](N_TOKENS);
        for (uint256 i; i < N_TOKENS; ++i) {
            uint256 amount = _bal(address(tokens[i]), address(v));
            (, uint256 floor) = v.oracleQuote(address(tokens[i]), FEE, amount, true);
            sells[i] = _leg(address(tokens[i]), amount, floor);
        }
    }

    function _singleRegimeSwitch() internal returns (uint256) {
        IndexVault v = _vault(address(0xA11CE));
        _age(1 hours);
        IIndexVault.Leg[] memory sells = _sellAllLegs(v);
        _nextBlock();
        vm.prank(keeper);
        v.rebalance(sells, new IIndexVault.Leg[](0), block.timestamp + 600);
        return _lastGas();
    }

    function _sortedVaults(uint256 n, uint256 base) internal returns (IndexVault[] memory vs) {
        vs = new IndexVault[](n);
        for (uint256 i; i < n; ++i) vs[i] = _vault(address(uint160(base + i)));
        for (uint256 i; i < n; ++i) {
            for (uint256 j = i + 1; j < n; ++j) {
                if (address(vs[j]) < address(vs[i])) (vs[i], vs[j]) = (vs[j], vs[i]);
            }
        }
        _age(1 hours);
    }

    function _allNets() internal pure returns (bytes memory nets) {
        nets = new bytes(N_TOKENS);
        for (uint256 i; i < N_TOKENS; ++i) nets[i] = bytes1(uint8(i));
    }

    function _batchRegimeSwitch(uint256 n, uint256 base) internal returns (uint256) {
        IndexVault[] memory vs = _sortedVaults(n, base);
        IBatchSettlement.Order[] memory orders = new IBatchSettlement.Order[](n);
        IBatchSettlement.Net[] memory nets = new IBatchSettlement.Net[](N_TOKENS);
        bytes memory legNets = _allNets();
        for (uint256 k; k < N_TOKENS; ++k) {
            nets[k] = IBatchSettlement.Net({token: address(tokens[k]), fee: FEE, tokenToUsdc: true, amountIn: 0});
        }
        for (uint256 i; i < n; ++i) {
            IIndexVault.Leg[] memory sells = _sellAllLegs(vs[i]);
            for (uint256 k; k < N_TOKENS; ++k) nets[k].amountIn += sells[k].amountIn;
            orders[i] = IBatchSettlement.Order({
                vault: address(vs[i]), sells: sells, buys: new IIndexVault.Leg[](0), nets: legNets
            });
        }
        _nextBlock();
        vm.prank(keeper);
        batch.settle(nets, orders, block.timestamp + 600);
        return _lastGas();
    }

    /// @dev Even vaults sell 10% of tokens 0..12 and buy tokens 13..24 with the proceeds; odd
    ///      vaults do the opposite: 60% of the volume crosses, the rest is the pools' net.
    function _batchWeekly(uint256 n, uint256 base) internal returns (uint256 gas, uint256 nettedBps) {
        IndexVault[] memory vs = _sortedVaults(n, base);
        IBatchSettlement.Order[] memory orders = new IBatchSettlement.Order[](n);
        uint256[] memory sold = new uint256[](N_TOKENS); // token units sold into each net
        uint256[] memory paid = new uint256[](N_TOKENS); // USDC paid into each net
        for (uint256 i; i < n; ++i) orders[i] = _weeklyOrder(vs[i], i % 2 == 0, i % 4 < 2, sold, paid);
        IBatchSettlement.Net[] memory nets = new IBatchSettlement.Net[](N_TOKENS);
        uint256 volume;
        uint256 swapped;
        for (uint256 k; k < N_TOKENS; ++k) {
            uint256 soldValue = sold[k] * prices[k] / 1e18;
            volume += soldValue + paid[k];
            bool tokenToUsdc = soldValue >= paid[k];
            uint256 amountIn = tokenToUsdc ? sold[k] - _units(k, paid[k]) : paid[k] - soldValue;
            if (amountIn == 0) amountIn = 1;
            swapped += tokenToUsdc ? soldValue - paid[k] : amountIn;
            nets[k] = IBatchSettlement.Net({token: address(tokens[k]), fee: FEE, tokenToUsdc: tokenToUsdc, amountIn: amountIn});
        }
        nettedBps = (volume - swapped) * 10_000 / volume;
        _nextBlock();
        vm.prank(keeper);
        batch.settle(nets, orders, block.timestamp + 600);
        gas = _lastGas();
    }

    function _weeklyOrder(IndexVault v, bool sellsLow, bool big, uint256[] memory sold, uint256[] memory paid)
        internal
        view
        returns (IBatchSettlement.Order memory o)
    {
        uint256 half = N_TOKENS / 2;
        IIndexVault.Leg[] memory sells = new IIndexVault.Leg[](half);
        IIndexVault.Leg[] memory buys = new IIndexVault.Leg[](N_TOKENS - half);
        bytes memory legNets = new bytes(N_TOKENS);
        uint256 usdcPerBuy = (big ? 150e6 : 100e6) * half / (N_TOKENS - half) * 98 / 100;
        for (uint256 j; j < half; ++j) {
            uint256 k = sellsLow ? j : N_TOKENS - half + j;
            uint256 amount = _units(k, big ? 150e6 : 100e6);
            (, uint256 floor) = v.oracleQuote(address(tokens[k]), FEE, amount, true);
            sells[j] = _leg(address(tokens[k]), amount, floor);
            sold[k] += amount;
            legNets[j] = bytes1(uint8(k));
        }
        for (uint256 j; j < N_TOKENS - half; ++j) {
            uint256 k = sellsLow ? half + j : j;
            (, uint256 floor) = v.oracleQuote(address(tokens[k]), FEE, usdcPerBuy, false);
            buys[j] = _leg(address(tokens[k]), usdcPerBuy, floor);
            paid[k] += usdcPerBuy;
            legNets[half + j] = bytes1(uint8(k));
        }
        o = IBatchSettlement.Order({vault: address(v), sells: sells, buys: buys, nets: legNets});
    }

    // --- helpers ------------------------------------------------------------------------------

    function _nextBlock() internal {
        vm.warp(block.timestamp + 12);
        vm.roll(block.number + 1);
    }

    function _lastGas() internal view returns (uint256) {
        return vm.lastCallGas().gasTotalUsed;
    }

    function _isolated() internal returns (bool) {
        usdc.approve(address(this), 0);
        return _lastGas() >= 21_000;
    }

    function _bench(string memory metric, uint256 value) internal view {
        console.log(string.concat("BENCH ", metric), value);
    }
}
