"""ERC-4337 user operations for EntryPoint v0.8: the model and its packing.

`UserOperation` holds the unpacked fields (integers for every gas amount and fee) that the
bundler JSON-RPC (v0.7+) speaks; `.packed()` gives the `PackedUserOperation` struct the
EntryPoint receives: `initCode = factory ‖ factoryData`, `accountGasLimits =
verificationGasLimit << 128 | callGasLimit`, `gasFees = maxPriorityFeePerGas << 128 |
maxFeePerGas`, `paymasterAndData = paymaster ‖ uint128 validationGas ‖ uint128 postOpGas ‖
data` (UserOperationLib.sol). Hashing and signing: `orchestrator.wallet.userop_signing`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils.address import is_address, to_checksum_address

from orchestrator.errors import InvalidUserOperation

__all__ = [
    "MAX_GAS_VALUE",
    "SIGNATURE_LENGTH",
    "PackedUserOperation",
    "UserOperation",
    "checked_address",
]

MAX_GAS_VALUE = 2**120 - 1  # EntryPoint "AA94 gas values overflow" above this
MAX_UINT256 = 2**256 - 1
SIGNATURE_LENGTH = 65
# initCode starting with this marker means an EIP-7702 account (hash differs): unsupported.
_EIP7702_FACTORY = "0x7702000000000000000000000000000000000000"


def checked_address(field: str, value: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise InvalidUserOperation(field, value, "not a 20-byte hex address")
    return to_checksum_address(value)


def _checked_uint(field: str, value: int, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidUserOperation(field, value, "must be an integer")
    if not 0 <= value <= maximum:
        raise InvalidUserOperation(field, value, f"must be between 0 and {maximum}")


def _hex_quantity(value: int) -> str:
    return hex(value)


def _hex_bytes(value: bytes) -> str:
    return "0x" + value.hex()


def _parse_bytes(field: str, value: Any) -> bytes:
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise InvalidUserOperation(field, value, "not 0x-prefixed hex bytes")


def _parse_quantity(field: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise InvalidUserOperation(field, value, "not a 0x-prefixed hex quantity")


@dataclass(frozen=True)
class UserOperation:
    """An ERC-4337 v0.7+/v0.8 user operation with its fields unpacked.

    Gas limits are in gas units, fees in wei per gas. `factory`/`factory_data` are set only
    for the operation that deploys the account; `signature` is empty until signed.
    """

    sender: str
    nonce: int
    call_data: bytes
    call_gas_limit: int
    verification_gas_limit: int
    pre_verification_gas: int
    max_fee_per_gas_wei: int
    max_priority_fee_per_gas_wei: int
    factory: str | None = None
    factory_data: bytes = b""
    paymaster: str | None = None
    paymaster_verification_gas_limit: int = 0
    paymaster_post_op_gas_limit: int = 0
    paymaster_data: bytes = b""
    signature: bytes = b""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "sender", checked_address("sender", self.sender))
        _checked_uint("nonce", self.nonce, MAX_UINT256)
        for name in (
            "call_gas_limit",
            "verification_gas_limit",
            "pre_verification_gas",
            "max_fee_per_gas_wei",
            "max_priority_fee_per_gas_wei",
            "paymaster_verification_gas_limit",
            "paymaster_post_op_gas_limit",
        ):
            _checked_uint(name, getattr(self, name), MAX_GAS_VALUE)
        if self.max_priority_fee_per_gas_wei > self.max_fee_per_gas_wei:
            raise InvalidUserOperation(
                "max_priority_fee_per_gas_wei",
                self.max_priority_fee_per_gas_wei,
                f"exceeds max_fee_per_gas_wei ({self.max_fee_per_gas_wei})",
            )
        for name in ("call_data", "factory_data", "paymaster_data", "signature"):
            value = getattr(self, name)
            if not isinstance(value, bytes):
                raise InvalidUserOperation(name, value, "must be bytes")
            set_(self, name, bytes(value))
        if self.factory is None:
            if self.factory_data:
                raise InvalidUserOperation("factory_data", "0x...", "set without a factory")
        else:
            set_(self, "factory", checked_address("factory", self.factory))
            if self.factory == to_checksum_address(_EIP7702_FACTORY):
                raise InvalidUserOperation("factory", self.factory, "EIP-7702 is not supported")
        if self.paymaster is None:
            if self.paymaster_data or self.paymaster_verification_gas_limit:
                raise InvalidUserOperation("paymaster_data", "0x...", "set without a paymaster")
            if self.paymaster_post_op_gas_limit:
                raise InvalidUserOperation(
                    "paymaster_post_op_gas_limit", self.paymaster_post_op_gas_limit,
                    "set without a paymaster",
                )  # fmt: skip
        else:
            set_(self, "paymaster", checked_address("paymaster", self.paymaster))

    # -- packed fields (UserOperationLib) ----------------------------------------------
    @property
    def init_code(self) -> bytes:
        if self.factory is None:
            return b""
        return bytes.fromhex(self.factory[2:]) + self.factory_data

    @property
    def account_gas_limits(self) -> bytes:
        packed = self.verification_gas_limit << 128 | self.call_gas_limit
        return packed.to_bytes(32, "big")

    @property
    def gas_fees(self) -> bytes:
        packed = self.max_priority_fee_per_gas_wei << 128 | self.max_fee_per_gas_wei
        return packed.to_bytes(32, "big")

    @property
    def paymaster_and_data(self) -> bytes:
        if self.paymaster is None:
            return b""
        return (
            bytes.fromhex(self.paymaster[2:])
            + self.paymaster_verification_gas_limit.to_bytes(16, "big")
            + self.paymaster_post_op_gas_limit.to_bytes(16, "big")
            + self.paymaster_data
        )

    def packed(self) -> PackedUserOperation:
        return PackedUserOperation(
            sender=self.sender,
            nonce=self.nonce,
            init_code=self.init_code,
            call_data=self.call_data,
            account_gas_limits=self.account_gas_limits,
            pre_verification_gas=self.pre_verification_gas,
            gas_fees=self.gas_fees,
            paymaster_and_data=self.paymaster_and_data,
            signature=self.signature,
        )

    # -- gas and cost ------------------------------------------------------------------
    @property
    def max_gas(self) -> int:
        """Every gas limit added up: what the EntryPoint's required prefund is made of."""
        return (
            self.verification_gas_limit
            + self.call_gas_limit
            + self.paymaster_verification_gas_limit
            + self.paymaster_post_op_gas_limit
            + self.pre_verification_gas
        )

    @property
    def max_cost_wei(self) -> int:
        """The most this operation can be charged (the EntryPoint's required prefund)."""
        return self.max_gas * self.max_fee_per_gas_wei

    def replace(self, **changes: Any) -> UserOperation:
        return dataclasses.replace(self, **changes)

    # -- JSON-RPC form (ERC-4337 v0.7+ field names) --------------------------------------
    def to_rpc(self) -> dict[str, str]:
        """The bundler JSON-RPC object: hex quantities, optional groups left out when unset."""
        out = {
            "sender": self.sender,
            "nonce": _hex_quantity(self.nonce),
            "callData": _hex_bytes(self.call_data),
            "callGasLimit": _hex_quantity(self.call_gas_limit),
            "verificationGasLimit": _hex_quantity(self.verification_gas_limit),
            "preVerificationGas": _hex_quantity(self.pre_verification_gas),
            "maxFeePerGas": _hex_quantity(self.max_fee_per_gas_wei),
            "maxPriorityFeePerGas": _hex_quantity(self.max_priority_fee_per_gas_wei),
            "signature": _hex_bytes(self.signature),
        }
        if self.factory is not None:
            out["factory"] = self.factory
            out["factoryData"] = _hex_bytes(self.factory_data)
        if self.paymaster is not None:
            out["paymaster"] = self.paymaster
            out["paymasterVerificationGasLimit"] = _hex_quantity(
                self.paymaster_verification_gas_limit
            )
            out["paymasterPostOpGasLimit"] = _hex_quantity(self.paymaster_post_op_gas_limit)
            out["paymasterData"] = _hex_bytes(self.paymaster_data)
        return out

    @classmethod
    def from_rpc(cls, data: Mapping[str, Any]) -> UserOperation:
        def quantity(key: str, default: int | None = None) -> int:
            if key not in data or data[key] is None:
                if default is None:
                    raise InvalidUserOperation(key, None, "missing")
                return default
            return _parse_quantity(key, data[key])

        def raw(key: str) -> bytes:
            value = data.get(key)
            return b"" if value is None else _parse_bytes(key, value)

        factory = data.get("factory") or None
        paymaster = data.get("paymaster") or None
        return cls(
            sender=str(data.get("sender", "")),
            nonce=quantity("nonce"),
            call_data=raw("callData"),
            call_gas_limit=quantity("callGasLimit"),
            verification_gas_limit=quantity("verificationGasLimit"),
            pre_verification_gas=quantity("preVerificationGas"),
            max_fee_per_gas_wei=quantity("maxFeePerGas"),
            max_priority_fee_per_gas_wei=quantity("maxPriorityFeePerGas"),
            factory=factory,
            factory_data=raw("factoryData") if factory else b"",
            paymaster=paymaster,
            paymaster_verification_gas_limit=(
                quantity("paymasterVerificationGasLimit", 0) if paymaster else 0
            ),
            paymaster_post_op_gas_limit=(
                quantity("paymasterPostOpGasLimit", 0) if paymaster else 0
            ),
            paymaster_data=raw("paymasterData") if paymaster else b"",
            signature=raw("signature"),
        )


