"""Moving local pools to target prices: the pure math, then real swaps on eth-tester and anvil."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal, localcontext
from fractions import Fraction
from math import ceil

import pytest

from orchestrator.chain import Chain
from orchestrator.chain.bindings import bind_ours
from orchestrator.chain.uniswap import PoolState, pool_states
from orchestrator.errors import InputError
from orchestrator.localmarket import price_moves
from orchestrator.localmarket.price_moves import (
    PriceMove,
    amount_in_to_reach,
    set_prices,
    sqrt_price_x96_for,
    within_tolerance,
)
from orchestrator.localmarket.pricing import (
    price_usd_from_sqrt_price_x96,
    sqrt_price_x96_for_usd_price,
)
from orchestrator.service import LocalMarket, open_local_market

Q96 = 2**96
# Enough tokens that the synthetic market has a pool of each token order (USDC as token0
# and as token1; the tests check that it does). The moves themselves run on a sample of
# `SAMPLE_POOLS` pools that covers both orders and every decimals, to stay fast.
WIDE_MARKET_TOKENS = 20
SAMPLE_POOLS = 5
MOVES = (Decimal("1.3"), Decimal("0.7"), Decimal("1.7"), Decimal("0.3"))  # ±30%, ±70%


# --- pure ------------------------------------------------------------------------------------


def independent_sqrt_price_x96(
    price_usd: Decimal, token_decimals: int, usdc_decimals: int, token_is_token0: bool
) -> int:
    """floor(sqrt(pool price) * 2**96) with Decimal's sqrt at 100 digits."""
    with localcontext() as ctx:
        ctx.prec = 100
        price = price_usd * Decimal(10) ** usdc_decimals / Decimal(10) ** token_decimals
        if not token_is_token0:
            price = 1 / price
        return int(price.sqrt() * Q96)


PRICES = ["0.000001234", "0.0372768592005", "1", "19.4248866106", "19500.8137213", "3456789.5"]


@pytest.mark.parametrize("price", PRICES)
@pytest.mark.parametrize("token_decimals", [6, 8, 18])
@pytest.mark.parametrize("token_is_token0", [True, False])
@pytest.mark.parametrize("usdc_decimals", [6, 18])
def test_sqrt_price_matches_an_independent_decimal_computation(
    price: str, token_decimals: int, token_is_token0: bool, usdc_decimals: int
) -> None:
    got = sqrt_price_x96_for(
        Decimal(price), token_decimals, token_is_token0=token_is_token0, usdc_decimals=usdc_decimals
    )
    assert got == independent_sqrt_price_x96(
        Decimal(price), token_decimals, usdc_decimals, token_is_token0
    )


@pytest.mark.parametrize("token_decimals", [6, 8, 18])
@pytest.mark.parametrize("token_is_token0", [True, False])
def test_sqrt_price_is_the_seeding_math_for_a_six_decimal_usdc(
    token_decimals: int, token_is_token0: bool
) -> None:
    price = Decimal("450.550226597")
    got = sqrt_price_x96_for(price, token_decimals, token_is_token0=token_is_token0)
    assert got == sqrt_price_x96_for_usd_price(price, token_decimals, token_is_token0)
    back = price_usd_from_sqrt_price_x96(got, token_decimals, token_is_token0)
    assert abs(back / price - 1) < Decimal("1e-12")


def test_sqrt_price_keeps_every_digit_of_a_long_price() -> None:
    price = Decimal("1.23456789012345678901234567890123456789")  # 39 digits > default prec 28
    got = sqrt_price_x96_for(price, 18, token_is_token0=True, usdc_decimals=18)
    assert got == independent_sqrt_price_x96(price, 18, 18, True)
    assert got != sqrt_price_x96_for(Decimal("1.234567890123456789012345679"), 18,
                                     token_is_token0=True, usdc_decimals=18)  # fmt: skip


