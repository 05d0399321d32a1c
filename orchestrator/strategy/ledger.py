"""The backtest's records: trades, renames, the NAV path, and a replay that rebuilds the
NAV path from the trades alone (the accounting check: `replay_navs(run) == run navs`).

Cash rules of one trade (USD, Decimal):
    buy  `notional`: cash -= notional + gas; units += (notional - fee - slippage) / price
    sell `units`:    notional = units * price; cash += notional - fee - slippage - gas
so every trade removes exactly fee + slippage + gas from the NAV at that date's prices.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = ["NavPoint", "Rename", "Run", "Side", "Trade", "replay_navs"]


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class Trade:
    """One swap leg. `reason`: rebalance, enter, exit, regime, vanished, identity break."""

    date: datetime.date
    symbol: str
    side: Side
    units: Decimal  # bought (net of costs) or sold
    price: Decimal  # the price used: the market price, or the vanished-coin mark
    notional: Decimal
    fee: Decimal
    slippage: Decimal
    gas: Decimal
    reason: str

    @property
    def cost(self) -> Decimal:
        return self.fee + self.slippage + self.gas


@dataclass(frozen=True)
class Rename:
    """A held coin's symbol changed (identity.RENAMES); the units carry over unchanged."""

    date: datetime.date
    old: str
    new: str
    units: Decimal


@dataclass(frozen=True)
class NavPoint:
    """The portfolio after the date's trades, marked at the date's prices."""

    date: datetime.date
    nav: Decimal
    cash: Decimal
    invested: bool  # the regime allowed holding coins (always True for the benchmarks)


@dataclass(frozen=True)
class Run:
    """One simulated portfolio over the backtest dates."""

    name: str
    initial_nav: Decimal
    navs: tuple[NavPoint, ...]
    trades: tuple[Trade, ...]
    renames: tuple[Rename, ...]

    def costs(self) -> Decimal:
        return sum((t.cost for t in self.trades), Decimal(0))


def replay_navs(
    run: Run, prices: Mapping[datetime.date, Mapping[str, Decimal]]
) -> tuple[Decimal, ...]:
    """Rebuild the NAV at every date from the initial cash, the trades and the renames."""
    cash = run.initial_nav
    units: dict[str, Decimal] = {}
    trades = sorted(enumerate(run.trades), key=lambda it: (it[1].date, it[0]))
    renames = list(run.renames)
    navs: list[Decimal] = []
    i = 0
    for point in run.navs:
        for rename in [r for r in renames if r.date == point.date]:
            units[rename.new] = units.pop(rename.old)
        while i < len(trades) and trades[i][1].date == point.date:
            trade = trades[i][1]
            if trade.side is Side.BUY:
                cash -= trade.notional + trade.gas
                units[trade.symbol] = units.get(trade.symbol, Decimal(0)) + trade.units
            else:
                cash += trade.units * trade.price - trade.fee - trade.slippage - trade.gas
                left = units[trade.symbol] - trade.units
                if left == 0:
                    del units[trade.symbol]
                else:
                    units[trade.symbol] = left
            i += 1
        day = prices[point.date]
        navs.append(cash + sum((u * day[s] for s, u in units.items()), Decimal(0)))
    return tuple(navs)
