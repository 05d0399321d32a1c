"""One-click buy, sell and withdraw through the real EntryPoint and vault, on eth-tester
and anvil: the preview's numbers, what lands on chain, and the journal."""

from __future__ import annotations

import pytest

from orchestrator.trading.confirm import confirm
from orchestrator.trading.holdings import holdings
from orchestrator.trading.previews import preview_buy, preview_sell, preview_withdraw
from tests.trading.conftest import FUNDED_USDC, USDC, Trader

BUY = 10_000 * USDC
GAS_ESTIMATE_TOLERANCE_PCT = 10  # the target for gas_estimate_error_pct


def test_buy_previews_exact_fee_and_lands_every_leg_above_its_min_out(trader: Trader) -> None:
    t = trader
    preview = preview_buy(t.ctx, BUY)
    assert preview.platform_fee_usdc == BUY * preview.fee_bps // 10_000
    assert sum(leg.amount_in for leg in preview.legs) + preview.platform_fee_usdc == BUY
    assert preview.gas.deploys_account
    assert preview.gas.creates_vault
    assert 50 <= preview.max_slippage_bps <= 300
    assert preview.slippage_is_auto
    for leg in preview.legs:
        assert leg.min_out == leg.expected_out * (10_000 - preview.max_slippage_bps) // 10_000
    assert preview.min_expected_value_usdc < preview.expected_value_usdc < BUY
    assert t.journal.preview(preview.quote_id) is not None

    execution = confirm(t.ctx, preview)

    vault = preview.vault
    assert execution.result.success
    assert not execution.already_done
    assert t.usdc_of(t.ctx.account.address) == FUNDED_USDC - BUY
    assert t.usdc_of(vault) == 0  # every USDC after the fee went into a leg
    assert len(execution.fills) == len(preview.legs)
    for fill in execution.fills:
        assert fill.amount_out >= fill.min_out > 0
        assert t.balance_of(fill.token, vault) == fill.amount_out
    usdc = t.market.book.contracts.usdc
    allowance = t.ctx.chain.w3.eth.call(
        {"to": usdc, "data": "0xdd62ed3e" + "00" * 12 + t.ctx.account.address[2:].lower()
         + "00" * 12 + vault[2:].lower()}  # allowance(account, vault)
    )  # fmt: skip
    assert int.from_bytes(allowance, "big") == 0
    actual = execution.result.actual_gas_used
    assert abs(preview.gas.likely_gas - actual) * 100 <= actual * GAS_ESTIMATE_TOLERANCE_PCT
    entry = t.journal.entries()[0]
    assert entry.state == "included"
    assert len(entry.fills) == len(preview.legs)
    view = holdings(t.ctx)
    assert view.exists
    assert view.nav_usdc >= preview.min_expected_value_usdc
    assert view.tracking_error_bps() <= 10  # within 10 bps of the targets


def test_sell_half_pays_usdc_to_the_account_then_withdraw_in_kind_empties_the_vault(
    trader: Trader,
) -> None:
    t = trader
    confirm(t.ctx, preview_buy(t.ctx, BUY))
    before = {ref.address: t.balance_of(ref.address, t.ctx.vault_address())
              for ref in t.ctx.tokens()}  # fmt: skip
    account_usdc = t.usdc_of(t.ctx.account.address)

    sell = preview_sell(t.ctx, 5_000)
    assert sell.fraction_bps == 5_000
    assert sell.legs
    done = confirm(t.ctx, sell)

    received = t.usdc_of(t.ctx.account.address) - account_usdc
    assert received >= sell.min_expected_value_usdc
    for token, amount in before.items():
        assert t.balance_of(token, t.ctx.vault_address()) == amount - amount * 5_000 // 10_000
    assert all(f.amount_out >= f.min_out for f in done.fills)

    out = preview_withdraw(t.ctx)
    assert out.platform_fee_usdc == 0
    assert not out.legs
    confirm(t.ctx, out)
    assert holdings(t.ctx).nav_usdc == 0
    for token, amount in before.items():
        assert t.balance_of(token, t.ctx.account.address) == amount - amount * 5_000 // 10_000


def test_confirming_the_same_preview_twice_sends_one_operation(trader: Trader) -> None:
    t = trader
    preview = preview_buy(t.ctx, BUY)
    first = confirm(t.ctx, preview)
    nonce = t.nonce()
    again = confirm(t.ctx, preview)
    assert again.already_done
    assert again.result.user_op_hash == first.result.user_op_hash
    assert t.nonce() == nonce
    assert t.usdc_of(t.ctx.account.address) == FUNDED_USDC - BUY


def test_a_crash_after_submitting_is_settled_from_the_chain_never_resent(trader: Trader) -> None:
    """The process dies after broadcasting, before it records the receipt: the next
    confirm of that quote id finds the op on chain, records it, and sends nothing."""
    from orchestrator.wallet.userop import UserOperation
    from orchestrator.wallet.userop_signing import sign_user_op

    t = trader
    preview = preview_buy(t.ctx, BUY)
    op = UserOperation.from_rpc(preview.user_op)
    signed = sign_user_op(op, t.owner, entry_point=t.ctx.aa.entry_point,
                          chain_id=t.ctx.chain.chain_id)  # fmt: skip
    t.journal.record_confirmation(preview.quote_id, int(t.clock()))
    t.journal.begin_submission(preview.quote_id, preview.user_op_hash, op.sender, op.nonce,
                               None, int(t.clock()))  # fmt: skip
    t.ctx.submitter.submit(signed)  # ... and the process dies here
    assert t.journal.receipt(preview.quote_id) is None
    nonce = t.nonce()

    settled = confirm(t.ctx, preview)

    assert settled.already_done
    assert settled.result.success
    assert t.nonce() == nonce
    receipt = t.journal.receipt(preview.quote_id)
    assert receipt is not None
    assert receipt.success
    assert t.usdc_of(t.ctx.account.address) == FUNDED_USDC - BUY


@pytest.mark.parametrize("pct", [10, 50])
def test_sell_fraction_matches_the_vault_rounding(trader: Trader, pct: int) -> None:
    t = trader
    confirm(t.ctx, preview_buy(t.ctx, BUY))
    sell = preview_sell(t.ctx, pct * 100)
    for leg in sell.legs:
        held = t.balance_of(leg.token, t.ctx.vault_address())
        assert leg.amount_in == held * pct * 100 // 10_000
