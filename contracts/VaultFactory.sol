// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {BatchSettlement} from "./BatchSettlement.sol";
import {IndexVault} from "./IndexVault.sol";
import {IVaultFactory} from "./interfaces/IVaultFactory.sol";

/// @title VaultFactory
/// @notice See IVaultFactory. Deploys its own IndexVault implementation in the constructor, so
///         one constructor call sets up the whole platform.
contract VaultFactory is IVaultFactory {
    using SafeERC20 for IERC20;

    /// @dev The settings vaults read in one call, one slot.
    struct Config {
        address feeRecipient;
        uint16 feeBps;
        bool paused;
    }

    /// @inheritdoc IVaultFactory
    uint16 public constant MAX_FEE_BPS = 100;

    /// @inheritdoc IVaultFactory
    address public immutable implementation;
    /// @inheritdoc IVaultFactory
    address public immutable batchSettlement;
    /// @inheritdoc IVaultFactory
    address public immutable usdc;
    /// @inheritdoc IVaultFactory
    address public immutable uniswapV3Factory;
    /// @inheritdoc IVaultFactory
    uint32 public immutable minBlockTime;

    /// @inheritdoc IVaultFactory
    address public admin;
    /// @inheritdoc IVaultFactory
    address public pendingAdmin;
    /// @inheritdoc IVaultFactory
    Config public config;

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    /// @param admin_ Sets the fee, its recipient and the pause; can never move vault funds.
    /// @param usdc_ The quote token of every vault.
    /// @param uniswapV3Factory_ The canonical Uniswap V3 factory (pool init-code hash 0xe34f…8b54).
    /// @param feeRecipient_ Receives the platform fee.
    /// @param feeBps_ The platform fee in bps of buy and sell notional, <= MAX_FEE_BPS.
    /// @param minBlockTime_ The chain's shortest time between blocks in seconds (12 on Ethereum,
    ///        2 on Base): sizes the oracle cardinality every mandate's pools must have.
    constructor(
        address admin_,
        address usdc_,
        address uniswapV3Factory_,
        address feeRecipient_,
        uint16 feeBps_,
        uint32 minBlockTime_
    ) {
        if (admin_ == address(0) || usdc_ == address(0) || uniswapV3Factory_ == address(0)) revert ZeroAddress();
        if (feeRecipient_ == address(0)) revert ZeroAddress();
        if (feeBps_ > MAX_FEE_BPS) revert FeeAboveCap(feeBps_, MAX_FEE_BPS);
        if (minBlockTime_ == 0) revert InvalidMinBlockTime(minBlockTime_);
        usdc = usdc_;
        uniswapV3Factory = uniswapV3Factory_;
        minBlockTime = minBlockTime_;
        batchSettlement = address(new BatchSettlement(usdc_, uniswapV3Factory_));
        implementation =
            address(new IndexVault(address(this), usdc_, uniswapV3Factory_, minBlockTime_, batchSettlement));
        admin = admin_;
        config = Config(feeRecipient_, feeBps_, false);
        emit AdminChanged(address(0), admin_);
        emit FeeRecipientChanged(address(0), feeRecipient_);
        emit FeeChanged(0, feeBps_);
    }

    /// @inheritdoc IVaultFactory
    function createVault(address owner, bytes32 salt) external returns (address vault) {
        bytes32 boundSalt = _boundSalt(owner, salt);
        address existing = Clones.predictDeterministicAddress(implementation, boundSalt);
        // Idempotent: a front-runner creating the owner's vault first cannot make the owner's
        // batched user operation revert. Only this factory deploys at this address, always for
        // `owner`, so an existing vault here is the owner's.
        if (existing.code.length != 0) return existing;
        vault = Clones.cloneDeterministic(implementation, boundSalt);
        IndexVault(vault).initialize(owner); // same call: nobody can initialise it first; reverts on owner 0
        emit VaultCreated(owner, vault, salt);
    }

    /// @inheritdoc IVaultFactory
    function predictVault(address owner, bytes32 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(implementation, _boundSalt(owner, salt));
    }

    /// @inheritdoc IVaultFactory
    function claimFees() external returns (uint256 amount) {
        address recipient = config.feeRecipient;
        amount = IERC20(usdc).balanceOf(address(this));
        if (amount != 0) IERC20(usdc).safeTransfer(recipient, amount);
        emit FeesClaimed(recipient, amount);
    }

    /// @inheritdoc IVaultFactory
    function setFee(uint16 feeBps) external onlyAdmin {
        if (feeBps > MAX_FEE_BPS) revert FeeAboveCap(feeBps, MAX_FEE_BPS);
        uint16 oldFeeBps = config.feeBps;
        config.feeBps = feeBps;
        emit FeeChanged(oldFeeBps, feeBps);
    }

    /// @inheritdoc IVaultFactory
    function setFeeRecipient(address feeRecipient) external onlyAdmin {
        if (feeRecipient == address(0)) revert ZeroAddress();
        address oldRecipient = config.feeRecipient;
        config.feeRecipient = feeRecipient;
        emit FeeRecipientChanged(oldRecipient, feeRecipient);
    }

    /// @inheritdoc IVaultFactory
    function setPaused(bool paused) external onlyAdmin {
        config.paused = paused;
        emit PauseChanged(paused);
    }

    /// @inheritdoc IVaultFactory
    function transferAdmin(address newAdmin) external onlyAdmin {
        pendingAdmin = newAdmin;
        emit AdminTransferStarted(msg.sender, newAdmin);
    }

    /// @inheritdoc IVaultFactory
    function acceptAdmin() external {
        if (msg.sender != pendingAdmin) revert NotPendingAdmin(msg.sender);
        address oldAdmin = admin;
        admin = msg.sender;
        pendingAdmin = address(0);
        emit AdminChanged(oldAdmin, msg.sender);
    }

    /// @dev Binds the salt to the owner: no one can take another owner's address.
    function _boundSalt(address owner, bytes32 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, salt));
    }
}
