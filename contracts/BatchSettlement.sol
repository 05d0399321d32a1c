// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";

import {IBatchSettlement} from "./interfaces/IBatchSettlement.sol";
import {IIndexVault} from "./interfaces/IIndexVault.sol";
import {IVaultFactory} from "./interfaces/IVaultFactory.sol";
import {PoolAddress} from "./libraries/PoolAddress.sol";
import {TickMath} from "./libraries/TickMath.sol";
import {TwapOracle} from "./libraries/TwapOracle.sol";

/// @title BatchSettlement
/// @notice See IBatchSettlement and SPECIFICATION.md ("Batch settlement").
/// @dev Per token (a "net"), the vaults on side P hand over the asset the pool swap takes in
///      (the token when the net sells it, else USDC); the vaults on side O hand over the other
///      asset. With x swapped in and y out, the clearing price is y/x for everyone in the token.
///      The side with more than the pool's price can clear is filled pro rata (the same fraction
///      for each of its vaults) and gets the rest of what it handed over back:
///        if y*(P-x) >= O*x: O gets floor(O*x/y) of P's asset; P gets O+y, and back P-x-floor(O*x/y);
///        else:              P gets floor(P*y/x) of O's asset; O gets P-x, and back O+y-floor(P*y/x).
///      Every pot is split pro rata by what each vault handed over, rounded down against the
///      pot's remainder, so the last vault of a side (in ascending address order) takes the
///      dust and every pot is paid out exactly.
contract BatchSettlement is IBatchSettlement, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using TransientSlot for *;

    /// @inheritdoc IBatchSettlement
    address public immutable factory;
    /// @inheritdoc IBatchSettlement
    address public immutable usdc;
    /// @inheritdoc IBatchSettlement
    address public immutable uniswapV3Factory;

    /// @dev Transient: the pool of the swap in progress (the only valid callback caller).
    bytes32 private constant EXPECTED_POOL = keccak256("indexvault.BatchSettlement.expectedPool");
    /// @dev Transient: the token the batch pays in that swap's callback.
    bytes32 private constant TOKEN_IN = keccak256("indexvault.BatchSettlement.tokenIn");
    /// @dev Transient: the number of the settlement in progress in this transaction (keys the pool readings).
    bytes32 private constant SETTLEMENT = keccak256("indexvault.BatchSettlement.settlement");
    /// @dev Set in a cached pool reading, so that a reading of all zeros is told from none.
    uint256 private constant READ = 1 << 255;

    /// @dev One net's book, in memory. P = the side paying the pool's input asset, O = the other.
    struct Book {
        uint256 paidIn; // what side P handed over; then what of it is left to share out
        uint256 otherIn; // what side O handed over; then what of it is left to share out
        uint256 pGets; // pot of O's asset for side P
        uint256 pBack; // pot of P's asset back to side P
        uint256 oGets; // pot of P's asset for side O
        uint256 oBack; // pot of O's asset back to side O
    }

    constructor(address usdc_, address uniswapV3Factory_) {
        factory = msg.sender;
        usdc = usdc_;
        uniswapV3Factory = uniswapV3Factory_;
    }

    /// @inheritdoc IBatchSettlement
    function settle(Net[] calldata nets, Order[] calldata orders, uint256 deadline) external nonReentrant {
        SETTLEMENT.asUint256().tstore(SETTLEMENT.asUint256().tload() + 1);
        Book[] memory books = new Book[](nets.length);
        uint256[] memory debts = new uint256[](orders.length);
        _sweep(nets);
        bytes32 cloneHash = _cloneCodeHash();
        address prev;
        for (uint256 i; i < orders.length; ++i) {
            Order calldata o = orders[i];
            if (o.vault <= prev) revert VaultsNotAscending(o.vault);
            prev = o.vault;
            if (o.vault.codehash != cloneHash) revert NotAVault(o.vault);
            debts[i] = _open(o, nets, books, deadline);
        }
        _checkDeliveries(nets, books, debts);
        // Sells of tokens first: their USDC pays for the buys of vaults that owe it.
        for (uint256 k; k < nets.length; ++k) {
            if (nets[k].tokenToUsdc) _clear(nets[k], books[k]);
        }
        for (uint256 k; k < nets.length; ++k) {
            if (!nets[k].tokenToUsdc) _clear(nets[k], books[k]);
        }
        for (uint256 i; i < orders.length; ++i) {
            _settleVault(orders[i], nets, books, debts[i]);
        }
        _checkEmpty(nets);
        emit Settled(msg.sender, orders.length);
    }

    /// @inheritdoc IBatchSettlement
    function poolReading(address pool, uint32 window)
        external
        returns (int24 spotTick, uint16 cardinality, int24 olderTick, int24 newerTick)
    {
        if (!_reentrancyGuardEntered()) revert NotSettling();
        TransientSlot.Uint256Slot slot =
            keccak256(abi.encode(SETTLEMENT.asUint256().tload(), pool, window)).asUint256();
        uint256 cached = slot.tload();
        if (cached == 0) {
            (, spotTick,, cardinality,,,) = IUniswapV3Pool(pool).slot0();
            (olderTick, newerTick) = TwapOracle.halfMeanTicks(pool, window);
            cached = READ | uint256(uint24(spotTick)) | (uint256(cardinality) << 24)
                | (uint256(uint24(olderTick)) << 40) | (uint256(uint24(newerTick)) << 64);
            slot.tstore(cached);
            return (spotTick, cardinality, olderTick, newerTick);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- unpacking what was packed above
        return (int24(uint24(cached)), uint16(cached >> 24), int24(uint24(cached >> 40)), int24(uint24(cached >> 64)));
    }

    /// @notice Pays the pool of the swap in progress what it is owed (Uniswap V3 callback).
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        if (msg.sender != EXPECTED_POOL.asAddress().tload()) revert UnauthorizedCallback(msg.sender);
        EXPECTED_POOL.asAddress().tstore(address(0)); // one payment per swap
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        IERC20(TOKEN_IN.asAddress().tload()).safeTransfer(msg.sender, owed);
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev Phase 1 for one vault: books its legs by net and side, then lets the vault check them
    ///      and hand over what they sell. Memory used for the call is released afterwards.
    function _open(Order calldata o, Net[] calldata nets, Book[] memory books, uint256 deadline)
        private
        returns (uint256 debt)
    {
        uint256 fmp = _freeMemory();
        uint256 n = o.sells.length;
        uint256 total = n + o.buys.length;
        if (o.nets.length != total) revert LegNetMismatch(o.vault, address(0), total);
        uint256 seen; // bitmap of the nets this vault has a leg in
        for (uint256 i; i < total; ++i) {
            bool isSell = i < n;
            IIndexVault.Leg calldata leg = isSell ? o.sells[i] : o.buys[i - n];
            uint256 k = uint8(o.nets[i]);
            if (k >= nets.length || nets[k].token != leg.token || nets[k].fee != leg.fee) {
                revert LegNetMismatch(o.vault, leg.token, k);
            }
            if (seen & (1 << k) != 0) revert DuplicateLeg(o.vault, leg.token);
            seen |= 1 << k;
            if (isSell == nets[k].tokenToUsdc) books[k].paidIn += leg.amountIn;
            else books[k].otherIn += leg.amountIn;
        }
        debt = IIndexVault(o.vault).batchOpen(msg.sender, o.sells, o.buys, deadline);
        _releaseMemory(fmp);
    }

    /// @dev The vaults handed over exactly what their legs sell: a fee-on-transfer or rebasing
    ///      token shows here as a shortfall and reverts the batch (such a vault keeps the
    ///      one-vault path, where the pool's receipt is checked per swap).
    function _checkDeliveries(Net[] calldata nets, Book[] memory books, uint256[] memory debts) private view {
        uint256 usdcExpected;
        uint256 owed;
        for (uint256 i; i < debts.length; ++i) owed += debts[i];
        for (uint256 k; k < nets.length; ++k) {
            (uint256 tokenSide, uint256 usdcSide) =
                nets[k].tokenToUsdc ? (books[k].paidIn, books[k].otherIn) : (books[k].otherIn, books[k].paidIn);
            usdcExpected += usdcSide;
            uint256 held = IERC20(nets[k].token).balanceOf(address(this));
            if (held != tokenSide) revert DeliveryShortfall(nets[k].token, tokenSide, held);
        }
        usdcExpected -= owed;
        uint256 usdcHeld = IERC20(usdc).balanceOf(address(this));
        if (usdcHeld != usdcExpected) revert DeliveryShortfall(usdc, usdcExpected, usdcHeld);
    }

    /// @dev Swaps the net once and sets the pots (see the contract's dev note).
    function _clear(Net calldata net, Book memory b) private {
        if (net.amountIn == 0 || net.amountIn > b.paidIn) revert InvalidNetAmount(net.token, net.amountIn, b.paidIn);
        (address tokenIn, address tokenOut) = net.tokenToUsdc ? (net.token, usdc) : (usdc, net.token);
        // x is what the pool took: less than asked only if it ran out of liquidity.
        (uint256 x, uint256 y) = _swap(_pool(net.token, net.fee), tokenIn, tokenOut, net.amountIn);
        if (x == 0 || y == 0) revert NoClearingPrice(net.token, x, y);
        emit Cleared(net.token, net.tokenToUsdc, b.paidIn, b.otherIn, x, y);
        uint256 leftP = b.paidIn - x;
        if (y * leftP >= b.otherIn * x) {
            // O is filled in full at y/x; P sells only what the pool and O take.
            b.oGets = Math.mulDiv(b.otherIn, x, y);
            b.pGets = b.otherIn + y;
            b.pBack = leftP - b.oGets;
        } else {
            // P is filled in full at y/x; O buys only what P has left after the pool.
            b.pGets = Math.mulDiv(b.paidIn, y, x);
            b.oGets = leftP;
            b.oBack = b.otherIn + y - b.pGets;
        }
    }

    /// @dev Phase 2 for one vault: its share of every pot it is in, sent, then the vault's own check.
    function _settleVault(Order calldata o, Net[] calldata nets, Book[] memory books, uint256 debt) private {
        uint256 fmp = _freeMemory();
        uint256 total = o.sells.length + o.buys.length;
        uint256[] memory outs = new uint256[](total);
        uint256[] memory backs = new uint256[](total);
        uint256 usdcOwed;
        for (uint256 i; i < total; ++i) {
            uint256 usdcPart;
            (outs[i], backs[i], usdcPart) = _payLeg(o, i, nets, books);
            usdcOwed += usdcPart;
        }
        if (usdcOwed < debt) revert DebtNotCovered(o.vault, usdcOwed, debt);
        if (usdcOwed != debt) IERC20(usdc).safeTransfer(o.vault, usdcOwed - debt);
        IIndexVault(o.vault).batchSettle(o.sells, o.buys, outs, backs);
        _releaseMemory(fmp);
    }

    /// @dev Leg i of order `o`: its shares; sends its token part now and returns its USDC part
    ///      (a sell leg gets USDC out and its token back; a buy leg the token out and USDC back).
    function _payLeg(Order calldata o, uint256 i, Net[] calldata nets, Book[] memory books)
        private
        returns (uint256 out, uint256 back, uint256 usdcPart)
    {
        bool isSell = i < o.sells.length;
        IIndexVault.Leg calldata leg = isSell ? o.sells[i] : o.buys[i - o.sells.length];
        uint256 k = uint8(o.nets[i]);
        (out, back) = _shares(books[k], leg.amountIn, isSell == nets[k].tokenToUsdc);
        uint256 tokenPart;
        (usdcPart, tokenPart) = isSell ? (out, back) : (back, out);
        if (tokenPart != 0) IERC20(leg.token).safeTransfer(o.vault, tokenPart);
    }

    /// @dev A leg's share of its side's two pots (what it gets, what comes back), taken out of them.
    function _shares(Book memory b, uint256 amount, bool sideP) private pure returns (uint256 out, uint256 back) {
        if (sideP) {
            (out, b.pGets) = _share(amount, b.paidIn, b.pGets);
            (back, b.pBack) = _share(amount, b.paidIn, b.pBack);
            b.paidIn -= amount;
        } else {
            (out, b.oGets) = _share(amount, b.otherIn, b.oGets);
            (back, b.oBack) = _share(amount, b.otherIn, b.oBack);
            b.otherIn -= amount;
        }
    }

    /// @dev `amount`'s pro-rata share of `pot` among `total`, rounded down; the pot's remainder
    ///      goes to whoever holds the last of `total` (share == pot when amount == total).
    function _share(uint256 amount, uint256 total, uint256 pot) private pure returns (uint256 share, uint256 left) {
        share = pot == 0 ? 0 : Math.mulDiv(amount, pot, total);
        left = pot - share;
    }

    /// @dev A batch starts from nothing: anything sent to this contract directly goes to the
    ///      factory (USDC there is claimable as fees), so no transfer can block settlements.
    function _sweep(Net[] calldata nets) private {
        address prev;
        for (uint256 k; k < nets.length; ++k) {
            address token = nets[k].token;
            if (token <= prev || token == usdc) revert NetsNotAscending(token);
            prev = token;
            _sweepToken(token);
        }
        _sweepToken(usdc);
    }

    function _sweepToken(address token) private {
        uint256 stray = IERC20(token).balanceOf(address(this));
        if (stray != 0) IERC20(token).safeTransfer(factory, stray);
    }

    /// @dev The batch ends holding nothing of any token it touched.
    function _checkEmpty(Net[] calldata nets) private view {
        for (uint256 k; k < nets.length; ++k) {
            uint256 left = IERC20(nets[k].token).balanceOf(address(this));
            if (left != 0) revert BalanceLeft(nets[k].token, left);
        }
        uint256 usdcLeft = IERC20(usdc).balanceOf(address(this));
        if (usdcLeft != 0) revert BalanceLeft(usdc, usdcLeft);
    }

    /// @dev keccak256 of the EIP-1167 runtime code of a clone of the factory's implementation.
    function _cloneCodeHash() private view returns (bytes32) {
        address implementation = IVaultFactory(factory).implementation();
        return keccak256(abi.encodePacked(hex"363d3d373d3d3d363d73", implementation, hex"5af43d82803e903d91602b57fd5bf3"));
    }

    /// @dev Swaps `amountIn` in `pool`; returns what the pool took and the output measured on
    ///      this contract's balance.
    function _swap(address pool, address tokenIn, address tokenOut, uint256 amountIn)
        private
        returns (uint256 paid, uint256 received)
    {
        bool zeroForOne = tokenIn < tokenOut;
        uint256 before = IERC20(tokenOut).balanceOf(address(this));
        EXPECTED_POOL.asAddress().tstore(pool);
        TOKEN_IN.asAddress().tstore(tokenIn);
        (int256 amount0, int256 amount1) = IUniswapV3Pool(pool).swap(
            address(this),
            zeroForOne,
            SafeCast.toInt256(amountIn),
            zeroForOne ? TickMath.MIN_SQRT_RATIO + 1 : TickMath.MAX_SQRT_RATIO - 1,
            ""
        );
        paid = uint256(zeroForOne ? amount0 : amount1);
        received = IERC20(tokenOut).balanceOf(address(this)) - before;
    }

    /// @dev The token/USDC pool at `fee`, which must exist.
    function _pool(address token, uint24 fee) private view returns (address pool) {
        pool = PoolAddress.compute(uniswapV3Factory, token, usdc, fee);
        if (pool.code.length == 0) revert IIndexVault.PoolNotFound(token, fee, pool);
    }

    function _freeMemory() private pure returns (uint256 fmp) {
        assembly ("memory-safe") {
            fmp := mload(0x40)
        }
    }

    /// @dev Nothing allocated since `fmp` is used afterwards: a batch of 100 vaults would
    ///      otherwise pay memory expansion quadratic in its size for the per-vault calls.
    function _releaseMemory(uint256 fmp) private pure {
        assembly ("memory-safe") {
            mstore(0x40, fmp)
        }
    }
}
