"""Bad input: a clear error, nothing submitted, nothing lost (eth-tester and anvil)."""

from __future__ import annotations

import pytest

from orchestrator.chain import Transactor
from orchestrator.errors import ChainMoved, InputError, PreviewExpired, PriceUpdated, UserOpRejected
from orchestrator.trading.confirm import confirm
from orchestrator.trading.previews import preview_buy, preview_sell, preview_withdraw
from orchestrator.wallet.userop import UserOperation
from tests.trading.conftest import FUNDED_USDC, USDC, Trader


def _nothing_sent(t: Trader, nonce: int) -> None:
    assert t.nonce() == nonce
    assert t.usdc_of(t.ctx.account.address) == FUNDED_USDC
    assert all(e.submission is None for e in t.journal.entries())


@pytest.mark.parametrize("amount", [0, -1, -10 * USDC])
def test_zero_or_negative_amount(trader: Trader, amount: int) -> None:
    with pytest.raises(InputError, match="must be positive"):
        preview_buy(trader.ctx, amount)
    assert trader.journal.entries() == []


def test_more_than_the_balance(trader: Trader) -> None:
    with pytest.raises(InputError, match="more than your smart account's balance") as error:
        preview_buy(trader.ctx, FUNDED_USDC + 1)
    assert "Buy for less" in error.value.hint
    assert trader.journal.entries() == []


def test_expired_preview_is_refused(trader: Trader) -> None:
    t = trader
    preview = preview_buy(t.ctx, 1_000 * USDC)
    nonce = t.nonce()
    t.clock.now_s = preview.expires_at_s + 1
    with pytest.raises(PreviewExpired, match="expired"):
        confirm(t.ctx, preview)
    _nothing_sent(t, nonce)


def test_price_moved_past_max_slippage_stops_with_price_updated(trader: Trader) -> None:
    """A real adverse swap between preview and confirm: another trader buys the largest
    leg's token, so the leg would now deliver less than its reviewed min-out."""
    t = trader
    preview = preview_buy(t.ctx, 10_000 * USDC, max_slippage_bps=50)
    biggest = max(preview.legs, key=lambda leg: leg.amount_in)
    whale = Transactor(t.ctx.chain, t.ctx.chain.accounts[4])
    t.market.fund_usdc(whale.address, 5_000_000 * USDC)
    from orchestrator.chain.bindings import bind_ours
    from orchestrator.chain.uniswap import QuoteRequest, swap_exact_input_single

    usdc = bind_ours(t.ctx.chain.w3, "TestToken", t.market.book.contracts.usdc)
    whale.send(usdc.functions.approve(t.market.book.contracts.swap_router02, 2**256 - 1),
               gas=100_000)  # fmt: skip
    request = QuoteRequest(usdc.address, biggest.token, biggest.pool_fee, 2_000_000 * USDC)
    swap_exact_input_single(whale, t.market.book.contracts.swap_router02, request,
                            amount_out_min=0)  # fmt: skip
    nonce = t.nonce()
    with pytest.raises(PriceUpdated, match="price updated") as error:
        confirm(t.ctx, preview)
    assert biggest.symbol in [symbol for symbol, _, _ in error.value.moved]
    for _, now, reviewed in error.value.moved:
        assert now < reviewed
    _nothing_sent(t, nonce)


def test_a_wallet_without_a_vault_cannot_sell_or_withdraw(trader: Trader) -> None:
    with pytest.raises(InputError, match="no vault yet"):
        preview_sell(trader.ctx, 5_000)
    with pytest.raises(InputError, match="no vault yet"):
        preview_withdraw(trader.ctx)


@pytest.mark.parametrize("fraction_bps", [0, 10_001])
def test_sell_share_out_of_range(trader: Trader, fraction_bps: int) -> None:
    confirm(trader.ctx, preview_buy(trader.ctx, 1_000 * USDC))
    with pytest.raises(InputError, match="share to sell"):
        preview_sell(trader.ctx, fraction_bps)


@pytest.mark.parametrize("bps", [0, 2_001])
def test_max_slippage_out_of_range(trader: Trader, bps: int) -> None:
    with pytest.raises(InputError, match="max slippage"):
        preview_buy(trader.ctx, 1_000 * USDC, max_slippage_bps=bps)


class _MovedBeforeTheEstimate:
    """The bundler in front of the real one: before its estimate of the preview's op,
    another op of the same account lands (a second command of the owner's), so its
    simulation refuses the previewed nonce, as alto answers "AA25 invalid account nonce".
    `lands=False`: the refusal without the move (the error must then pass through)."""

    def __init__(self, t: Trader, *, lands: bool) -> None:
        self.inner, self.t, self.lands = t.ctx.submitter, t, lands
        self.entry_point = self.inner.entry_point
        self.submit, self.receipt = self.inner.submit, self.inner.receipt

    def fit(self, op: UserOperation) -> UserOperation:
        if self.lands:
            self.lands = False
            self.t.ctx.submitter = self.inner  # the second command talks to the real one
            other = preview_buy(self.t.ctx, 100 * USDC)  # a second command, confirmed meanwhile
            confirm(self.t.ctx, other)
        raise UserOpRejected("AA25 invalid account nonce", user_op_hash="0x" + "00" * 32)


def test_an_op_of_the_account_landing_during_the_preview_is_said_as_such(trader: Trader) -> None:
    t = trader
    confirm(t.ctx, preview_buy(t.ctx, 1_000 * USDC))  # the account and the vault exist
    nonce = t.nonce()
    t.ctx.submitter = _MovedBeforeTheEstimate(t, lands=True)
    with pytest.raises(ChainMoved, match="your smart account was used meanwhile"):
        preview_sell(t.ctx, 5_000)
    assert t.nonce() == nonce + 1  # only the other command's op ran
    t.ctx.submitter = _MovedBeforeTheEstimate(t, lands=False)
    with pytest.raises(UserOpRejected, match="AA25"):  # no move: the bundler's own words
        preview_sell(t.ctx, 5_000)
    assert t.nonce() == nonce + 1
