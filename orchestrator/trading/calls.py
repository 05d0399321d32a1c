"""The smart account's calls for each action, encoded for `executeBatch`."""

from __future__ import annotations

from collections.abc import Sequence

from web3 import Web3

from orchestrator.chain.bindings import bind_ours
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.preview.model import LegPreview
from orchestrator.vaults.platform import Leg, encode_legs
from orchestrator.wallet.smart_account import Call


def _call(fn: object) -> Call:
    return Call(fn.address, 0, bytes.fromhex(fn._encode_transaction_data()[2:]))  # type: ignore[attr-defined]


def legs_of(previews: Sequence[LegPreview]) -> list[Leg]:
    return [Leg(p.token, p.pool_fee, p.amount_in, p.min_out) for p in previews]


def buy_calls(
    w3: Web3,
    book: AddressBook,
    *,
    account: str,
    vault: str,
    salt: bytes,
    create_vault: bool,
    usdc_amount: int,
    legs: Sequence[Leg],
    deadline_s: int,
) -> list[Call]:
    """[createVault] + approve exactly `usdc_amount` + vault.buy: the vault pulls it all,
    so no allowance is left behind."""
    factory = bind_ours(w3, "VaultFactory", book.contracts.vault_factory)
    usdc = bind_ours(w3, "TestToken", book.contracts.usdc)
    vault_c = bind_ours(w3, "IndexVault", vault)
    calls = [_call(factory.functions.createVault(account, salt))] if create_vault else []
    calls.append(_call(usdc.functions.approve(vault, usdc_amount)))
    calls.append(_call(vault_c.functions.buy(usdc_amount, encode_legs(legs), deadline_s)))
    return calls


def sell_calls(
    w3: Web3, *, vault: str, legs: Sequence[Leg], fraction_bps: int, deadline_s: int
) -> list[Call]:
    vault_c = bind_ours(w3, "IndexVault", vault)
    return [_call(vault_c.functions.sell(encode_legs(legs), 0, fraction_bps, deadline_s))]


def withdraw_calls(w3: Web3, *, vault: str, tokens: Sequence[str]) -> list[Call]:
    vault_c = bind_ours(w3, "IndexVault", vault)
    return [_call(vault_c.functions.withdrawInKind(list(tokens)))]
