"""Raw and batched eth_calls on both backends: results in order, a member's revert decoded
in its slot, state overrides, and a node that went away."""

from __future__ import annotations

import pytest
from eth_utils.abi import function_signature_to_4byte_selector

from orchestrator.chain import abi, connect_anvil
from orchestrator.chain.calls import EthCall, call_batch, call_raw
from orchestrator.errors import ContractReverted, RpcUnavailable
from orchestrator.service import LocalMarket

_BALANCE_OF = function_signature_to_4byte_selector("balanceOf(address)")
_MINT = function_signature_to_4byte_selector("mint(address,uint256)")
# PUSH1 42, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN: returns the word 42
_RETURNS_42 = "0x602a60005260206000f3"
_NOWHERE = "0x" + "42" * 20


def test_batch_returns_each_result_in_order_with_reverts_decoded(market: LocalMarket) -> None:
    usdc, deployer = market.book.contracts.usdc, market.deployer.address
    balance = call_raw(market.chain, usdc, _BALANCE_OF + abi.encode(["address"], [deployer]))
    stranger = market.chain.accounts[5].address
    calls = [
        EthCall(to=usdc, data=_BALANCE_OF + abi.encode(["address"], [deployer])),
        EthCall(to=usdc, data=_MINT + abi.encode(["address", "uint256"], [stranger, 1]),
                sender=stranger),
        EthCall(to=_NOWHERE, data=b"", state={_NOWHERE: {"code": _RETURNS_42}}, block="pending"),
    ]  # fmt: skip
    first, second, third = call_batch(market.chain, calls)
    assert first == balance
    assert int.from_bytes(balance, "big") > 0
    assert isinstance(second, ContractReverted)
    assert second.error_name == "NotMinter"
    assert second.error_args[0].lower() == stranger.lower()
    assert third == (42).to_bytes(32, "big")  # the override ran, not the empty account


def test_an_empty_revert_comes_back_in_its_slot(market: LocalMarket) -> None:
    """REVERT(0, 0) in overridden code: reported, not raised, next to a good answer."""
    reverts = EthCall(to=_NOWHERE, data=b"", state={_NOWHERE: {"code": "0x60006000fd"}})
    answers = EthCall(to=_NOWHERE, data=b"", state={_NOWHERE: {"code": _RETURNS_42}})
    failed, fine = call_batch(market.chain, [reverts, answers])
    assert isinstance(failed, ContractReverted)
    assert failed.error_name == "empty revert"
    assert fine == (42).to_bytes(32, "big")


def test_a_node_that_went_away_is_reported_as_unavailable() -> None:
    chain = connect_anvil()
    chain.close()  # stops the node; the chain object still points at its URL
    with pytest.raises(
        RpcUnavailable,
        match=r"the node at http://127\.0\.0\.1:\d+ did not answer a batch of 1 reads: it refused",
    ):
        call_batch(chain, [EthCall(to=_NOWHERE, data=b"")])
