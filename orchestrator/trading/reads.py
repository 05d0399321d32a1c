"""Batched reads for trading: pool mid prices + quotes, and a vault's balances.

One `eth_call` each through Multicall3, so a 100-leg preview costs two round trips."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi.abi import encode as abi_encode
from hexbytes import HexBytes
from web3 import Web3

from orchestrator.chain.multicall import aggregate_raw, selector
from orchestrator.chain.uniswap import Quote, QuoteRequest, pool_states, quote_batched
from orchestrator.errors import ChainError
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.planning.types import Direction, PlannedLeg, TokenRef
from orchestrator.preview.build import LegQuote

_BALANCE_OF = selector("balanceOf(address)")


def token_refs(book: AddressBook) -> list[TokenRef]:
    return [TokenRef(t.symbol, t.address, t.decimals, t.fee, t.pool) for t in book.tokens]


def mid_prices(w3: Web3, book: AddressBook, tokens: Sequence[TokenRef]) -> dict[str, int]:
    """sqrtPriceX96 of each token's USDC pool, by symbol."""
    states = pool_states(w3, book.contracts.multicall3, [t.pool for t in tokens])
    return {t.symbol: s.sqrt_price_x96 for t, s in zip(tokens, states, strict=True)}


def quote_outs(w3: Web3, book: AddressBook, legs: Sequence[PlannedLeg]) -> list[int]:
    """Every leg's QuoterV2 output, in one call (ChainError naming a leg it cannot quote)."""
    if not legs:
        return []
    c = book.contracts
    requests = [
        QuoteRequest(c.usdc, leg.token.address, leg.token.fee, leg.amount_in)
        if leg.direction is Direction.BUY
        else QuoteRequest(leg.token.address, c.usdc, leg.token.fee, leg.amount_in)
        for leg in legs
    ]
    outs = []
    for leg, quote in zip(
        legs, quote_batched(w3, c.quoter_v2, c.multicall3, requests), strict=True
    ):
        if not isinstance(quote, Quote):
            raise ChainError(
                f"no quote for {leg.token_in} -> {leg.token_out} ({leg.amount_in} base units):"
                f" {quote}",
                hint="The pool may lack liquidity for this size; try a smaller amount.",
            )
        outs.append(quote.amount_out)
    return outs


def quote_legs(w3: Web3, book: AddressBook, legs: Sequence[PlannedLeg]) -> list[LegQuote]:
    """Every leg quoted by QuoterV2 in one call, with its pool's mid price from another."""
    if not legs:
        return []
    prices = mid_prices(w3, book, [leg.token for leg in legs])
    outs = quote_outs(w3, book, legs)
    return [LegQuote(leg, prices[leg.token.symbol], out)
            for leg, out in zip(legs, outs, strict=True)]  # fmt: skip


@dataclass(frozen=True)
class Balances:
    tokens: dict[str, int]  # symbol -> base units
    usdc: int


def vault_balances(w3: Web3, book: AddressBook, holder: str) -> Balances:
    """`holder`'s balance of every listed token and of USDC, in one call."""
    addresses = [*(t.address for t in book.tokens), book.contracts.usdc]
    data = _BALANCE_OF + abi_encode(["address"], [holder])
    results = aggregate_raw(w3, book.contracts.multicall3, [(a, data) for a in addresses],
                            allow_failure=False)  # fmt: skip
    values = [int.from_bytes(out, "big") for _, out in results]
    return Balances({t.symbol: v for t, v in zip(book.tokens, values, strict=False)}, values[-1])


def usdc_balance(w3: Web3, book: AddressBook, holder: str) -> int:
    data = _BALANCE_OF + abi_encode(["address"], [holder])
    raw = w3.eth.call({"to": book.contracts.usdc, "data": HexBytes(data)})
    return int.from_bytes(bytes(raw), "big")
