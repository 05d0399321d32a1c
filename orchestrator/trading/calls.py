"""The smart account's calls for each action (run by `executeBatch`), with the calldata of
the vault binding (`orchestrator.chain.vault_binding`)."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.chain.vault_binding import (
    APPROVE,
    BUY,
    CREATE_VAULT,
    REVOKE_KEEPER,
    SELL,
    SET_MANDATE,
    WITHDRAW_IN_KIND,
    LegStruct,
    mandate_struct,
)
from orchestrator.domain.mandate import Mandate
from orchestrator.domain.units import Bps, UsdcUnits
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.wallet.smart_account import Call

__all__ = ["buy_calls", "revoke_keeper_calls", "sell_calls", "set_mandate_calls", "withdraw_calls"]


def buy_calls(
    book: AddressBook,
    *,
    account: str,
    vault: str,
    salt: bytes,
    create_vault: bool,
    usdc_amount: UsdcUnits,
    legs: Sequence[LegStruct],
    max_fee_bps: Bps,
    deadline_s: int,
) -> list[Call]:
    """[createVault] + approve exactly `usdc_amount` + vault.buy: the vault pulls it all,
    so no allowance is left behind. `max_fee_bps` is the platform fee the preview showed:
    the buy reverts (`FeeAboveMax`) if the admin raised it before the buy lands."""
    calls = []
    if create_vault:
        calls.append(Call(book.contracts.vault_factory, 0, CREATE_VAULT.call(account, salt)))
    calls.append(Call(book.contracts.usdc, 0, APPROVE.call(vault, usdc_amount)))
    calls.append(Call(vault, 0, BUY.call(usdc_amount, list(legs), max_fee_bps, deadline_s)))
    return calls


def sell_calls(
    *, vault: str, legs: Sequence[LegStruct], fraction_bps: Bps, max_fee_bps: Bps, deadline_s: int
) -> list[Call]:
    """vault.sell in fraction mode: each leg's `amount_in` is the amount the preview sold
    (floor(balance x fraction)) and its min-out the preview's; the vault scales the min-out to
    the amount it actually sells (a minimum price), so a vault that changed since the preview
    cannot be sold cheaper. `max_fee_bps`: the fee the preview showed."""
    return [Call(vault, 0, SELL.call(list(legs), 0, fraction_bps, max_fee_bps, deadline_s))]


def withdraw_calls(*, vault: str, tokens: Sequence[str]) -> list[Call]:
    return [Call(vault, 0, WITHDRAW_IN_KIND.call(list(tokens)))]


def set_mandate_calls(
    *, vault: str, mandate: Mandate, pools: Sequence[tuple[str, int]]
) -> list[Call]:
    """vault.setMandate(mandate, pools); `pools` are (token, fee tier) pairs."""
    return [Call(vault, 0, SET_MANDATE.call(mandate_struct(mandate), list(pools)))]


def revoke_keeper_calls(*, vault: str) -> list[Call]:
    return [Call(vault, 0, REVOKE_KEEPER.call())]
