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

/// @title IndexVault
/// @notice One user's index. See IIndexVault for the API and SPECIFICATION.md / SECURITY.md.
/// @dev Deployed once as an implementation by VaultFactory; every user gets an EIP-1167 clone.
///      Swaps call Uniswap V3 pools directly; the pool's callback is paid only if it comes from
///      the pool recorded in transient storage for the swap in progress (CREATE2-derived).
contract IndexVault is IIndexVault, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using TransientSlot for *;

    /// @inheritdoc IIndexVault
    uint16 public constant MAX_SLIPPAGE_BPS = 1_000;
    /// @inheritdoc IIndexVault
    uint24 public constant MIN_TWAP_WINDOW = 30 minutes;
    /// @inheritdoc IIndexVault
    uint24 public constant MAX_TWAP_WINDOW = 1 days;

    uint256 private constant BPS = 10_000;
    /// @dev The implementation's owner: non-zero, so `initialize` always reverts on it.
    address private constant INITIALIZERS_DISABLED = address(1);
    /// @dev Transient: the pool of the swap in progress (the only valid callback caller).
    bytes32 private constant EXPECTED_POOL = keccak256("indexvault.IndexVault.expectedPool");
    /// @dev Transient: the token the vault pays in that swap's callback.
    bytes32 private constant TOKEN_IN = keccak256("indexvault.IndexVault.tokenIn");
    /// @dev Transient: the hash of the legs of the batch opened in this transaction (zero: none).
    bytes32 private constant BATCH_LEGS = keccak256("indexvault.IndexVault.batchLegs");
    /// @dev Transient: the USDC balance after the batch hand-over.
    bytes32 private constant BATCH_USDC = keccak256("indexvault.IndexVault.batchUsdc");
    /// @dev Transient: the USDC the buy legs owe beyond the vault's cash, settled from its proceeds.
    bytes32 private constant BATCH_DEBT = keccak256("indexvault.IndexVault.batchDebt");
    /// @dev Transient base: leg i's reference tick's sqrt ratio at +2i, its token balance after the hand-over at +2i+1.
    uint256 private constant BATCH_LEG = uint256(keccak256("indexvault.IndexVault.batchLeg"));

    /// @dev The keeper half of the mandate, one slot: read once per rebalance.
    struct KeeperConfig {
        address keeper;
        uint16 maxSlippageBps;
        uint24 minInterval;
        uint24 twapWindow;
        uint32 epoch;
    }

    /// @dev The rolling loss budget (a leaky bucket in USDC base units), one slot. `used` is
    ///      as of `checkpoint`, and leaks `budget` per `window` from then on.
    struct LossState {
        uint96 budget;
        uint96 used;
        uint32 window;
        uint32 checkpoint;
    }

    /// @dev The total loss under the current mandate and its cap, the last rebalance, and whether
    ///      the mandate opts into batch settlement, one slot.
    struct CapState {
        uint96 cap;
        uint96 spent;
        uint32 lastRebalance;
        bool batchable;
    }

    /// @inheritdoc IIndexVault
    address public immutable factory;
    /// @inheritdoc IIndexVault
    address public immutable usdc;
    /// @inheritdoc IIndexVault
    address public immutable uniswapV3Factory;
    /// @inheritdoc IIndexVault
    uint32 public immutable minBlockTime;
    /// @inheritdoc IIndexVault
    address public immutable batchSettlement;

    /// @inheritdoc IIndexVault
    /// @dev Doubles as the initialisation flag: zero only in a fresh clone.
    address public owner;
    KeeperConfig private _keeper;
    LossState private _loss;
    CapState private _cap;
    /// @dev token => (mandate epoch << 24 | fee tier); entries of older epochs are void.
    mapping(address token => uint256 epochAndFee) private _allowed;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @param minBlockTime_ The chain's shortest time between blocks in seconds (the factory checks it is non-zero).
    /// @param batchSettlement_ The platform's BatchSettlement, the only caller of the batch entry points.
    constructor(
        address factory_,
        address usdc_,
        address uniswapV3Factory_,
        uint32 minBlockTime_,
        address batchSettlement_
    ) {
        if (factory_ == address(0) || usdc_ == address(0) || uniswapV3Factory_ == address(0)) revert ZeroAddress();
        factory = factory_;
        usdc = usdc_;
        uniswapV3Factory = uniswapV3Factory_;
        minBlockTime = minBlockTime_;
        batchSettlement = batchSettlement_;
        owner = INITIALIZERS_DISABLED;
    }

    /// @inheritdoc IIndexVault
    function initialize(address owner_) external {
        if (msg.sender != factory) revert NotFactory(msg.sender);
        if (owner != address(0)) revert AlreadyInitialized();
        if (owner_ == address(0)) revert ZeroAddress();
        owner = owner_;
    }

    // --- owner --------------------------------------------------------------------------------

    /// @inheritdoc IIndexVault
    function buy(uint256 usdcAmount, Leg[] calldata legs, uint16 maxFeeBps, uint256 deadline)
        external
        nonReentrant
        onlyOwner
    {
        _checkDeadline(deadline);
        (, uint16 feeBps, bool paused) = IVaultFactory(factory).config();
        if (paused) revert Paused();
        _checkFee(feeBps, maxFeeBps);
        IERC20(usdc).safeTransferFrom(msg.sender, address(this), usdcAmount);
        uint256 fee = usdcAmount * feeBps / BPS; // rounds down: in the owner's favour
        // The factory holds fees until they are claimed: a recipient that cannot receive USDC
        // blocks only the claim, never the owner's trade.
        if (fee != 0) IERC20(usdc).safeTransfer(factory, fee);

        uint256 spent = 0;
        for (uint256 i; i < legs.length; ++i) {
            Leg calldata leg = legs[i];
            address pool = _pool(leg.token, leg.fee);
            (uint256 paid,) = _swap(pool, usdc, leg.token, leg.amountIn, leg.amountOutMin);
            spent += paid;
        }
        // Checked after the swaps (which revert as a whole): USDC held before this buy is never spent.
        if (spent + fee > usdcAmount) revert Overspent(spent + fee, usdcAmount);
        emit Bought(usdcAmount, fee, spent);
    }

    /// @inheritdoc IIndexVault
    function sell(Leg[] calldata legs, uint256 cash, uint16 fractionBps, uint16 maxFeeBps, uint256 deadline)
        external
        nonReentrant
        onlyOwner
        returns (uint256 paid)
    {
        _checkDeadline(deadline);
        if (fractionBps > BPS) revert InvalidFraction(fractionBps);
        (, uint16 feeBps,) = IVaultFactory(factory).config();
        _checkFee(feeBps, maxFeeBps);
        uint256 usdcBalance = IERC20(usdc).balanceOf(address(this));
        if (fractionBps != 0) cash = usdcBalance * fractionBps / BPS;
        else if (cash > usdcBalance) revert InsufficientCash(cash, usdcBalance);

        uint256 proceeds = 0;
        for (uint256 i; i < legs.length; ++i) {
            Leg calldata leg = legs[i];
            (uint256 amountIn, uint256 amountOutMin) = fractionBps == 0
                ? (leg.amountIn, leg.amountOutMin)
                : _fractionLeg(leg, fractionBps);
            if (amountIn == 0 && fractionBps != 0) continue; // nothing of this token left to sell
            address pool = _pool(leg.token, leg.fee);
            (, uint256 received) = _swap(pool, leg.token, usdc, amountIn, amountOutMin);
            proceeds += received;
        }

        uint256 gross = proceeds + cash;
        uint256 fee = gross * feeBps / BPS; // rounds down: in the owner's favour
        paid = gross - fee;
        if (fee != 0) IERC20(usdc).safeTransfer(factory, fee);
        if (paid != 0) IERC20(usdc).safeTransfer(msg.sender, paid);
        emit Sold(proceeds, cash, fee, paid);
    }

    /// @inheritdoc IIndexVault
    function withdrawInKind(address[] calldata tokens) external nonReentrant onlyOwner {
        uint256[] memory amounts = new uint256[](tokens.length);
        for (uint256 i; i < tokens.length; ++i) {
            IERC20 token = IERC20(tokens[i]);
            // A token that fails (paused, blocklisted, no code, malicious) skips only itself.
            (bool ok, uint256 amount) = _tryBalanceOf(token);
            if (ok && (amount == 0 || token.trySafeTransfer(msg.sender, amount))) {
                amounts[i] = amount;
            } else {
                emit InKindTransferFailed(address(token));
            }
        }
        emit WithdrawnInKind(tokens, amounts);
    }

    /// @inheritdoc IIndexVault
    function setMandate(Mandate calldata m, AllowedPool[] calldata pools) external nonReentrant onlyOwner {
        if (m.keeper == address(0)) revert ZeroAddress();
        if (m.maxSlippageBps > MAX_SLIPPAGE_BPS) revert SlippageAboveCap(m.maxSlippageBps, MAX_SLIPPAGE_BPS);
        if (m.twapWindow < MIN_TWAP_WINDOW || m.twapWindow > MAX_TWAP_WINDOW) {
            revert InvalidTwapWindow(m.twapWindow, MIN_TWAP_WINDOW, MAX_TWAP_WINDOW);
        }
        if (m.lossWindow == 0) revert InvalidLossWindow(m.lossWindow);

        uint32 epoch = _keeper.epoch + 1;
        _keeper = KeeperConfig(m.keeper, m.maxSlippageBps, m.minInterval, m.twapWindow, epoch);
        // The used budget is settled at the OLD leak rate up to now and carries over, so a new
        // budget applies from now on only (a raise does not rewrite the leak already accrued).
        LossState memory s = _loss;
        uint256 used = s.window == 0 ? s.used : _leaked(s);
        // used <= the old budget (a uint96), timestamps fit uint32 until 2106: no truncation.
        // forge-lint: disable-next-line(unsafe-typecast)
        _loss = LossState(m.lossBudget, uint96(used), m.lossWindow, uint32(block.timestamp));
        _cap = CapState(m.lossCap, 0, _cap.lastRebalance, m.batchable); // a new total under the new mandate
        for (uint256 i; i < pools.length; ++i) {
            AllowedPool calldata p = pools[i];
            if (p.token == address(0) || p.token == usdc) revert InvalidToken(p.token);
            address pool = _pool(p.token, p.fee);
            (,,, uint16 cardinality,,,) = IUniswapV3Pool(pool).slot0();
            _checkCardinality(pool, cardinality, m.twapWindow);
            _allowed[p.token] = (uint256(epoch) << 24) | p.fee;
        }
        emit MandateSet(m, pools, epoch);
    }

    /// @inheritdoc IIndexVault
    function revokeKeeper() external nonReentrant onlyOwner {
        address keeper = _keeper.keeper;
        _keeper.keeper = address(0);
        emit KeeperRevoked(keeper);
    }

    // --- keeper -------------------------------------------------------------------------------

    /// @inheritdoc IIndexVault
    function rebalance(Leg[] calldata sells, Leg[] calldata buys, uint256 deadline)
        external
        nonReentrant
        returns (uint256 loss)
    {
        KeeperConfig memory k = _keeperCall(msg.sender, deadline);
        for (uint256 i; i < sells.length; ++i) {
            loss += _keeperLeg(sells[i], true, k);
        }
        for (uint256 i; i < buys.length; ++i) {
            loss += _keeperLeg(buys[i], false, k);
        }
        uint256 used = _chargeLoss(loss);
        emit Rebalanced(msg.sender, loss, used);
    }

    /// @inheritdoc IIndexVault
    function batchOpen(address keeper, Leg[] calldata sells, Leg[] calldata buys, uint256 deadline)
        external
        nonReentrant
        returns (uint256 debt)
    {
        if (msg.sender != batchSettlement) revert NotBatch(msg.sender);
        KeeperConfig memory k = _keeperCall(keeper, deadline);
        if (!_cap.batchable) revert NotBatchable();
        uint256 n = sells.length;
        uint256 usdcOut;
        for (uint256 i; i < n + buys.length; ++i) {
            bool isSell = i < n;
            Leg calldata leg = isSell ? sells[i] : buys[i - n];
            if (leg.amountIn == 0) revert ZeroAmount(leg.token);
            (, uint256 sqrtRatio) = _legTick(leg, isSell, k, true);
            bytes32(BATCH_LEG + 2 * i).asUint256().tstore(sqrtRatio);
            if (isSell) IERC20(leg.token).safeTransfer(msg.sender, leg.amountIn);
            else usdcOut += leg.amountIn;
            bytes32(BATCH_LEG + 2 * i + 1).asUint256().tstore(IERC20(leg.token).balanceOf(address(this)));
        }
        // The buys are paid from cash first; the rest is owed and netted from the sells' proceeds.
        uint256 cash = IERC20(usdc).balanceOf(address(this));
        uint256 paid = usdcOut < cash ? usdcOut : cash;
        if (paid != 0) IERC20(usdc).safeTransfer(msg.sender, paid);
        debt = usdcOut - paid;
        BATCH_LEGS.asBytes32().tstore(_legsHash(sells, buys));
        BATCH_USDC.asUint256().tstore(cash - paid);
        BATCH_DEBT.asUint256().tstore(debt);
    }

    /// @inheritdoc IIndexVault
    function batchSettle(Leg[] calldata sells, Leg[] calldata buys, uint256[] calldata outs, uint256[] calldata backs)
        external
        nonReentrant
        returns (uint256 loss)
    {
        if (msg.sender != batchSettlement) revert NotBatch(msg.sender);
        uint256 n = sells.length;
        uint256 usdcIn;
        for (uint256 i; i < n + buys.length; ++i) {
            bool isSell = i < n;
            Leg calldata leg = isSell ? sells[i] : buys[i - n];
            loss += _batchLeg(leg, isSell, i, outs[i], backs[i]);
            usdcIn += isSell ? outs[i] : backs[i];
        }
        // the same legs as batchOpen's in this transaction, and settled once
        if (_legsHash(sells, buys) != BATCH_LEGS.asBytes32().tload()) revert BatchNotOpen();
        BATCH_LEGS.asBytes32().tstore(bytes32(0));
        usdcIn -= BATCH_DEBT.asUint256().tload(); // the batch pays what it owes net of the debt
        uint256 usdcGot = IERC20(usdc).balanceOf(address(this)) - BATCH_USDC.asUint256().tload();
        if (usdcGot < usdcIn) revert InsufficientOutput(usdc, usdcGot, usdcIn);
        uint256 used = _chargeLoss(loss);
        emit Rebalanced(_keeper.keeper, loss, used);
    }

    // --- pool callback ------------------------------------------------------------------------

    /// @notice Pays the pool of the swap in progress what it is owed (Uniswap V3 callback).
    /// @dev Pays only the pool of the swap in progress, once. The owed amount comes from that
    ///      verified pool; for non-USDC inputs the pool's receipt is checked so a fee-on-transfer
    ///      token fails with a clear error instead of the pool's `IIA`.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        if (msg.sender != EXPECTED_POOL.asAddress().tload()) revert UnauthorizedCallback(msg.sender);
        EXPECTED_POOL.asAddress().tstore(address(0)); // before the transfer: one payment per swap
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        IERC20 tokenIn = IERC20(TOKEN_IN.asAddress().tload());
        if (address(tokenIn) == usdc) {
            tokenIn.safeTransfer(msg.sender, owed);
            return;
        }
        uint256 poolBefore = tokenIn.balanceOf(msg.sender);
        tokenIn.safeTransfer(msg.sender, owed);
        uint256 received = tokenIn.balanceOf(msg.sender) - poolBefore;
        if (received < owed) revert InputShortfall(address(tokenIn), owed, received);
    }

    // --- views --------------------------------------------------------------------------------

    /// @inheritdoc IIndexVault
    function mandate() external view returns (Mandate memory) {
        KeeperConfig memory k = _keeper;
        LossState memory s = _loss;
        CapState memory c = _cap;
        return Mandate(k.keeper, k.maxSlippageBps, k.minInterval, k.twapWindow, s.budget, s.window, c.cap, c.batchable);
    }

    /// @inheritdoc IIndexVault
    function mandateEpoch() external view returns (uint32) {
        return _keeper.epoch;
    }

    /// @inheritdoc IIndexVault
    function allowedPool(address token) external view returns (bool allowed, uint24 fee) {
        uint256 entry = _allowed[token];
        // the low 24 bits hold the fee tier by construction
        // forge-lint: disable-next-line(unsafe-typecast)
        if (entry != 0 && entry >> 24 == _keeper.epoch) return (true, uint24(entry));
    }

    /// @inheritdoc IIndexVault
    function lossUsed() external view returns (uint256 used, uint32 lastRebalance, uint256 spent) {
        LossState memory s = _loss;
        CapState memory c = _cap;
        return (s.window == 0 ? s.used : _leaked(s), c.lastRebalance, c.spent);
    }

    /// @inheritdoc IIndexVault
    function requiredCardinality(uint32 window) public view returns (uint256) {
        return Math.ceilDiv(window, minBlockTime) + 1;
    }

    /// @inheritdoc IIndexVault
    function oracleQuote(address token, uint24 fee, uint256 amountIn, bool tokenToUsdc)
        external
        view
        returns (uint256 oracleOut, uint256 minOutFloor)
    {
        KeeperConfig memory k = _keeper;
        if (k.twapWindow == 0) revert InvalidTwapWindow(0, MIN_TWAP_WINDOW, MAX_TWAP_WINDOW);
        (address tokenIn, address tokenOut) = tokenToUsdc ? (token, usdc) : (usdc, token);
        int24 tick = _referenceTickNow(_pool(token, fee), token, tokenToUsdc, k);
        oracleOut = TwapOracle.quoteAtTickDown(tick, amountIn, tokenIn, tokenOut);
        minOutFloor = _lessSlippageUp(TwapOracle.quoteAtTickUp(tick, amountIn, tokenIn, tokenOut), k.maxSlippageBps);
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev One keeper leg: the checks of `_legTick`, the swap, and the leg's loss versus the reference.
    function _keeperLeg(Leg calldata leg, bool tokenToUsdc, KeeperConfig memory k) private returns (uint256) {
        (address pool, uint256 sqrtRatio) = _legTick(leg, tokenToUsdc, k, false);
        (address tokenIn, address tokenOut) = tokenToUsdc ? (leg.token, usdc) : (usdc, leg.token);
        (uint256 paid, uint256 received) = _swap(pool, tokenIn, tokenOut, leg.amountIn, leg.amountOutMin);
        return _lossAt(sqrtRatio, leg.token, tokenToUsdc, paid, received);
    }

    /// @dev A keeper leg's checks before it trades, the same for one vault and for a batch: the
    ///      allowlist, the price guard (`_referenceTick`), and its min-out against the floor at
    ///      the reference. Returns the pool and the reference tick's sqrt ratio (computed once,
    ///      for the floor and the loss).
    function _legTick(Leg calldata leg, bool tokenToUsdc, KeeperConfig memory k, bool viaBatch)
        private
        returns (address pool, uint256 sqrtRatio)
    {
        if (_allowed[leg.token] != (uint256(k.epoch) << 24 | leg.fee)) revert TokenNotAllowed(leg.token, leg.fee);
        pool = _pool(leg.token, leg.fee);
        sqrtRatio = TickMath.sqrtRatioAtTick(_referenceTick(pool, leg.token, tokenToUsdc, k, viaBatch));
        (address tokenIn, address tokenOut) = tokenToUsdc ? (leg.token, usdc) : (usdc, leg.token);
        // The floor rounds against the keeper twice (the output at the reference up, then less
        // slippage up): rounded down, one base unit of a token worth more than one of USDC
        // would let a leg lose more than maxSlippageBps of its value.
        uint256 floor = _lessSlippageUp(
            TwapOracle.quoteAtSqrtRatioUp(sqrtRatio, leg.amountIn, tokenIn, tokenOut), k.maxSlippageBps
        );
        if (leg.amountOutMin < floor) revert MinOutBelowOracle(leg.token, leg.amountOutMin, floor);
    }

    /// @dev One leg of a batch, after the batch swapped: `out` received and `back` returned of what
    ///      the leg handed over (a partial fill). The token side is measured on the vault's
    ///      balance; the output must meet the leg's min-out scaled to what was sold (a minimum
    ///      price); the loss is valued at the reference tick read before any swap of the batch.
    function _batchLeg(Leg calldata leg, bool isSell, uint256 i, uint256 out, uint256 back)
        private
        returns (uint256)
    {
        uint256 tokenIn = isSell ? back : out;
        if (tokenIn != 0 || !isSell) {
            uint256 got = IERC20(leg.token).balanceOf(address(this)) - bytes32(BATCH_LEG + 2 * i + 1).asUint256().tload();
            if (got < tokenIn) revert InsufficientOutput(leg.token, got, tokenIn);
        }
        uint256 sold = leg.amountIn - back;
        uint256 minOut = Math.mulDiv(leg.amountOutMin, sold, leg.amountIn, Math.Rounding.Ceil);
        if (out < minOut) revert InsufficientOutput(leg.token, out, minOut);
        // what the vault gave net of what came back, and what it got: the ledger replays these
        (address a, address b) = isSell ? (leg.token, usdc) : (usdc, leg.token);
        emit Swapped(a, b, sold, out);
        return _lossAt(bytes32(BATCH_LEG + 2 * i).asUint256().tload(), leg.token, isSell, sold, out);
    }

    /// @dev keccak256 of the calldata holding `sells` and `buys` (each array's length word and
    ///      elements; `Leg` is static, so the two arrays are one contiguous run in the canonical
    ///      encoding the batch contract produces for both entry points).
    function _legsHash(Leg[] calldata sells, Leg[] calldata buys) private pure returns (bytes32 h) {
        uint256 start;
        uint256 end;
        uint256 buysStart;
        assembly ("memory-safe") {
            start := sub(sells.offset, 0x20)
            buysStart := sub(buys.offset, 0x20)
            end := add(buys.offset, mul(buys.length, 0x80))
        }
        if (buysStart != start + 0x20 + sells.length * 0x80) revert BatchNotOpen();
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, start, sub(end, start))
            h := keccak256(p, sub(end, start))
        }
    }

    /// @dev The checks every keeper call starts with: the caller is the mandate's keeper (a
    ///      revoked keeper is address(0)), the deadline, the pause, the minimum interval.
    function _keeperCall(address keeper, uint256 deadline) private view returns (KeeperConfig memory k) {
        k = _keeper;
        if (keeper != k.keeper) revert NotKeeper(keeper);
        _checkDeadline(deadline);
        (,, bool paused) = IVaultFactory(factory).config();
        if (paused) revert Paused();
        uint32 lastRebalance = _cap.lastRebalance;
        if (lastRebalance != 0) {
            uint256 nextAllowedAt = uint256(lastRebalance) + k.minInterval;
            // forge-lint: disable-next-line(block-timestamp) -- minutes-scale interval; seconds of drift are harmless
            if (block.timestamp < nextAllowedAt) revert RebalanceTooSoon(nextAllowedAt);
        }
    }

    /// @dev The keeper's price guard for one leg, measured against the current price as well as
    ///      the pool's history: the pool's cardinality must cover the window; its spot tick
    ///      (slot0, now) and the mean ticks of the older and the newer half of the window must
    ///      lie within `maxSlippageBps` ticks of each other (else `PriceUnsettled`); the
    ///      reference is the one of the three most protective for the vault: the highest token
    ///      price when it sells the token, the lowest when it buys it. A manipulated spot or one
    ///      spiked half can therefore only block a rebalance, never lower its floor.
    ///      In a batch the reading comes from the batch contract, which reads each pool once per
    ///      settlement, before any of its swaps (`IBatchSettlement.poolReading`).
    function _referenceTick(address pool, address token, bool tokenToUsdc, KeeperConfig memory k, bool viaBatch)
        private
        returns (int24)
    {
        if (!viaBatch) return _referenceTickNow(pool, token, tokenToUsdc, k);
        (int24 spot, uint16 cardinality, int24 older, int24 newer) =
            IBatchSettlement(batchSettlement).poolReading(pool, k.twapWindow);
        _checkCardinality(pool, cardinality, k.twapWindow);
        return _pickTick(pool, token, tokenToUsdc, k.maxSlippageBps, spot, older, newer);
    }

    /// @dev `_referenceTick` read from the pool itself.
    function _referenceTickNow(address pool, address token, bool tokenToUsdc, KeeperConfig memory k)
        private
        view
        returns (int24)
    {
        (, int24 spot,, uint16 cardinality,,,) = IUniswapV3Pool(pool).slot0();
        _checkCardinality(pool, cardinality, k.twapWindow);
        (int24 older, int24 newer) = TwapOracle.halfMeanTicks(pool, k.twapWindow);
        return _pickTick(pool, token, tokenToUsdc, k.maxSlippageBps, spot, older, newer);
    }

    /// @dev The agreement check and the most protective of the three ticks (see `_referenceTick`).
    function _pickTick(
        address pool,
        address token,
        bool tokenToUsdc,
        uint16 maxSlippageBps,
        int24 spot,
        int24 older,
        int24 newer
    ) private view returns (int24) {
        int24 hi = spot > older ? spot : older;
        int24 lo = spot < older ? spot : older;
        if (newer > hi) hi = newer;
        if (newer < lo) lo = newer;
        // ticks lie within +-887 272: the difference fits int24 (and int256 keeps it obvious)
        if (int256(hi) - int256(lo) > int256(uint256(maxSlippageBps))) {
            revert PriceUnsettled(pool, spot, older, newer);
        }
        // The token's USDC price rises with the tick when the token is token0 of its pool.
        return tokenToUsdc == (token < usdc) ? hi : lo;
    }

    /// @dev Reverts unless `cardinality` slots cover `window` seconds at one observation per block.
    function _checkCardinality(address pool, uint16 cardinality, uint32 window) private view {
        uint256 required = requiredCardinality(window);
        if (cardinality < required) revert CardinalityTooLow(pool, cardinality, required);
    }

    /// @dev Adds a rebalance's loss to the leaky bucket and to the mandate's total, reverting
    ///      above either limit; records the rebalance time. Returns the used budget after it.
    function _chargeLoss(uint256 loss) private returns (uint256 used) {
        LossState memory s = _loss;
        CapState memory c = _cap;
        used = _leaked(s) + loss;
        if (used > s.budget) revert LossBudgetExceeded(used, s.budget);
        uint256 spent = uint256(c.spent) + loss;
        if (spent > c.cap) revert LossCapExceeded(spent, c.cap);
        // used <= budget and spent <= cap (uint96s), timestamps fit uint32 until 2106: no truncation.
        // forge-lint: disable-next-line(unsafe-typecast)
        _loss = LossState(s.budget, uint96(used), s.window, uint32(block.timestamp));
        // forge-lint: disable-next-line(unsafe-typecast)
        _cap = CapState(c.cap, uint96(spent), uint32(block.timestamp), c.batchable);
    }

    /// @dev A fraction-mode sell leg: the amount is the fraction of today's balance (rounded
    ///      down), and the min-out scales with it from the previewed amount (rounded up), so
    ///      `amountOutMin / amountIn` is a minimum price whatever the balance became.
    function _fractionLeg(Leg calldata leg, uint16 fractionBps)
        private
        view
        returns (uint256 amountIn, uint256 amountOutMin)
    {
        if (leg.amountIn == 0) revert ZeroAmount(leg.token);
        amountIn = IERC20(leg.token).balanceOf(address(this)) * fractionBps / BPS;
        amountOutMin = Math.mulDiv(leg.amountOutMin, amountIn, leg.amountIn, Math.Rounding.Ceil);
    }

    /// @dev The USDC value given minus the USDC value received, both at the reference tick (zero
    ///      if positive for the vault: gains never refill the budget). Rounded against the
    ///      keeper: tokens given are valued rounded up, tokens received rounded down.
    function _lossAt(uint256 sqrtRatio, address token, bool tokenToUsdc, uint256 paid, uint256 received)
        private
        view
        returns (uint256)
    {
        (uint256 valueIn, uint256 valueOut) = tokenToUsdc
            ? (TwapOracle.quoteAtSqrtRatioUp(sqrtRatio, paid, token, usdc), received)
            : (paid, TwapOracle.quoteAtSqrtRatioDown(sqrtRatio, received, token, usdc));
        return valueIn > valueOut ? valueIn - valueOut : 0;
    }

    /// @dev The least min-out the keeper may pass: the reference output less max slippage, rounded up.
    function _lessSlippageUp(uint256 oracleOut, uint16 maxSlippageBps) private pure returns (uint256) {
        return Math.mulDiv(oracleOut, BPS - maxSlippageBps, BPS, Math.Rounding.Ceil);
    }

    function _checkFee(uint16 feeBps, uint16 maxFeeBps) private pure {
        if (feeBps > maxFeeBps) revert FeeAboveMax(feeBps, maxFeeBps);
    }

    /// @dev Swaps exactly `amountIn` (less if the pool runs out of liquidity) in `pool` and
    ///      checks the output on the vault's own balance delta (Set Protocol style), so a
    ///      fee-on-transfer output is accounted at what actually arrived.
    function _swap(address pool, address tokenIn, address tokenOut, uint256 amountIn, uint256 amountOutMin)
        private
        returns (uint256 paid, uint256 received)
    {
        if (amountIn == 0) revert ZeroAmount(tokenIn == usdc ? tokenOut : tokenIn);
        bool zeroForOne = tokenIn < tokenOut;
        uint256 balanceBefore = IERC20(tokenOut).balanceOf(address(this));
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
        received = IERC20(tokenOut).balanceOf(address(this)) - balanceBefore;
        if (received < amountOutMin) {
            revert InsufficientOutput(tokenIn == usdc ? tokenOut : tokenIn, received, amountOutMin);
        }
        emit Swapped(tokenIn, tokenOut, paid, received);
    }

    /// @dev The token/USDC pool at `fee`, which must exist.
    function _pool(address token, uint24 fee) private view returns (address pool) {
        pool = PoolAddress.compute(uniswapV3Factory, token, usdc, fee);
        if (pool.code.length == 0) revert PoolNotFound(token, fee, pool);
    }

    /// @dev The used loss budget after leaking `budget` per `window` since the checkpoint (rounded
    ///      down: against the keeper).
    function _leaked(LossState memory s) private view returns (uint256) {
        uint256 leak = uint256(s.budget) * (block.timestamp - s.checkpoint) / s.window;
        return s.used > leak ? s.used - leak : 0;
    }

    /// @dev `token.balanceOf(this)` that never reverts: false for a reverting token, an address
    ///      without code, or a reply shorter than one word (only 32 bytes are ever copied).
    function _tryBalanceOf(IERC20 token) private view returns (bool ok, uint256 amount) {
        bytes memory data = abi.encodeCall(IERC20.balanceOf, (address(this)));
        assembly ("memory-safe") {
            ok := staticcall(gas(), token, add(data, 0x20), mload(data), 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            amount := mload(0x00)
        }
    }

    function _checkDeadline(uint256 deadline) private view {
        // forge-lint: disable-next-line(block-timestamp) -- a deadline is a timestamp comparison by definition
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
    }
}