@pytest.mark.parametrize("bad", ["0", "-1", "NaN", "Infinity", "1e80"])
def test_sqrt_price_refuses_prices_it_cannot_represent(bad: str) -> None:
    with pytest.raises(ValueError):
        sqrt_price_x96_for(Decimal(bad), 18, token_is_token0=True)


def independent_amount_in(now: int, target: int, liquidity: int, fee: int) -> int:
    """The exact input (Fraction), each of net and fee rounded up once."""
    if target < now:
        net = ceil(Fraction(liquidity * Q96 * (now - target), now * target))
    else:
        net = ceil(Fraction(liquidity * (target - now), Q96))
    return net + ceil(Fraction(net * fee, 1_000_000 - fee))


@pytest.mark.parametrize("fee", [100, 500, 3000, 10_000])
@pytest.mark.parametrize("factor", ["1.3", "0.7", "1.7", "0.3", "1.0001"])
def test_amount_in_to_reach_matches_exact_rational_math(fee: int, factor: str) -> None:
    now = sqrt_price_x96_for(Decimal("19500.8137213"), 8, token_is_token0=True)
    target = sqrt_price_x96_for(Decimal("19500.8137213") * Decimal(factor), 8,
                                token_is_token0=True)  # fmt: skip
    liquidity = 1_234_567_890_123_456_789
    assert amount_in_to_reach(now, target, liquidity, fee) == independent_amount_in(
        now, target, liquidity, fee
    )


def test_amount_in_to_reach_is_nothing_for_no_move_or_no_liquidity() -> None:
    assert amount_in_to_reach(Q96, Q96, 10**18, 3000) == 0
    assert amount_in_to_reach(Q96, 2 * Q96, 0, 3000) == 0
    with pytest.raises(ValueError):
        amount_in_to_reach(Q96, 2 * Q96, 10**18, 1_000_000)


def test_tolerance_is_on_the_tokens_usd_price_in_either_token_order() -> None:
    for is0 in (True, False):
        target = sqrt_price_x96_for(Decimal(100), 18, token_is_token0=is0)
        for price, inside in (("100.0099", True), ("99.9901", True), ("100.011", False),
                              ("99.989", False)):  # fmt: skip
            now = sqrt_price_x96_for(Decimal(price), 18, token_is_token0=is0)
            assert within_tolerance(now, target, token_is_token0=is0, tolerance_bps=1) is inside
        assert within_tolerance(target, target, token_is_token0=is0, tolerance_bps=0)


# --- on chain ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def market(backend: str) -> Iterator[LocalMarket]:
    """conftest's market, wider: `fresh_market` (snapshot + revert per test) uses this one."""
    with closing(open_local_market(chain_target=backend, tokens=WIDE_MARKET_TOKENS)) as wide:
        yield wide


def states_of(market: LocalMarket) -> dict[str, PoolState]:
    tokens = market.book.tokens
    states = pool_states(market.chain, market.book.contracts.multicall3, [t.pool for t in tokens])
    return {t.symbol: s for t, s in zip(tokens, states, strict=True)}


def mid_prices(market: LocalMarket) -> dict[str, Decimal]:
    return {r.symbol: r.pool_price_usd for r in market.pool_rows()}


def sample(market: LocalMarket) -> list[str]:
    """Pools of both token orders and of every decimals first, then the biggest."""
    tokens = market.book.tokens
    assert {t.token_is_token0 for t in tokens} == {True, False}, "need both token orders"
    assert {t.decimals for t in tokens} >= {8, 18}
    firsts: dict[tuple[str, int], str] = {}
    for t in tokens:
        firsts.setdefault(("token0", t.token_is_token0), t.symbol)
        firsts.setdefault(("decimals", t.decimals), t.symbol)
    return list(dict.fromkeys([*firsts.values(), *(t.symbol for t in tokens)]))[:SAMPLE_POOLS]


