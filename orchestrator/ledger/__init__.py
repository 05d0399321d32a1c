"""The ledger: what the user did and what it earned.

- `Journal` (journal.py): SQLite journal of previews, confirmations, submissions
  (the never-submit-twice guard), receipts and fills, keyed by quote id;
- `reconcile` (reconcile.py): settles unfinished submissions from the chain, never re-sends;
- `read_vault_events` (events.py) → `group_actions` (event_records.py): a vault's history;
- `replay` (positions.py) → `pnl` (pnl.py): holdings, average-cost basis, realised and
  unrealised P&L, fees, deposits, withdrawals (pure, integers in base units);
- `build_log` / `read_log` (log.py): the transaction log, chain merged with the journal;
- `squarify` / `render_treemap` (treemap.py): the holdings treemap.
"""

from orchestrator.ledger.event_records import Action, VaultEvent, group_actions
from orchestrator.ledger.events import read_vault_events
from orchestrator.ledger.journal import SCHEMA_VERSION, Journal
from orchestrator.ledger.journal_records import (
    JournalEntry,
    PreviewRecord,
    ReceiptRecord,
    SubmissionRecord,
)
from orchestrator.ledger.log import LogRow, build_log, read_log
from orchestrator.ledger.pnl import PnL, PositionValue, Price, pnl
from orchestrator.ledger.positions import Book, Position, replay
from orchestrator.ledger.reconcile import ReconcileReport, Settlement, reconcile
from orchestrator.ledger.treemap import Rect, Tile, holdings_tiles, render_treemap, squarify

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "Book",
    "Journal",
    "JournalEntry",
    "LogRow",
    "PnL",
    "Position",
    "PositionValue",
    "PreviewRecord",
    "Price",
    "ReceiptRecord",
    "ReconcileReport",
    "Rect",
    "Settlement",
    "SubmissionRecord",
    "Tile",
    "VaultEvent",
    "build_log",
    "group_actions",
    "holdings_tiles",
    "pnl",
    "read_log",
    "read_vault_events",
    "reconcile",
    "render_treemap",
    "replay",
    "squarify",
]
