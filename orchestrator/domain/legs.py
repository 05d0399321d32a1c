"""The planning vocabulary: a tradable token, a holding, a planned leg."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orchestrator.errors import InvalidValue

BPS = 10_000


class Direction(StrEnum):
    BUY = "buy"  # USDC -> token
    SELL = "sell"  # token -> USDC


@dataclass(frozen=True)
class TokenRef:
    """A constituent as the planner needs it: where it trades against USDC."""

    symbol: str
    address: str
    decimals: int
    fee: int  # Uniswap fee tier of its USDC pool, hundredths of a bip
    pool: str


@dataclass(frozen=True)
class Holding:
    token: TokenRef
    amount: int  # base units held by the vault


@dataclass(frozen=True)
class PlannedLeg:
    """One swap against USDC. `amount_in` is in base units of the input token (USDC for a
    buy, the constituent for a sell); min-outs come later, from quotes (preview)."""

    token: TokenRef
    direction: Direction
    amount_in: int
    target_bps: int  # the token's target weight (0 for a full exit)

    @property
    def token_in(self) -> str:
        return "USDC" if self.direction is Direction.BUY else self.token.symbol

    @property
    def token_out(self) -> str:
        return self.token.symbol if self.direction is Direction.BUY else "USDC"


def split_by_weights(total: int, weights: dict[str, int]) -> dict[str, int]:
    """`total` split proportionally to integer `weights`, summing to exactly `total`:
    floors first, then the leftover units go to the largest remainders (ties: larger
    weight, then symbol) — deterministic, never more than one unit off the exact share."""
    weight_sum = sum(weights.values())
    if total < 0 or weight_sum <= 0 or any(w < 0 for w in weights.values()):
        raise InvalidValue(
            f"cannot split {total} by weights {weights}", name="weights", value=(total, weights)
        )
    shares = {k: total * w // weight_sum for k, w in weights.items()}
    leftover = total - sum(shares.values())
    by_remainder = sorted(
        weights, key=lambda k: (-(total * weights[k] % weight_sum), -weights[k], k)
    )
    for key in by_remainder[:leftover]:
        shares[key] += 1
    return shares
