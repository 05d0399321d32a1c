"""Confirming with the key elsewhere (a web page's browser): prepare gives the unsigned op,
its EIP-712 typed data and hash; submit takes a signature and sends only one that recovers
to the owner. Reading needs only the owner's address (eth-tester and anvil)."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from orchestrator.errors import InvalidUserOperation
from orchestrator.service import LocalMarket, load_history
from orchestrator.trading.confirm import prepare, submit
from orchestrator.trading.previews import preview_buy
from orchestrator.wallet.keystore import Keystore
from orchestrator.wallet.signers import KeystoreSigner, LocalKeySigner
from tests.trading.conftest import FUNDED_USDC, USDC, Trader


def test_only_the_owners_signature_is_sent(trader: Trader) -> None:
    t = trader
    preview = preview_buy(t.ctx, 1_000 * USDC)
    request = prepare(t.ctx, preview)
    assert request.owner == t.ctx.owner
    assert request.user_op == preview.user_op
    typed = encode_typed_data(full_message=request.typed_data)  # what a browser wallet signs
    assert "0x" + keccak(b"\x19" + typed.version + typed.header + typed.body).hex() == (
        request.user_op_hash
    )
    digest = bytes.fromhex(request.user_op_hash[2:])
    stranger = LocalKeySigner(Account.from_key(keccak(text="not the owner")))
    nonce = t.nonce()
    with pytest.raises(InvalidUserOperation, match="not to the owner") as caught:
        submit(t.ctx, request, stranger.sign_hash(digest))
    assert caught.value.value == stranger.owner
    assert t.nonce() == nonce  # nothing was sent ...
    assert all(e.submission is None for e in t.journal.entries())  # ... nor journaled
    assert t.ctx.signer is not None
    done = submit(t.ctx, request, t.ctx.signer.sign_hash(digest))
    assert done.success
    assert t.nonce() == nonce + 1
    assert t.usdc_of(t.ctx.account.address) == FUNDED_USDC - 1_000 * USDC


def test_reading_needs_no_password(fresh_market: LocalMarket, tmp_path: Path) -> None:
    keystore = Keystore(tmp_path / "keystores")
    info = keystore.create("reader", "the password", scrypt_n=16)

    def never() -> str:
        raise AssertionError("a read asked for the password")

    signer = KeystoreSigner(keystore, "reader", never)
    history = load_history(None, tokens=len(fresh_market.book.tokens))
    with fresh_market.session(signer, journal=tmp_path / "j.sqlite", history=history) as session:
        assert session.owner == info.owner
        view = session.holdings()
        assert not view.exists
        assert view.nav_usdc == 0
        assert session.log() == []
