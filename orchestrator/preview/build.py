"""Assemble a Preview from a plan's quoted legs and the gas estimate. Pure.

Rounding: min-outs and values round down, impact rounds up, the buy fee is exactly the
vault's `floor(amount * fee_bps / 10_000)`; a sell's fee is computed on the expected gross
and on the minimum gross the same way, so both totals are what the vault would pay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orchestrator.domain.impact import ImpactTier
from orchestrator.domain.legs import Direction, GuardedLeg, QuotedLeg
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import (
    BPS,
    WEI_PER_ETH,
    Bps,
    Gas,
    TokenUnits,
    UsdcUnits,
    Wei,
    fee_rounded_down,
    mul_div_up,
    usdc_units,
)
from orchestrator.errors import InputError
from orchestrator.preview.model import GasPreview, Outflow, Preview, PreviewKind
from orchestrator.preview.slippage import auto_max_slippage_bps, check_max_slippage

__all__ = ["GasFacts", "PreviewContext", "build_preview", "choose_max_slippage"]

NO_FRACTION = Bps(0)  # a buy or a withdrawal sells no share of the holdings
PIPS_PER_UNIT = 1_000_000  # a Uniswap V3 fee tier is in hundredths of a bip


@dataclass(frozen=True)
class GasFacts:
    likely_gas: Gas
    max_gas: Gas
    likely_fee_per_gas_wei: Wei
    max_fee_per_gas_wei: Wei
    eth_price_usdc: UsdcUnits | None  # per 1 ETH, at a pool's mid price; None if unknown
    deploys_account: bool
    creates_vault: bool
    eth_price_source: str | None = None

    def preview(self) -> GasPreview:
        likely = Wei(self.likely_gas * self.likely_fee_per_gas_wei)
        most = Wei(self.max_gas * self.max_fee_per_gas_wei)
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
            eth_price_usdc=self.eth_price_usdc,
            eth_price_source=self.eth_price_source if self.eth_price_usdc is not None else None,
        )

    def usdc(self, wei: Wei) -> UsdcUnits | None:
        """`wei` in USDC at the ETH pool's mid price; costs round up."""
        if self.eth_price_usdc is None:
            return None
        return usdc_units(mul_div_up(wei, self.eth_price_usdc, WEI_PER_ETH))


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
    fee_bps: Bps
    user_op_hash: str
    user_op: dict[str, str]
    force: bool = False  # accept legs at >= 15% impact


def choose_max_slippage(
    max_slippage_bps: int | None, gas: GasFacts, value_usdc: int
) -> tuple[Bps, bool]:
    """(max slippage in bps, whether it was chosen automatically): the user's, checked,
    else from the gas cost as a share of the value."""
    if max_slippage_bps is not None:
        return check_max_slippage(max_slippage_bps), False
    likely_cost = gas.usdc(Wei(gas.likely_gas * gas.likely_fee_per_gas_wei))
    return auto_max_slippage_bps(likely_cost, value_usdc), True


def _usdc_value(leg: GuardedLeg, amount: TokenUnits, sqrt_price_x96: int, usdc: str) -> int:
    """A leg's output in USDC base units at mid (a sell's output already is USDC)."""
    if leg.direction is Direction.SELL:
        return amount
    return value_in_usdc(amount, sqrt_price_x96, token_is_0=token_is_token0(leg.token, usdc))


def _impact_warnings(legs: Sequence[GuardedLeg], force: bool) -> tuple[list[str], bool, bool]:
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


def _values(legs: Sequence[GuardedLeg], prices: Mapping[str, int], usdc: str) -> tuple[int, int]:
    """(expected, least) output of the legs in USDC at mid: at the quotes, at the min-outs."""
    expected = sum(_usdc_value(g, g.expected_out, prices[g.symbol], usdc) for g in legs)
    least = sum(_usdc_value(g, g.min_out, prices[g.symbol], usdc) for g in legs)
    return expected, least


