"""Move a local market's Uniswap V3 pools to target USD prices: one real swap per pool.

A test-market tool (it mints tokens at will), for replaying a price path, such as a
simulated year of weekly prices, on the real pools of `open_local_market`.

An arbitrageur (a dev account) is given freshly minted test tokens and sends, per pool, one
SwapRouter02 `exactInputSingle` whose `sqrtPriceLimitX96` is the target sqrt price. The
router (swap-router-contracts 1.3.1, `V3SwapRouter.exactInputInternal`) hands the limit to
`pool.swap`, which stops there; the pool's callback then pulls from the payer only the input
it consumed. A partial fill therefore neither reverts (min-out is 0) nor leaves funds in the
router: the arbitrageur keeps whatever was not needed. The input is sized with Uniswap V3's
own integer math over the pool's active liquidity (exact for the local market's full-range
positions), plus a small headroom so that the price limit, not the input, ends the swap.

Rounding: target sqrt prices round down (as the pool seeding does); input amounts round up
(as the pool charges). Amounts are integers in base units throughout; Decimal appears only
at the edges (target prices in, USD prices of a `PriceMove` out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from eth_utils.crypto import keccak
from hexbytes import HexBytes

from orchestrator.chain.abi import decode as abi_decode
from orchestrator.chain.backends import Chain
from orchestrator.chain.transactor import Sendable, Transactor, TxReceipt
from orchestrator.chain.uniswap import pool_states
from orchestrator.domain.prices import Q96
from orchestrator.domain.units import PIPS, USDC_DECIMALS, mul_div_up
from orchestrator.errors import InputError, InvalidValue, UnexpectedAnswer
from orchestrator.localmarket.addressbook import AddressBook, TokenEntry
from orchestrator.localmarket.deploy import GAS_APPROVE, GAS_MINT
from orchestrator.localmarket.pricing import (
    price_usd_from_sqrt_price_x96,
    sqrt_price_x96_for_usd_price,
)


class LocalMarket(Protocol):
    """What moving prices needs of a local market: its chain, its deployer (who mints),
    and its address book."""

    @property
    def chain(self) -> Chain: ...

    @property
    def deployer(self) -> Transactor: ...

    @property
    def book(self) -> AddressBook: ...


__all__ = [
    "DEFAULT_ARBITRAGEUR_INDEX",
    "PriceMove",
    "amount_in_to_reach",
    "set_prices",
    "sqrt_price_x96_for",
    "within_tolerance",
]

DEFAULT_ARBITRAGEUR_INDEX = 6
# Explicit gas (py-evm's estimate is slow). A swap inside one tick-bitmap word uses about
# 115-135k; each further word it walks (256 tick spacings: a factor of about 4.6 in price at
# the 0.3% tier) adds about 17k, so this covers moves of a factor of a million.
GAS_SWAP = 300_000
# Input beyond the computed need: the pool's steps at tick-bitmap word boundaries each round
# up on their own, so the true need can exceed the one-step estimate by a few base units.
HEADROOM_PER_MILLE = 1
HEADROOM_UNITS = 100
SWAP_TOPIC = HexBytes(keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)"))


# --- pure math -------------------------------------------------------------------------------


def _scale_by_power_of_ten(value: Decimal, exponent: int) -> Decimal:
    """`value * 10**exponent`, exactly (only the exponent moves; no context rounding)."""
    if not value.is_finite():
        raise InvalidValue(f"price must be a finite number, got {value}", name="price", value=value)
    sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)  # finite
    return Decimal((sign, digits, exp + exponent))


def sqrt_price_x96_for(
    price_usd: Decimal,
    token_decimals: int,
    *,
    token_is_token0: bool,
    usdc_decimals: int = USDC_DECIMALS,
) -> int:
    """The sqrtPriceX96 of a token/USDC pool where the token is worth `price_usd` USDC.

    The pool price is token1 base units per token0 base unit; the result is
    floor(sqrt(price) * 2**96), rounded down. Delegates to the seeding math
    (`pricing.sqrt_price_x96_for_usd_price`), a USDC with other than 6 decimals folded
    exactly into the price. Raises ValueError for a non-positive price or one outside
    Uniswap V3's range."""
    scaled = _scale_by_power_of_ten(price_usd, usdc_decimals - USDC_DECIMALS)
    return sqrt_price_x96_for_usd_price(scaled, token_decimals, token_is_token0)