def assert_at_targets(market: LocalMarket, targets: dict[str, Decimal]) -> None:
    states = states_of(market)
    for symbol, target in targets.items():
        token = market.book.token(symbol)
        price = price_usd_from_sqrt_price_x96(
            states[symbol].sqrt_price_x96, token.decimals, token.token_is_token0
        )
        assert abs(price / target - 1) * 10_000 <= 1, (symbol, price, target)


@pytest.mark.parametrize("rotation", range(len(MOVES)))
def test_one_swap_moves_every_pool_to_its_target(fresh_market: LocalMarket, rotation: int) -> None:
    market = fresh_market
    before = states_of(market)
    start = mid_prices(market)
    targets = {
        symbol: start[symbol] * MOVES[(i + rotation) % len(MOVES)]
        for i, symbol in enumerate(sample(market))
    }
    block = market.chain.w3.eth.block_number

    moves = set_prices(market, targets)

    assert [m.symbol for m in moves] == list(targets)
    assert_at_targets(market, targets)
    after = states_of(market)
    assert all(after[s] == before[s] for s in after if s not in targets)  # others untouched
    swaps = 0
    for move in moves:
        token = market.book.token(move.symbol)
        state = before[move.symbol]
        assert move.reached
        assert not move.skipped
        assert move.tx_hash is not None
        assert move.sqrt_price_x96_before == state.sqrt_price_x96
        assert move.sqrt_price_x96_after == after[move.symbol].sqrt_price_x96
        assert move.sqrt_price_x96_after == move.sqrt_price_x96_target  # the limit stopped it
        assert move.side == ("buy" if move.target_price_usd > start[move.symbol] else "sell")
        # The pool took what V3 math says (its internal steps each round up: a unit or two).
        need = amount_in_to_reach(
            state.sqrt_price_x96, move.sqrt_price_x96_target, state.liquidity, token.fee
        )
        assert 0 <= move.amount_in - need <= 4, (move.symbol, move.amount_in, need)
        assert move.amount_out > 0
        assert 0 < move.gas_used < price_moves.GAS_SWAP
        assert abs(move.price_usd_after / move.target_price_usd - 1) < Decimal("1e-9")
        swaps += 1
    # One swap per pool; plus one mint and one approval per input token (tokens sold + USDC).
    sold = sum(m.side == "sell" for m in moves)
    bought = sum(m.side == "buy" for m in moves)
    assert swaps == len(targets)
    assert market.chain.w3.eth.block_number - block == swaps + 2 * (sold + (bought > 0))


