"""The local market, on eth-tester and anvil: real Uniswap V3 contracts seeded from a snapshot."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from eth_utils import keccak

from orchestrator.artifacts import load_artifact, load_npm_artifact
from orchestrator.chain.uniswap import (
    QuoteRequest,
    quote_batched,
    quote_exact_input_single,
)
from orchestrator.errors import ContractReverted
from orchestrator.localmarket import AddressBook
from orchestrator.localmarket.pricing import token_decimals
from orchestrator.service import LocalMarket

# Uniswap V3's POOL_INIT_CODE_HASH, compiled into the periphery (PoolAddress.sol).
POOL_INIT_CODE_HASH = "e34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"


def test_shipped_pool_bytecode_matches_the_periphery_init_code_hash() -> None:
    assert keccak(hexstr=load_npm_artifact("UniswapV3Pool").bytecode).hex() == POOL_INIT_CODE_HASH


def test_pool_prices_are_within_a_tenth_of_a_percent_of_the_snapshot(market: LocalMarket) -> None:
    rows = market.pool_rows()
    assert len(rows) == len(market.book.tokens) >= 5
    for row in rows:
        assert abs(row.deviation_bps) < Decimal(10), row  # 0.1% = 10 bps


def test_tokens_carry_their_decimals_and_pools_are_the_factorys(market: LocalMarket) -> None:
    w3, c = market.chain.w3, market.book.contracts
    factory = w3.eth.contract(
        address=c.uniswap_v3_factory, abi=load_npm_artifact("UniswapV3Factory").abi
    )
    for token in market.book.tokens:
        erc20 = w3.eth.contract(address=token.address, abi=load_artifact("TestToken").abi)
        assert erc20.functions.decimals().call() == token.decimals == token_decimals(token.symbol)
        assert erc20.functions.symbol().call() == token.symbol
        assert factory.functions.getPool(token.address, c.usdc, token.fee).call() == token.pool
    usdc = w3.eth.contract(address=c.usdc, abi=load_artifact("TestToken").abi)
    assert usdc.functions.decimals().call() == 6


def test_bigger_caps_get_deeper_pools(market: LocalMarket) -> None:
    tokens = market.book.tokens
    by_cap = sorted(tokens, key=lambda t: t.snapshot_market_cap_usd)
    assert by_cap[0].seeded_depth_usd <= by_cap[-1].seeded_depth_usd
    small, big = by_cap[0], by_cap[-1]
    c = market.book.contracts
    size = 20_000 * 10**6
    impacts = []
    for token in (small, big):
        quote = quote_exact_input_single(
            market.chain, c.quoter_v2, QuoteRequest(c.usdc, token.address, token.fee, size)
        )
        value_usd = Decimal(quote.amount_out).scaleb(-token.decimals) * token.snapshot_price_usd
        impacts.append(1 - value_usd / Decimal(20_000))
    assert impacts[0] > impacts[1] > Decimal("0.003")  # both pay the 0.3% fee; the small cap more


def test_swap_delivers_what_quoterv2_quoted(fresh_market: LocalMarket) -> None:
    symbol = fresh_market.book.tokens[2].symbol
    amount = 2_500 * 10**6
    fresh_market.fund_usdc(fresh_market.deployer.address, amount)
    outcome = fresh_market.buy_token_with_usdc(symbol, amount)
    assert outcome.received_out == outcome.quoted_out > 0
    assert 80_000 < outcome.gas_used < 250_000


def test_batched_quotes_equal_single_quotes(market: LocalMarket) -> None:
    c = market.book.contracts
    requests = [
        QuoteRequest(c.usdc, t.address, t.fee, (i + 1) * 333 * 10**6)
        for i, t in enumerate(market.book.tokens)
    ]
    batched = quote_batched(market.chain, c.quoter_v2, c.multicall3, requests)
    single = [quote_exact_input_single(market.chain, c.quoter_v2, r) for r in requests]
    # gas_estimate legitimately differs (a pool is warm for later calls in one batch)
    assert [
        (q.amount_out, q.sqrt_price_x96_after, q.initialized_ticks_crossed) for q in batched
    ] == [(q.amount_out, q.sqrt_price_x96_after, q.initialized_ticks_crossed) for q in single]


def test_a_failing_leg_does_not_sink_the_batch(market: LocalMarket) -> None:
    c = market.book.contracts
    good = QuoteRequest(c.usdc, market.book.tokens[0].address, market.book.tokens[0].fee, 10**6)
    no_pool = QuoteRequest(c.usdc, c.weth9, 3000, 10**6)
    results = quote_batched(market.chain, c.quoter_v2, c.multicall3, [good, no_pool, good])
    assert results[0].amount_out == results[2].amount_out > 0  # type: ignore[union-attr]
    assert isinstance(results[1], ContractReverted)


def test_address_book_round_trips_through_json(market: LocalMarket, tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    market.book.save(path)
    assert AddressBook.load(path) == market.book
    assert market.book.market_is_synthetic
    assert market.book.token(market.book.tokens[0].symbol).address == market.book.tokens[0].address


def test_the_market_includes_a_wired_entry_point(market: LocalMarket) -> None:
    from orchestrator.wallet.smart_account import AAContracts, verify_account_abstraction

    c = market.book.contracts
    verify_account_abstraction(
        market.chain,
        AAContracts(entry_point=c.entry_point, simple_account_factory=c.simple_account_factory),
    )
