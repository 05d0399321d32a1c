"""Pure keeper planning: one vault's rebalance within its mandate.

- targets are restricted to the tokens the mandate allows (through the same pool the
  network's address book lists) and renormalised, so an owner who allows 20 tokens holds
  a fully invested 20-token index, weighted as the strategy weights them;
- holdings outside the allowlist are left alone (the keeper may not trade them) and are
  not part of the NAV the keeper steers;
- every leg's min-out is the quote less the keeper's own max slippage (rounded down),
  raised to the vault's oracle floor (the most protective of the spot and the two
  half-window TWAPs, less the mandate's max slippage) when that is higher; a leg whose
  quote is already below the floor, or that the vault's price guard refuses (history too
  short, oracle ring too small, price unsettled), is dropped with the vault's reason;
- buys never spend more than the vault's USDC plus the sells' *minimum* proceeds, so the
  rebalance can never run out of cash halfway (buys are scaled down, rounding down).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orchestrator.domain.legs import (
    Direction,
    GuardedLeg,
    Holding,
    QuotedLeg,
    TokenRef,
)
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import BPS, Bps, TokenUnits, min_out_rounded_down, split_by_weights
from orchestrator.errors import InvalidValue
from orchestrator.keeper.reads import NO_TWAP, UNSETTLED, VaultState
from orchestrator.planning.rebalance import RebalanceBands, RebalancePlan, plan_rebalance
from orchestrator.strategy.signal import Regime

__all__ = [
    "allowed_targets",
    "apply_floors",
    "fund_buys",
    "oracle_blocked",
    "plan_vault",
]


def allowed_targets(
    weights_bps: Mapping[str, int], allowed: Mapping[str, int], tokens: Sequence[TokenRef]
) -> dict[str, int]:
    """The strategy's weights among the tokens this mandate lets the keeper trade through
    the listed pool, renormalised to 10 000 bps (largest remainders; exact sum)."""
    fee_of = {t.symbol: t.fee for t in tokens}
    kept = {s: w for s, w in weights_bps.items()
            if w > 0 and s in fee_of and allowed.get(s) == fee_of[s]}  # fmt: skip
    if not kept:
        return {}
    return {s: w for s, w in split_by_weights(BPS, kept).items() if w > 0}


def plan_vault(
    state: VaultState,
    *,
    weights_bps: Mapping[str, int],
    regime: Regime,
    tokens: Sequence[TokenRef],
    sqrt_prices_x96: Mapping[str, int],
    usdc: str,
    bands: RebalanceBands,
) -> tuple[RebalancePlan, list[tuple[str, str]]]:
    """The vault's rebalance plan and the notes on what the mandate kept out of it."""
    refs = {t.symbol: t for t in tokens}
    tradable = [t for t in tokens if state.allowed.get(t.symbol) == t.fee]
    notes = [(s, "held but not in the mandate's allowlist: left alone")
             for s, amount in sorted(state.balances.items())
             if amount > 0 and s in refs and state.allowed.get(s) != refs[s].fee]  # fmt: skip
    holdings = [Holding(t, state.balances.get(t.symbol, TokenUnits(0))) for t in tradable
                if state.balances.get(t.symbol, 0) > 0]  # fmt: skip
    values = {
        h.token.symbol: value_in_usdc(
            h.amount, sqrt_prices_x96[h.token.symbol],
            token_is_0=token_is_token0(h.token.address, usdc),
        )
        for h in holdings
    }  # fmt: skip
    targets = allowed_targets(weights_bps, state.allowed, tokens)
    if regime is Regime.BULL and weights_bps and not targets:
        notes.append(("*", "the mandate allows none of this week's index tokens"))
    plan = plan_rebalance(
        holdings, values, cash_usdc=state.cash_usdc, weights_bps=targets, tokens=tradable,
        regime=regime, bands=bands,
    )  # fmt: skip
    return plan, notes


OFF_TWAP = "price is off its TWAP by more than the mandate allows"


def oracle_blocked(dropped: Sequence[tuple[str, str]]) -> bool:
    """Whether a leg was dropped for a reason that time cures (the pool's TWAP has too few
    observations, its price moved more than the slippage within the window, or it is off
    the TWAP, e.g. by this run's own trades)."""
    return any(
        why == NO_TWAP or why.startswith(UNSETTLED) or why.endswith(f"({OFF_TWAP})")
        for _, why in dropped
    )


def apply_floors(
    legs: Sequence[QuotedLeg],
    floors: Sequence[tuple[int, int] | str],
    *,
    max_slippage_bps: Bps,
    usdc: str,
) -> tuple[list[GuardedLeg], list[tuple[str, str]]]:
    """Guard each leg: min-out = its quote less `max_slippage_bps` (rounded down), raised to
    the vault's floor; drop the legs the vault would reject, each with the vault's reason
    (its price guard refuses the leg, or the leg is quoted below the floor). A mandate's
    tolerance is below 100%: a keeper never sets a min-out of zero."""
    if not 0 <= max_slippage_bps < BPS:
        raise InvalidValue(
            f"the keeper's tolerance {max_slippage_bps} bps is outside [0, {BPS})",
            name="max_slippage_bps",
            value=max_slippage_bps,
        )
    kept: list[GuardedLeg] = []
    dropped: list[tuple[str, str]] = []
    for q, floor in zip(legs, floors, strict=True):
        symbol = q.token.symbol
        if isinstance(floor, str):
            dropped.append((symbol, floor))
        elif q.quoted_out < floor[1]:
            dropped.append(
                (
                    symbol,
                    f"quote {q.quoted_out} is below the oracle floor {floor[1]} ({OFF_TWAP})",
                )
            )
        else:
            own = min_out_rounded_down(q.quoted_out, max_slippage_bps)
            kept.append(q.guarded(TokenUnits(max(own, floor[1])), usdc=usdc))
    return kept, dropped


def fund_buys(
    buys: Sequence[QuotedLeg], *, cash_usdc: int, sells: Sequence[GuardedLeg], min_trade_usdc: int
) -> tuple[list[QuotedLeg], list[tuple[str, str]], bool]:
    """Buys scaled so their USDC never exceeds cash + the sells' min-outs (rounds down).
    A scaled quote is scaled proportionally, which understates it: a V3 swap's average
    price only improves for a smaller input. Returns (buys, dropped, scaled)."""
    budget = cash_usdc + sum(s.min_out for s in sells if s.direction is Direction.SELL)
    wanted = sum(b.amount_in for b in buys)
    if wanted <= budget:
        return list(buys), [], False
    kept: list[QuotedLeg] = []
    dropped: list[tuple[str, str]] = []
    for b in buys:
        amount = b.amount_in * budget // wanted
        if amount < min_trade_usdc or amount == 0:
            dropped.append((b.token.symbol, "too small once scaled to the cash available"))
            continue
        kept.append(b.scaled_to(TokenUnits(amount)))
    return kept, dropped, True
