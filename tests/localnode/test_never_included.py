"""A bundler that takes an operation and never includes it (alto in manual bundle mode:
it bundles only when told). The confirm times out into a journal state that says
"submitted, outcome unknown" and refuses to send it again; the next run settles it from
the chain: included once the bundler finally bundles it. One the bundler lost (restarted:
its mempool is gone) stays open however old, since nothing proves it dead, until the next
operation, built on the same nonce, lands: then it is dropped (at most one of the two can
ever execute). A bundler that is down when the operation is confirmed: nothing is sent,
and the journal says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from orchestrator.chain.backends import dev_accounts
from orchestrator.chain.canonical import ENTRY_POINT_V08
from orchestrator.errors import InputError
from orchestrator.execution import BundlerClient, UserOpNotIncluded, UserOpNotSent
from orchestrator.execution.alto import start_bundler, stop_bundler
from orchestrator.ledger.reconcile import reconcile
from orchestrator.localmarket.localnet import BUNDLER_EXECUTOR_ACCOUNT, BUNDLER_UTILITY_ACCOUNT
from orchestrator.networks import local_dir, resolve_network
from orchestrator.service import LocalKeySigner, fund_test_account, open_session
from orchestrator.trading.confirm import confirm
from orchestrator.trading.context import TradingContext
from orchestrator.trading.previews import preview_buy

pytestmark = pytest.mark.anvil

USDC = 10**6
OWNER = Account.from_key(keccak(text="never included owner"))


def _manual_bundler(url: str) -> str:
    """Replace the node's bundler with one that bundles only on request."""
    folder = local_dir()
    stop_bundler(folder)
    keys = dev_accounts()
    record = start_bundler(
        folder, rpc_url=url, entry_point=ENTRY_POINT_V08,
        executor=keys[BUNDLER_EXECUTOR_ACCOUNT], utility=keys[BUNDLER_UTILITY_ACCOUNT],
        extra_args=("--bundle-mode", "manual", "--enable-debug-endpoints", "true"),
    )  # fmt: skip
    return record.url


@pytest.fixture(scope="module")
def ctx(node_home: Path) -> Iterator[TradingContext]:
    with open_session("local", signer=LocalKeySigner(OWNER)) as session:
        ctx = session.trading
        fund_test_account(ctx, 5_000 * USDC, eth_wei=10**18)
        url = _manual_bundler(str(resolve_network("local").rpc_url))
        ctx.submitter = BundlerClient(
            url, entry_point=ctx.aa.entry_point, chain_id=ctx.chain.chain_id,
            poll_interval_s=0.05, inclusion_timeout_s=1.0,
        )  # fmt: skip
        yield ctx


def _bundle_now(ctx: TradingContext) -> None:
    assert isinstance(ctx.submitter, BundlerClient)
    body = {"jsonrpc": "2.0", "id": 1, "method": "debug_bundler_sendBundleNow", "params": []}
    reply = httpx.post(ctx.submitter.url, json=body, timeout=30).json()
    assert "error" not in reply, reply


def test_a_timeout_leaves_it_open_and_the_next_run_settles_it_included(
    ctx: TradingContext,
) -> None:
    preview = preview_buy(ctx, 1_000 * USDC)
    with pytest.raises(UserOpNotIncluded) as caught:
        confirm(ctx, preview)
    assert caught.value.user_op_hash == preview.user_op_hash
    assert "will not be sent again" in str(caught.value)
    entry = ctx.journal.entries(owner=ctx.account.address)[-1]
    assert (entry.preview.quote_id, entry.state) == (preview.quote_id, "submitted")
    with pytest.raises(InputError, match="already submitted and is not on chain"):
        confirm(ctx, preview)  # the same preview again: refused, nothing sent

    _bundle_now(ctx)  # the bundler finally includes it
    report = reconcile(ctx.chain, ctx.aa.entry_point, ctx.journal)
    assert report.quote_ids("included") == (preview.quote_id,)
    receipt = ctx.journal.receipt(preview.quote_id)
    assert receipt is not None
    assert receipt.success
    again = confirm(ctx, preview)  # answered from the chain, not sent again
    assert again.already_done
    assert again.result.user_op_hash == preview.user_op_hash


def test_an_operation_the_bundler_lost_stays_open_until_the_next_one_takes_its_nonce(
    ctx: TradingContext,
) -> None:
    preview = preview_buy(ctx, 500 * USDC)
    with pytest.raises(UserOpNotIncluded):
        confirm(ctx, preview)
    url = _manual_bundler(str(resolve_network("local").rpc_url))  # restarted: mempool gone
    assert isinstance(ctx.submitter, BundlerClient)
    ctx.submitter.url = url
    lost = ctx.journal.submission(preview.quote_id)
    assert lost is not None
    a_day_later = lost.submitted_at_s + 86_400
    report = reconcile(ctx.chain, ctx.aa.entry_point, ctx.journal, now_s=a_day_later)
    assert report.quote_ids("pending") == (preview.quote_id,)  # no proof it is dead
    assert "no trace on chain yet, 24 h after it was sent" in report.settlements[0].detail
    nonce = ctx.account.nonce(ctx.chain)
    assert lost.nonce == nonce  # it holds the account's next nonce

    fresh = preview_buy(ctx, 500 * USDC)  # the user tries again: built on the same nonce
    assert int(fresh.user_op["nonce"], 16) == nonce
    with pytest.raises(UserOpNotIncluded):
        confirm(ctx, fresh)  # journaled beside the open one: they cannot both execute
    _bundle_now(ctx)
    settled = reconcile(ctx.chain, ctx.aa.entry_point, ctx.journal)
    assert settled.quote_ids("included") == (fresh.quote_id,)
    assert settled.quote_ids("dropped") == (preview.quote_id,)  # its nonce is used now
    states = {e.preview.quote_id: e.state for e in ctx.journal.entries(owner=ctx.account.address)}
    assert (states[preview.quote_id], states[fresh.quote_id]) == ("dropped", "included")
    assert ctx.account.nonce(ctx.chain) == nonce + 1  # one of the two ran, once


def test_a_bundler_that_died_after_the_preview_sends_nothing(ctx: TradingContext) -> None:
    preview = preview_buy(ctx, 200 * USDC)
    stop_bundler(local_dir())
    nonce = ctx.account.nonce(ctx.chain)
    with pytest.raises(UserOpNotSent, match="the operation was not sent"):
        confirm(ctx, preview)
    entry = ctx.journal.entries(owner=ctx.account.address)[-1]
    assert (entry.preview.quote_id, entry.state) == (preview.quote_id, "dropped")
    assert ctx.account.nonce(ctx.chain) == nonce
