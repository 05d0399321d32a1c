"""Uniswap V3 reads and swaps on any chain: QuoterV2 quotes (one by one, or batched in one
`eth_call` through Multicall3), pool states, and a SwapRouter02 exact-input swap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from orchestrator.chain.abi import decode as abi_decode
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.backends import Chain
from orchestrator.chain.bindings import bind_npm, bind_ours
from orchestrator.chain.multicall import aggregate_raw, selector
from orchestrator.chain.reverts import decode_revert_data, is_revert, revert_from_exception
from orchestrator.chain.transactor import Transactor
from orchestrator.errors import ContractReverted

__all__ = [
    "PoolState",
    "Quote",
    "QuoteRequest",
    "decode_pool_states",
    "decode_quote",
    "pool_state_calls",
    "pool_states",
    "quote_batched",
    "quote_calls",
    "quote_exact_input_single",
    "swap_exact_input_single",
]

QUOTE_GAS_PER_LEG = 400_000  # eth_call gas allowance per batched quote


@dataclass(frozen=True)
class QuoteRequest:
    token_in: str
    token_out: str
    fee: int  # hundredths of a bip
    amount_in: int  # base units of token_in


@dataclass(frozen=True)
class Quote:
    amount_out: int  # base units of token_out
    sqrt_price_x96_after: int
    initialized_ticks_crossed: int
    gas_estimate: int


@dataclass(frozen=True)
class PoolState:
    sqrt_price_x96: int
    tick: int
    liquidity: int


def _quoter(w3: Web3, address: str) -> Contract:
    return bind_npm(w3, "QuoterV2", address)


def _params(request: QuoteRequest) -> tuple[str, str, int, int, int]:
    return (request.token_in, request.token_out, request.amount_in, request.fee, 0)


def quote_exact_input_single(chain: Chain, quoter_address: str, request: QuoteRequest) -> Quote:
    """One quote, one `eth_call`."""
    fn = _quoter(chain.w3, quoter_address).functions.quoteExactInputSingle(_params(request))
    try:
        out = fn.call()
    except Exception as error:
        if is_revert(error):
            raise revert_from_exception(error) from error
        raise
    return Quote(*out)


_QUOTE = selector("quoteExactInputSingle((address,address,uint256,uint24,uint160))")
_SLOT0 = selector("slot0()")
_LIQUIDITY = selector("liquidity()")


def quote_calls(quoter_address: str, requests: Sequence[QuoteRequest]) -> list[tuple[str, bytes]]:
    """QuoterV2 `quoteExactInputSingle` calls, for a Multicall3 batch."""
    params = "(address,address,uint256,uint24,uint160)"
    return [(quoter_address, _QUOTE + abi_encode([params], [_params(r)])) for r in requests]


def decode_quote(ok: bool, data: bytes) -> Quote | ContractReverted:
    if ok:
        return Quote(*abi_decode(["uint256", "uint160", "uint32", "uint256"], data))
    return decode_revert_data(data)


def quote_batched(
    chain: Chain, quoter_address: str, multicall_address: str, requests: Sequence[QuoteRequest]
) -> list[Quote | ContractReverted]:
    """Every quote in one `eth_call`; a failing quote yields its decoded revert."""
    if not requests:
        return []
    results = aggregate_raw(
        chain, multicall_address, quote_calls(quoter_address, requests),
        gas=QUOTE_GAS_PER_LEG * len(requests) + 1_000_000,
    )  # fmt: skip
    return [decode_quote(ok, data) for ok, data in results]


def pool_state_calls(pools: Sequence[str]) -> list[tuple[str, bytes]]:
    """slot0() and liquidity() of each pool, two calls per pool, for a Multicall3 batch."""
    return [call for pool in pools for call in ((pool, _SLOT0), (pool, _LIQUIDITY))]


def decode_pool_states(results: Sequence[tuple[bool, bytes]]) -> list[PoolState]:
    """The answers to `pool_state_calls` (made without allowFailure), pool by pool."""
    states = []
    for (_, slot0), (_, liquidity) in zip(results[::2], results[1::2], strict=True):
        sqrt_price, tick = abi_decode(["uint160", "int24"], slot0[:64])
        states.append(PoolState(int(sqrt_price), int(tick), int.from_bytes(liquidity, "big")))
    return states


def pool_states(chain: Chain, multicall_address: str, pools: Sequence[str]) -> list[PoolState]:
    """slot0 and liquidity of every pool in one `eth_call`."""
    results = aggregate_raw(chain, multicall_address, pool_state_calls(pools), allow_failure=False)
    return decode_pool_states(results)


def swap_exact_input_single(
    tx: Transactor,
    router_address: str,
    request: QuoteRequest,
    *,
    amount_out_min: int,
    recipient: str | None = None,
    gas: int = 300_000,
) -> TxReceipt:
    """Approve exactly `amount_in`, then SwapRouter02.exactInputSingle (two transactions)."""
    w3 = tx.chain.w3
    token = bind_ours(w3, "TestToken", request.token_in)
    tx.send(token.functions.approve(router_address, request.amount_in), gas=80_000)
    router = bind_npm(w3, "SwapRouter02", router_address)
    params = (
        request.token_in,
        request.token_out,
        request.fee,
        recipient or tx.address,
        request.amount_in,
        amount_out_min,
        0,
    )
    return tx.send(router.functions.exactInputSingle(params), gas=gas)
