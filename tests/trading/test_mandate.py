"""The owner's keeper mandate through the real EntryPoint and vault, on eth-tester and anvil:
set it and read it back exactly, set it again (a new epoch voids the old allowlist), revoke
it; bad input is refused before anything is simulated or sent."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from orchestrator.domain.mandate import Mandate
from orchestrator.errors import InputError, InvalidMandate
from orchestrator.preview.model import AllowedPoolTerms, PreviewKind
from orchestrator.service import keeper_address
from orchestrator.trading.confirm import confirm
from orchestrator.trading.mandate import (
    MandateView,
    preview_revoke_keeper,
    preview_set_mandate,
    read_mandate,
)
from orchestrator.trading.previews import preview_buy
from orchestrator.trading.reports import vault_log
from tests.trading.conftest import USDC, Trader

DAY = 86_400
KEEPER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # any address; checksummed


def _mandate(t: Trader, **changes: Any) -> Mandate:
    base = Mandate(
        keeper=keeper_address(t.ctx.chain),
        max_slippage_bps=100,
        min_interval_s=6 * DAY,
        twap_window_s=1_800,
        loss_budget_usdc=100 * USDC,
        loss_window_s=30 * DAY,
        loss_cap_usdc=200 * USDC,
    )
    return dataclasses.replace(base, **changes)


def _pools(t: Trader, symbols: list[str]) -> tuple[AllowedPoolTerms, ...]:
    book = t.ctx.book
    return tuple(
        AllowedPoolTerms(symbol=s, token=book.token(s).address, fee=book.token(s).fee)
        for s in symbols
    )


@pytest.fixture
def owner(trader: Trader) -> Trader:
    """The trader after a first buy: smart account deployed, vault created."""
    confirm(trader.ctx, preview_buy(trader.ctx, 1_000 * USDC))
    return trader


def test_set_mandate_reads_back_exactly_and_is_logged(owner: Trader) -> None:
    t = owner
    symbols = [t.ctx.book.tokens[0].symbol, t.ctx.book.tokens[2].symbol]
    wanted = _mandate(
        t, max_slippage_bps=123, min_interval_s=3_601, twap_window_s=1_860,
        loss_budget_usdc=250 * USDC + 1, loss_window_s=7 * DAY, loss_cap_usdc=600 * USDC + 7,
    )  # fmt: skip
    preview = preview_set_mandate(t.ctx, wanted, [s.lower() for s in symbols])

    assert preview.kind is PreviewKind.MANDATE
    assert (preview.legs, preview.platform_fee_usdc, preview.usdc_amount) == ((), 0, 0)
    terms = preview.mandate
    assert terms is not None
    assert terms.action == "set"
    assert terms.epoch == 1
    assert terms.allowed == _pools(t, symbols)
    assert (terms.keeper, terms.max_slippage_bps, terms.loss_budget_usdc) == (
        wanted.keeper, 123, 250 * USDC + 1,
    )  # fmt: skip
    recorded = t.journal.preview(preview.quote_id)
    assert recorded is not None
    assert recorded.kind == "mandate"
    nonce = t.nonce()

    done = confirm(t.ctx, preview)

    assert done.result.success
    assert done.fills == ()
    assert t.nonce() == nonce + 1
    assert read_mandate(t.ctx) == MandateView(
        vault=t.ctx.vault_address(),
        keeper=wanted.keeper,
        max_slippage_bps=123,
        min_interval_s=3_601,
        twap_window_s=1_860,
        loss_budget_usdc=250 * USDC + 1,
        loss_window_s=7 * DAY,
        loss_cap_usdc=600 * USDC + 7,
        epoch=1,
        allowed=_pools(t, symbols),
        loss_used_usdc=0,
        last_rebalance_s=0,
        loss_spent_usdc=0,
    )
    rows = [row for row in vault_log(t.ctx) if row.kind == "mandate"]
    assert len(rows) == 1
    assert rows[0].quote_id == preview.quote_id
    assert rows[0].tx_hash == done.result.transaction_hash
    assert f"keeper {wanted.keeper}, epoch 1, 2 pools" in rows[0].detail


def test_setting_again_starts_a_new_epoch_and_voids_the_old_allowlist(owner: Trader) -> None:
    t = owner
    tokens = t.ctx.book.tokens
    widest = max(tokens, key=lambda e: e.fee)
    at_fee = _mandate(t, max_slippage_bps=widest.fee // 100)
    tight = preview_set_mandate(t.ctx, at_fee, None)
    assert tight.mandate is not None
    assert tight.mandate.allowed == _pools(t, [e.symbol for e in tokens])  # None: every token
    assert any(widest.symbol in w and "cannot trade" in w for w in tight.warnings)
    confirm(t.ctx, tight)
    first_keeper = keeper_address(t.ctx.chain)

    second = preview_set_mandate(t.ctx, _mandate(t, keeper=KEEPER.lower()), [tokens[3].symbol])

    assert second.mandate is not None
    assert second.mandate.epoch == 2
    assert second.mandate.keeper == KEEPER
    assert f"replaces keeper {first_keeper}, which loses its rights" in second.warnings
    assert "the allowlist of epoch 1 becomes void" in second.warnings
    confirm(t.ctx, second)
    view = read_mandate(t.ctx)
    assert view.epoch == 2
    assert view.keeper == KEEPER
    assert view.max_slippage_bps == 100
    assert view.allowed == _pools(t, [tokens[3].symbol])


def test_revoke_removes_the_keeper_at_once_and_keeps_the_rest(owner: Trader) -> None:
    t = owner
    symbol = t.ctx.book.tokens[1].symbol
    confirm(t.ctx, preview_set_mandate(t.ctx, _mandate(t), [symbol]))
    before = read_mandate(t.ctx)

    revoke = preview_revoke_keeper(t.ctx)

    assert revoke.kind is PreviewKind.MANDATE
    assert revoke.mandate is not None
    assert (revoke.mandate.action, revoke.mandate.keeper) == ("revoke", before.keeper)
    assert revoke.warnings == ()
    done = confirm(t.ctx, revoke)
    after = read_mandate(t.ctx)
    assert after == dataclasses.replace(before, keeper=None)  # epoch, limits, allowlist kept
    rows = [row for row in vault_log(t.ctx) if row.kind == "keeper_revoked"]
    assert [(r.quote_id, r.tx_hash) for r in rows] == [
        (revoke.quote_id, done.result.transaction_hash)
    ]
    assert rows[0].detail == f"keeper {before.keeper} revoked"
    again = preview_revoke_keeper(t.ctx)
    assert again.mandate is not None
    assert again.mandate.keeper is None
    assert "no keeper is set: revoking changes nothing" in again.warnings


BAD_LIMITS = [
    ({"max_slippage_bps": 0}, "the max slippage must be 1..1000 bps, got 0 bps"),
    ({"max_slippage_bps": 1_001}, "the max slippage must be 1..1000 bps, got 1001 bps"),
    ({"twap_window_s": 1_799}, "the TWAP window must be 1800..86400 s, got 1799 s"),
    ({"twap_window_s": 86_401}, "the TWAP window must be 1800..86400 s, got 86401 s"),
    ({"loss_cap_usdc": -1}, "the loss cap must be 0..79228162514264337593543950335"),
    ({"loss_window_s": 0}, "the loss window must be 1..4294967295 s, got 0 s"),
    ({"min_interval_s": -1}, "the minimum interval must be 0..16777215 s, got -1 s"),
    ({"min_interval_s": 2**24}, "the minimum interval must be 0..16777215 s, got 16777216 s"),
    ({"loss_budget_usdc": -1}, "the loss budget must be 0..79228162514264337593543950335"),
    ({"loss_budget_usdc": 2**96}, f"got {2**96} USDC base units"),
    ({"keeper": "0x1234"}, "the keeper must be an address"),
    ({"keeper": KEEPER.replace("F7", "f7")}, "the keeper must be an address"),  # checksum
    ({"keeper": "0x" + "00" * 20}, "the keeper must be a non-zero address"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "message"), BAD_LIMITS)
def test_bad_limits_are_refused_before_anything_is_simulated(
    trader: Trader, changes: dict[str, Any], message: str
) -> None:
    """No vault either: the limits are checked first, so the error is about them."""
    t = trader
    nonce = t.nonce()
    with pytest.raises(InvalidMandate) as error:
        preview_set_mandate(t.ctx, _mandate(t, **changes), None)
    assert message in str(error.value)
    assert error.value.hint
    assert t.nonce() == nonce
    assert t.journal.entries() == []


@pytest.mark.parametrize(
    ("tokens", "message"),
    [(["nope", "FIRST", "ZZZ"], "unknown token(s) on this market: NOPE, ZZZ"),
     (["", " "], "no tokens given")],
)  # fmt: skip
def test_bad_token_lists_are_refused(trader: Trader, tokens: list[str], message: str) -> None:
    known = trader.ctx.book.tokens[0].symbol
    symbols = [known if s == "FIRST" else s for s in tokens]
    with pytest.raises(InputError) as error:
        preview_set_mandate(trader.ctx, _mandate(trader), symbols)
    assert message in str(error.value)
    assert trader.journal.entries() == []


def test_bad_input_with_a_vault_sends_nothing(owner: Trader) -> None:
    t = owner
    nonce, entries = t.nonce(), len(t.journal.entries())
    with pytest.raises(InvalidMandate, match="the TWAP window"):
        preview_set_mandate(t.ctx, _mandate(t, twap_window_s=60), None)
    assert (t.nonce(), len(t.journal.entries())) == (nonce, entries)
    assert not read_mandate(t.ctx).ever_set


def test_a_wallet_without_a_vault_is_told_to_buy_first(trader: Trader) -> None:
    for attempt in (
        lambda: preview_set_mandate(trader.ctx, _mandate(trader), None),
        lambda: preview_revoke_keeper(trader.ctx),
        lambda: read_mandate(trader.ctx),
    ):
        with pytest.raises(InputError, match="no vault yet") as error:
            attempt()
        assert "Buy first" in error.value.hint
    assert trader.journal.entries() == []