@dataclass(frozen=True)
class PackedUserOperation:
    """The on-chain struct (PackedUserOperation.sol), field for field."""

    sender: str
    nonce: int
    init_code: bytes
    call_data: bytes
    account_gas_limits: bytes
    pre_verification_gas: int
    gas_fees: bytes
    paymaster_and_data: bytes
    signature: bytes

    def as_abi_tuple(self) -> tuple[Any, ...]:
        """The tuple web3 encodes for a `PackedUserOperation` ABI argument."""
        return (
            self.sender,
            self.nonce,
            self.init_code,
            self.call_data,
            self.account_gas_limits,
            self.pre_verification_gas,
            self.gas_fees,
            self.paymaster_and_data,
            self.signature,
        )

    def unpack(self) -> UserOperation:
        limits = int.from_bytes(self.account_gas_limits, "big")
        fees = int.from_bytes(self.gas_fees, "big")
        factory = None if not self.init_code else "0x" + self.init_code[:20].hex()
        pm = self.paymaster_and_data
        if pm and len(pm) < 52:
            raise InvalidUserOperation("paymasterAndData", "0x" + pm.hex(), "shorter than 52")
        return UserOperation(
            sender=self.sender,
            nonce=self.nonce,
            call_data=self.call_data,
            call_gas_limit=limits & (2**128 - 1),
            verification_gas_limit=limits >> 128,
            pre_verification_gas=self.pre_verification_gas,
            max_fee_per_gas_wei=fees & (2**128 - 1),
            max_priority_fee_per_gas_wei=fees >> 128,
            factory=factory,
            factory_data=self.init_code[20:],
            paymaster="0x" + pm[:20].hex() if pm else None,
            paymaster_verification_gas_limit=int.from_bytes(pm[20:36], "big") if pm else 0,
            paymaster_post_op_gas_limit=int.from_bytes(pm[36:52], "big") if pm else 0,
            paymaster_data=pm[52:],
            signature=self.signature,
        )


# -- EIP-712 hash ---------------------------------------------------------------------
