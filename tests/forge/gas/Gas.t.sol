// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {console} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Fixture} from "../utils/Fixture.sol";
import {ISwapRouter02} from "../utils/ISwapRouter02.sol";
import {RouterBuyer} from "./RouterBuyer.sol";
import {TestToken} from "../../../contracts/test/TestToken.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";

/// @notice `make bench`'s gas numbers, measured side by side in one run on the shipped Uniswap
///         V3 contracts. Run it with `--isolate` so that every measured call is its own
///         transaction (cold storage, intrinsic 21 000 + calldata gas, refunds applied): the
///         numbers are receipt `gasUsed`. Prints `BENCH <metric> <integer>` lines under `-vv`.
/// @dev A buy of N legs brings N x 1 000 USDC; after the 0.3% platform fee each leg swaps its
///      equal share (the naive buyer swaps the same amounts) in a token/USDC 0.05% pool holding
///      ~10M USDC of full-range liquidity a side: enough to move the tick, so the pool writes an
///      oracle observation. Pools have traded both ways before (as live pools have), and every
///      measured transaction runs in a new block, as separate users' would.
contract GasBenchTest is Fixture {
    uint256 internal constant MAX_N = 100;
    uint256 internal constant PER_LEG = 1_000e6;

    TestToken[] internal tokens;
    uint256[] internal prices;
    ISwapRouter02 internal router;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < MAX_N; ++i) {
            TestToken t = new TestToken("T", "T", 18, address(this));
            uint256 price = 1e6 + i * 137e6; // $1 .. ~$13.6k
            tokens.push(t);
            prices.push(price);
            _warm(address(_pool(address(t), FEE, price, 10_000_000e6)));
        }
        _fund(address(usdc), feeRecipient, 1e6); // an active platform's recipient already holds USDC
        address weth = _deployWeth9();
        address npm = vm.deployCode(
            "node_modules/@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
            abi.encode(address(uniFactory), weth, address(0))
        );
        router = ISwapRouter02(
            vm.deployCode(
                "node_modules/@uniswap/swap-router-contracts/artifacts/contracts/SwapRouter02.sol/SwapRouter02.json",
                abi.encode(address(0), address(uniFactory), npm, weth)
            )
        );
        _age(1 hours);
    }

    function test_bench() public {
        if (!_isolated()) {
            console.log("GasBenchTest needs --isolate: skipped");
            vm.skip(true);
            return;
        }
        uint256[5] memory ns = [uint256(1), 10, 25, 50, 100];
        IndexVault[5] memory vaults;
        for (uint256 k; k < ns.length; ++k) {
            uint256 n = ns[k];
            address user = address(uint160(0x1000 + k));
            (IndexVault v, uint256 createGas) = _createVault(user);
            vaults[k] = v;
            if (k == 0) _bench("vault_create_gas", createGas);
            _bench(_name("buy_gas.", n), _buyVault(v, user, n));
            _bench(_name("second_buy_gas.", n), _buyVault(v, user, n));
            _bench(_name("naive_buy_gas.", n), _naiveBuy(address(uint160(0x2000 + k)), n));
            _bench(_name("router_vault_buy_gas.", n), _routerBuy(address(uint160(0x3000 + k)), n));
        }
        _bench("rebalance_gas.10", _rebalance(vaults[1], address(uint160(0x1001))));
        _bench("sell_gas.10", _sellAll(vaults[1], address(uint160(0x1001)), 10));
        _bench("sell_gas.100", _sellAll(vaults[4], address(uint160(0x1004)), 100));
    }

    // --- measured flows -----------------------------------------------------------------------

    function _createVault(address user) internal returns (IndexVault v, uint256 gas) {
        _nextBlock();
        v = IndexVault(factory.createVault(user, bytes32(0)));
        gas = _lastGas();
    }

    /// @dev The legs of a buy of `n` x PER_LEG USDC: the amount after the fee, split evenly.
    function _buyLegs(uint256 n) internal view returns (IIndexVault.Leg[] memory legs) {
        uint256 investable = PER_LEG * n - PER_LEG * n * PLATFORM_FEE_BPS / 10_000;
        legs = new IIndexVault.Leg[](n);
        for (uint256 i; i < n; ++i) {
            uint256 amountIn = i + 1 < n ? investable / n : investable - (investable / n) * (n - 1);
            legs[i] = _leg(address(tokens[i]), amountIn, amountIn * 1e18 / prices[i] * 98 / 100);
        }
    }

    function _buyVault(IndexVault v, address user, uint256 n) internal returns (uint256) {
        IIndexVault.Leg[] memory legs = _buyLegs(n);
        uint256 amount = PER_LEG * n;
        _fund(address(usdc), user, amount);
        vm.prank(user);
        usdc.approve(address(v), amount);
        _nextBlock();
        vm.prank(user);
        v.buy(amount, legs, ANY_FEE_BPS, block.timestamp + 600);
        return _lastGas();
    }

    function _naiveBuy(address eoa, uint256 n) internal returns (uint256 total) {
        IIndexVault.Leg[] memory legs = _buyLegs(n);
        for (uint256 i; i < n; ++i) {
            _fund(address(usdc), eoa, legs[i].amountIn);
            _nextBlock();
            vm.prank(eoa);
            usdc.approve(address(router), legs[i].amountIn);
            total += _lastGas();
            _nextBlock();
            vm.prank(eoa);
            router.exactInputSingle(
                ISwapRouter02.ExactInputSingleParams({
                    tokenIn: address(usdc),
                    tokenOut: legs[i].token,
                    fee: FEE,
                    recipient: eoa,
                    amountIn: legs[i].amountIn,
                    amountOutMinimum: legs[i].amountOutMin,
                    sqrtPriceLimitX96: 0
                })
            );
            total += _lastGas();
        }
    }

    function _routerBuy(address user, uint256 n) internal returns (uint256) {
        RouterBuyer buyer = new RouterBuyer(user, IERC20(address(usdc)), router, feeRecipient);
        IIndexVault.Leg[] memory legs = _buyLegs(n);
        uint256 amount = PER_LEG * n;
        _fund(address(usdc), user, amount);
        vm.prank(user);
        usdc.approve(address(buyer), amount);
        _nextBlock();
        vm.prank(user);
        buyer.buy(amount, legs, block.timestamp + 600);
        return _lastGas();
    }

    function _sellAll(IndexVault v, address user, uint256 n) internal returns (uint256) {
        IIndexVault.Leg[] memory legs = new IIndexVault.Leg[](n);
        for (uint256 i; i < n; ++i) {
            uint256 bal = _bal(address(tokens[i]), address(v));
            legs[i] = _leg(address(tokens[i]), bal, bal * prices[i] / 1e18 * 98 / 100);
        }
        _nextBlock();
        vm.prank(user);
        v.sell(legs, 0, 0, ANY_FEE_BPS, block.timestamp + 600);
        return _lastGas();
    }

    /// @dev The keeper sells half of tokens 0..4 and buys tokens 5..9 with the proceeds.
    function _rebalance(IndexVault v, address user) internal returns (uint256) {
        IIndexVault.AllowedPool[] memory allowed = new IIndexVault.AllowedPool[](10);
        for (uint256 i; i < 10; ++i) {
            allowed[i] = IIndexVault.AllowedPool({token: address(tokens[i]), fee: FEE});
        }
        vm.prank(user);
        v.setMandate(_mandate(100, 1 hours, 1_000_000e6), allowed);
        _age(1 hours);

        IIndexVault.Leg[] memory sells = new IIndexVault.Leg[](5);
        IIndexVault.Leg[] memory buys = new IIndexVault.Leg[](5);
        uint256 proceeds;
        for (uint256 i; i < 5; ++i) {
            uint256 amountIn = _bal(address(tokens[i]), address(v)) / 2;
            (, uint256 floor) = v.oracleQuote(address(tokens[i]), FEE, amountIn, true);
            sells[i] = _leg(address(tokens[i]), amountIn, floor);
            proceeds += floor;
        }
        for (uint256 i; i < 5; ++i) {
            uint256 amountIn = proceeds / 5;
            (, uint256 floor) = v.oracleQuote(address(tokens[5 + i]), FEE, amountIn, false);
            buys[i] = _leg(address(tokens[5 + i]), amountIn, floor);
        }
        _nextBlock();
        vm.prank(keeper);
        v.rebalance(sells, buys, block.timestamp + 600);
        return _lastGas();
    }

    // --- helpers ------------------------------------------------------------------------------

    /// @dev One small trade each way, so the pool's fee-growth accumulators are non-zero.
    function _warm(address pool) internal {
        actor.swap(pool, true, 1e6, 0);
        actor.swap(pool, false, 1e6, 0);
    }

    /// @dev WETH9.json (a truffle artifact) has two `bytecode` fields, which vm.deployCode
    ///      rejects: read `evm.bytecode.object` and CREATE it directly.
    function _deployWeth9() internal returns (address weth) {
        string memory json = vm.readFile("node_modules/@uniswap/v2-periphery/build/WETH9.json");
        bytes memory code = vm.parseBytes(vm.parseJsonString(json, ".evm.bytecode.object"));
        assembly {
            weth := create(0, add(code, 32), mload(code))
        }
        require(weth != address(0) && weth.code.length > 0, "WETH9 deployment failed");
    }

    function _nextBlock() internal {
        vm.warp(block.timestamp + 12);
        vm.roll(block.number + 1);
    }

    function _lastGas() internal view returns (uint256) {
        return vm.lastCallGas().gasTotalUsed;
    }

    /// @dev Under --isolate a top-level call is a transaction: it pays the 21 000 intrinsic gas.
    ///      A zero approval costs ~5 000 gas as a plain call.
    function _isolated() internal returns (bool) {
        usdc.approve(address(this), 0);
        return _lastGas() >= 21_000;
    }

    function _name(string memory prefix, uint256 n) internal pure returns (string memory) {
        return string.concat(prefix, vm.toString(n));
    }

    function _bench(string memory metric, uint256 value) internal view {
        console.log(string.concat("BENCH ", metric), value);
    }
}
