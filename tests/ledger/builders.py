"""Hand-built vault events for the pure ledger tests: one transaction per helper call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from eth_utils.address import to_checksum_address

from orchestrator.ledger.event_records import (
    Bought,
    KeeperRevoked,
    Rebalanced,
    Sold,
    Swapped,
    VaultCreated,
    VaultEvent,
    WithdrawnInKind,
)

USDC: str = to_checksum_address("0x" + "aa" * 20)
A: str = to_checksum_address("0x" + "0a" * 20)
B: str = to_checksum_address("0x" + "0b" * 20)


class At(TypedDict):
    block_number: int
    log_index: int
    tx_hash: str
    timestamp_s: int


@dataclass
class Chain:
    """Numbers blocks, log indexes and timestamps as events are appended."""

    events: list[VaultEvent] = field(default_factory=list)
    block: int = 100
    time_s: int = 1_700_000_000

    def _tx(self) -> tuple[int, str, int]:
        self.block += 1
        self.time_s += 12
        return self.block, f"0x{self.block:064x}", self.time_s

    def _at(self, block: int, tx: str, time_s: int, index: int) -> At:
        return {"block_number": block, "log_index": index, "tx_hash": tx, "timestamp_s": time_s}

    def _legs(
        self, block: int, tx: str, time_s: int, legs: Sequence[tuple[str, str, int, int]]
    ) -> list[VaultEvent]:
        return [
            Swapped(**self._at(block, tx, time_s, i), token_in=ti, token_out=to,
                    amount_in=ai, amount_out=ao)
            for i, (ti, to, ai, ao) in enumerate(legs)
        ]  # fmt: skip

    def buy(self, usdc_in: int, fee: int, legs: Sequence[tuple[str, int, int]]) -> str:
        """legs: (token, usdc paid, tokens received)."""
        block, tx, t = self._tx()
        swaps = self._legs(block, tx, t, [(USDC, tok, a, o) for tok, a, o in legs])
        swapped = sum(a for _, a, _ in legs)
        head = Bought(**self._at(block, tx, t, len(swaps)), usdc_in=usdc_in, fee_usdc=fee,
                      usdc_swapped=swapped)  # fmt: skip
        self.events += [*swaps, head]
        return tx

    def sell(self, legs: Sequence[tuple[str, int, int]], cash: int, fee: int) -> str:
        """legs: (token, tokens paid, usdc received)."""
        block, tx, t = self._tx()
        swaps = self._legs(block, tx, t, [(tok, USDC, a, o) for tok, a, o in legs])
        proceeds = sum(o for _, _, o in legs)
        head = Sold(**self._at(block, tx, t, len(swaps)), proceeds_usdc=proceeds,
                    cash_usdc=cash, fee_usdc=fee, paid_usdc=proceeds + cash - fee)  # fmt: skip
        self.events += [*swaps, head]
        return tx

    def rebalance(self, legs: Sequence[tuple[str, str, int, int]], loss: int = 0) -> str:
        block, tx, t = self._tx()
        swaps = self._legs(block, tx, t, legs)
        head = Rebalanced(**self._at(block, tx, t, len(swaps)), keeper=USDC, loss_usdc=loss,
                          loss_used_usdc=loss)  # fmt: skip
        self.events += [*swaps, head]
        return tx

    def withdraw(self, tokens: Sequence[str], amounts: Sequence[int]) -> str:
        block, tx, t = self._tx()
        self.events.append(
            WithdrawnInKind(**self._at(block, tx, t, 0), tokens=tuple(tokens),
                            amounts=tuple(amounts))
        )  # fmt: skip
        return tx

    def created(self, owner: str, vault: str) -> str:
        block, tx, t = self._tx()
        self.events.append(
            VaultCreated(
                **self._at(block, tx, t, 0), owner=owner, vault=vault, salt="0x" + "00" * 32
            )
        )
        return tx

    def revoked(self) -> str:
        block, tx, t = self._tx()
        self.events.append(KeeperRevoked(**self._at(block, tx, t, 0), keeper=A))
        return tx
