// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";
import {Vm} from "forge-std/Vm.sol";
import {PoolActor} from "../utils/PoolActor.sol";
import {IndexVault} from "../../../contracts/IndexVault.sol";
import {VaultFactory} from "../../../contracts/VaultFactory.sol";
import {IIndexVault} from "../../../contracts/interfaces/IIndexVault.sol";
import {IVaultFactory} from "../../../contracts/interfaces/IVaultFactory.sol";
import {PoolAddress} from "../../../contracts/libraries/PoolAddress.sol";

/// @notice Drives one vault through owner, keeper, admin, market and attacker actions. Normal
///         paths count their successes (so a silently reverting path fails the suite); every
///         action's token movements are audited from the logs it emitted.
contract VaultHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes32 internal constant TRANSFER = keccak256("Transfer(address,address,uint256)");
    uint24 internal constant FEE = 500;
    uint16 internal constant ANY_FEE_BPS = 100;

    IndexVault public immutable vault;
    VaultFactory public immutable factory;
    address public immutable usdc;
    address public immutable uniFactory;
    PoolActor public immutable actor;
    address public immutable owner;
    address public immutable keeper;
    address public immutable admin;
    address public immutable feeRecipient;
    address[] public tokens; // constituents (USDC excluded)

    // attempts and successes of the normal paths
    mapping(bytes32 => uint256) public tried;
    mapping(bytes32 => uint256) public calls;
    uint256 public feesPaid;
    // anything that must never happen
    uint256 public violations;
    string public lastViolation;

    // what the audit of the current action expects
    uint256[] internal _minOuts;
    uint256 internal _expectedFee;

    constructor(
        IndexVault vault_,
        VaultFactory factory_,
        address uniFactory_,
        PoolActor actor_,
        address[] memory tokens_,
        address[4] memory roles // owner, keeper, admin, feeRecipient
    ) {
        vault = vault_;
        factory = factory_;
        usdc = vault_.usdc();
        uniFactory = uniFactory_;
        actor = actor_;
        tokens = tokens_;
        (owner, keeper, admin, feeRecipient) = (roles[0], roles[1], roles[2], roles[3]);
    }

    function tokenCount() external view returns (uint256) {
        return tokens.length;
    }

    function pool(address token) public view returns (address) {
        return PoolAddress.compute(uniFactory, token, usdc, FEE);
    }

    // --- owner --------------------------------------------------------------------------------

    function buy(uint256 amountSeed, uint256 mask) external {
        uint256 amount = 1e6 + amountSeed % 50_000e6;
        (, uint16 feeBps,) = factory.config();
        uint256 fee = amount * feeBps / 10_000;
        IIndexVault.Leg[] memory legs = _pick(mask, (amount - fee) / 2, true);
        (,, bool paused) = factory.config();
        vm.prank(owner);
        IERC20(usdc).approve(address(vault), amount);
        _expectedFee = fee;
        tried["buy"]++;
        vm.recordLogs();
        vm.prank(owner);
        try vault.buy(amount, legs, ANY_FEE_BPS, block.timestamp) {
            calls["buy"]++;
            if (paused) _violation("buy while paused", "");
        } catch (bytes memory err) {
            if (!paused || bytes4(err) != IIndexVault.Paused.selector) _violation("buy reverted", err);
            vm.prank(owner);
            IERC20(usdc).approve(address(vault), 0);
        }
        _audit(vm.getRecordedLogs(), amount);
        if (IERC20(usdc).allowance(owner, address(vault)) != 0) _violation("owner allowance left", "");
    }

    function sell(uint256 fractionSeed, uint256 mask, bool fractionMode) external {
        uint16 fraction = fractionMode ? uint16(1 + fractionSeed % 10_000) : 0;
        uint256 cash = fractionMode ? 0 : IERC20(usdc).balanceOf(address(vault)) * (fractionSeed % 101) / 100;
        IIndexVault.Leg[] memory legs = _sellLegs(mask, fraction, fractionSeed);
        uint256 ownerBefore = IERC20(usdc).balanceOf(owner);
        (, uint16 feeBps,) = factory.config();
        tried["sell"]++;
        vm.recordLogs();
        vm.prank(owner);
        try vault.sell(legs, cash, fraction, ANY_FEE_BPS, block.timestamp) returns (uint256 paid) {
            calls["sell"]++;
            if (IERC20(usdc).balanceOf(owner) - ownerBefore != paid) _violation("sell paid != owner delta", "");
        } catch (bytes memory err) {
            _violation("sell reverted", err);
        }
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(vault) && logs[i].topics[0] == IIndexVault.Sold.selector) {
                (uint256 proceeds, uint256 gotCash, uint256 fee,) =
                    abi.decode(logs[i].data, (uint256, uint256, uint256, uint256));
                _expectedFee = (proceeds + gotCash) * feeBps / 10_000;
                if (fee != _expectedFee) _violation("Sold fee != expected", "");
                _audit(logs, proceeds + gotCash);
            }
        }
    }

    function withdraw() external {
        address[] memory all = _allTokens();
        uint256[] memory held = new uint256[](all.length);
        uint256[] memory ownerBefore = new uint256[](all.length);
        for (uint256 i; i < all.length; ++i) {
            held[i] = IERC20(all[i]).balanceOf(address(vault));
            ownerBefore[i] = IERC20(all[i]).balanceOf(owner);
        }
        tried["withdraw"]++;
        vm.prank(owner);
        try vault.withdrawInKind(all) {
            calls["withdraw"]++;
        } catch (bytes memory err) {
            _violation("withdrawInKind reverted", err);
        }
        for (uint256 i; i < all.length; ++i) {
            if (IERC20(all[i]).balanceOf(address(vault)) != 0) _violation("withdraw left a balance", "");
            if (IERC20(all[i]).balanceOf(owner) - ownerBefore[i] != held[i]) _violation("owner not paid in kind", "");
        }
    }

    function setMandate(uint256 seed) external {
        seed = uint256(keccak256(abi.encode(seed)));
        IIndexVault.Mandate memory m = IIndexVault.Mandate({
            keeper: keeper,
            maxSlippageBps: uint16(20 + seed % 300),
            minInterval: uint24(seed % 2 hours),
            twapWindow: uint24(30 minutes), // the pools' cardinality (151) covers exactly 30 minutes
            lossBudget: uint96(100e6 + (seed >> 16) % 4_900e6),
            lossWindow: uint32(1 days + (seed >> 24) % 7 days),
            lossCap: uint96(100e6 + (seed >> 40) % 20_000e6),
            batchable: false
        });
        IIndexVault.AllowedPool[] memory pools = new IIndexVault.AllowedPool[](tokens.length);
        for (uint256 i; i < tokens.length; ++i) pools[i] = IIndexVault.AllowedPool(tokens[i], FEE);
        tried["setMandate"]++;
        vm.prank(owner);
        try vault.setMandate(m, pools) {
            calls["setMandate"]++;
        } catch (bytes memory err) {
            _violation("setMandate reverted", err);
        }
    }

    // --- keeper -------------------------------------------------------------------------------

    function rebalance(uint256 seed, uint256 mask) external {
        if (vault.mandate().keeper != keeper) return;
        vm.warp(block.timestamp + 2 hours); // past any minInterval and TWAP window
        vm.roll(block.number + 600);
        IIndexVault.Leg[] memory sells = _keeperLegs(mask, seed, true);
        IIndexVault.Leg[] memory buys = _keeperLegs(mask >> 8, seed >> 8, false);
        uint256[] memory mins = new uint256[](sells.length + buys.length);
        for (uint256 i; i < sells.length; ++i) mins[i] = sells[i].amountOutMin;
        for (uint256 i; i < buys.length; ++i) mins[sells.length + i] = buys[i].amountOutMin;
        _minOuts = mins;
        _expectedFee = 0;
        uint256 keeperUsdc = IERC20(usdc).balanceOf(keeper);
        (,, bool paused) = factory.config();
        tried["rebalance"]++;
        vm.recordLogs();
        vm.prank(keeper);
        try vault.rebalance(sells, buys, block.timestamp) {
            calls["rebalance"]++;
            if (paused) _violation("rebalance while paused", "");
        } catch (bytes memory err) {
            bytes4 s = bytes4(err);
            // inside the mandate the keeper can still be refused: its own price impact took a leg
            // below the TWAP floor, or the losses versus the TWAP exhausted the budget
            if (s == IIndexVault.InsufficientOutput.selector) calls["rebalanceFloor"]++;
            else if (s == IIndexVault.LossBudgetExceeded.selector) calls["rebalanceBudget"]++;
            else if (s == IIndexVault.LossCapExceeded.selector) calls["rebalanceCap"]++;
            else if (s == IIndexVault.PriceUnsettled.selector) calls["rebalanceUnsettled"]++; // the owner's trades moved the spot
            // a floor planned before this call's own sells moved the spot the buys are measured at
            else if (s == IIndexVault.MinOutBelowOracle.selector) calls["rebalanceFloorMoved"]++;
            else if (!(paused && s == IIndexVault.Paused.selector)) _violation("rebalance reverted", err);
        }
        _audit(vm.getRecordedLogs(), 0);
        if (IERC20(usdc).balanceOf(keeper) != keeperUsdc) _violation("keeper received USDC", "");
    }

    // --- market, time, admin ------------------------------------------------------------------

    function trade(uint256 seed, bool zeroForOne) external {
        address p = pool(tokens[seed % tokens.length]);
        actor.swap(p, zeroForOne, int256(1e6 + (seed >> 8) % 1e12), 0);
        calls["trade"]++;
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 3 days);
        vm.roll(block.number + 1 + (seconds_ % 3 days) / 12);
    }

    function setFee(uint256 bps) external {
        uint16 fee = uint16(bps % 150);
        vm.prank(admin);
        try factory.setFee(fee) {
            calls["setFee"]++;
            if (fee > 100) _violation("fee above the cap accepted", "");
        } catch (bytes memory err) {
            if (fee <= 100) _violation("setFee reverted", err);
        }
    }

    function setPaused(bool paused) external {
        vm.prank(admin);
        factory.setPaused(paused);
        calls["pause"]++;
    }

    // --- attackers ----------------------------------------------------------------------------

    /// @dev Keeper, admin or stranger try every way of moving funds that is not theirs.
    function attack(uint256 seed) external {
        address[3] memory who = [keeper, admin, address(0xBAD)];
        address attacker = who[seed % 3];
        uint256 kind = (seed >> 8) % 6;
        address[] memory all = _allTokens();
        bytes memory data;
        if (kind == 0) data = abi.encodeCall(IIndexVault.withdrawInKind, (all));
        else if (kind == 1) data = abi.encodeCall(IIndexVault.sell, (new IIndexVault.Leg[](0), 1, 0, ANY_FEE_BPS, block.timestamp));
        else if (kind == 2) data = abi.encodeCall(IUniswapV3SwapCallback.uniswapV3SwapCallback, (1e6, 1e6, ""));
        else if (kind == 3) data = abi.encodeCall(IIndexVault.initialize, (attacker));
        else if (kind == 4) data = abi.encodeCall(IIndexVault.revokeKeeper, ());
        else data = abi.encodeCall(IIndexVault.rebalance, (new IIndexVault.Leg[](0), new IIndexVault.Leg[](0), block.timestamp));
        if (kind == 5 && attacker == keeper) return; // the keeper may rebalance
        vm.prank(attacker);
        (bool ok,) = address(vault).call(data);
        if (ok) _violation("an attacker call succeeded", data);
        calls["attack"]++;
    }

    // --- audit --------------------------------------------------------------------------------

    /// @dev Every token that left the vault went to the owner, the fee recipient (exact fee, at
    ///      most the cap of `notional`) or a pool inside a swap whose output came back to the
    ///      vault at or above the leg's min-out.
    function _audit(Vm.Log[] memory logs, uint256 notional) internal {
        uint256 swaps;
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter == address(vault) && l.topics[0] == IIndexVault.Swapped.selector) {
                (uint256 amountIn, uint256 amountOut) = abi.decode(l.data, (uint256, uint256));
                if (amountOut < _minOuts[swaps]) _violation("swap output below min-out", "");
                address tokenIn = address(uint160(uint256(l.topics[1])));
                address tokenOut = address(uint160(uint256(l.topics[2])));
                address p = pool(tokenIn == usdc ? tokenOut : tokenIn);
                if (_moved(logs, tokenIn, address(vault), p) != amountIn) _violation("paid the pool != amountIn", "");
                if (_moved(logs, tokenOut, p, address(vault)) != amountOut) _violation("pool output != amountOut", "");
                ++swaps;
            }
            if (l.topics.length == 3 && l.topics[0] == TRANSFER && _isToken(l.emitter)) {
                address from = address(uint160(uint256(l.topics[1])));
                address to = address(uint160(uint256(l.topics[2])));
                if (from != address(vault)) continue;
                uint256 amount = abi.decode(l.data, (uint256));
                if (to == address(factory)) { // fees wait in the factory until claimed
                    if (amount != _expectedFee) _violation("fee != expected", "");
                    if (amount * 10_000 > notional * factory.MAX_FEE_BPS()) _violation("fee above cap", "");
                    feesPaid++;
                } else if (to != owner && !_isPool(to)) {
                    _violation("token left to a stranger", "");
                }
            }
        }
    }

    function _moved(Vm.Log[] memory logs, address token, address from, address to) internal pure returns (uint256 sum) {
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != token || l.topics.length != 3 || l.topics[0] != TRANSFER) continue;
            if (address(uint160(uint256(l.topics[1]))) == from && address(uint160(uint256(l.topics[2]))) == to) {
                sum += abi.decode(l.data, (uint256));
            }
        }
    }

    // --- leg builders -------------------------------------------------------------------------

    function _pick(uint256 mask, uint256 budget, bool quote) internal returns (IIndexVault.Leg[] memory legs) {
        uint256 n;
        for (uint256 i; i < tokens.length; ++i) if (mask >> i & 1 == 1) ++n;
        legs = new IIndexVault.Leg[](n);
        _minOuts = new uint256[](n);
        uint256 k;
        for (uint256 i; i < tokens.length; ++i) {
            if (mask >> i & 1 == 0) continue;
            uint256 amountIn = budget / n;
            uint256 minOut = quote ? _quoteOut(usdc, tokens[i], amountIn) : 0;
            legs[k] = IIndexVault.Leg(tokens[i], FEE, amountIn, minOut);
            _minOuts[k++] = minOut;
        }
    }

    function _sellLegs(uint256 mask, uint16 fraction, uint256 seed) internal returns (IIndexVault.Leg[] memory legs) {
        uint256 n;
        for (uint256 i; i < tokens.length; ++i) {
            if (mask >> i & 1 == 1 && _amount(tokens[i], fraction, seed) > 0) ++n;
        }
        legs = new IIndexVault.Leg[](n);
        _minOuts = new uint256[](n);
        uint256 k;
        for (uint256 i; i < tokens.length; ++i) {
            uint256 amountIn = _amount(tokens[i], fraction, seed);
            if (mask >> i & 1 == 0 || amountIn == 0) continue;
            uint256 minOut = _quoteOut(tokens[i], usdc, amountIn);
            legs[k] = IIndexVault.Leg(tokens[i], FEE, amountIn, minOut); // fraction mode: the previewed amount
            _minOuts[k++] = minOut;
        }
    }

    function _amount(address token, uint16 fraction, uint256 seed) internal view returns (uint256) {
        uint256 bal = IERC20(token).balanceOf(address(vault));
        return fraction == 0 ? bal * (seed % 101) / 100 : bal * fraction / 10_000;
    }

    function _keeperLegs(uint256 mask, uint256 seed, bool sellLeg) internal view returns (IIndexVault.Leg[] memory legs) {
        uint256 n;
        for (uint256 i; i < tokens.length; ++i) if (mask >> i & 1 == 1) ++n;
        legs = new IIndexVault.Leg[](n);
        uint256 cash = IERC20(usdc).balanceOf(address(vault)) / (n + 1);
        uint256 k;
        for (uint256 i; i < tokens.length; ++i) {
            if (mask >> i & 1 == 0) continue;
            uint256 amountIn = sellLeg ? IERC20(tokens[i]).balanceOf(address(vault)) * (seed % 100) / 100 : cash;
            uint256 floor;
            if (amountIn > 0) (, floor) = vault.oracleQuote(tokens[i], FEE, amountIn, sellLeg);
            legs[k++] = IIndexVault.Leg(tokens[i], FEE, amountIn, floor);
        }
        // zero-amount legs are rejected by design: drop them
        uint256 m;
        for (uint256 i; i < n; ++i) if (legs[i].amountIn > 0) legs[m++] = legs[i];
        assembly {
            mstore(legs, m)
        }
    }

    function _quoteOut(address tokenIn, address tokenOut, uint256 amountIn) internal returns (uint256) {
        if (amountIn == 0) return 0;
        address token = tokenIn == usdc ? tokenOut : tokenIn;
        bool zeroForOne = tokenIn < tokenOut;
        try actor.quote(pool(token), zeroForOne, int256(amountIn)) returns (int256 a0, int256 a1) {
            return uint256(-(zeroForOne ? a1 : a0));
        } catch {
            return 0;
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    function _allTokens() internal view returns (address[] memory all) {
        all = new address[](tokens.length + 1);
        for (uint256 i; i < tokens.length; ++i) all[i] = tokens[i];
        all[tokens.length] = usdc;
    }

    function _isToken(address t) internal view returns (bool) {
        if (t == usdc) return true;
        for (uint256 i; i < tokens.length; ++i) if (tokens[i] == t) return true;
        return false;
    }

    function _isPool(address p) internal view returns (bool) {
        for (uint256 i; i < tokens.length; ++i) if (pool(tokens[i]) == p) return true;
        return false;
    }

    function _violation(string memory what, bytes memory detail) internal {
        violations++;
        lastViolation = string.concat(what, " ", vm.toString(detail.length));
        detail;
    }
}