def test_the_arbitrageur_keeps_only_the_headroom(fresh_market: LocalMarket) -> None:
    market = fresh_market
    symbol = market.book.tokens[0].symbol
    arbitrageur = market.chain.accounts[price_moves.DEFAULT_ARBITRAGEUR_INDEX].address
    usdc = bind_ours(market.chain.w3, "TestToken", market.book.contracts.usdc)
    held = int(usdc.functions.balanceOf(arbitrageur).call())
    state = states_of(market)[symbol]
    (move,) = set_prices(market, {symbol: mid_prices(market)[symbol] * 2})
    need = amount_in_to_reach(state.sqrt_price_x96, move.sqrt_price_x96_target, state.liquidity,
                              market.book.token(symbol).fee)  # fmt: skip
    minted = need + -(-need // 1000) + price_moves.HEADROOM_UNITS
    assert move.side == "buy"
    assert int(usdc.functions.balanceOf(arbitrageur).call()) == held + minted - move.amount_in
    router = market.book.contracts.swap_router02
    assert int(usdc.functions.allowance(arbitrageur, router).call()) == minted - move.amount_in


def test_pools_at_their_target_are_left_untouched(fresh_market: LocalMarket) -> None:
    market = fresh_market
    prices = mid_prices(market)
    symbols = list(prices)
    moved, kept = symbols[:3], symbols[3:6]
    targets = {s: prices[s] * Decimal("1.3") for s in moved}
    set_prices(market, targets)
    # Within 1 bp of the current mid: nothing is sent at all.
    again = {**targets, **{s: prices[s] * Decimal("1.00005") for s in kept}}
    block = market.chain.w3.eth.block_number
    before = states_of(market)
    moves = set_prices(market, again)
    assert market.chain.w3.eth.block_number == block
    assert states_of(market) == before
    assert all(m.skipped and m.tx_hash is None and m.amount_in == 0 and m.reached for m in moves)
    assert all(m.sqrt_price_x96_after == m.sqrt_price_x96_before for m in moves)
    # With a tighter tolerance the same targets are moves again.
    tighter = set_prices(market, {s: again[s] for s in kept}, tolerance_bps=0)
    assert all(m.reached and not m.skipped for m in tighter)
    assert_at_targets(market, {s: again[s] for s in kept})


def test_an_unreachable_target_is_reported_not_pretended(
    fresh_market: LocalMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the offered input runs out first (here: sized at half the need), the pool stops
    short and the move says so."""
    market = fresh_market
    real = price_moves.amount_in_to_reach
    monkeypatch.setattr(price_moves, "amount_in_to_reach", lambda *a: real(*a) // 2)
    monkeypatch.setattr(price_moves, "HEADROOM_PER_MILLE", 0)
    monkeypatch.setattr(price_moves, "HEADROOM_UNITS", 0)
    symbol = market.book.tokens[1].symbol
    (move,) = set_prices(market, {symbol: mid_prices(market)[symbol] * Decimal("0.5")})
    assert not move.reached
    assert move.side == "sell"
    # between where it started and the target (which way sqrtPrice moves: token order)
    low, high = sorted((move.sqrt_price_x96_target, move.sqrt_price_x96_before))
    assert low < move.sqrt_price_x96_after < high
    assert states_of(market)[symbol].sqrt_price_x96 == move.sqrt_price_x96_after


def test_bad_requests_are_refused_before_anything_is_sent(fresh_market: LocalMarket) -> None:
    market = fresh_market
    symbol = market.book.tokens[0].symbol
    block = market.chain.w3.eth.block_number
    for prices, kwargs in (
        ({"NOPE": Decimal(1)}, {}),
        ({symbol: Decimal(0)}, {}),
        ({symbol: Decimal(-5)}, {}),
        ({symbol: Decimal(2)}, {"arbitrageur_index": 0}),
        ({symbol: Decimal(2)}, {"arbitrageur_index": 99}),
        ({symbol: Decimal(2)}, {"tolerance_bps": -1}),
    ):
        with pytest.raises(InputError):
            set_prices(market, prices, **kwargs)
    assert market.chain.w3.eth.block_number == block
    assert set_prices(market, {}) == []


def test_a_chain_that_is_not_local_is_refused(market: LocalMarket) -> None:
    remote = Chain(w3=market.chain.w3, kind="rpc", label="https://rpc.example",
                   chain_id=market.chain.chain_id)  # fmt: skip
    elsewhere = LocalMarket(chain=remote, deployer=market.deployer, book=market.book)
    symbol = market.book.tokens[0].symbol
    with pytest.raises(InputError, match="not a local chain"):
        set_prices(elsewhere, {symbol: Decimal(1)})


def test_a_price_move_reports_usd_prices() -> None:
    sqrt = sqrt_price_x96_for(Decimal(2), 6, token_is_token0=False)
    move = PriceMove(
        symbol="X", decimals=6, token_is_token0=False, target_price_usd=Decimal(2),
        sqrt_price_x96_before=sqrt, sqrt_price_x96_target=sqrt, sqrt_price_x96_after=sqrt,
        side=None, amount_in=0, amount_out=0, gas_used=0, tx_hash=None, reached=True,
    )  # fmt: skip
    assert move.skipped
    assert abs(move.price_usd_before - 2) < Decimal("1e-20")
    assert move.price_usd_after == move.price_usd_before
