"""Rebuild a journal from what the chain can tell (`indexvault journal rebuild`).

For one owner's smart account: every `UserOperationEvent` the EntryPoint emitted for it
(its hash, nonce, success, gas, bundle transaction and block), and in the same
operation the vault's events (`Bought`, `Sold`, `WithdrawnInKind`, `MandateSet`,
`KeeperRevoked`: the kind) and `Swapped` (each leg's amounts in and out). Each operation
the journal does not hold yet becomes an entry: a preview marked `"rebuilt": true`,
confirmed and submitted at its block's time, its receipt and its fills. An operation the
journal holds already is left as it is, so a rebuild can run over a healthy journal too.

What the chain cannot tell, and a rebuilt entry therefore lacks: the preview as the user
saw it (quotes, the reviewed minimum outs: a fill's min_out is 0, "unknown"), when it
was confirmed (the block time stands in), previews never confirmed, and operations that
never reached the chain (rejected, dropped). The keeper's journal is separate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address

from orchestrator.chain.backends import Chain
from orchestrator.chain.vault_binding import (
    BOUGHT,
    KEEPER_REVOKED,
    MANDATE_SET,
    SOLD,
    SWAPPED,
    WITHDRAWN_IN_KIND,
)
from orchestrator.domain.legs import FilledLeg
from orchestrator.domain.units import TokenUnits
from orchestrator.execution.userop_result import (
    USER_OPERATION_EVENT_TOPIC,
    LogEntry,
    UserOpResult,
    decode_user_op_result,
)
from orchestrator.ledger.journal import Journal
from orchestrator.ledger.journal_records import PreviewKind
from orchestrator.ledger.reconcile import revert_text

__all__ = ["CANNOT_TELL", "Rebuilt", "rebuild_journal"]

CANNOT_TELL = (
    "the previews as shown (quotes and the reviewed minimum outs: min_out is 0, unknown)",
    "confirmation times (the block's time stands in)",
    "previews never confirmed, and operations that never reached the chain (rejected or dropped)",
    "the keeper's own journal (keeper-<network>.sqlite)",
)
_KINDS: tuple[tuple[str, PreviewKind], ...] = (
    (BOUGHT.topic_hex, "buy"),
    (SOLD.topic_hex, "sell"),
    (WITHDRAWN_IN_KIND.topic_hex, "withdraw"),
    (MANDATE_SET.topic_hex, "mandate"),
    (KEEPER_REVOKED.topic_hex, "mandate"),
)


@dataclass
class Rebuilt:
    account: str
    operations_on_chain: int = 0
    added: list[str] = field(default_factory=list)  # quote ids of the entries added
    already_there: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    unknown_kind: int = 0  # operations with no vault event (e.g. failed): recorded as "buy"
    cannot_tell: tuple[str, ...] = CANNOT_TELL


def _kind(result: UserOpResult, vault: str) -> PreviewKind | None:
    ours = [log for log in result.logs if log.address.lower() == vault.lower() and log.topics]
    for topic, kind in _KINDS:
        if any(log.topics[0].lower() == topic for log in ours):
            return kind
    return None


def _fills(
    logs: tuple[LogEntry, ...], vault: str, kind: PreviewKind, symbols: dict[str, str]
) -> list[FilledLeg]:
    legs = []
    for log in logs:
        if log.address.lower() != vault.lower() or len(log.topics) < 3:
            continue
        if log.topics[0].lower() != SWAPPED.topic_hex:
            continue
        token_in = to_checksum_address("0x" + log.topics[1][-40:])
        token_out = to_checksum_address("0x" + log.topics[2][-40:])
        token = token_out if kind == "buy" else token_in
        legs.append(
            FilledLeg(
                token=token,
                symbol=symbols.get(token.lower(), token[:10]),
                amount_in=TokenUnits(int.from_bytes(log.data[:32], "big")),
                min_out=TokenUnits(0),  # the reviewed minimum is not on chain
                amount_out=TokenUnits(int.from_bytes(log.data[32:64], "big")),
            )
        )
    return legs


def rebuild_journal(
    chain: Chain,
    journal: Journal,
    *,
    entry_point: str,
    owner: str,
    account: str,
    vault: str,
    symbols: dict[str, str],
    from_block: int = 0,
) -> Rebuilt:
    """Add to `journal` every operation of `account` the chain knows and the journal does
    not (see the module docstring). `symbols`: token address (lower case) -> symbol."""
    report = Rebuilt(account=to_checksum_address(account))
    sender_topic = "0x" + "00" * 12 + account[2:].lower()
    logs = chain.logs(
        entry_point, [USER_OPERATION_EVENT_TOPIC, None, sender_topic],
        from_block=from_block, to_block="latest",
    )  # fmt: skip
    report.operations_on_chain = len(logs)
    for log in logs:
        op_hash = "0x" + bytes(log["topics"][1]).hex()
        existing = journal.submission_by_op_hash(op_hash)
        if existing is not None and existing.dropped_reason is None:
            report.already_there += 1
            continue
        tx_hash = bytes(log["transactionHash"])
        receipt = chain.receipt(tx_hash)
        if receipt is None:  # pragma: no cover - a log without its receipt: a lagging node
            continue
        result = decode_user_op_result(
            logs=receipt["logs"], entry_point=entry_point, user_op_hash=op_hash,
            transaction_hash="0x" + tx_hash.hex(), block_number=int(receipt["blockNumber"]),
            bundle_gas_used=int(receipt["gasUsed"]),
        )  # fmt: skip
        if result is None:  # pragma: no cover - the event names this op
            continue
        _add(journal, report, result, owner=owner, vault=vault, symbols=symbols,
             when_s=chain.timestamp(result.block_number))  # fmt: skip
    return report


def _add(
    journal: Journal,
    report: Rebuilt,
    result: UserOpResult,
    *,
    owner: str,
    vault: str,
    symbols: dict[str, str],
    when_s: int,
) -> None:
    found = _kind(result, vault)
    kind: PreviewKind = found or "buy"
    if found is None:
        report.unknown_kind += 1
    quote_id = f"rebuilt-{result.user_op_hash[2:18]}"
    body = {
        "rebuilt": True, "kind_known": found is not None, "user_op_hash": result.user_op_hash,
        "transaction_hash": result.transaction_hash, "block_number": result.block_number,
    }  # fmt: skip
    journal.record_preview(quote_id, kind, owner, vault, when_s, when_s, json.dumps(body))
    journal.record_confirmation(quote_id, when_s)
    journal.begin_submission(
        quote_id, result.user_op_hash, result.sender, result.nonce, result.transaction_hash,
        when_s,
    )  # fmt: skip
    fills = _fills(result.logs, vault, kind, symbols) if result.success else []
    journal.record_receipt(
        quote_id, result.transaction_hash, result.block_number, result.success,
        result.actual_gas_used, result.actual_gas_cost_wei, revert_text(result), fills,
    )  # fmt: skip
    report.added.append(quote_id)
    report.kinds[kind] = report.kinds.get(kind, 0) + 1
