"""The smart account's own funds: what it and the vault hold (`account_balances`), and
sending a token out of it to another address (`preview_send`; confirmed like any other
preview: one user operation whose call is the token's `transfer`, made by the account's
`execute`).

Refused before anything is simulated: the zero address (tokens burnt), the vault's own
address (the vault only takes deposits through `buy`; a plain transfer would sit there
outside the books), the smart account itself, a token's own contract (the classic lost
transfer), an amount above the balance. A contract that is not a smart account like the
owner's gets a warning: tokens sent to a contract that cannot move them are lost."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils.address import is_address, to_checksum_address
from pydantic import BaseModel, ConfigDict

from orchestrator.chain.vault_binding import TRANSFER
from orchestrator.domain.legs import TokenRef
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import Bps, TokenUnits, UsdcUnits, Wei, usdc_units
from orchestrator.errors import InputError, NotEnoughFunds
from orchestrator.preview.model import Preview, PreviewKind, TransferTerms
from orchestrator.trading.context import TradingContext
from orchestrator.trading.previews import _context, _record, simulate_calls
from orchestrator.trading.reads import mid_prices, vault_balances
from orchestrator.wallet.smart_account import Call

__all__ = [
    "PRICE_SOURCE",
    "AccountBalances",
    "HolderBalances",
    "TokenBalance",
    "account_balances",
    "preview_send",
]

ZERO_ADDRESS = "0x" + "00" * 20
PRICE_SOURCE = "mid prices of this chain's Uniswap V3 USDC pools"


class TokenBalance(BaseModel):
    model_config = ConfigDict(frozen=True)

    symbol: str
    token: str
    decimals: int
    amount: TokenUnits
    value_usdc: UsdcUnits  # at the pool's mid price (USDC: itself)


class HolderBalances(BaseModel):
    """One address's tokens (those it holds, largest value first) and native ETH."""

    model_config = ConfigDict(frozen=True)

    address: str
    exists: bool  # has code (the vault: created by the first buy)
    eth_wei: Wei  # native ETH, for gas
    tokens: tuple[TokenBalance, ...]
    total_usdc: UsdcUnits  # the tokens' value (native ETH excluded)


class AccountBalances(BaseModel):
    model_config = ConfigDict(frozen=True)

    smart_account: HolderBalances
    vault: HolderBalances
    eth_price_usdc: UsdcUnits | None
    price_source: str


def _usdc_ref(ctx: TradingContext) -> TokenRef:
    return TokenRef("USDC", ctx.book.contracts.usdc, 6, ctx.tokens()[0].fee, "")


def _values(ctx: TradingContext) -> dict[str, tuple[TokenRef, int]]:
    """symbol -> (token, sqrtPriceX96 of its USDC pool)."""
    refs = ctx.tokens()
    prices = mid_prices(ctx.chain, ctx.book, refs)
    return {r.symbol: (r, prices[r.symbol]) for r in refs}


def _value(ctx: TradingContext, ref: TokenRef, amount: int, sqrt_price: int | None) -> int:
    if ref.symbol == "USDC" or sqrt_price is None:
        return amount
    is0 = token_is_token0(ref.address, ctx.book.contracts.usdc)
    return value_in_usdc(amount, sqrt_price, token_is_0=is0)


def _holder(
    ctx: TradingContext, address: str, priced: dict[str, tuple[TokenRef, int]]
) -> HolderBalances:
    exists = bool(ctx.chain.code(address))
    held = vault_balances(ctx.chain, ctx.book, address)
    rows = [
        TokenBalance(
            symbol="USDC", token=ctx.book.contracts.usdc, decimals=6, amount=held.usdc,
            value_usdc=held.usdc,
        )
    ] if held.usdc else []  # fmt: skip
    for symbol, amount in held.tokens.items():
        if amount:
            ref, sqrt_price = priced[symbol]
            rows.append(
                TokenBalance(
                    symbol=symbol, token=ref.address, decimals=ref.decimals, amount=amount,
                    value_usdc=usdc_units(_value(ctx, ref, amount, sqrt_price)),
                )
            )  # fmt: skip
    rows.sort(key=lambda r: (-r.value_usdc, r.symbol))
    return HolderBalances(
        address=address,
        exists=exists,
        eth_wei=Wei(ctx.chain.balance_wei(address)),
        tokens=tuple(rows),
        total_usdc=usdc_units(sum(r.value_usdc for r in rows)),
    )


def account_balances(ctx: TradingContext) -> AccountBalances:
    """The smart account's and the vault's every token, valued at the pools' mid prices."""
    priced = _values(ctx)
    return AccountBalances(
        smart_account=_holder(ctx, ctx.account.address, priced),
        vault=_holder(ctx, ctx.vault_address(), priced),
        eth_price_usdc=ctx.eth_price_usdc(),
        price_source=PRICE_SOURCE,
    )


