"""Holdings, cash and average-cost basis replayed from a vault's actions (pure).

    book = replay(group_actions(events), usdc=usdc_address)

Per token: amount = Σ amountOut in − Σ amountIn out − withdrawals in kind (SPECIFICATION
§5); cash (the vault's USDC) = Σ buys' (usdcIn − fee − usdcSwapped) + Σ leg proceeds −
Σ sells' paid-out proceeds and cash − USDC withdrawn in kind.

Cost basis, by **average cost**, in USDC base units:
- a leg USDC → token adds its `amountIn` (USDC paid) to the token's basis;
- a leg token → USDC (sell or rebalance) removes the cost of the amount sold,
  `floor(basis * sold / held)`, and realises `proceeds − that cost`;
- a withdrawal in kind removes the cost of what left the same way and counts what it
  was worth when it left (the withdrawal preview's mid value) as withdrawn, realising
  `value − cost` like a sale without a swap; with no recorded value, at cost (realising
  nothing).
Rounding: the cost of a part rounds **down**; the remainder stays in the position, so
basis is conserved exactly and selling or withdrawing everything removes all of it.

Fees (Bought.fee + Sold.fee) are counted separately; they are not part of any basis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address

from orchestrator.errors import EventsInconsistent
from orchestrator.ledger.event_records import (
    Action,
    Bought,
    Sold,
    Swapped,
    WithdrawnInKind,
)

__all__ = ["Book", "Position", "replay"]


@dataclass(frozen=True)
class Position:
    token: str
    amount: int  # token base units
    cost_basis_usdc: int  # USDC base units, average cost


@dataclass(frozen=True)
class Book:
    """Where the vault stands after its actions, and the flows that brought it there."""

    usdc: str
    cash_usdc: int
    positions: tuple[Position, ...]  # every token ever held, by address
    deposits_usdc: int  # Σ Bought.usdcIn
    withdrawals_usdc: int  # Σ Sold.paid + in-kind withdrawals at cost
    fees_usdc: int  # Σ Bought.fee + Sold.fee
    realised_pnl_usdc: int  # Σ proceeds − cost of what was sold

    def holdings(self) -> dict[str, int]:
        """token → amount, USDC (cash) included."""
        return {self.usdc: self.cash_usdc, **{p.token: p.amount for p in self.positions}}


@dataclass
class _State:
    usdc: str
    cash: int = 0
    amounts: dict[str, int] = field(default_factory=dict)
    basis: dict[str, int] = field(default_factory=dict)
    deposits: int = 0
    withdrawals: int = 0
    fees: int = 0
    realised: int = 0
    values: dict[tuple[str, str], int] = field(default_factory=dict)

    def remove(self, token: str, amount: int, tx_hash: str) -> int:
        """Take `amount` of `token` out; returns its cost (rounded down)."""
        held = self.amounts.get(token, 0)
        if amount > held:
            raise EventsInconsistent(
                f"{amount} of {token} left the vault, which held {held}", tx_hash=tx_hash
            )
        basis = self.basis.get(token, 0)
        cost = basis * amount // held if held else 0
        self.amounts[token] = held - amount
        self.basis[token] = basis - cost
        return cost

    def take_cash(self, amount: int, tx_hash: str) -> None:
        if amount > self.cash:
            raise EventsInconsistent(
                f"{amount} USDC left the vault, which held {self.cash}", tx_hash=tx_hash
            )
        self.cash -= amount


# (transaction hash in lower case, checksummed token) -> USDC value when it left in kind
WithdrawalValues = Mapping[tuple[str, str], int]


def replay(
    actions: Iterable[Action], *, usdc: str, withdrawal_values: WithdrawalValues | None = None
) -> Book:
    """Apply the actions in order. Raises EventsInconsistent when they do not add up
    (more leaving than held, a leg without USDC, totals that disagree with the legs).
    `withdrawal_values`: what tokens withdrawn in kind were worth at the time (the
    previews' mid values); such a withdrawal counts at that value and realises its gain or
    loss against the cost, like a sale without a swap. Without one: at cost."""
    state = _State(to_checksum_address(usdc), values=dict(withdrawal_values or {}))
    for action in actions:
        deposit_first = isinstance(action.event, Bought)  # pulled before the legs ran
        if deposit_first:
            _head(state, action)
        for leg in action.swaps:
            _swap(state, leg)
        if not deposit_first:
            _head(state, action)
    tokens = sorted(state.amounts)
    return Book(
        usdc=state.usdc,
        cash_usdc=state.cash,
        positions=tuple(Position(t, state.amounts[t], state.basis[t]) for t in tokens),
        deposits_usdc=state.deposits,
        withdrawals_usdc=state.withdrawals,
        fees_usdc=state.fees,
        realised_pnl_usdc=state.realised,
    )


def _swap(state: _State, leg: Swapped) -> None:
    token_in, token_out = to_checksum_address(leg.token_in), to_checksum_address(leg.token_out)
    if token_in == state.usdc and token_out != state.usdc:  # buy leg
        state.take_cash(leg.amount_in, leg.tx_hash)
        state.amounts[token_out] = state.amounts.get(token_out, 0) + leg.amount_out
        state.basis[token_out] = state.basis.get(token_out, 0) + leg.amount_in
    elif token_out == state.usdc and token_in != state.usdc:  # sell leg
        cost = state.remove(token_in, leg.amount_in, leg.tx_hash)
        state.realised += leg.amount_out - cost
        state.cash += leg.amount_out
    else:
        raise EventsInconsistent(
            f"leg {token_in} → {token_out} at log index {leg.log_index} does not trade USDC",
            tx_hash=leg.tx_hash,
        )


def _head(state: _State, action: Action) -> None:
    event, tx_hash = action.event, action.tx_hash
    if isinstance(event, Bought):
        _check(sum(s.amount_in for s in action.swaps), event.usdc_swapped, "usdcSwapped", tx_hash)
        state.deposits += event.usdc_in
        state.fees += event.fee_usdc
        state.cash += event.usdc_in - event.fee_usdc
    elif isinstance(event, Sold):
        _check(sum(s.amount_out for s in action.swaps), event.proceeds_usdc, "proceeds", tx_hash)
        _check(
            event.proceeds_usdc + event.cash_usdc - event.fee_usdc, event.paid_usdc, "paid", tx_hash
        )
        state.take_cash(event.proceeds_usdc + event.cash_usdc, tx_hash)
        state.fees += event.fee_usdc
        state.withdrawals += event.paid_usdc
    elif isinstance(event, WithdrawnInKind):
        for raw, amount in zip(event.tokens, event.amounts, strict=True):
            token = to_checksum_address(raw)
            if token == state.usdc:
                state.take_cash(amount, tx_hash)
                state.withdrawals += amount
            else:
                cost = state.remove(token, amount, tx_hash)
                value = state.values.get((tx_hash.lower(), token), cost)
                state.realised += value - cost
                state.withdrawals += value


def _check(from_legs: int, stated: int, name: str, tx_hash: str) -> None:
    if from_legs != stated:
        raise EventsInconsistent(
            f"the legs add up to {from_legs}, {name} says {stated}", tx_hash=tx_hash
        )
