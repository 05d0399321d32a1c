"""Pure: turn on-chain pool states into rows a person can check against the snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from orchestrator.chain.uniswap import PoolState
from orchestrator.localmarket.addressbook import TokenEntry
from orchestrator.localmarket.pricing import price_usd_from_sqrt_price_x96

__all__ = ["PoolRow", "format_pool_table", "pool_rows"]


@dataclass(frozen=True)
class PoolRow:
    symbol: str
    decimals: int
    pool_price_usd: Decimal
    snapshot_price_usd: Decimal
    deviation_bps: Decimal  # (pool / snapshot - 1) in basis points
    liquidity: int  # the pool's active liquidity (Uniswap's L)
    seeded_depth_usd: Decimal


def pool_rows(tokens: Sequence[TokenEntry], states: Sequence[PoolState]) -> list[PoolRow]:
    rows = []
    for token, state in zip(tokens, states, strict=True):
        price = price_usd_from_sqrt_price_x96(
            state.sqrt_price_x96, token.decimals, token.token_is_token0
        )
        rows.append(
            PoolRow(
                symbol=token.symbol,
                decimals=token.decimals,
                pool_price_usd=price,
                snapshot_price_usd=token.snapshot_price_usd,
                deviation_bps=(price / token.snapshot_price_usd - 1) * 10_000,
                liquidity=state.liquidity,
                seeded_depth_usd=token.seeded_depth_usd,
            )
        )
    return rows


def _price(value: Decimal) -> str:
    return f"{value:,.2f}" if value >= 1 else f"{value:.6g}"


_COLUMNS = (
    ("symbol", "<8"), ("dec", ">3"), ("pool price $", ">16"), ("snapshot $", ">16"),
    ("diff bps", ">9"), ("depth $", ">14"), ("liquidity L", ">26"),
)  # fmt: skip


def format_pool_table(rows: Sequence[PoolRow]) -> str:
    header = " ".join(f"{name:{align}}" for name, align in _COLUMNS)
    lines = [header, "-" * len(header)]
    for r in rows:
        cells = (
            r.symbol, str(r.decimals), _price(r.pool_price_usd), _price(r.snapshot_price_usd),
            f"{r.deviation_bps:.4f}", f"{r.seeded_depth_usd:,.0f}", f"{r.liquidity:,}",
        )  # fmt: skip
        lines.append(
            " ".join(f"{c:{align}}" for c, (_, align) in zip(cells, _COLUMNS, strict=True))
        )
    return "\n".join(lines)
