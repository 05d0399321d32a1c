"""Batched rebalancing: many opted-in vaults in one `BatchSettlement.settle` transaction.

Pure planning (no chain access) of what the keeper sends for a set of vaults:

- `pack` groups planned vaults (`PlannedMember`: legs sized, not yet quoted) into batches
  whose estimated gas fits a budget (a share of the block's gas limit), in ascending vault
  order, as `settle` requires. A batch's legs are quoted and guarded (`BatchMember`: min-outs
  at or above each vault's oracle floor) only when its turn comes, after the cycle's earlier
  batches have moved the pools: guarded at the cycle's start, a later batch's min-outs would
  be stale by what the earlier batches' net swaps did to the price (the 30-vault bench lost
  3 vaults to `InsufficientOutput` that way, ~0.7% under a min-out quoted before the first
  batch sold the same tokens);
- `settle_call` builds the calldata: one net per token (the sum of the vaults' sells and buys
  of it, crossed at the pool's mid price; only the rest is swapped), each vault's legs and
  its net indices.

The gas model is fitted to `BatchGasBenchTest` (a 25-leg vault adds ~686k gas, ~27k a leg;
each token's swap and first writes ~96k) with ~10% to spare; the pre-flight estimate, not
the model, decides what is signed. At the default budget a batch holds ~21 vaults of 25 legs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from orchestrator.chain.vault_binding import SETTLE, LegStruct, NetStruct, OrderStruct, guarded_legs
from orchestrator.domain.legs import Direction, GuardedLeg
from orchestrator.planning.rebalance import RebalancePlan

__all__ = [
    "DEFAULT_GAS_BUDGET",
    "GAS_PER_LEG",
    "GAS_PER_TOKEN",
    "GAS_PER_VAULT",
    "BatchMember",
    "PlannedMember",
    "estimated_gas",
    "nets_for",
    "pack",
    "settle_call",
]

GAS_PER_LEG = 30_000
GAS_PER_VAULT = 40_000
GAS_PER_TOKEN = 120_000  # its one pool swap, the batch's reads and first writes
GAS_BASE = 100_000
DEFAULT_GAS_BUDGET = 20_000_000  # its estimate + 20% margin stays under a 30M block


@dataclass(frozen=True)
class BatchMember:
    """One vault of a batch: its guarded legs, and the notes its plan produced."""

    vault: str
    sells: list[GuardedLeg]
    buys: list[GuardedLeg]
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def legs(self) -> int:
        return len(self.sells) + len(self.buys)

    @property
    def tokens(self) -> set[str]:
        return {leg.token for leg in (*self.sells, *self.buys)}


@dataclass(frozen=True)
class PlannedMember:
    """One vault of the cycle bound for a batch: its plan (legs sized at the cycle's mid
    prices), its cash, and the notes its plan produced; quoted and guarded at its batch's turn."""

    vault: str
    plan: RebalancePlan
    cash_usdc: int
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def legs(self) -> int:
        return len(self.plan.sells) + len(self.plan.buys)

    @property
    def tokens(self) -> set[str]:
        return {leg.token.address for leg in (*self.plan.sells, *self.plan.buys)}


class _Packable(Protocol):
    @property
    def vault(self) -> str: ...
    @property
    def legs(self) -> int: ...
    @property
    def tokens(self) -> set[str]: ...


M = TypeVar("M", bound=_Packable)


def estimated_gas(members: Sequence[_Packable]) -> int:
    tokens = {token for m in members for token in m.tokens}
    legs = sum(m.legs for m in members)
    return (
        GAS_BASE + GAS_PER_TOKEN * len(tokens) + GAS_PER_VAULT * len(members) + GAS_PER_LEG * legs
    )


def pack(members: Sequence[M], gas_budget: int) -> list[list[M]]:
    """Batches (each in ascending vault order) whose estimated gas fits `gas_budget`; a vault
    that alone exceeds it still gets a batch of its own (its pre-flight decides). Planned
    members pack by their planned legs: guarding only drops legs, so a guarded batch fits too."""
    batches: list[list[M]] = []
    current: list[M] = []
    for member in sorted(members, key=lambda m: int(m.vault, 16)):
        if current and estimated_gas([*current, member]) > gas_budget:
            batches.append(current)
            current = []
        current.append(member)
    if current:
        batches.append(current)
    return batches


def nets_for(members: Sequence[BatchMember]) -> list[NetStruct]:
    """One net per token, ascending by address. Crossing at the mid price (`mid_out` of each
    leg): if the sells are worth at least the buys, the net sells the tokens the buyers do not
    take; otherwise it buys with the USDC the sellers do not take. Never 0 and never above
    what the paying side hands over (else the contract refuses)."""
    sold: dict[str, int] = {}  # token units the vaults sell
    sold_usdc: dict[str, int] = {}  # their mid value in USDC
    paid: dict[str, int] = {}  # USDC the vaults pay for the token
    bought_units: dict[str, int] = {}  # the token units that buys at mid
    fees: dict[str, int] = {}
    for m in members:
        for leg in m.sells:
            sold[leg.token] = sold.get(leg.token, 0) + leg.amount_in
            sold_usdc[leg.token] = sold_usdc.get(leg.token, 0) + leg.mid_out
            fees[leg.token] = leg.pool_fee
        for leg in m.buys:
            paid[leg.token] = paid.get(leg.token, 0) + leg.amount_in
            bought_units[leg.token] = bought_units.get(leg.token, 0) + leg.mid_out
            fees[leg.token] = leg.pool_fee
    nets = []
    for token in sorted(fees, key=lambda t: int(t, 16)):
        s, s_usdc = sold.get(token, 0), sold_usdc.get(token, 0)
        p, p_units = paid.get(token, 0), bought_units.get(token, 0)
        if s_usdc >= p and s > 0:
            amount = _within(s - min(p_units, s), s)
            nets.append(NetStruct(token, fees[token], True, amount))
        else:
            amount = _within(p - min(s_usdc, p), p)
            nets.append(NetStruct(token, fees[token], False, amount))
    return nets


def _within(amount: int, side: int) -> int:
    """At least a ten-thousandth of the paying side (a net of a few wei sets no price)."""
    return min(max(amount, side // 10_000, 1), side)


def settle_call(members: Sequence[BatchMember], deadline_s: int) -> bytes:
    """`settle(nets, orders, deadline)` calldata for `members` (ascending vaults)."""
    nets = nets_for(members)
    index = {net.token: k for k, net in enumerate(nets)}
    orders = []
    for m in sorted(members, key=lambda m: int(m.vault, 16)):
        legs = [*m.sells, *m.buys]
        orders.append(
            OrderStruct(
                m.vault,
                _legs(m.sells),
                _legs(m.buys),
                bytes(index[leg.token] for leg in legs),
            )
        )
    return SETTLE.call(list(nets), orders, deadline_s)


def _legs(legs: Sequence[GuardedLeg]) -> list[LegStruct]:
    assert all(leg.direction in (Direction.SELL, Direction.BUY) for leg in legs)
    return guarded_legs(legs)
