"""The SQLite journal on a real file: lifecycle, idempotency, the never-submit-twice guard
across connections and processes, schema version, reopening."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.domain.legs import FilledLeg
from orchestrator.errors import (
    AccountMoved,
    AlreadySubmitted,
    InputError,
    JournalUnusable,
    PreviewExpired,
    QuoteConflict,
    QuoteNotConfirmed,
    UnknownQuote,
)
from orchestrator.ledger import (
    SCHEMA_VERSION,
    Journal,
)

OWNER = "0x" + "11" * 20
VAULT = "0x" + "22" * 20
TOKEN = "0x" + "33" * 20
OP_HASH = "0x" + "ab" * 32


def _fill(token: str, symbol: str, amount_in: int, min_out: int, out: int) -> FilledLeg:
    return FilledLeg(
        token=token, symbol=symbol, amount_in=amount_in, min_out=min_out, amount_out=out
    )


OTHER_OP_HASH = "0x" + "cd" * 32
TX_HASH = "0x" + "ef" * 32
PREVIEW = json.dumps({"legs": [{"token": TOKEN, "amount_in": "1000000"}], "fee_usdc": "1000"})


def _preview(journal: Journal, quote_id: str = "q1", **changes: object) -> None:
    args: dict[str, object] = {
        "kind": "buy", "owner": OWNER, "vault": VAULT, "created_at_s": 1_000,
        "expires_at_s": 1_060, "preview_json": PREVIEW,
    }  # fmt: skip
    args.update(changes)
    journal.record_preview(quote_id, **args)  # type: ignore[arg-type]


def _confirmed(journal: Journal, quote_id: str = "q1") -> None:
    _preview(journal, quote_id)
    journal.record_confirmation(quote_id, 1_010)


def _submit(journal: Journal, quote_id: str = "q1", op_hash: str = OP_HASH) -> None:
    journal.begin_submission(quote_id, op_hash, OWNER, 7, None, 1_020)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    with Journal(path) as j:
        yield j


def test_a_buy_goes_through_its_whole_lifecycle(journal: Journal) -> None:
    _preview(journal)
    assert journal.entries()[0].state == "previewed"
    assert journal.record_confirmation("q1", 1_010) == 1_010
    assert journal.entries()[0].state == "confirmed"
    sub = journal.begin_submission("q1", OP_HASH.upper().replace("0X", "0x"), OWNER.lower(), 7,
                                   None, 1_020)  # fmt: skip
    assert sub.user_op_hash == OP_HASH  # normalised
    assert journal.unfinished_submissions() == [sub]
    journal.record_tx_hash("q1", TX_HASH)
    journal.record_receipt("q1", TX_HASH, 42, True, 250_000, 3 * 10**19, None)  # > 2**63 wei
    fills = [_fill(TOKEN, "AAA", 10**6, 5 * 10**20, 5 * 10**20 + 17)]  # > 64-bit amounts
    journal.record_fills("q1", fills)

    (entry,) = journal.entries(owner=OWNER)
    assert entry.state == "included"
    assert entry.submission is not None
    assert entry.submission.tx_hash == TX_HASH
    assert entry.receipt is not None
    assert entry.receipt.actual_gas_cost_wei == 3 * 10**19
    assert entry.fills == tuple(fills)
    assert entry.preview.preview_json == PREVIEW
    assert journal.unfinished_submissions() == []
    assert journal.gas_paid_wei(OWNER) == 3 * 10**19
    assert journal.gas_paid_wei("0x" + "99" * 20) == 0
    assert journal.entries(owner="0x" + "99" * 20) == []


def test_recording_the_same_preview_again_is_a_no_op_and_a_different_one_is_refused(
    journal: Journal,
) -> None:
    _preview(journal)
    reordered = json.dumps(dict(reversed(list(json.loads(PREVIEW).items()))))
    _preview(journal, preview_json=reordered)  # same content, other key order
    assert len(journal.entries()) == 1
    with pytest.raises(QuoteConflict) as caught:
        _preview(journal, expires_at_s=1_061)
    assert (caught.value.field, caught.value.recorded, caught.value.given) == (
        "expires_at_s", 1_060, 1_061,
    )  # fmt: skip
    with pytest.raises(QuoteConflict) as caught:
        _preview(journal, preview_json=json.dumps({"legs": []}))
    assert caught.value.field == "preview_json"


def test_bad_inputs_are_refused_with_the_value(journal: Journal) -> None:
    with pytest.raises(InputError, match="kind must be one of buy, sell, withdraw, mandate"):
        _preview(journal, kind="swap")
    with pytest.raises(InputError, match="owner must be a 20-byte hex address, got 'bob'"):
        _preview(journal, owner="bob")
    with pytest.raises(InputError, match="expires_at_s must be >= created_at_s"):
        _preview(journal, expires_at_s=999)
    with pytest.raises(InputError, match="preview_json must be valid JSON"):
        _preview(journal, preview_json="{not json")
    _confirmed(journal)
    with pytest.raises(InputError, match="user_op_hash must be a 0x-prefixed 32-byte hex hash"):
        journal.begin_submission("q1", "0x1234", OWNER, 0, None, 1)
    with pytest.raises(InputError, match="nonce must be a non-negative integer"):
        journal.begin_submission("q1", OP_HASH, OWNER, -1, None, 1)
    assert journal.submission("q1") is None


def test_confirmation_needs_a_live_preview_and_submission_a_confirmation(journal: Journal) -> None:
    with pytest.raises(UnknownQuote):
        journal.record_confirmation("nope", 1)
    _preview(journal)
    with pytest.raises(QuoteNotConfirmed):
        _submit(journal)
    with pytest.raises(PreviewExpired) as caught:
        journal.record_confirmation("q1", 1_061)
    assert (caught.value.expires_at_s, caught.value.confirmed_at_s) == (1_060, 1_061)
    assert journal.record_confirmation("q1", 1_060) == 1_060  # the expiry second itself is fine
    assert journal.record_confirmation("q1", 1_030) == 1_060  # a repeat keeps the first
    with pytest.raises(UnknownQuote) as unknown:
        journal.begin_submission("nope", OP_HASH, OWNER, 0, None, 1)
    assert unknown.value.quote_id == "nope"


def test_a_quote_is_never_submitted_twice_whatever_its_state(journal: Journal) -> None:
    _confirmed(journal)
    _submit(journal)
    with pytest.raises(AlreadySubmitted) as caught:
        _submit(journal, op_hash=OTHER_OP_HASH)
    assert (caught.value.quote_id, caught.value.user_op_hash, caught.value.state) == (
        "q1", OP_HASH, "submitted",
    )  # fmt: skip
    # the same user operation under another quote id, while the first is live, is the same
    # submission
    _confirmed(journal, "q2")
    with pytest.raises(AlreadySubmitted) as caught:
        _submit(journal, "q2")
    assert caught.value.quote_id == "q1"
    assert journal.submission("q2") is None
    journal.mark_dropped("q1", "never reached the chain; preview again")
    with pytest.raises(AlreadySubmitted) as caught:
        _submit(journal)
    assert caught.value.state == "dropped"


def test_a_fresh_preview_of_a_dropped_trade_is_a_new_submission(journal: Journal) -> None:
    """Issue 15: after the bundler rejected a buy, the same buy previewed again (same op
    hash: same nonce, calldata and deadline) was refused as "already submitted"."""
    _confirmed(journal)
    _submit(journal)
    journal.mark_dropped("q1", "rejected before inclusion: AA21")
    _confirmed(journal, "q2")
    _submit(journal, "q2")  # the same op hash, now under the fresh quote id
    assert journal.submission("q2") is not None
    assert journal.submission("q1").dropped_reason is not None  # type: ignore[union-attr]
    _confirmed(journal, "q3")
    with pytest.raises(AlreadySubmitted) as caught:  # but never while q2 is live
        _submit(journal, "q3")
    assert caught.value.quote_id == "q2"


def test_an_open_submission_does_not_block_its_nonce_but_a_used_nonce_does(
    journal: Journal,
) -> None:
    """Two ops at one nonce can never both execute: an open one (fate unknown) does not
    block a new op at its nonce (the new op replaces it); one with a receipt does (the
    nonce is used: two operations at one nonce are never both reported done)."""
    _confirmed(journal)
    _submit(journal)  # nonce 7 (the helper's), open
    _confirmed(journal, "q2")
    _submit(journal, "q2", op_hash=OTHER_OP_HASH)  # same nonce: exclusive with q1
    assert {s.quote_id for s in journal.unfinished_submissions()} == {"q1", "q2"}
    journal.record_receipt("q2", TX_HASH, 42, True, 1, 2, None)  # q2 used nonce 7
    _confirmed(journal, "q3")
    third = "0x" + "ab" * 31 + "01"
    with pytest.raises(AccountMoved):
        _submit(journal, "q3", op_hash=third)
    assert journal.submission("q3") is None


def test_already_submitted_holds_across_two_connections_to_the_file(path: Path) -> None:
    with Journal(path) as first, Journal(path) as second:
        _confirmed(first)
        assert second.preview("q1") is not None  # the other connection sees it
        _submit(first)
        with pytest.raises(AlreadySubmitted) as caught:
            second.begin_submission("q1", OTHER_OP_HASH, OWNER, 8, None, 1_021)
        assert caught.value.user_op_hash == OP_HASH


def _race(path: str, index: int, start: multiprocessing.synchronize.Event) -> str:
    journal = Journal(path)
    start.wait()
    try:
        journal.begin_submission("q1", f"0x{index:064x}", OWNER, 7, None, 1_020)
        return "won"
    except AlreadySubmitted:
        return "refused"
    finally:
        journal.close()


def test_exactly_one_of_several_racing_processes_submits(path: Path) -> None:
    with Journal(path) as journal:
        _confirmed(journal)
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(4) as pool:
            pending = [pool.apply_async(_race, (str(path), i + 1, start)) for i in range(4)]
            start.set()
            outcomes = sorted(p.get(timeout=30) for p in pending)
    assert outcomes == ["refused", "refused", "refused", "won"]
    with Journal(path) as journal:
        assert len(journal.unfinished_submissions()) == 1


def test_receipts_and_fills_are_idempotent_and_conflicts_refused(journal: Journal) -> None:
    _confirmed(journal)
    with pytest.raises(UnknownQuote, match="no submission"):
        journal.record_receipt("q1", TX_HASH, 1, True, 1, 1, None)
    _submit(journal)
    with pytest.raises(UnknownQuote, match="no receipt"):
        journal.record_fills("q1", [])
    journal.record_receipt("q1", TX_HASH, 42, False, 90_000, 10**15, "call 1: Paused()")
    journal.record_receipt("q1", TX_HASH, 42, False, 90_000, 10**15, "call 1: Paused()")
    with pytest.raises(QuoteConflict, match="receipt"):
        journal.record_receipt("q1", TX_HASH, 43, False, 90_000, 10**15, "call 1: Paused()")
    assert journal.entries()[0].state == "failed"
    with pytest.raises(QuoteConflict):  # the chain says it landed: it cannot be dropped
        journal.mark_dropped("q1", "never reached the chain")
    fills = [_fill(TOKEN, "AAA", 1, 2, 3)]
    journal.record_fills("q1", fills)
    journal.record_fills("q1", fills)
    with pytest.raises(QuoteConflict, match="fills"):
        journal.record_fills("q1", [_fill(TOKEN, "AAA", 1, 2, 4)])


def test_a_receipt_found_later_wins_over_dropped(journal: Journal) -> None:
    _confirmed(journal)
    _submit(journal)
    journal.mark_dropped("q1", "never reached the chain")
    journal.mark_dropped("q1", "another reason")  # no-op: the first verdict stays
    entry = journal.entries()[0]
    assert entry.submission is not None
    assert (entry.state, entry.submission.dropped_reason) == ("dropped", "never reached the chain")
    journal.record_receipt("q1", TX_HASH, 42, True, 1, 2, None)
    assert journal.entries()[0].state == "included"


def test_schema_version_reopening_and_foreign_files(path: Path, tmp_path: Path) -> None:
    with Journal(tmp_path / "new" / "dir" / "journal.sqlite") as nested:
        assert nested.schema_version == SCHEMA_VERSION
    with Journal(path) as journal:
        assert journal.schema_version == SCHEMA_VERSION == 3
        _confirmed(journal)
        _submit(journal)
    with Journal(path) as reopened:  # everything is still there
        assert reopened.submission("q1") is not None
        assert reopened.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(JournalUnusable, match="schema version 99 is newer than this code's"):
        Journal(path)

    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.close()
    with pytest.raises(JournalUnusable, match="not a journal"):
        Journal(other)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(JournalUnusable, match="not usable as a SQLite database"):
        Journal(garbage)
