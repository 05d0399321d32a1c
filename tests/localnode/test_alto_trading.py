"""Buy, sell, withdraw and mandate set through the real bundler: alto (npm, unpatched) on
the local node, the canonical EntryPoint v0.8, real Uniswap V3 pools. Each operation is
sent with eth_sendUserOperation and its bundle transaction comes from alto's executor key,
not from our self-bundler."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from orchestrator.chain.backends import dev_accounts
from orchestrator.domain.mandate import Mandate
from orchestrator.execution import BundlerClient
from orchestrator.localmarket.localnet import BUNDLER_EXECUTOR_ACCOUNT
from orchestrator.networks import resolve_network
from orchestrator.service import LocalKeySigner, fund_test_account, keeper_address, open_session
from orchestrator.trading.confirm import Execution, confirm
from orchestrator.trading.context import TradingContext
from orchestrator.trading.mandate import preview_set_mandate, read_mandate
from orchestrator.trading.previews import preview_buy, preview_sell, preview_withdraw
from orchestrator.trading.reads import vault_balances

pytestmark = pytest.mark.anvil

USDC = 10**6
OWNER = Account.from_key(keccak(text="alto trading owner"))


@pytest.fixture(scope="module")
def ctx(node_home: Path) -> Iterator[TradingContext]:
    with open_session("local", signer=LocalKeySigner(OWNER)) as session:
        ctx = session.trading
        fund_test_account(ctx, 5_000 * USDC, eth_wei=10**18)
        yield ctx


def _through_alto(ctx: TradingContext, done: Execution) -> None:
    """Included, sent by alto (its executor key sent the bundle), recorded in the journal."""
    assert done.result.success
    assert isinstance(ctx.submitter, BundlerClient)
    assert ctx.submitter.url == resolve_network("local").bundler_url
    bundle = ctx.chain.w3.eth.get_transaction(done.result.transaction_hash)  # type: ignore[arg-type]
    assert bundle["from"] == dev_accounts()[BUNDLER_EXECUTOR_ACCOUNT].address
    receipt = ctx.journal.receipt(done.preview.quote_id)
    assert receipt is not None
    assert receipt.success


def test_buy_sell_withdraw_and_mandate_through_alto(ctx: TradingContext) -> None:
    bought = confirm(ctx, preview_buy(ctx, 1_000 * USDC))
    _through_alto(ctx, bought)
    assert bought.result.account_deployed
    assert bought.fills
    assert all(f.amount_out >= f.min_out > 0 for f in bought.fills)

    sold = confirm(ctx, preview_sell(ctx, 5_000))
    _through_alto(ctx, sold)
    assert all(f.amount_out >= f.min_out for f in sold.fills)

    mandate = Mandate(
        keeper=keeper_address(ctx.chain),
        max_slippage_bps=100,
        min_interval_s=86_400,
        twap_window_s=1_800,
        loss_budget_usdc=50 * USDC,
        loss_window_s=7 * 86_400,
        loss_cap_usdc=100 * USDC,
    )
    _through_alto(ctx, confirm(ctx, preview_set_mandate(ctx, mandate)))
    assert read_mandate(ctx).keeper == mandate.keeper

    _through_alto(ctx, confirm(ctx, preview_withdraw(ctx)))
    left = vault_balances(ctx.chain, ctx.book, ctx.vault_address())
    assert left.usdc == 0
    assert not any(left.tokens.values())
    assert ctx.account.nonce(ctx.chain) == 4  # four operations, four nonces
