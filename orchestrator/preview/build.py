"""Assemble a Preview from a plan, its quotes and the gas estimate. Pure.

Rounding: min-outs and values round down, impact rounds up, the buy fee is exactly the
vault's `floor(amount * fee_bps / 10_000)`; a sell's fee is computed on the expected gross
and on the minimum gross the same way, so both totals are what the vault would pay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.domain.impact import ImpactTier, impact_tier, price_impact_bps
from orchestrator.domain.legs import BPS, Direction, PlannedLeg
from orchestrator.domain.prices import mid_out, token_is_token0, value_in_usdc
from orchestrator.errors import InputError
from orchestrator.preview.model import GasPreview, LegPreview, Preview, PreviewKind
from orchestrator.preview.slippage import auto_slippage_bps, check_user_slippage, min_out

USDC_DECIMALS = 6
WEI_PER_ETH = 10**18


@dataclass(frozen=True)
class LegQuote:
    """A planned leg with its pool's mid price and the quoter's answer."""

    leg: PlannedLeg
    sqrt_price_x96: int
    amount_out: int


@dataclass(frozen=True)
class GasFacts:
    likely_gas: int
    max_gas: int
    likely_fee_per_gas_wei: int
    max_fee_per_gas_wei: int
    eth_price_usdc: int | None  # USDC base units per 1 ETH, from a pool; None if unknown
    deploys_account: bool
    creates_vault: bool

    def preview(self) -> GasPreview:
        likely = self.likely_gas * self.likely_fee_per_gas_wei
        most = self.max_gas * self.max_fee_per_gas_wei
        return GasPreview(
            likely_gas=self.likely_gas,
            max_gas=self.max_gas,
            likely_fee_per_gas_wei=self.likely_fee_per_gas_wei,
            max_fee_per_gas_wei=self.max_fee_per_gas_wei,
            likely_cost_wei=likely,
            max_cost_wei=most,
            likely_cost_usdc=self.usdc(likely),
            max_cost_usdc=self.usdc(most),
            deploys_account=self.deploys_account,
            creates_vault=self.creates_vault,
        )

    def usdc(self, wei: int) -> int | None:
        if self.eth_price_usdc is None:
            return None
        return -(-wei * self.eth_price_usdc // WEI_PER_ETH)  # costs round up


@dataclass(frozen=True)
class PreviewContext:
    quote_id: str
    chain_id: int
    owner: str
    vault: str
    usdc: str
    now_s: int
    ttl_s: int
    deadline_s: int
    regime: str
    fee_bps: int
    user_op_hash: str
    user_op: dict[str, str]
    force: bool = False  # accept legs at >= 15% impact


def choose_slippage(user_bps: int | None, gas: GasFacts, value_usdc: int) -> tuple[int, bool]:
    """(max slippage in bps, whether it was chosen automatically)."""
    if user_bps is not None:
        return check_user_slippage(user_bps), False
    return auto_slippage_bps(
        gas.usdc(gas.likely_gas * gas.likely_fee_per_gas_wei), value_usdc
    ), True


def _leg_preview(q: LegQuote, usdc: str, slippage_bps: int) -> LegPreview:
    leg, token = q.leg, q.leg.token
    is0 = token_is_token0(token.address, usdc)
    zero_for_one = is0 if leg.direction is Direction.SELL else not is0
    mid = mid_out(leg.amount_in, q.sqrt_price_x96, zero_for_one=zero_for_one)
    impact = price_impact_bps(q.amount_out, mid, token.fee)
    buying = leg.direction is Direction.BUY
    pair = f"USDC/{token.symbol}" if buying else f"{token.symbol}/USDC"
    return LegPreview(
        symbol=token.symbol,
        token=token.address,
        direction=leg.direction.value,
        route=f"Uniswap V3 {pair} {token.fee / 10_000:.2f}%",
        pool=token.pool,
        pool_fee=token.fee,
        amount_in=leg.amount_in,
        in_decimals=USDC_DECIMALS if buying else token.decimals,
        expected_out=q.amount_out,
        min_out=min_out(q.amount_out, slippage_bps),
        out_decimals=token.decimals if buying else USDC_DECIMALS,
        mid_out=mid,
        price_impact_bps=impact,
        impact_tier=impact_tier(impact),
        target_bps=leg.target_bps,
    )


def _usdc_value(leg: LegPreview, amount: int, quotes: dict[str, LegQuote], usdc: str) -> int:
    """A leg's output in USDC base units at mid (a sell's output already is USDC)."""
    if leg.direction == Direction.SELL.value:
        return amount
    return value_in_usdc(
        amount, quotes[leg.symbol].sqrt_price_x96, token_is_0=token_is_token0(leg.token, usdc)
    )


def _impact_warnings(legs: Sequence[LegPreview], force: bool) -> tuple[list[str], bool, bool]:
    warnings, confirm, blocked = [], False, False
    for leg in legs:
        pct = f"{leg.price_impact_bps / 100:.2f}%"
        if leg.impact_tier is ImpactTier.BLOCKED:
            blocked = blocked or not force
            confirm = True  # forcing lifts the block, never the explicit confirmation
            warnings.append(
                f"{leg.symbol}: price impact {pct} (15% or more): blocked unless forced"
            )
        elif leg.impact_tier is ImpactTier.CONFIRM:
            confirm = True
            warnings.append(f"{leg.symbol}: price impact {pct} (10% or more): confirm this leg")
        elif leg.impact_tier is not ImpactTier.OK:
            warnings.append(f"{leg.symbol}: price impact {pct} ({leg.impact_tier.value})")
    return warnings, confirm or blocked, blocked


def build_preview(
    kind: PreviewKind,
    quotes: Sequence[LegQuote],
    *,
    ctx: PreviewContext,
    gas: GasFacts,
    slippage_bps: int,
    slippage_is_auto: bool,
    usdc_amount: int,
    cash_usdc: int,
    fraction_bps: int = 0,
    dropped: Sequence[tuple[str, str]] = (),
) -> Preview:
    """`usdc_amount`: a buy's USDC paid in (fee included); ignored for sells (computed)."""
    if ctx.ttl_s <= 0:
        raise InputError(f"a preview must live a positive time, got {ctx.ttl_s} s")
    by_symbol = {q.leg.token.symbol: q for q in quotes}
    legs = tuple(_leg_preview(q, ctx.usdc, slippage_bps) for q in quotes)
    expected = sum(_usdc_value(leg, leg.expected_out, by_symbol, ctx.usdc) for leg in legs)
    least = sum(_usdc_value(leg, leg.min_out, by_symbol, ctx.usdc) for leg in legs)
    if kind is PreviewKind.BUY:
        fee = usdc_amount * ctx.fee_bps // BPS
        value, min_value = expected + cash_usdc, least + cash_usdc
    elif kind is PreviewKind.WITHDRAW:  # in kind: no swap, no fee; cash_usdc = value at mid
        fee, value, min_value = 0, cash_usdc, cash_usdc
    else:
        gross, min_gross = expected + cash_usdc, least + cash_usdc
        fee = gross * ctx.fee_bps // BPS
        usdc_amount = gross
        value, min_value = gross - fee, min_gross - min_gross * ctx.fee_bps // BPS
    # weighted by each leg's USDC size: a buy's input, a sell's output at mid
    sizes = [leg.amount_in if leg.direction == Direction.BUY.value else leg.mid_out for leg in legs]
    weight = sum(sizes)
    weighted = sum(leg.price_impact_bps * size for leg, size in zip(legs, sizes, strict=True))
    impact = -(-weighted // weight) if weight else 0
    warnings, confirm, blocked = _impact_warnings(legs, ctx.force)
    gas_preview = gas.preview()
    if gas_preview.likely_cost_usdc is not None and value > 0:
        share = gas_preview.likely_cost_usdc * BPS // value
        if share >= 100:
            warnings.append(f"estimated gas is {share / 100:.2f}% of the value: consider more")
    if gas.deploys_account:
        warnings.append("this operation also deploys your smart account (first use)")
    if gas.creates_vault:
        warnings.append("this operation also creates your vault (first buy)")
    if not slippage_is_auto and slippage_bps > 1_000:
        warnings.append(f"max slippage {slippage_bps / 100:.2f}% is unusually wide")
    verb = "not bought" if kind is PreviewKind.BUY else "not sold"
    warnings += [f"{symbol} {verb}: {why}" for symbol, why in dropped]
    return Preview(
        quote_id=ctx.quote_id,
        kind=kind,
        chain_id=ctx.chain_id,
        owner=ctx.owner,
        vault=ctx.vault,
        created_at_s=ctx.now_s,
        expires_at_s=ctx.now_s + ctx.ttl_s,
        regime=ctx.regime,
        usdc_amount=usdc_amount,
        fee_bps=ctx.fee_bps,
        platform_fee_usdc=fee,
        max_slippage_bps=slippage_bps,
        slippage_is_auto=slippage_is_auto,
        legs=legs,
        cash_usdc=cash_usdc,
        fraction_bps=fraction_bps,
        expected_value_usdc=value,
        min_expected_value_usdc=min_value,
        price_impact_bps=impact,
        gas=gas_preview,
        warnings=tuple(warnings),
        needs_explicit_confirmation=confirm,
        blocked=blocked,
        dropped=tuple(dropped),
        deadline_s=ctx.deadline_s,
        user_op_hash=ctx.user_op_hash,
        user_op=ctx.user_op,
    )
