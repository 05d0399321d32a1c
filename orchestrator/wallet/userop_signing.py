"""The EIP-712 hash of a v0.8 user operation, and signing it.

The hash (EntryPoint.getUserOpHash in v0.8) is EIP-712 typed data: domain `ERC4337`/`1`,
the chain id and the EntryPoint as verifying contract; the struct is `PackedUserOperation`
with the dynamic fields (`initCode`, `callData`, `paymasterAndData`) hashed and without
the signature. SimpleAccount v0.8 checks `ECDSA.recover(userOpHash, signature) == owner`:
a raw 65-byte signature over that digest, no EIP-191 prefix. The same digest is what a
browser wallet signs for `eth_signTypedData_v4(user_op_typed_data(...))`.
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import Signature
from eth_typing import Hash32
from eth_utils.crypto import keccak

from orchestrator.chain.abi import encode as abi_encode
from orchestrator.errors import InvalidUserOperation
from orchestrator.wallet.userop import SIGNATURE_LENGTH, UserOperation, checked_address

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "PACKED_USEROP_TYPEHASH",
    "entry_point_domain_separator",
    "recover_user_op_signer",
    "sign_user_op",
    "user_op_hash",
    "user_op_typed_data",
]

DOMAIN_NAME = "ERC4337"
DOMAIN_VERSION = "1"
_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
_USEROP_TYPE = (
    "PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,"
    "bytes32 accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,"
    "bytes paymasterAndData)"
)
PACKED_USEROP_TYPEHASH = keccak(text=_USEROP_TYPE)


def entry_point_domain_separator(entry_point: str, chain_id: int) -> bytes:
    """EntryPoint v0.8's EIP-712 domain separator (OpenZeppelin EIP712("ERC4337", "1"))."""
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text=_DOMAIN_TYPE),
                keccak(text=DOMAIN_NAME),
                keccak(text=DOMAIN_VERSION),
                chain_id,
                checked_address("entry_point", entry_point),
            ],
        )
    )


def _struct_hash(op: UserOperation) -> bytes:
    return keccak(
        abi_encode(
            [
                "bytes32",
                "address",
                "uint256",
                "bytes32",
                "bytes32",
                "bytes32",
                "uint256",
                "bytes32",
                "bytes32",
            ],
            [
                PACKED_USEROP_TYPEHASH,
                op.sender,
                op.nonce,
                keccak(op.init_code),
                keccak(op.call_data),
                op.account_gas_limits,
                op.pre_verification_gas,
                op.gas_fees,
                keccak(op.paymaster_and_data),
            ],
        )
    )


def user_op_hash(op: UserOperation, *, entry_point: str, chain_id: int) -> bytes:
    """The 32-byte hash EntryPoint v0.8 `getUserOpHash` returns (the signature is excluded)."""
    domain = entry_point_domain_separator(entry_point, chain_id)
    return keccak(b"\x19\x01" + domain + _struct_hash(op))


def user_op_typed_data(op: UserOperation, *, entry_point: str, chain_id: int) -> dict[str, Any]:
    """The EIP-712 message for `eth_signTypedData_v4` (browser wallets); signs to the same
    digest as `user_op_hash`."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "PackedUserOperation": [
                {"name": "sender", "type": "address"},
                {"name": "nonce", "type": "uint256"},
                {"name": "initCode", "type": "bytes"},
                {"name": "callData", "type": "bytes"},
                {"name": "accountGasLimits", "type": "bytes32"},
                {"name": "preVerificationGas", "type": "uint256"},
                {"name": "gasFees", "type": "bytes32"},
                {"name": "paymasterAndData", "type": "bytes"},
            ],
        },
        "primaryType": "PackedUserOperation",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": checked_address("entry_point", entry_point),
        },
        "message": {
            "sender": op.sender,
            "nonce": op.nonce,
            "initCode": op.init_code,
            "callData": op.call_data,
            "accountGasLimits": op.account_gas_limits,
            "preVerificationGas": op.pre_verification_gas,
            "gasFees": op.gas_fees,
            "paymasterAndData": op.paymaster_and_data,
        },
    }


def sign_user_op(
    op: UserOperation, signer: LocalAccount, *, entry_point: str, chain_id: int
) -> UserOperation:
    """`op` with `signature` = the owner's raw ECDSA signature (r ‖ s ‖ v, v in {27, 28})
    over the EIP-712 user-op hash: what SimpleAccount v0.8 `_validateSignature` recovers."""
    digest = user_op_hash(op, entry_point=entry_point, chain_id=chain_id)
    signed = signer.unsafe_sign_hash(Hash32(digest))
    return op.replace(signature=bytes(signed.signature))


def recover_user_op_signer(op: UserOperation, *, entry_point: str, chain_id: int) -> str:
    """The address that signed `op` (what the account compares with its owner)."""
    if len(op.signature) != SIGNATURE_LENGTH:
        raise InvalidUserOperation(
            "signature", len(op.signature), f"must be {SIGNATURE_LENGTH} bytes"
        )
    digest = user_op_hash(op, entry_point=entry_point, chain_id=chain_id)
    v = op.signature[64]
    v = v - 27 if v >= 27 else v
    if v not in (0, 1):
        raise InvalidUserOperation("signature", v, "recovery id must be 27/28 (or 0/1)")
    signature = Signature(signature_bytes=op.signature[:64] + bytes([v]))
    return str(signature.recover_public_key_from_msg_hash(digest).to_checksum_address())
