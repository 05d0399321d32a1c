"""The transaction log of one vault: chain actions (authoritative) merged with the
journal (confirmed previews, submissions, failures and drops that left no vault events).

    rows = build_log(group_actions(events), journal.entries(vault=vault))     # pure
    rows = read_log(chain, journal, vault)                                     # reads both

Per row kind, `usdc_amount` and `legs` mean:

| kind | usdc_amount | legs |
| --- | --- | --- |
| buy | deposit (Bought.usdcIn) | swap legs |
| sell | paid to the owner (Sold.paid) | swap legs |
| rebalance | USDC traded: Σ proceeds of sells + Σ USDC spent by buys | swap legs |
| withdraw | USDC withdrawn in kind (0 if none) | tokens listed |
| mandate, keeper_revoked, vault_created | None | 0 |
| failed, dropped, pending, confirmed | None (journal only) | 0 |

A chain action is matched to the journal entry whose receipt has its transaction hash
(the entry's kind preferred when a transaction holds several actions); it then carries
the entry's quote id and gas (`actualGasCost`, wei). Journal-only rows are timed by their
submission (or confirmation) time; chain rows by their block's timestamp.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal

from eth_utils.address import to_checksum_address
from pydantic.dataclasses import dataclass

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.chain.vault_binding import VAULT_USDC
from orchestrator.ledger.event_records import (
    Action,
    Bought,
    KeeperRevoked,
    MandateSet,
    Rebalanced,
    Sold,
    Swapped,
    WithdrawnInKind,
    group_actions,
)
from orchestrator.ledger.events import read_vault_events
from orchestrator.ledger.journal import Journal
from orchestrator.ledger.journal_records import JournalEntry

__all__ = ["LogKind", "LogRow", "build_log", "read_log"]

LogKind = Literal[
    "buy", "sell", "rebalance", "withdraw", "mandate", "keeper_revoked", "vault_created",
    "failed", "dropped", "pending", "confirmed", "send",
]  # fmt: skip
_LAST = 2**63  # sorts journal-only rows after chain rows of the same second


@dataclass(frozen=True)
class LogRow:
    time_s: int
    kind: LogKind
    usdc_amount: int | None  # USDC base units (see the table above)
    legs: int
    fee_usdc: int
    gas_wei: int | None  # from the journal, when the action went through it
    tx_hash: str | None
    quote_id: str | None
    detail: str = ""
    block_number: int | None = None
    log_index: int | None = None


TokenNames = Mapping[str, tuple[str, int]]  # checksummed address -> (symbol, decimals)


def build_log(
    actions: Iterable[Action],
    entries: Iterable[JournalEntry],
    *,
    usdc: str,
    tokens: TokenNames | None = None,
) -> list[LogRow]:
    """Pure. Rows ordered by time, then position on chain; previews that were never
    confirmed are left out. `usdc`: the vault's USDC address; `tokens`: names the tokens
    an in-kind withdrawal moved (else they are counted)."""
    usdc = to_checksum_address(usdc)
    names: dict[str, tuple[str, int]] = {
        to_checksum_address(a): n for a, n in (tokens or {}).items()
    }
    names.setdefault(usdc, ("USDC", 6))
    entries = list(entries)
    by_tx: dict[str, list[JournalEntry]] = defaultdict(list)
    for entry in entries:
        if entry.receipt is not None and entry.receipt.success:
            by_tx[entry.receipt.tx_hash.lower()].append(entry)
    matched: set[str] = set()
    rows = [_chain_row(a, _match(a, by_tx, matched), usdc, names) for a in _in_chain_order(actions)]
    journal_only = (_journal_row(e) for e in entries if e.preview.quote_id not in matched)
    rows += [row for row in journal_only if row is not None]
    return sorted(rows, key=_order)


def read_log(
    chain: Chain,
    journal: Journal,
    vault: str,
    *,
    from_block: int = 0,
    tokens: TokenNames | None = None,
) -> list[LogRow]:
    """The vault's events from `from_block` and its journal entries, merged."""
    actions = group_actions(read_vault_events(chain, vault, from_block=from_block))
    (usdc,) = VAULT_USDC.decode(call_raw(chain, vault, VAULT_USDC.call()))
    return build_log(actions, journal.entries(vault=vault), usdc=usdc, tokens=tokens)


def _order(row: LogRow) -> tuple[int, int, int, str]:
    block = _LAST if row.block_number is None else row.block_number
    index = _LAST if row.log_index is None else row.log_index
    return (row.time_s, block, index, row.quote_id or "")


def _in_chain_order(actions: Iterable[Action]) -> list[Action]:
    return sorted(actions, key=lambda a: (a.block_number, a.event.log_index))


def _match(
    action: Action, by_tx: dict[str, list[JournalEntry]], matched: set[str]
) -> JournalEntry | None:
    """The journal entry of this action's transaction, if any: the entry of the same
    kind first, else the first one not yet matched; each entry matches one action."""
    in_tx = by_tx.get(action.tx_hash.lower(), [])
    candidates = [e for e in in_tx if e.preview.quote_id not in matched]
    if not candidates:
        return None
    chosen = next((e for e in candidates if e.preview.kind == action.kind), candidates[0])
    matched.add(chosen.preview.quote_id)
    return chosen


