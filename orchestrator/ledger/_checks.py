"""Validation of what the journal is asked to record (private to `ledger.journal`)."""

from __future__ import annotations

import json

from eth_utils.address import to_checksum_address

from orchestrator.errors import InputError, QuoteConflict
from orchestrator.ledger.journal_records import KINDS, PreviewRecord


def bad_value(field: str, value: object, expected: str) -> InputError:
    return InputError(f"{field} must be {expected}, got {value!r}")


def address(field: str, value: str) -> str:
    try:
        return str(to_checksum_address(value))
    except (TypeError, ValueError) as error:
        raise bad_value(field, value, "a 20-byte hex address") from error


def hash32(field: str, value: str) -> str:
    text = value.lower() if isinstance(value, str) else ""
    digits = text[2:] if text.startswith("0x") else ""
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise bad_value(field, value, "a 0x-prefixed 32-byte hex hash")
    return text


def non_negative(field: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad_value(field, value, "a non-negative integer")
    return value


def new_preview(
    quote_id: str,
    kind: str,
    owner: str,
    vault: str,
    created_at_s: int,
    expires_at_s: int,
    preview_json: str,
) -> PreviewRecord:
    if not quote_id:
        raise bad_value("quote_id", quote_id, "a non-empty string")
    if kind not in KINDS:
        raise bad_value("kind", kind, f"one of {', '.join(KINDS)}")
    non_negative("created_at_s", created_at_s)
    if expires_at_s < created_at_s:
        raise bad_value("expires_at_s", expires_at_s, f">= created_at_s ({created_at_s})")
    try:
        json.loads(preview_json)
    except ValueError as error:
        raise bad_value("preview_json", preview_json[:80], "valid JSON") from error
    return PreviewRecord(
        quote_id=quote_id,
        kind=kind,  # checked against KINDS above
        owner=address("owner", owner),
        vault=address("vault", vault),
        created_at_s=created_at_s,
        expires_at_s=expires_at_s,
        preview_json=preview_json,
        confirmed_at_s=None,
    )


def same_preview(recorded: PreviewRecord, given: PreviewRecord) -> None:
    for field in ("kind", "owner", "vault", "created_at_s", "expires_at_s"):
        if getattr(recorded, field) != getattr(given, field):
            raise QuoteConflict(
                given.quote_id,
                field=field,
                recorded=getattr(recorded, field),
                given=getattr(given, field),
            )
    if json.loads(recorded.preview_json) != json.loads(given.preview_json):
        raise QuoteConflict(
            given.quote_id,
            field="preview_json",
            recorded=recorded.preview_json,
            given=given.preview_json,
        )