def build_preview(
    kind: PreviewKind,
    quotes: Sequence[QuotedLeg],
    *,
    ctx: PreviewContext,
    gas: GasFacts,
    max_slippage_bps: Bps,
    slippage_is_auto: bool,
    usdc_amount: UsdcUnits,
    cash_usdc: UsdcUnits,
    fraction_bps: Bps = NO_FRACTION,
    dropped: Sequence[tuple[str, str]] = (),
    outflows: Sequence[Outflow] = (),
) -> Preview:
    """`usdc_amount`: a buy's USDC paid in (fee included); ignored for sells (computed).
    Each quoted leg is guarded with min-out = its quote less `max_slippage_bps`."""
    if ctx.ttl_s <= 0:
        raise InputError(f"a preview must live a positive time, got {ctx.ttl_s} s")
    prices = {q.token.symbol: q.sqrt_price_x96 for q in quotes}
    legs = tuple(q.guarded_by_slippage(max_slippage_bps, usdc=ctx.usdc) for q in quotes)
    expected, least = _values(legs, prices, ctx.usdc)
    pool_fees = sum(_pool_fee_usdc(g) for g in legs)
    at_mid = 0
    if kind is PreviewKind.BUY:
        fee = fee_rounded_down(usdc_amount, ctx.fee_bps)
        value, min_value = expected + cash_usdc, least + cash_usdc
        impact_usdc = usdc_amount - fee - pool_fees - value
    elif kind is PreviewKind.WITHDRAW:  # in kind: no swap, no fee; cash_usdc = value at mid
        fee, value, min_value = usdc_units(0), cash_usdc, cash_usdc
        impact_usdc = 0
    else:
        gross, min_gross = usdc_units(expected + cash_usdc), usdc_units(least + cash_usdc)
        fee = fee_rounded_down(gross, ctx.fee_bps)
        usdc_amount = gross
        value, min_value = gross - fee, min_gross - fee_rounded_down(min_gross, ctx.fee_bps)
        at_mid = sum(g.mid_out for g in legs) + cash_usdc
        impact_usdc = at_mid - pool_fees - fee - value
    # weighted by each leg's USDC size: a buy's input, a sell's output at mid
    sizes = [g.amount_in if g.direction is Direction.BUY else g.mid_out for g in legs]
    weight = sum(sizes)
    weighted = sum(g.price_impact_bps * size for g, size in zip(legs, sizes, strict=True))
    impact = mul_div_up(weighted, 1, weight) if weight else 0
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
    if not slippage_is_auto and max_slippage_bps > 1_000:
        warnings.append(f"max slippage {max_slippage_bps / 100:.2f}% is unusually wide")
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
        max_slippage_bps=max_slippage_bps,
        slippage_is_auto=slippage_is_auto,
        legs=legs,
        cash_usdc=cash_usdc,
        fraction_bps=fraction_bps,
        expected_value_usdc=usdc_units(value),
        min_expected_value_usdc=usdc_units(min_value),
        price_impact_bps=Bps(impact),
        gas=gas_preview,
        warnings=tuple(warnings),
        needs_explicit_confirmation=confirm,
        blocked=blocked,
        dropped=tuple(dropped),
        deadline_s=ctx.deadline_s,
        user_op_hash=ctx.user_op_hash,
        user_op=ctx.user_op,
        pool_fees_usdc=usdc_units(pool_fees),
        price_impact_usdc=impact_usdc,
        value_at_mid_usdc=usdc_units(at_mid),
        outflows=tuple(outflows),
    )


def _pool_fee_usdc(leg: GuardedLeg) -> int:
    """The pool's LP fee on a leg, in USDC (rounded up): a buy pays it on its USDC input,
    a sell on its token input, worth its output at mid."""
    base = leg.amount_in if leg.direction is Direction.BUY else leg.mid_out
    return mul_div_up(base, leg.pool_fee, PIPS_PER_UNIT)