def _chain_row(
    action: Action, entry: JournalEntry | None, usdc_token: str, names: TokenNames
) -> LogRow:
    usdc, legs, fee, detail = _amounts(action, usdc_token, names)
    receipt = entry.receipt if entry is not None else None
    return LogRow(
        time_s=action.timestamp_s,
        kind=action.kind,
        usdc_amount=usdc,
        legs=legs,
        fee_usdc=fee,
        gas_wei=receipt.actual_gas_cost_wei if receipt is not None else None,
        tx_hash=action.tx_hash,
        quote_id=entry.preview.quote_id if entry is not None else None,
        detail=detail,
        block_number=action.block_number,
        log_index=action.event.log_index,
    )


def _sent(preview_json: str) -> str:
    """A send's detail from its preview: what left the smart account, to whom."""
    terms = json.loads(preview_json).get("transfer") or {}
    try:
        amount = Decimal(int(terms["amount"])).scaleb(-int(terms["decimals"]))
        shown = f"{amount:,f}".rstrip("0").rstrip(".") if "." in f"{amount:f}" else f"{amount:,f}"
        return f"sent {shown} {terms['symbol']} from the smart account to {terms['to']}"
    except (KeyError, TypeError, ValueError):
        return "sent from the smart account"


def _usd(amount_usdc: int) -> str:
    if 0 < amount_usdc < 10_000:  # display only: a cent is the least shown
        return "<$0.01"
    return f"${Decimal(amount_usdc).scaleb(-6):,.2f}"


def _token_amount(amount: int, token: str, names: TokenNames) -> str:
    symbol, decimals = names.get(to_checksum_address(token), (token, 0))
    if symbol == "USDC":
        return f"{_usd(amount)} USDC"
    text = f"{Decimal(amount).scaleb(-decimals):,.{min(decimals, 8)}f}".rstrip("0").rstrip(".")
    return f"{text} {symbol}"


def _amounts(
    action: Action, usdc_token: str, names: TokenNames
) -> tuple[int | None, int, int, str]:
    """(usdc_amount, legs, fee, detail) of one chain action; the detail in human units."""
    event, legs = action.event, len(action.swaps)
    if isinstance(event, Bought):
        return event.usdc_in, legs, event.fee_usdc, f"{_usd(event.usdc_swapped)} USDC swapped"
    if isinstance(event, Sold):
        return (
            event.paid_usdc, legs, event.fee_usdc,
            f"{_usd(event.cash_usdc)} USDC cash paid out",
        )  # fmt: skip
    if isinstance(event, Rebalanced):
        usdc = sum(_usdc_side(leg, usdc_token) for leg in action.swaps)
        return (
            usdc, legs, 0,
            f"loss {_usd(event.loss_usdc)} vs TWAP, loss budget used {_usd(event.loss_used_usdc)}",
        )  # fmt: skip
    if isinstance(event, WithdrawnInKind):
        withdrawn = list(zip(event.tokens, event.amounts, strict=True))
        cash = sum(a for t, a in withdrawn if to_checksum_address(t) == usdc_token)
        moved = ", ".join(_token_amount(a, t, names) for t, a in withdrawn if a)
        return cash, len(event.tokens), 0, f"to the smart account: {moved}" if moved else ""
    if isinstance(event, MandateSet):
        return (
            None,
            0,
            0,
            f"keeper {event.mandate.keeper}, epoch {event.epoch}, {len(event.pools)} pools",
        )
    if isinstance(event, KeeperRevoked):
        return None, 0, 0, f"keeper {event.keeper} revoked"
    return None, 0, 0, ""


def _usdc_side(leg: Swapped, usdc_token: str) -> int:
    """The USDC a leg paid (buy leg) or received (sell leg)."""
    return leg.amount_in if to_checksum_address(leg.token_in) == usdc_token else leg.amount_out


def _journal_row(entry: JournalEntry) -> LogRow | None:
    """The row of an entry no chain action claimed; None for an unconfirmed preview."""
    preview, sub, receipt = entry.preview, entry.submission, entry.receipt
    kind, state = preview.kind, entry.state
    if sub is None:
        if preview.confirmed_at_s is None:
            return None
        return LogRow(
            preview.confirmed_at_s, "confirmed", None, 0, 0, None, None, preview.quote_id,
            f"{kind} confirmed, not submitted",
        )  # fmt: skip
    row_kind: LogKind = "pending"
    detail = f"{kind} submitted"
    if receipt is not None and receipt.success and kind == "send":
        row_kind, detail = kind, _sent(preview.preview_json)
    elif receipt is not None and receipt.success:
        row_kind, detail = kind, "included; no vault events read for this transaction"
    elif receipt is not None:
        row_kind, detail = "failed", f"{kind}: {receipt.revert_reason or 'reverted'}"
    elif state == "dropped":
        row_kind, detail = "dropped", f"{kind}: {sub.dropped_reason}"
    return LogRow(
        time_s=sub.submitted_at_s,
        kind=row_kind,
        usdc_amount=None,
        legs=0,
        fee_usdc=0,
        gas_wei=None if receipt is None else receipt.actual_gas_cost_wei,
        tx_hash=sub.tx_hash if receipt is None else receipt.tx_hash,
        quote_id=preview.quote_id,
        detail=detail,
    )
