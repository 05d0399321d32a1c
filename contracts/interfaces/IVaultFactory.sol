// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IVaultFactory
/// @notice Creates one IndexVault per (owner, salt) as an EIP-1167 clone (the registry is the
///         `VaultCreated` log: no per-owner list anyone could grow), holds the platform-wide
///         settings the vaults read: the platform fee (capped by `MAX_FEE_BPS`), its recipient,
///         and the pause of buys and keeper rebalances, and holds the fees vaults pay until they
///         are claimed for the recipient. The admin can change those settings only; it can never
///         move vault funds.
interface IVaultFactory {
    /// @notice Thrown when a caller other than the admin calls an admin function.
    error NotAdmin(address caller);
    /// @notice Thrown when a caller other than the pending admin calls `acceptAdmin`.
    error NotPendingAdmin(address caller);
    /// @notice Thrown when an address argument that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown when a fee above the hard cap is requested.
    error FeeAboveCap(uint16 feeBps, uint16 maxFeeBps);
    /// @notice Thrown when the constructor is given a zero minimum block time.
    error InvalidMinBlockTime(uint32 minBlockTime);

    /// @notice Emitted when a vault was cloned and initialised for `owner`.
    event VaultCreated(address indexed owner, address indexed vault, bytes32 salt);
    /// @notice Emitted when the platform fee changed.
    event FeeChanged(uint16 oldFeeBps, uint16 newFeeBps);
    /// @notice Emitted when the fee recipient changed.
    event FeeRecipientChanged(address indexed oldRecipient, address indexed newRecipient);
    /// @notice Emitted when buys and keeper rebalances were paused or unpaused.
    event PauseChanged(bool paused);
    /// @notice Emitted when the admin proposed `newAdmin` (two-step transfer).
    event AdminTransferStarted(address indexed admin, address indexed newAdmin);
    /// @notice Emitted when the admin role moved to `newAdmin`.
    event AdminChanged(address indexed oldAdmin, address indexed newAdmin);
    /// @notice Emitted when the fees held by the factory were sent to the fee recipient.
    event FeesClaimed(address indexed recipient, uint256 amount);

    /// @notice The hard cap on the platform fee, in basis points of buy and sell notional (1%).
    function MAX_FEE_BPS() external view returns (uint16);

    /// @notice The IndexVault implementation every clone delegates to (its initialiser is disabled).
    function implementation() external view returns (address);
    /// @notice The platform's BatchSettlement, deployed with the factory (no admin, holds nothing between transactions).
    function batchSettlement() external view returns (address);
    /// @notice The quote token of every vault and pool (USDC).
    function usdc() external view returns (address);
    /// @notice The Uniswap V3 factory whose pools the vaults trade with.
    function uniswapV3Factory() external view returns (address);
    /// @notice The chain's shortest time between blocks, in seconds, given to every vault.
    function minBlockTime() external view returns (uint32);
    /// @notice The factory admin (fee, fee recipient, pause).
    function admin() external view returns (address);
    /// @notice The proposed next admin, or zero.
    function pendingAdmin() external view returns (address);

    /// @notice The settings in one call: fee recipient (of claims), fee in bps, pause flag.
    function config() external view returns (address feeRecipient, uint16 feeBps, bool paused);

    /// @notice Clones the implementation for `owner` at a salt bound to the owner and initialises
    ///         it in the same call. Anyone may call it (e.g. a sponsor); the vault belongs to `owner`.
    ///         Idempotent: if that vault exists already it is returned unchanged (no event), so a
    ///         front-runner cannot make the owner's batch revert.
    /// @return vault The vault, equal to `predictVault(owner, salt)`.
    function createVault(address owner, bytes32 salt) external returns (address vault);

    /// @notice The address `createVault(owner, salt)` deploys to.
    function predictVault(address owner, bytes32 salt) external view returns (address);

    /// @notice Sends every USDC the factory holds (the fees vaults paid) to the current fee
    ///         recipient. Anyone may call it; if the recipient cannot receive USDC only this call
    ///         fails, never a buy or a sell.
    /// @return amount The USDC base units sent.
    function claimFees() external returns (uint256 amount);

    /// @notice Sets the platform fee in bps (<= MAX_FEE_BPS). Admin only.
    function setFee(uint16 feeBps) external;

    /// @notice Sets the fee recipient (non-zero). Admin only.
    function setFeeRecipient(address feeRecipient) external;

    /// @notice Pauses or unpauses `buy` and `rebalance` in every vault. `sell`, `withdrawInKind`,
    ///         `setMandate` and `revokeKeeper` are never paused. Admin only.
    function setPaused(bool paused) external;

    /// @notice Proposes `newAdmin`; it takes over when it calls `acceptAdmin`. Admin only.
    function transferAdmin(address newAdmin) external;

    /// @notice Completes an admin transfer. Pending admin only.
    function acceptAdmin() external;
}
