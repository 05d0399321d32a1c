"""Batched reads: many contract calls in one `eth_call` through a Multicall3 aggregator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.abi import function_signature_to_4byte_selector
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import BlockIdentifier, TxParams

from orchestrator.chain.abi import decode as abi_decode
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import EthCall
from orchestrator.chain.reverts import decode_revert_data, is_revert, revert_from_exception
from orchestrator.errors import ContractReverted

__all__ = [
    "CallResult",
    "aggregate_call",
    "aggregate_raw",
    "decode_aggregate",
    "multicall",
    "selector",
]


@dataclass(frozen=True)
class CallResult:
    success: bool
    value: Any  # decoded outputs (a tuple when the function returns several), or None
    error: ContractReverted | None


def _output_types(fn: ContractFunction) -> list[str]:
    from orchestrator.chain.reverts import _abi_type  # one place that renders ABI types

    return [_abi_type(dict(o)) for o in fn.abi.get("outputs", [])]


def multicall(
    aggregator: Contract,
    calls: Sequence[ContractFunction],
    *,
    allow_failure: bool = True,
    gas: int | None = None,
    block: BlockIdentifier = "latest",
) -> list[CallResult]:
    """Run `calls` in one `eth_call` of `aggregate3`; decode each result with its own ABI."""
    encoded = [(fn.address, allow_failure, fn._encode_transaction_data()) for fn in calls]
    params: TxParams = {} if gas is None else {"gas": gas}
    try:
        raw = aggregator.functions.aggregate3(encoded).call(params, block_identifier=block)
    except Exception as error:
        if is_revert(error):
            raise revert_from_exception(error) from error
        raise
    results: list[CallResult] = []
    for fn, (success, data) in zip(calls, raw, strict=True):
        if not success:
            results.append(CallResult(False, None, decode_revert_data(bytes(data))))
            continue
        decoded = abi_decode(_output_types(fn), bytes(data))
        results.append(CallResult(True, decoded[0] if len(decoded) == 1 else decoded, None))
    return results


# --- the raw path: calldata in, bytes out (no contract objects; for hot batched reads) ---

_AGGREGATE3 = function_signature_to_4byte_selector("aggregate3((address,bool,bytes)[])")


def selector(signature: str) -> bytes:
    return function_signature_to_4byte_selector(signature)


def aggregate_call(
    aggregator: str,
    calls: Sequence[tuple[str, bytes]],
    *,
    allow_failure: bool = True,
    gas: int | None = None,
) -> EthCall:
    """The `aggregate3` `eth_call` of `(target, calldata)` pairs, not yet sent (so it can
    join a batch, see `orchestrator.chain.calls.call_batch`)."""
    data = _AGGREGATE3 + abi_encode(
        ["(address,bool,bytes)[]"], [[(target, allow_failure, cd) for target, cd in calls]]
    )
    return EthCall(to=aggregator, data=data, gas=gas)


def decode_aggregate(output: bytes | ContractReverted) -> list[tuple[bool, bytes]]:
    """`(success, returndata)` per call of an `aggregate3` answer; its revert is raised."""
    if isinstance(output, ContractReverted):
        raise output
    (results,) = abi_decode(["(bool,bytes)[]"], output)
    return [(bool(ok), bytes(out)) for ok, out in results]


def aggregate_raw(
    chain: Chain,
    aggregator: str,
    calls: Sequence[tuple[str, bytes]],
    *,
    allow_failure: bool = True,
    gas: int | None = None,
) -> list[tuple[bool, bytes]]:
    """`(target, calldata)` pairs in one `eth_call` of `aggregate3`; `(success, returndata)`
    per call. web3's contract machinery costs ~5 ms per bound contract in Python; a 100-leg
    preview would spend most of its time there."""
    call = aggregate_call(aggregator, calls, allow_failure=allow_failure, gas=gas)
    params: TxParams = {"to": aggregator, "data": HexBytes(call.data)}
    if gas is not None:
        params["gas"] = gas
    try:
        raw = chain.w3.eth.call(params)
    except Exception as error:
        if is_revert(error):
            raise revert_from_exception(error) from error
        raise
    return decode_aggregate(bytes(raw))
