"""The transaction log (pure): chain actions merged with journal entries; and the
reconcile verdicts for every combination of chain facts (pure)."""

from __future__ import annotations

from orchestrator.ledger import build_log, group_actions
from orchestrator.ledger.journal_records import (
    JournalEntry,
    PreviewRecord,
    ReceiptRecord,
    SubmissionRecord,
)
from orchestrator.ledger.reconcile import ChainFacts, decide
from tests.ledger.builders import USDC, A, B, Chain

OWNER = "0x" + "11" * 20
VAULT = "0x" + "22" * 20


def _entry(
    quote_id: str,
    kind: str = "buy",
    *,
    created: int = 1_700_000_000,
    confirmed: int | None = 1_700_000_001,
    submitted: int | None = None,
    receipt: tuple[str, bool, int, str | None] | None = None,
    dropped: str | None = None,
) -> JournalEntry:
    preview = PreviewRecord(quote_id, kind, OWNER, VAULT, created, created + 60, "{}", confirmed)  # type: ignore[arg-type]
    sub = None
    if submitted is not None:
        sub = SubmissionRecord(quote_id, "0x" + quote_id.encode().hex().ljust(64, "0"), OWNER, 0,
                               None, submitted, dropped)  # fmt: skip
    rec = None
    if receipt is not None:
        tx, ok, gas, reason = receipt
        rec = ReceiptRecord(quote_id, tx, 1, ok, 100_000, gas, reason)
    return JournalEntry(preview, sub, rec, ())


def test_chain_actions_and_journal_entries_merge_into_one_ordered_log() -> None:
    chain = Chain()
    created_tx = chain.created(OWNER, VAULT)
    buy_tx = chain.buy(1_000, 1, [(A, 600, 300), (B, 300, 1_000)])
    rebalance_tx = chain.rebalance([(A, USDC, 50, 160), (USDC, B, 100, 400)], loss=3)
    sell_tx = chain.sell([(A, 150, 450)], cash=50, fee=2)
    withdraw_tx = chain.withdraw([B, USDC], [1_400, 7])
    chain.revoked()
    t0 = chain.events[0].timestamp_s
    entries = [
        _entry("buy-1", submitted=t0 + 5, receipt=(buy_tx, True, 7 * 10**14, None)),
        _entry("sell-1", "sell", submitted=t0 + 30, receipt=(sell_tx, True, 5 * 10**14, None)),
        _entry("failed-1", submitted=t0 + 40,
               receipt=("0x" + "f1" * 32, False, 10**14, "call 1: Paused()")),
        _entry("dropped-1", "withdraw", submitted=t0 + 41,
               dropped="never reached the chain; preview again"),
        _entry("pending-1", submitted=t0 + 42),
        _entry("confirmed-1", "mandate", confirmed=t0 + 43),
        _entry("unconfirmed-1", confirmed=None),
    ]  # fmt: skip

    rows = build_log(group_actions(chain.events), entries, usdc=USDC)
    assert [r.kind for r in rows] == [
        "vault_created", "buy", "rebalance", "sell", "failed", "dropped", "pending", "confirmed",
        "withdraw", "keeper_revoked",
    ]  # fmt: skip
    by_kind = {r.kind: r for r in rows}
    created, buy, rebalance = by_kind["vault_created"], by_kind["buy"], by_kind["rebalance"]
    assert (created.tx_hash, created.usdc_amount, created.quote_id) == (created_tx, None, None)
    assert (buy.usdc_amount, buy.legs, buy.fee_usdc, buy.gas_wei, buy.quote_id, buy.tx_hash) == (
        1_000, 2, 1, 7 * 10**14, "buy-1", buy_tx,
    )  # fmt: skip
    assert (rebalance.usdc_amount, rebalance.legs, rebalance.gas_wei) == (160 + 100, 2, None)
    assert rebalance.tx_hash == rebalance_tx
    assert "loss <$0.01 vs TWAP" in rebalance.detail
    sell = by_kind["sell"]
    assert (sell.usdc_amount, sell.fee_usdc, sell.gas_wei, sell.quote_id) == (
        450 + 50 - 2, 2, 5 * 10**14, "sell-1",
    )  # fmt: skip
    failed = by_kind["failed"]
    assert (failed.gas_wei, failed.quote_id, failed.detail) == (
        10**14,
        "failed-1",
        "buy: call 1: Paused()",
    )
    assert by_kind["dropped"].detail == "withdraw: never reached the chain; preview again"
    assert (by_kind["pending"].quote_id, by_kind["pending"].gas_wei) == ("pending-1", None)
    assert by_kind["confirmed"].detail == "mandate confirmed, not submitted"
    withdraw = by_kind["withdraw"]
    assert (withdraw.usdc_amount, withdraw.legs, withdraw.tx_hash) == (7, 2, withdraw_tx)


def test_an_included_entry_without_vault_events_still_shows() -> None:
    rows = build_log([], [_entry("q", submitted=10, receipt=("0x" + "12" * 32, True, 5, None))],
                     usdc=USDC)  # fmt: skip
    assert [(r.kind, r.gas_wei, r.quote_id) for r in rows] == [("buy", 5, "q")]
    assert "no vault events" in rows[0].detail


# -- reconcile verdicts ----------------------------------------------------------------------
def _sub(nonce: int = (3 << 64) | 5, tx_hash: str | None = None) -> SubmissionRecord:
    return SubmissionRecord("q", "0x" + "ab" * 32, OWNER, nonce, tx_hash, 1_000, None)


def test_reconcile_verdicts() -> None:
    def verdict(
        facts: ChainFacts, sub: SubmissionRecord | None = None, now: int = 5_000
    ) -> tuple[str, str]:
        settled = decide(sub or _sub(), facts, now_s=now)
        return settled.state, settled.detail

    tx = "0x" + "cd" * 32
    assert verdict(ChainFacts(None, 5, "pending"), _sub(tx_hash=tx)) == (
        "pending", f"its bundle transaction {tx} is pending, 66 min after it was sent",
    )  # fmt: skip
    state, detail = verdict(ChainFacts(None, 6, "none"))  # the key's sequence moved past 5
    assert state == "dropped"
    assert detail.startswith("nonce 5 was used by another operation")
    assert verdict(ChainFacts(None, 5, "none"), now=1_020) == (
        "pending",
        "no trace on chain yet, 20 s after it was sent",
    )
    # never dropped for its age: no trace is no proof (it may sit in a bundler's mempool)
    assert verdict(ChainFacts(None, 5, "none"), now=10**9)[0] == "pending"
    assert verdict(ChainFacts(None, 6, "pending"), _sub(tx_hash=tx))[0] == "dropped"
    assert verdict(ChainFacts(None, 5, "mined"), _sub(tx_hash=tx))[1].startswith(
        f"bundle transaction {tx} did not include it"
    )
    assert verdict(ChainFacts(None, 5, "unknown"), _sub(tx_hash=tx))[1].startswith(
        f"the node does not know its bundle transaction {tx}"
    )
