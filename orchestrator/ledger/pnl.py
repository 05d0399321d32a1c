"""Profit and loss of a vault at given prices (pure), in USDC base units; gas in wei.

    report = pnl(book, {token: Price(usdc=1_234_560_000, per=10**18)}, gas_paid_wei=...)

A `Price` is a ratio of integers: `usdc` USDC base units for `per` base units of the
token (e.g. per = 10**decimals for "USDC per whole token"; or usdc = sqrtPriceX96**2,
per = 2**192 for a pool price in raw units). A position's value is
`floor(amount * usdc / per)`: values round **down**.

    unrealised = Σ (value − cost basis)          over open positions
    net        = realised + unrealised − fees
    equity     = cash + Σ value
and, exactly (no rounding slack): equity + withdrawals − deposits == net.

Gas is what the owner's operations paid (the journal's `actualGasCost` sum), reported
separately in wei; converting it to USD is the caller's job.
"""

from __future__ import annotations

from collections.abc import Mapping

from eth_utils.address import to_checksum_address
from pydantic.dataclasses import dataclass

from orchestrator.errors import InputError, MissingPrice
from orchestrator.ledger.positions import Book

__all__ = ["PnL", "PositionValue", "Price", "pnl"]


@dataclass(frozen=True)
class Price:
    """`usdc` USDC base units buy `per` base units of the token."""

    usdc: int
    per: int

    def __post_init__(self) -> None:
        if self.usdc < 0 or self.per <= 0:
            raise InputError(
                f"a price needs usdc >= 0 and per > 0, got usdc={self.usdc}, per={self.per}"
            )

    @classmethod
    def per_whole_token(cls, usdc_base_units: int, decimals: int) -> Price:
        """`usdc_base_units` of USDC for one whole token of `decimals` decimals."""
        return cls(usdc_base_units, 10**decimals)

    def value_of(self, amount: int) -> int:
        """USDC base units, rounded down."""
        return amount * self.usdc // self.per


@dataclass(frozen=True)
class PositionValue:
    token: str
    amount: int  # token base units
    cost_basis_usdc: int
    value_usdc: int  # at the given price, rounded down
    unrealised_pnl_usdc: int  # value − cost basis


@dataclass(frozen=True)
class PnL:
    cash_usdc: int
    positions: tuple[PositionValue, ...]  # open positions (amount or cost basis > 0)
    market_value_usdc: int  # Σ position values (cash excluded)
    cost_basis_usdc: int  # Σ open cost basis
    equity_usdc: int  # cash + market value
    deposits_usdc: int
    withdrawals_usdc: int  # paid out on sells + in-kind withdrawals at their value then
    fees_usdc: int
    realised_pnl_usdc: int
    unrealised_pnl_usdc: int
    net_pnl_usdc: int  # realised + unrealised − fees
    gas_paid_wei: int  # not in net_pnl_usdc: another unit


def pnl(book: Book, prices: Mapping[str, Price], *, gas_paid_wei: int = 0) -> PnL:
    """Values every open position at `prices` (token address → Price; addresses in any
    case). Raises MissingPrice naming every held token without one."""
    by_token: dict[str, Price] = {to_checksum_address(t): p for t, p in prices.items()}
    open_ = [p for p in book.positions if p.amount > 0 or p.cost_basis_usdc > 0]
    missing = [p.token for p in open_ if p.amount > 0 and p.token not in by_token]
    if missing:
        raise MissingPrice(missing)
    rows = []
    for position in open_:
        value = by_token[position.token].value_of(position.amount) if position.amount else 0
        rows.append(
            PositionValue(
                position.token,
                position.amount,
                position.cost_basis_usdc,
                value,
                value - position.cost_basis_usdc,
            )
        )
    market_value = sum(r.value_usdc for r in rows)
    cost_basis = sum(r.cost_basis_usdc for r in rows)
    unrealised = market_value - cost_basis
    return PnL(
        cash_usdc=book.cash_usdc,
        positions=tuple(rows),
        market_value_usdc=market_value,
        cost_basis_usdc=cost_basis,
        equity_usdc=book.cash_usdc + market_value,
        deposits_usdc=book.deposits_usdc,
        withdrawals_usdc=book.withdrawals_usdc,
        fees_usdc=book.fees_usdc,
        realised_pnl_usdc=book.realised_pnl_usdc,
        unrealised_pnl_usdc=unrealised,
        net_pnl_usdc=book.realised_pnl_usdc + unrealised - book.fees_usdc,
        gas_paid_wei=gas_paid_wei,
    )
