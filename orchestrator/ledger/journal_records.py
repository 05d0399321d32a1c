"""What the journal stores about one user action, keyed by its quote id (frozen records).

Amounts are integers in base units (token or USDC), gas cost in wei. A submission's state:

    previewed → confirmed → submitted → included | failed     (a receipt: the chain said so)
                                      ↘ dropped               (provably never reached the chain)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestrator.domain.legs import FilledLeg

__all__ = [
    "KINDS",
    "EntryState",
    "JournalEntry",
    "PreviewKind",
    "PreviewRecord",
    "ReceiptRecord",
    "SubmissionRecord",
]

PreviewKind = Literal["buy", "sell", "withdraw", "mandate", "send"]
KINDS: tuple[PreviewKind, ...] = ("buy", "sell", "withdraw", "mandate", "send")
EntryState = Literal["previewed", "confirmed", "submitted", "included", "failed", "dropped"]


@dataclass(frozen=True)
class PreviewRecord:
    quote_id: str
    kind: PreviewKind
    owner: str  # the vault's owner (the smart account), checksummed
    vault: str
    created_at_s: int
    expires_at_s: int
    preview_json: str  # the Preview as shown to the user, stored as given
    confirmed_at_s: int | None


@dataclass(frozen=True)
class SubmissionRecord:
    quote_id: str
    user_op_hash: str  # 0x-prefixed, lower case
    sender: str
    nonce: int  # the op's full EntryPoint nonce: key << 64 | sequence
    tx_hash: str | None  # the bundle transaction, when known
    submitted_at_s: int
    dropped_reason: str | None


@dataclass(frozen=True)
class ReceiptRecord:
    quote_id: str
    tx_hash: str
    block_number: int
    success: bool
    actual_gas_used: int
    actual_gas_cost_wei: int  # what the op paid (UserOperationEvent.actualGasCost)
    revert_reason: str | None


@dataclass(frozen=True)
class JournalEntry:
    preview: PreviewRecord
    submission: SubmissionRecord | None
    receipt: ReceiptRecord | None
    fills: tuple[FilledLeg, ...]

    @property
    def state(self) -> EntryState:
        return entry_state(self.preview, self.submission, self.receipt)


def entry_state(
    preview: PreviewRecord | None,
    submission: SubmissionRecord | None,
    receipt: ReceiptRecord | None,
) -> EntryState:
    """The chain is authoritative: a receipt wins over an earlier "dropped" verdict."""
    if receipt is not None:
        return "included" if receipt.success else "failed"
    if submission is not None:
        return "dropped" if submission.dropped_reason is not None else "submitted"
    if preview is not None and preview.confirmed_at_s is not None:
        return "confirmed"
    return "previewed"
