// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {IndexVault} from "./IndexVault.sol";
import {IVaultFactory} from "./interfaces/IVaultFactory.sol";

/// @title VaultFactory
/// @notice See IVaultFactory. Deploys its own IndexVault implementation in the constructor, so
///         one constructor call sets up the whole platform.
contract VaultFactory is IVaultFactory {
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
    address public immutable usdc;
    /// @inheritdoc IVaultFactory
    address public immutable uniswapV3Factory;

    /// @inheritdoc IVaultFactory
    address public admin;
    /// @inheritdoc IVaultFactory
    address public pendingAdmin;
    /// @inheritdoc IVaultFactory
    Config public config;
    mapping(address owner => address[] vaults) private _vaults;

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    /// @param admin_ Sets the fee, its recipient and the pause; can never move vault funds.
    /// @param usdc_ The quote token of every vault.
    /// @param uniswapV3Factory_ The canonical Uniswap V3 factory (pool init-code hash 0xe34f…8b54).
    /// @param feeRecipient_ Receives the platform fee.
    /// @param feeBps_ The platform fee in bps of buy and sell notional, <= MAX_FEE_BPS.
    constructor(address admin_, address usdc_, address uniswapV3Factory_, address feeRecipient_, uint16 feeBps_) {
        if (admin_ == address(0) || usdc_ == address(0) || uniswapV3Factory_ == address(0)) revert ZeroAddress();
        if (feeRecipient_ == address(0)) revert ZeroAddress();
        if (feeBps_ > MAX_FEE_BPS) revert FeeAboveCap(feeBps_, MAX_FEE_BPS);
        usdc = usdc_;
        uniswapV3Factory = uniswapV3Factory_;
        implementation = address(new IndexVault(address(this), usdc_, uniswapV3Factory_));
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
        _vaults[owner].push(vault);
        IndexVault(vault).initialize(owner); // same call: nobody can initialise it first; reverts on owner 0
        emit VaultCreated(owner, vault, salt);
    }

    /// @inheritdoc IVaultFactory
    function predictVault(address owner, bytes32 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(implementation, _boundSalt(owner, salt));
    }

    /// @inheritdoc IVaultFactory
    function vaultsOf(address owner) external view returns (address[] memory) {
        return _vaults[owner];
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
