"""Batched reads for trading: pool mid prices + quotes, and a vault's balances.

One `eth_call` each through Multicall3; a preview sends its quote read in the same
JSON-RPC batch as its gas simulations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import EthCall, call_batch
from orchestrator.chain.multicall import aggregate_call, aggregate_raw, decode_aggregate
from orchestrator.chain.uniswap import (
    QUOTE_GAS_PER_LEG,
    Quote,
    QuoteRequest,
    decode_pool_states,
    decode_quote,
    pool_state_calls,
    pool_states,
    quote_batched,
    quote_calls,
)
from orchestrator.chain.vault_binding import BALANCE_OF
from orchestrator.domain.legs import Direction, PlannedLeg, QuotedLeg, TokenRef
from orchestrator.domain.units import Pips, TokenUnits, UsdcUnits, usdc_units
from orchestrator.errors import ContractReverted, InputError, UnexpectedAnswer
from orchestrator.localmarket.addressbook import AddressBook


def token_refs(book: AddressBook) -> list[TokenRef]:
    return [TokenRef(t.symbol, t.address, t.decimals, Pips(t.fee), t.pool) for t in book.tokens]


def mid_prices(chain: Chain, book: AddressBook, tokens: Sequence[TokenRef]) -> dict[str, int]:
    """sqrtPriceX96 of each token's USDC pool, by symbol."""
    states = pool_states(chain, book.contracts.multicall3, [t.pool for t in tokens])
    return {t.symbol: s.sqrt_price_x96 for t, s in zip(tokens, states, strict=True)}


def _request(usdc: str, leg: PlannedLeg) -> QuoteRequest:
    if leg.direction is Direction.BUY:
        return QuoteRequest(usdc, leg.token.address, leg.token.fee, leg.amount_in)
    return QuoteRequest(leg.token.address, usdc, leg.token.fee, leg.amount_in)


def _checked(leg: PlannedLeg, quote: Quote | ContractReverted) -> TokenUnits:
    if not isinstance(quote, Quote):
        raise InputError(
            f"no quote for {leg.token_in} -> {leg.token_out} ({leg.amount_in} base units): {quote}",
            hint="The pool may lack liquidity for this size; try a smaller amount.",
        )
    return TokenUnits(quote.amount_out)


def quote_outs(chain: Chain, book: AddressBook, legs: Sequence[PlannedLeg]) -> list[TokenUnits]:
    """Every leg's QuoterV2 output, in one call (InputError naming a leg it cannot quote)."""
    if not legs:
        return []
    c = book.contracts
    quotes = quote_batched(
        chain, c.quoter_v2, c.multicall3, [_request(c.usdc, leg) for leg in legs]
    )
    return [_checked(leg, quote) for leg, quote in zip(legs, quotes, strict=True)]


@dataclass(frozen=True)
class QuotesRead:
    """Each leg's pool state and QuoterV2 output in one Multicall3 `eth_call`: built here,
    sent by the caller (alone, or batched with other calls), decoded here."""

    book: AddressBook
    legs: tuple[PlannedLeg, ...]

    def call(self) -> EthCall:
        c = self.book.contracts
        calls = pool_state_calls([leg.token.pool for leg in self.legs]) + quote_calls(
            c.quoter_v2, [_request(c.usdc, leg) for leg in self.legs]
        )
        return aggregate_call(
            c.multicall3, calls, gas=QUOTE_GAS_PER_LEG * len(self.legs) + 1_000_000
        )

    def decode(self, output: bytes | ContractReverted) -> list[QuotedLeg]:
        results = decode_aggregate(output)
        states = results[: 2 * len(self.legs)]
        for leg, (ok, _) in zip(self.legs, states[::2], strict=True):
            if not ok:
                raise UnexpectedAnswer(
                    f"the {leg.token.symbol}/USDC pool {leg.token.pool}", "slot0() reverted"
                )
        prices = decode_pool_states(states)
        quotes = results[2 * len(self.legs) :]
        return [
            QuotedLeg(leg, price.sqrt_price_x96, _checked(leg, decode_quote(ok, data)))
            for leg, price, (ok, data) in zip(self.legs, prices, quotes, strict=True)
        ]


def quote_legs(chain: Chain, book: AddressBook, legs: Sequence[PlannedLeg]) -> list[QuotedLeg]:
    """Every leg quoted by QuoterV2, with its pool's mid price, in one `eth_call`."""
    if not legs:
        return []
    read = QuotesRead(book, tuple(legs))
    (output,) = call_batch(chain, [read.call()])
    return read.decode(output)


@dataclass(frozen=True)
class Balances:
    tokens: dict[str, TokenUnits]  # symbol -> base units
    usdc: UsdcUnits


def vault_balances(chain: Chain, book: AddressBook, holder: str) -> Balances:
    """`holder`'s balance of every listed token and of USDC, in one call."""
    addresses = [*(t.address for t in book.tokens), book.contracts.usdc]
    data = BALANCE_OF.call(holder)
    results = aggregate_raw(
        chain, book.contracts.multicall3, [(a, data) for a in addresses], allow_failure=False
    )
    values = [TokenUnits(int.from_bytes(out, "big")) for _, out in results]
    tokens = {t.symbol: v for t, v in zip(book.tokens, values, strict=False)}
    return Balances(tokens, usdc_units(values[-1]))