def _token(ctx: TradingContext, symbol: str) -> TokenRef:
    if symbol.upper() == "USDC":
        return _usdc_ref(ctx)
    by_symbol = {t.symbol.upper(): t for t in ctx.tokens()}
    ref = by_symbol.get(symbol.upper())
    if ref is None:
        known = ", ".join(["USDC", *sorted(by_symbol)][:12])
        raise InputError(
            f"no token {symbol!r} on this network",
            hint=f"Use one of: {known}{', …' if len(by_symbol) > 11 else ''}.",
        )
    return ref


def _check_recipient(ctx: TradingContext, to: str, token: TokenRef) -> str:
    if not is_address(to):
        raise InputError(
            f"{to!r} is not an address", hint="Give a 0x address of 40 hexadecimal digits."
        )
    to = to_checksum_address(to)
    if to == ZERO_ADDRESS:
        raise InputError(
            "refused: the zero address would burn the tokens", hint="Check the address."
        )
    if to == ctx.vault_address():
        raise InputError(
            f"refused: {to} is your vault: a plain transfer would sit there outside its books",
            hint="Use `indexvault buy` to invest from your smart account.",
        )
    if to == ctx.account.address:
        raise InputError(f"refused: {to} is your smart account itself: nothing would move")
    known_tokens = {t.address for t in ctx.tokens()} | {ctx.book.contracts.usdc}
    if to in known_tokens:
        raise InputError(
            f"refused: {to} is a token contract ({token.symbol} sent there is lost for good)",
            hint="Send to a wallet or an exchange deposit address.",
        )
    return to


def preview_send(ctx: TradingContext, symbol: str, amount: TokenUnits, to: str) -> Preview:
    """What sending `amount` (base units) of `symbol` from the smart account to `to` will do."""
    token = _token(ctx, symbol)
    to = _check_recipient(ctx, to, token)
    if amount <= 0:
        raise InputError(f"the amount must be positive, got {amount} base units")
    account = ctx.account.address
    balance = vault_balances(ctx.chain, ctx.book, account)
    held = balance.usdc if token.symbol == "USDC" else balance.tokens.get(token.symbol, 0)
    if amount > held:
        raise NotEnoughFunds(
            f"{_units(amount, token.decimals)} {token.symbol} is more than your smart account's "
            f"balance of {_units(held, token.decimals)} {token.symbol} ({account})",
            holder=account,
            asset=token.symbol,
            amount=amount,
            available=held,
            hint="Send less; `indexvault balance` shows what the account holds.",
        )
    warnings: list[str] = []
    code = ctx.chain.code(to)
    own = ctx.chain.code(account)
    if code and code != own:
        warnings.append(
            f"{to} is a contract that is not a smart account like yours: tokens sent to a "
            "contract that cannot move them are lost. Send only if you know it accepts "
            f"{token.symbol}."
        )
    price = None if token.symbol == "USDC" else _values(ctx)[token.symbol][1]
    terms = TransferTerms(
        symbol=token.symbol, token=token.address, decimals=token.decimals, amount=amount,
        to=to, to_is_contract=bool(code), balance=TokenUnits(held),
        value_usdc=usdc_units(_value(ctx, token, amount, price)),
    )  # fmt: skip
    calls = [Call(token.address, 0, TRANSFER.call(to, amount))]
    return _preview(ctx, calls, terms, warnings)


def _units(amount: int, decimals: int) -> str:
    from decimal import Decimal  # display only

    return f"{Decimal(amount).scaleb(-decimals):,f}"


def _preview(
    ctx: TradingContext, calls: Sequence[Call], terms: TransferTerms, warnings: Sequence[str]
) -> Preview:
    """Simulate the op once (gas), then the Preview: no legs, no fee, no deadline."""
    draft, _facts = simulate_calls(ctx, calls)
    base = _context(ctx, draft, calls, 0, "n/a", fee_bps=Bps(0))
    gas = draft.gas.preview()
    extra = ["this operation also deploys your smart account (first use)"] if (
        gas.deploys_account
    ) else []  # fmt: skip
    zero = usdc_units(0)
    preview = Preview(
        quote_id=base.quote_id, kind=PreviewKind.SEND, chain_id=base.chain_id,
        owner=base.owner, vault=base.vault, created_at_s=base.now_s,
        expires_at_s=base.now_s + base.ttl_s, regime=base.regime, usdc_amount=zero,
        fee_bps=Bps(0), platform_fee_usdc=zero, max_slippage_bps=Bps(0),
        slippage_is_auto=False, legs=(), cash_usdc=zero, fraction_bps=Bps(0),
        expected_value_usdc=terms.value_usdc or zero, min_expected_value_usdc=zero,
        price_impact_bps=Bps(0), gas=gas, warnings=(*warnings, *extra),
        needs_explicit_confirmation=False, blocked=False, dropped=(),
        deadline_s=base.deadline_s, user_op_hash=base.user_op_hash, user_op=base.user_op,
        transfer=terms,
    )  # fmt: skip
    return _record(ctx, preview)
