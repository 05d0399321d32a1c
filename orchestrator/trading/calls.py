"""The smart account's calls for each action, encoded for `executeBatch`.

Encoded with `orchestrator.chain.abi` and fixed selectors (no contract objects): a 100-leg
buy is encoded twice per preview, and web3's contract encoder costs ~100 ms for that."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.multicall import selector
from orchestrator.chain.vault_binding import Leg, Mandate, encode_legs
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.preview.model import LegPreview
from orchestrator.wallet.smart_account import Call

_LEG = "(address,uint24,uint256,uint256)"
_CREATE_VAULT = selector("createVault(address,bytes32)")
_APPROVE = selector("approve(address,uint256)")
_BUY = selector(f"buy(uint256,{_LEG}[],uint16,uint256)")
_SELL = selector(f"sell({_LEG}[],uint256,uint16,uint16,uint256)")
_WITHDRAW = selector("withdrawInKind(address[])")
_MANDATE = "(address,uint16,uint24,uint24,uint96,uint32,uint96)"
_POOL = "(address,uint24)"
_SET_MANDATE = selector(f"setMandate({_MANDATE},{_POOL}[])")
_REVOKE_KEEPER = selector("revokeKeeper()")


def legs_of(previews: Sequence[LegPreview]) -> list[Leg]:
    return [Leg(p.token, p.pool_fee, p.amount_in, p.min_out) for p in previews]


def buy_calls(
    book: AddressBook,
    *,
    account: str,
    vault: str,
    salt: bytes,
    create_vault: bool,
    usdc_amount: int,
    legs: Sequence[Leg],
    max_fee_bps: int,
    deadline_s: int,
) -> list[Call]:
    """[createVault] + approve exactly `usdc_amount` + vault.buy: the vault pulls it all,
    so no allowance is left behind. `max_fee_bps` is the platform fee the preview showed:
    the buy reverts (`FeeAboveMax`) if the admin raised it before the buy lands."""
    calls = []
    if create_vault:
        create = _CREATE_VAULT + abi_encode(["address", "bytes32"], [account, salt])
        calls.append(Call(book.contracts.vault_factory, 0, create))
    approve = _APPROVE + abi_encode(["address", "uint256"], [vault, usdc_amount])
    calls.append(Call(book.contracts.usdc, 0, approve))
    buy = _BUY + abi_encode(
        ["uint256", f"{_LEG}[]", "uint16", "uint256"],
        [usdc_amount, encode_legs(legs), max_fee_bps, deadline_s],
    )
    calls.append(Call(vault, 0, buy))
    return calls


def sell_calls(
    *, vault: str, legs: Sequence[Leg], fraction_bps: int, max_fee_bps: int, deadline_s: int
) -> list[Call]:
    """vault.sell in fraction mode: each leg's `amount_in` is the amount the preview sold
    (floor(balance x fraction)) and its min-out the preview's; the vault scales the min-out to
    the amount it actually sells (a minimum price), so a vault that changed since the preview
    cannot be sold cheaper. `max_fee_bps`: the fee the preview showed."""
    data = _SELL + abi_encode(
        [f"{_LEG}[]", "uint256", "uint16", "uint16", "uint256"],
        [encode_legs(legs), 0, fraction_bps, max_fee_bps, deadline_s],
    )
    return [Call(vault, 0, data)]


def withdraw_calls(*, vault: str, tokens: Sequence[str]) -> list[Call]:
    return [Call(vault, 0, _WITHDRAW + abi_encode(["address[]"], [list(tokens)]))]


def set_mandate_calls(
    *, vault: str, mandate: Mandate, pools: Sequence[tuple[str, int]]
) -> list[Call]:
    """vault.setMandate(mandate, pools); `pools` are (token, fee tier) pairs."""
    data = _SET_MANDATE + abi_encode([_MANDATE, f"{_POOL}[]"], [mandate.encoded(), list(pools)])
    return [Call(vault, 0, data)]


def revoke_keeper_calls(*, vault: str) -> list[Call]:
    return [Call(vault, 0, _REVOKE_KEEPER)]