def amount_in_to_reach(
    sqrt_price_x96: int, target_sqrt_price_x96: int, liquidity: int, fee: int
) -> int:
    """Input (base units, fee included) a swap needs to move a pool from `sqrt_price_x96` to
    `target_sqrt_price_x96` while its active `liquidity` stays the same (no initialised tick
    in between, as with full-range positions).

    Mirrors the pool's own rounding: `SqrtPriceMath.getAmount0Delta` / `getAmount1Delta`
    rounded up, then the fee `mulDivRoundingUp(amountIn, fee, 1e6 - fee)` of a step that
    reaches its target. The pool splits a long move into steps at tick-bitmap word
    boundaries and rounds each up, so it may take a few base units more than this."""
    if sqrt_price_x96 <= 0 or target_sqrt_price_x96 <= 0 or liquidity < 0:
        raise InvalidValue(
            "sqrt prices must be positive and liquidity non-negative",
            name="sqrt_price_x96",
            value=(sqrt_price_x96, target_sqrt_price_x96, liquidity),
        )
    if not 0 <= fee < PIPS:
        raise InvalidValue(f"fee must be in [0, {PIPS}), got {fee}", name="fee", value=fee)
    if target_sqrt_price_x96 < sqrt_price_x96:  # zeroForOne: token0 in, price falls
        step = mul_div_up(liquidity << 96, sqrt_price_x96 - target_sqrt_price_x96, sqrt_price_x96)
        net = -(-step // target_sqrt_price_x96)
    else:  # oneForZero: token1 in, price rises
        net = mul_div_up(liquidity, target_sqrt_price_x96 - sqrt_price_x96, Q96)
    return net + mul_div_up(net, fee, PIPS - fee)


def within_tolerance(
    sqrt_price_x96: int, target_sqrt_price_x96: int, *, token_is_token0: bool, tolerance_bps: int
) -> bool:
    """Whether the token's USD price at `sqrt_price_x96` is within `tolerance_bps` of the
    target's: |price / target - 1| <= tolerance_bps / 10_000, compared exactly in integers."""
    now, target = sqrt_price_x96**2, target_sqrt_price_x96**2
    # The token's USD price is proportional to the pool price when it is token0, to its
    # inverse when it is token1: the ratio price / target is now/target or target/now.
    reference = target if token_is_token0 else now
    return abs(now - target) * 10_000 <= tolerance_bps * reference


# --- the moves -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceMove:
    """One pool's move. `side` is what the arbitrageur did with the token: "buy" (paid USDC,
    the price rose), "sell" (paid the token, it fell), or None when the pool was already
    within tolerance and left untouched (no transaction, nothing spent)."""

    symbol: str
    decimals: int
    token_is_token0: bool
    target_price_usd: Decimal
    sqrt_price_x96_before: int
    sqrt_price_x96_target: int
    sqrt_price_x96_after: int
    side: Literal["buy", "sell"] | None
    amount_in: int  # base units paid to the pool, fee included (USDC on a buy, token on a sell)
    amount_out: int  # base units received (token on a buy, USDC on a sell)
    gas_used: int
    tx_hash: str | None
    reached: bool  # the pool's price ended exactly at the target (or was within tolerance)

    @property
    def skipped(self) -> bool:
        return self.side is None

    @property
    def price_usd_before(self) -> Decimal:
        return price_usd_from_sqrt_price_x96(
            self.sqrt_price_x96_before, self.decimals, self.token_is_token0
        )

    @property
    def price_usd_after(self) -> Decimal:
        return price_usd_from_sqrt_price_x96(
            self.sqrt_price_x96_after, self.decimals, self.token_is_token0
        )


@dataclass(frozen=True)
class _Plan:
    token: TokenEntry
    target_price_usd: Decimal
    before: int
    target: int
    token_in: str  # address
    token_out: str
    budget: int  # base units of token_in offered (the need plus headroom)


def _target(token: TokenEntry, price_usd: Decimal) -> int:
    try:
        return sqrt_price_x96_for(price_usd, token.decimals, token_is_token0=token.token_is_token0)
    except ValueError as error:
        raise InputError(f"cannot price {token.symbol} at {price_usd} USD: {error}") from error


def _swap_amounts(receipt: TxReceipt, pool: str, zero_for_one: bool) -> tuple[int, int, int]:
    """(amount in, amount out, sqrtPriceX96 after) from the pool's Swap event."""
    for log in receipt["logs"]:
        if log["address"].lower() == pool.lower() and log["topics"][:1] == [SWAP_TOPIC]:
            amount0, amount1, sqrt_price, _, _ = abi_decode(
                ["int256", "int256", "uint160", "uint128", "int24"], bytes(log["data"])
            )
            paid, got = (amount0, amount1) if zero_for_one else (amount1, amount0)
            return int(paid), -int(got), int(sqrt_price)
    raise UnexpectedAnswer(
        f"swap {receipt['transactionHash'].to_0x_hex()}", f"no Swap event of pool {pool}"
    )


def set_prices(
    market: LocalMarket,
    prices_usd: Mapping[str, Decimal],
    *,
    arbitrageur_index: int = DEFAULT_ARBITRAGEUR_INDEX,
    tolerance_bps: int = 1,
) -> list[PriceMove]:
    """Move each named pool's mid price to its target USD price; one `PriceMove` per symbol,
    in the order given.

    A test-market tool: refused (InputError) on a chain that is not local. The deployer
    mints the arbitrageur (`chain.accounts[arbitrageur_index]`) exactly what this call may
    spend (the computed need plus a 0.1% + 100-unit headroom, rounded up), and the
    arbitrageur approves the router for that whole amount, once per input token; then one
    `exactInputSingle` per pool with the target as price limit. Pools already within
    `tolerance_bps` of their target are left untouched (no transaction). The mints go out
    back to back and are awaited, then the approvals and swaps likewise, all with explicit
    gas. What a swap did is read from the pool's Swap event. `reached` is False when a swap
    stopped short of its target: the pool held more liquidity on the way than the sizing
    saw (a position ending between the two prices), so the offered input ran out. Uniswap
    V3 crosses a price range without liquidity at no cost, so an empty range beyond the
    positions does not stop a swap: it ends at the target with nothing more paid."""
    chain = market.chain
    if not chain.is_local:
        raise InputError(
            f"{chain.label} is not a local chain: moving prices mints test tokens",
            hint="Use a market opened on `eth_tester` or `anvil`.",
        )
    if not 0 < arbitrageur_index < len(chain.accounts):
        raise InputError(
            f"arbitrageur_index must name a dev account other than the deployer "
            f"(1..{len(chain.accounts) - 1}), got {arbitrageur_index}"
        )
    if tolerance_bps < 0:
        raise InputError(f"tolerance_bps must be non-negative, got {tolerance_bps}")
    book, c = market.book, market.book.contracts
    tokens = [book.token(symbol) for symbol in prices_usd]
    targets = [_target(t, prices_usd[t.symbol]) for t in tokens]
    states = pool_states(chain, c.multicall3, [t.pool for t in tokens])

    plans: list[_Plan | None] = []
    for token, target, state in zip(tokens, targets, states, strict=True):
        now = state.sqrt_price_x96
        if now == target or within_tolerance(
            now, target, token_is_token0=token.token_is_token0, tolerance_bps=tolerance_bps
        ):
            plans.append(None)
            continue
        token0, token1 = (
            (token.address, c.usdc) if token.token_is_token0 else (c.usdc, token.address)
        )
        zero_for_one = target < now
        token_in, token_out = (token0, token1) if zero_for_one else (token1, token0)
        need = amount_in_to_reach(now, target, state.liquidity, token.fee)
        budget = need + -(-need * HEADROOM_PER_MILLE // 1000) + HEADROOM_UNITS
        plans.append(
            _Plan(token, prices_usd[token.symbol], now, target, token_in, token_out, budget)
        )

    receipts = _send(market, [p for p in plans if p is not None], arbitrageur_index)
    moves = []
    for token, target, state, plan in zip(tokens, targets, states, plans, strict=True):
        if plan is None:
            moves.append(
                PriceMove(
                    symbol=token.symbol, decimals=token.decimals,
                    token_is_token0=token.token_is_token0,
                    target_price_usd=prices_usd[token.symbol],
                    sqrt_price_x96_before=state.sqrt_price_x96, sqrt_price_x96_target=target,
                    sqrt_price_x96_after=state.sqrt_price_x96, side=None,
                    amount_in=0, amount_out=0, gas_used=0, tx_hash=None, reached=True,
                )
            )  # fmt: skip
            continue
        receipt = receipts[token.symbol]
        zero_for_one = plan.target < plan.before
        amount_in, amount_out, after = _swap_amounts(receipt, token.pool, zero_for_one)
        moves.append(
            PriceMove(
                symbol=token.symbol, decimals=token.decimals,
                token_is_token0=token.token_is_token0, target_price_usd=plan.target_price_usd,
                sqrt_price_x96_before=plan.before, sqrt_price_x96_target=plan.target,
                sqrt_price_x96_after=after,
                side="sell" if plan.token_in == token.address else "buy",
                amount_in=amount_in, amount_out=amount_out,
                gas_used=int(receipt["gasUsed"]),
                tx_hash=receipt["transactionHash"].to_0x_hex(),
                reached=after == plan.target,
            )
        )  # fmt: skip
    return moves


def _send(market: LocalMarket, plans: list[_Plan], arbitrageur_index: int) -> dict[str, TxReceipt]:
    """Mint (from the deployer), then approve and swap (from the arbitrageur): each group
    sent back to back, then awaited in order. Returns each symbol's swap receipt."""
    if not plans:
        return {}
    chain, c = market.chain, market.book.contracts
    arbitrageur = Transactor(market.chain, market.chain.accounts[arbitrageur_index])
    market.deployer.resync()  # other code may have sent from the deployer's key since
    totals: dict[str, int] = {}
    for plan in plans:
        totals[plan.token_in] = totals.get(plan.token_in, 0) + plan.budget
    mints: list[tuple[Sendable, int]] = []
    approvals: list[tuple[Sendable, int]] = []
    for address, total in totals.items():
        erc20 = chain.contract("TestToken", address)
        mints.append((erc20.functions.mint(arbitrageur.address, total), GAS_MINT))
        approvals.append((erc20.functions.approve(c.swap_router02, total), GAS_APPROVE))
    router = chain.npm_contract("SwapRouter02", c.swap_router02)
    swaps: list[tuple[Sendable, int]] = [
        (
            router.functions.exactInputSingle(
                (p.token_in, p.token_out, p.token.fee, arbitrageur.address, p.budget, 0, p.target)
            ),
            GAS_SWAP,
        )
        for p in plans
    ]
    market.deployer.send_all(mints)  # the arbitrageur holds its tokens before it swaps
    receipts = arbitrageur.send_all(approvals + swaps)
    swap_receipts = receipts[len(approvals) :]
    return {p.token.symbol: r for p, r in zip(plans, swap_receipts, strict=True)}
