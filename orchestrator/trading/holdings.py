"""The vault's holdings at the pools' mid prices, next to this week's targets."""

from __future__ import annotations

from pydantic.dataclasses import dataclass

from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import BPS
from orchestrator.trading.context import TradingContext
from orchestrator.trading.reads import mid_prices, vault_balances


@dataclass(frozen=True)
class HoldingRow:
    symbol: str
    token: str
    amount: int  # base units
    decimals: int
    value_usdc: int  # at mid, rounded down
    weight_bps: int  # of the NAV, rounded down
    target_bps: int


@dataclass(frozen=True)
class HoldingsView:
    vault: str
    exists: bool
    rows: tuple[HoldingRow, ...]  # largest value first; tokens held or targeted
    cash_usdc: int
    nav_usdc: int
    regime: str

    def tracking_error_bps(self) -> int | None:
        """Half the sum of |weight - target| over tokens and cash: the share of the NAV
        that sits where the targets say it should not (0 = on target). None for an empty
        vault: nothing to compare."""
        if self.nav_usdc <= 0:
            return None
        cash_target = BPS - sum(r.target_bps for r in self.rows)
        cash_weight = self.cash_usdc * BPS // self.nav_usdc if self.nav_usdc else 0
        gaps = sum(abs(r.weight_bps - r.target_bps) for r in self.rows)
        return (gaps + abs(cash_weight - cash_target)) // 2


def holdings(ctx: TradingContext) -> HoldingsView:
    vault = ctx.vault_address()
    exists = ctx.vault_exists()
    targets = ctx.targets()
    weights, regime = (
        ({}, "unknown") if targets is None else (dict(targets.weights_bps), targets.regime.value)
    )
    if regime == "bear":
        weights = {}
    balances = vault_balances(ctx.chain, ctx.book, vault)
    refs = [t for t in ctx.tokens() if balances.tokens.get(t.symbol) or t.symbol in weights]
    prices = mid_prices(ctx.chain, ctx.book, refs) if refs else {}
    usdc = ctx.book.contracts.usdc
    values = {
        t.symbol: value_in_usdc(
            balances.tokens.get(t.symbol, 0),
            prices[t.symbol],
            token_is_0=token_is_token0(t.address, usdc),
        )
        for t in refs
    }
    nav = balances.usdc + sum(values.values())
    rows = tuple(
        sorted(
            (
                HoldingRow(
                    t.symbol,
                    t.address,
                    balances.tokens.get(t.symbol, 0),
                    t.decimals,
                    values[t.symbol],
                    values[t.symbol] * BPS // nav if nav else 0,
                    weights.get(t.symbol, 0),
                )
                for t in refs
            ),
            key=lambda r: (-r.value_usdc, -r.target_bps, r.symbol),
        )
    )
    return HoldingsView(vault, exists, rows, balances.usdc, nav, regime)
