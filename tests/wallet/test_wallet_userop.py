"""User operations: packing, JSON-RPC form, the EIP-712 hash and signature, checked against
eth-account's typed-data implementation and against the deployed EntryPoint v0.8."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.chain.bindings import bind_npm
from orchestrator.chain.reverts import revert_from_exception
from orchestrator.errors import ConfigError, InvalidUserOperation, MissingContract
from orchestrator.wallet import (
    AAContracts,
    Call,
    SmartAccount,
    UserOperation,
    counterfactual_address,
    encode_calls,
    recover_user_op_signer,
    sign_user_op,
    smart_account,
    user_op_hash,
    user_op_typed_data,
    verify_account_abstraction,
)
from orchestrator.wallet.smart_account import proxy_creation_code
from orchestrator.wallet.userop import MAX_GAS_VALUE, PackedUserOperation
from orchestrator.wallet.userop_signing import PACKED_USEROP_TYPEHASH, entry_point_domain_separator

OWNER = Account.from_key(keccak(text="wallet test owner"))
ENTRY_POINT = "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"
FACTORY = "0x13E9ed32155810FDbd067D4522C492D6f68E5944"
RPC_FIELDS_FIRST_OP = {
    "sender", "nonce", "factory", "factoryData", "callData", "callGasLimit",
    "verificationGasLimit", "preVerificationGas", "maxFeePerGas", "maxPriorityFeePerGas",
    "signature",
}  # fmt: skip

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
gas = st.integers(min_value=0, max_value=MAX_GAS_VALUE)


@st.composite
def user_ops(draw: st.DrawFn) -> UserOperation:
    max_fee = draw(gas)
    factory = draw(st.none() | addresses.filter(lambda a: not a.startswith("0x7702")))
    paymaster = draw(st.none() | addresses)
    return UserOperation(
        sender=draw(addresses),
        nonce=draw(st.integers(min_value=0, max_value=2**256 - 1)),
        call_data=draw(st.binary(max_size=300)),
        call_gas_limit=draw(gas),
        verification_gas_limit=draw(gas),
        pre_verification_gas=draw(gas),
        max_fee_per_gas_wei=max_fee,
        max_priority_fee_per_gas_wei=draw(st.integers(min_value=0, max_value=max_fee)),
        factory=factory,
        factory_data=draw(st.binary(max_size=80)) if factory else b"",
        paymaster=paymaster,
        paymaster_verification_gas_limit=draw(gas) if paymaster else 0,
        paymaster_post_op_gas_limit=draw(gas) if paymaster else 0,
        paymaster_data=draw(st.binary(max_size=40)) if paymaster else b"",
        signature=draw(st.binary(max_size=70)),
    )


def _op(**changes: object) -> UserOperation:
    base = UserOperation(
        sender="0x" + "11" * 20,
        nonce=7,
        call_data=b"\x12\x34",
        call_gas_limit=100_000,
        verification_gas_limit=200_000,
        pre_verification_gas=50_000,
        max_fee_per_gas_wei=3 * 10**9,
        max_priority_fee_per_gas_wei=10**9,
    )
    return base.replace(**changes)


# -- packing and JSON ---------------------------------------------------------------------
def test_packing_follows_user_operation_lib() -> None:
    op = _op(factory="0x" + "22" * 20, factory_data=b"\xab")
    assert op.account_gas_limits == (200_000 << 128 | 100_000).to_bytes(32, "big")
    assert op.gas_fees == (10**9 << 128 | 3 * 10**9).to_bytes(32, "big")
    assert op.init_code == bytes.fromhex("22" * 20) + b"\xab"
    assert op.max_gas == 350_000
    assert op.max_cost_wei == 350_000 * 3 * 10**9
    pm = _op(paymaster="0x" + "33" * 20, paymaster_verification_gas_limit=5,
             paymaster_post_op_gas_limit=6, paymaster_data=b"\x01")  # fmt: skip
    assert (
        pm.paymaster_and_data
        == bytes.fromhex("33" * 20) + (5).to_bytes(16, "big") + (6).to_bytes(16, "big") + b"\x01"
    )


@settings(max_examples=60, deadline=None)
@given(user_ops())
def test_pack_unpack_and_json_round_trip(op: UserOperation) -> None:
    assert op.packed().unpack() == op
    assert UserOperation.from_rpc(op.to_rpc()) == op
    assert isinstance(op.packed(), PackedUserOperation)


def test_json_uses_erc4337_v07_field_names_and_hex_quantities() -> None:
    op = _op(factory="0x" + "22" * 20, factory_data=b"\xab", signature=b"\x01" * 65)
    rpc = op.to_rpc()
    assert set(rpc) == RPC_FIELDS_FIRST_OP
    assert rpc["callGasLimit"] == "0x186a0"
    assert rpc["nonce"] == "0x7"
    assert rpc["factoryData"] == "0xab"
    assert "factory" not in _op().to_rpc()  # both-or-neither groups are left out


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("call_gas_limit", MAX_GAS_VALUE + 1),  # EntryPoint AA94
        ("verification_gas_limit", -1),
        ("max_priority_fee_per_gas_wei", 4 * 10**9),  # above max fee
        ("sender", "0x1234"),
        ("nonce", 2**256),
        ("factory", "0x7702000000000000000000000000000000000000"),  # EIP-7702 marker
    ],
)
def test_out_of_range_fields_are_refused(field: str, value: object) -> None:
    with pytest.raises(InvalidUserOperation) as caught:
        _op(**{field: value})
    assert caught.value.field == field


# -- EIP-712 ------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(user_ops(), st.integers(min_value=1, max_value=2**64))
def test_hash_equals_eth_account_typed_data_hash(op: UserOperation, chain_id: int) -> None:
    typed = user_op_typed_data(op, entry_point=ENTRY_POINT, chain_id=chain_id)
    independent = _hash_eip191_message(encode_typed_data(full_message=typed))
    assert user_op_hash(op, entry_point=ENTRY_POINT, chain_id=chain_id) == independent


def test_signature_is_raw_ecdsa_over_the_hash_like_sign_typed_data() -> None:
    op = _op()
    signed = sign_user_op(op, OWNER, entry_point=ENTRY_POINT, chain_id=1)
    assert len(signed.signature) == 65
    assert signed.signature[64] in (27, 28)
    typed = user_op_typed_data(op, entry_point=ENTRY_POINT, chain_id=1)
    assert signed.signature == bytes(OWNER.sign_typed_data(full_message=typed).signature)
    assert recover_user_op_signer(signed, entry_point=ENTRY_POINT, chain_id=1) == OWNER.address
    # the hash binds the chain and the EntryPoint
    assert recover_user_op_signer(signed, entry_point=ENTRY_POINT, chain_id=2) != OWNER.address
    assert user_op_hash(op, entry_point=FACTORY, chain_id=1) != user_op_hash(
        op, entry_point=ENTRY_POINT, chain_id=1
    )


# -- the deployed EntryPoint (both backends) -----------------------------------------------
@pytest.mark.parametrize("variant", ["first-op", "deployed", "paymaster"])
def test_off_chain_hash_equals_entry_point_get_user_op_hash(aa_chain: Any, variant: str) -> None:
    aa, w3 = aa_chain.aa, aa_chain.chain.w3
    account = SmartAccount.counterfactual(aa, OWNER.address)
    calls = [Call("0x" + "44" * 20, 1, b""), Call("0x" + "55" * 20, 0, b"\x99" * 40)]
    op = _op(sender=account.address, call_data=encode_calls(calls), signature=b"\x07" * 65)
    if variant == "first-op":
        op = op.replace(factory=aa.simple_account_factory, factory_data=account.factory_data)
    if variant == "paymaster":
        op = op.replace(paymaster="0x" + "66" * 20, paymaster_verification_gas_limit=70_000,
                        paymaster_post_op_gas_limit=30_000, paymaster_data=b"pm")  # fmt: skip
    entry_point = bind_npm(w3, "EntryPoint", aa.entry_point)
    on_chain = bytes(entry_point.functions.getUserOpHash(op.packed().as_abi_tuple()).call())
    chain_id = aa_chain.chain.chain_id
    assert on_chain == user_op_hash(op, entry_point=aa.entry_point, chain_id=chain_id)
    assert bytes(entry_point.functions.getPackedUserOpTypeHash().call()) == PACKED_USEROP_TYPEHASH
    assert bytes(entry_point.functions.getDomainSeparatorV4().call()) == (
        entry_point_domain_separator(aa.entry_point, chain_id)
    )


@pytest.mark.parametrize("salt", [0, 1, 2**255 + 12345])
def test_counterfactual_address_matches_factory_and_entry_point(aa_chain: Any, salt: int) -> None:
    aa, chain = aa_chain.aa, aa_chain.chain
    off_chain = counterfactual_address(aa, OWNER.address, salt)
    factory = bind_npm(chain.w3, "SimpleAccountFactory", aa.simple_account_factory)
    assert factory.functions.getAddress(OWNER.address, salt).call() == off_chain
    # EntryPoint.getSenderAddress runs the initCode and reverts with the address it made
    account = SmartAccount.counterfactual(aa, OWNER.address, salt)
    entry_point = bind_npm(chain.w3, "EntryPoint", aa.entry_point)
    init_code = bytes.fromhex(aa.simple_account_factory[2:]) + account.factory_data
    with pytest.raises(Exception) as caught:
        entry_point.functions.getSenderAddress(init_code).call()
    result = revert_from_exception(caught.value)
    assert result.error_name == "SenderAddressResult"
    assert result.error_args[0].lower() == off_chain.lower()
    assert smart_account(chain, aa, OWNER.address, salt).address == off_chain
    assert not account.is_deployed(chain)  # still counterfactual: getSenderAddress reverted


def test_derived_addresses_match_the_deployment(aa_chain: Any) -> None:
    aa, w3 = aa_chain.aa, aa_chain.chain.w3
    factory = bind_npm(w3, "SimpleAccountFactory", aa.simple_account_factory)
    entry_point = bind_npm(w3, "EntryPoint", aa.entry_point)
    assert factory.functions.accountImplementation().call() == aa.account_implementation
    assert entry_point.functions.senderCreator().call() == aa.sender_creator
    verify_account_abstraction(aa_chain.chain, aa)
    assert proxy_creation_code()[:5] == bytes.fromhex("6080604052")


def test_missing_or_foreign_contracts_are_refused(aa_chain: Any) -> None:
    chain, aa = aa_chain.chain, aa_chain.aa
    nowhere = "0x" + "ab" * 20
    with pytest.raises(MissingContract) as caught:
        verify_account_abstraction(chain, AAContracts(nowhere, aa.simple_account_factory))
    assert caught.value.name == "EntryPoint"
    # a factory wired to another EntryPoint: both have code, the wiring is wrong
    with pytest.raises(ConfigError, match="another EntryPoint"):
        verify_account_abstraction(
            chain, AAContracts(aa.simple_account_factory, aa.simple_account_factory)
        )
