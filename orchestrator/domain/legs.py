"""A leg is one swap against USDC; it has one type per stage of its life:

    PlannedLeg   what the plan wants: token, direction, amount in             (planning/)
    QuotedLeg    + the quoter's answer and the pool's mid price then          (a batched read)
    GuardedLeg   + the least output accepted (min-out): what is signed        (preview, keeper)
    FilledLeg    + what the vault actually received                           (the receipt)

Amounts are integers in base units of the leg's input (USDC for a buy, the token for a
sell) and output. `GuardedLeg` and `FilledLeg` are what a person reviews and what the web
page serialises (pydantic); the two earlier stages are working values (dataclasses).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from orchestrator.domain.impact import ImpactTier, impact_tier, price_impact_bps
from orchestrator.domain.prices import mid_out, token_is_token0
from orchestrator.domain.units import (
    USDC_DECIMALS,
    Bps,
    Pips,
    TokenUnits,
    min_out_rounded_down,
)

__all__ = [
    "Direction",
    "FilledLeg",
    "GuardedLeg",
    "Holding",
    "PlannedLeg",
    "QuotedLeg",
    "TokenRef",
]


class Direction(StrEnum):
    BUY = "buy"  # USDC -> token
    SELL = "sell"  # token -> USDC


@dataclass(frozen=True)
class TokenRef:
    """A constituent as the planner needs it: where it trades against USDC."""

    symbol: str
    address: str
    decimals: int
    fee: Pips  # fee tier of its USDC pool
    pool: str


@dataclass(frozen=True)
class Holding:
    token: TokenRef
    amount: TokenUnits  # held by the vault


@dataclass(frozen=True)
class PlannedLeg:
    """One swap against USDC. `amount_in` is in base units of the input token (USDC for a
    buy, the constituent for a sell); min-outs come later, from quotes."""

    token: TokenRef
    direction: Direction
    amount_in: TokenUnits
    target_bps: Bps  # the token's target weight (0 for a full exit)

    @property
    def token_in(self) -> str:
        return "USDC" if self.direction is Direction.BUY else self.token.symbol

    @property
    def token_out(self) -> str:
        return self.token.symbol if self.direction is Direction.BUY else "USDC"


@dataclass(frozen=True)
class QuotedLeg:
    """A planned leg with QuoterV2's answer and its pool's mid price at that moment."""

    planned: PlannedLeg
    sqrt_price_x96: int  # the pool's mid price when quoted
    quoted_out: TokenUnits

    @property
    def token(self) -> TokenRef:
        return self.planned.token

    @property
    def direction(self) -> Direction:
        return self.planned.direction

    @property
    def amount_in(self) -> TokenUnits:
        return self.planned.amount_in

    def scaled_to(self, amount_in: TokenUnits) -> QuotedLeg:
        """The same leg for a smaller input, its quote scaled proportionally (rounded down):
        that understates it, as a V3 swap's average price only improves for less input."""
        quoted = TokenUnits(self.quoted_out * amount_in // self.amount_in)
        return QuotedLeg(replace(self.planned, amount_in=amount_in), self.sqrt_price_x96, quoted)

    def guarded(self, min_out: TokenUnits, *, usdc: str) -> GuardedLeg:
        """This leg with `min_out` as the least output the vault must receive (`usdc`: the
        USDC address, which orders the pool's tokens)."""
        leg, token = self.planned, self.token
        buying = leg.direction is Direction.BUY
        is0 = token_is_token0(token.address, usdc)
        mid = mid_out(leg.amount_in, self.sqrt_price_x96, zero_for_one=is0 != buying)
        return GuardedLeg(
            symbol=token.symbol,
            token=token.address,
            direction=leg.direction,
            pool=token.pool,
            pool_fee=token.fee,
            amount_in=leg.amount_in,
            in_decimals=USDC_DECIMALS if buying else token.decimals,
            expected_out=self.quoted_out,
            min_out=min_out,
            out_decimals=token.decimals if buying else USDC_DECIMALS,
            mid_out=TokenUnits(mid),
            price_impact_bps=price_impact_bps(self.quoted_out, mid, token.fee),
            target_bps=leg.target_bps,
        )

    def guarded_by_slippage(self, max_slippage_bps: Bps, *, usdc: str) -> GuardedLeg:
        """This leg with min-out = the quote less `max_slippage_bps`, rounded down."""
        return self.guarded(min_out_rounded_down(self.quoted_out, max_slippage_bps), usdc=usdc)


class GuardedLeg(BaseModel):
    """A leg as signed: its input, the quote, and the least output the vault accepts
    (checked on-chain against the vault's balance). What a preview shows, per leg."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    token: str
    direction: Direction
    pool: str
    pool_fee: Pips
    amount_in: TokenUnits
    in_decimals: int
    expected_out: TokenUnits  # the quote
    min_out: TokenUnits  # rounds down
    out_decimals: int
    mid_out: TokenUnits  # at the pool's mid price, before the LP fee and impact
    price_impact_bps: Bps  # rounds up
    target_bps: Bps

    @computed_field  # type: ignore[prop-decorator]
    @property
    def route(self) -> str:
        """e.g. "Uniswap V3 USDC/BTC 0.30%"."""
        pair = f"USDC/{self.symbol}" if self.direction is Direction.BUY else f"{self.symbol}/USDC"
        return f"Uniswap V3 {pair} {self.pool_fee / 10_000:.2f}%"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def impact_tier(self) -> ImpactTier:
        return impact_tier(self.price_impact_bps)

    def with_min_out(self, min_out: TokenUnits) -> GuardedLeg:
        return self.model_copy(update={"min_out": min_out})


class FilledLeg(BaseModel):
    """One executed leg: what was paid, the reviewed minimum and what actually arrived."""

    model_config = ConfigDict(frozen=True)

    token: str
    symbol: str
    amount_in: TokenUnits
    min_out: TokenUnits
    amount_out: TokenUnits
