"""A vault's events as typed, frozen records, and their grouping into actions (pure).

The vault emits every leg's `Swapped` before the action's own event (`Bought`, `Sold`,
`Rebalanced`), all in one transaction; so a buy = its legs + `Bought`, a rebalance = its
legs + `Rebalanced`. Amounts are integers in base units, exactly as emitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from orchestrator.domain.mandate import Mandate
from orchestrator.errors import EventsInconsistent

__all__ = [
    "Action",
    "ActionKind",
    "Bought",
    "KeeperRevoked",
    "MandateSet",
    "Rebalanced",
    "Sold",
    "Swapped",
    "VaultCreated",
    "VaultEvent",
    "WithdrawnInKind",
    "group_actions",
]


@dataclass(frozen=True)
class VaultEvent:
    """Where an event sits on chain; `timestamp_s` is its block's timestamp."""

    block_number: int
    log_index: int
    tx_hash: str  # 0x-prefixed
    timestamp_s: int


@dataclass(frozen=True)
class Swapped(VaultEvent):
    token_in: str
    token_out: str
    amount_in: int  # what left the vault to the pool
    amount_out: int  # the vault's balance delta of token_out


@dataclass(frozen=True)
class Bought(VaultEvent):
    usdc_in: int  # pulled from the owner (the deposit)
    fee_usdc: int
    usdc_swapped: int  # spent on the legs; the rest minus the fee stayed as cash


@dataclass(frozen=True)
class Sold(VaultEvent):
    proceeds_usdc: int  # from the legs
    cash_usdc: int  # from the vault's USDC
    fee_usdc: int
    paid_usdc: int  # to the owner: proceeds + cash - fee


@dataclass(frozen=True)
class Rebalanced(VaultEvent):
    keeper: str
    loss_usdc: int  # versus the TWAP
    loss_used_usdc: int  # the loss budget used after it


@dataclass(frozen=True)
class WithdrawnInKind(VaultEvent):
    tokens: tuple[str, ...]
    amounts: tuple[int, ...]  # what left the vault, per listed token (0 for a repeat)


@dataclass(frozen=True)
class MandateSet(VaultEvent):
    mandate: Mandate
    pools: tuple[tuple[str, int], ...]  # (token, fee tier) allowlist
    epoch: int


@dataclass(frozen=True)
class KeeperRevoked(VaultEvent):
    keeper: str  # the keeper that lost its rights


@dataclass(frozen=True)
class VaultCreated(VaultEvent):
    owner: str
    vault: str
    salt: str  # 0x-prefixed bytes32


ActionKind = Literal[
    "vault_created", "buy", "sell", "rebalance", "withdraw", "mandate", "keeper_revoked"
]
_HEADS: dict[type[VaultEvent], ActionKind] = {
    VaultCreated: "vault_created",
    Bought: "buy",
    Sold: "sell",
    Rebalanced: "rebalance",
    WithdrawnInKind: "withdraw",
    MandateSet: "mandate",
    KeeperRevoked: "keeper_revoked",
}


@dataclass(frozen=True)
class Action:
    """One thing that happened to the vault: its own event and the legs it swapped."""

    kind: ActionKind
    event: VaultEvent
    swaps: tuple[Swapped, ...] = ()

    @property
    def tx_hash(self) -> str:
        return self.event.tx_hash

    @property
    def block_number(self) -> int:
        return self.event.block_number

    @property
    def timestamp_s(self) -> int:
        return self.event.timestamp_s


def group_actions(events: Iterable[VaultEvent]) -> list[Action]:
    """Pure. Each `Swapped` belongs to the next Bought/Sold/Rebalanced of its transaction
    (one transaction may hold several actions, e.g. a user operation's batch)."""
    actions: list[Action] = []
    pending: list[Swapped] = []
    for event in sorted(events, key=lambda e: (e.block_number, e.log_index)):
        if pending and event.tx_hash != pending[0].tx_hash:
            raise _orphans(pending)
        if isinstance(event, Swapped):
            pending.append(event)
            continue
        kind = _HEADS[type(event)]
        if pending and kind not in ("buy", "sell", "rebalance"):
            raise _orphans(pending)
        actions.append(Action(kind, event, tuple(pending)))
        pending = []
    if pending:
        raise _orphans(pending)
    return actions


def _orphans(swaps: Sequence[Swapped]) -> EventsInconsistent:
    return EventsInconsistent(
        f"{len(swaps)} Swapped event(s) from log index {swaps[0].log_index} belong to no "
        "buy, sell or rebalance",
        tx_hash=swaps[0].tx_hash,
    )
