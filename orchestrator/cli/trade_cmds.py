"""`indexvault local fund`, `buy`, `sell`, `withdraw`, `holdings`: preview, confirm, send.

Every trade shows its preview, asks to confirm (unless --yes), re-quotes at confirmation
and stops with "price updated" if any leg would now fall below the min-out shown."""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from orchestrator import service
from orchestrator.cli.app import app
from orchestrator.cli.output import JsonOpt, emit
from orchestrator.cli.wallet_cmds import _password
from orchestrator.errors import InputError
from orchestrator.service.models import USDC_DECIMALS, Bps, Preview, UsdcUnits, Wei, usdc_units
from orchestrator.text.render import (
    balances_text,
    execution_text,
    holdings_text,
    log_text,
    pnl_text,
    preview_text,
    usd,
)

__all__ = ["parse_percent", "parse_usdc"]

local_app = typer.Typer(
    help="The local node: anvil + a test market + the alto bundler.", no_args_is_help=True
)
app.add_typer(local_app, name="local")

Network = Annotated[str, typer.Option("--network", "-n", help="local, or a configured network.")]
Wallet = Annotated[str, typer.Option("--wallet", "-w", help="Keystore name (wallet list).")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Confirm without asking.")]
Slippage = Annotated[
    int | None, typer.Option("--max-slippage", help="Max slippage in bps (default: auto).")
]
AcceptImpact = Annotated[
    bool, typer.Option("--accept-impact", help="Confirm legs with 10% or more price impact.")
]


def parse_usdc(text: str) -> UsdcUnits:
    """'10000', '10,000.50' -> USDC base units. Zero, negative, non-numeric or more than six
    decimals: InputError."""
    try:
        value = Decimal(text.replace(",", "").replace("_", "").strip().lstrip("$"))
    except InvalidOperation:
        raise InputError(
            f"{text!r} is not an amount", hint="Give a number of USDC, e.g. 10000 or 2500.50."
        ) from None
    if not value.is_finite() or value <= 0:
        raise InputError(f"the amount must be positive, got {text!r}", hint="e.g. 10000")
    base = value.scaleb(USDC_DECIMALS)
    if base != base.to_integral_value():
        raise InputError(f"{text!r} has more than {USDC_DECIMALS} decimals (USDC's precision)")
    return usdc_units(int(base))


def parse_percent(text: str) -> Bps:
    """'50' or '12.5' percent -> bps in (0, 10_000]."""
    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise InputError(f"{text!r} is not a percentage", hint="e.g. --percent 50") from None
    bps = value * 100
    if not value.is_finite() or bps != bps.to_integral_value() or not 0 < bps <= 10_000:
        raise InputError(
            f"the percentage must be in (0, 100] with at most two decimals, got {text!r}",
            hint="e.g. --percent 50 sells half.",
        )
    return Bps(int(bps))


def _session(network: str, wallet: str) -> service.Session:
    """The owner's session: its address from the keystore file, the password asked when
    something is signed."""
    return service.open_session(network, wallet, password=lambda: _password(confirm=False))


def _signing(network: str, wallet: str) -> service.Session:
    """A session that will sign: the password is asked up front (a wrong one fails here,
    before any preview)."""
    session = _session(network, wallet)
    try:
        session.unlock()
    except BaseException:
        session.close()
        raise
    return session


def _viewing(network: str, wallet: str) -> service.Session:
    """A session that only reads: the owner's address comes from the keystore file (or
    `wallet` is an address); no password is asked."""
    return service.open_session(network, wallet)


def _go(
    session: service.Session,
    preview: Preview,
    yes: bool,
    accept_impact: bool,
    *,
    command: str,
    as_json: bool = False,
) -> None:
    """Show the preview, confirm (unless --yes), send. With --json: the preview and, only
    with --yes, the execution, as one JSON object."""
    if not as_json:
        typer.echo(preview_text(preview, int(time.time())))
    if preview.blocked:
        raise InputError(
            "refused: a leg's price impact is 15% or more", hint="Trade less, or use --force."
        )
    if as_json and not yes:
        emit(command, {"preview": preview, "execution": None})
        return
    if not yes and not typer.confirm("\nConfirm and send?", default=False):
        typer.echo("cancelled: nothing was sent")
        return
    if preview.needs_explicit_confirmation and not accept_impact and not yes:
        accept_impact = typer.confirm("A leg moves its price 10% or more. Really?", default=False)
    if not as_json:
        typer.echo("re-quoting and sending…")
    execution = session.confirm(preview, accept_high_impact=accept_impact)
    if as_json:
        emit(command, {"preview": preview, "execution": execution})
    else:
        typer.echo(execution_text(execution))


@app.command(context_settings={"ignore_unknown_options": True})  # `buy -5` is an amount
def buy(
    amount: Annotated[
        str, typer.Argument(metavar="AMOUNT", help="USDC to invest, fee included (e.g. 10000).")
    ],
    network: Network = "local",
    wallet: Wallet = "default",
    max_slippage: Slippage = None,
    yes: Yes = False,
    accept_impact: AcceptImpact = False,
    force: Annotated[bool, typer.Option(help="Allow legs with 15%+ price impact.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Buy the whole index in one user operation, after a preview."""
    usdc_amount = parse_usdc(amount)
    with _signing(network, wallet) as session:
        preview = session.preview_buy(usdc_amount, max_slippage_bps=max_slippage, force=force)
        _go(session, preview, yes, accept_impact, command="buy", as_json=as_json)


@app.command()
def sell(
    percent: Annotated[str, typer.Option(help="Share of the vault to sell, in %.")] = "100",
    network: Network = "local",
    wallet: Wallet = "default",
    max_slippage: Slippage = None,
    yes: Yes = False,
    accept_impact: AcceptImpact = False,
    as_json: JsonOpt = False,
) -> None:
    """Sell a share of every holding to USDC, paid to your smart account."""
    fraction_bps = parse_percent(percent)
    with _signing(network, wallet) as session:
        preview = session.preview_sell(fraction_bps, max_slippage_bps=max_slippage)
        _go(session, preview, yes, accept_impact, command="sell", as_json=as_json)


@app.command()
def withdraw(
    in_kind: Annotated[bool, typer.Option("--in-kind", help="Every token as it is.")] = False,
    network: Network = "local",
    wallet: Wallet = "default",
    yes: Yes = False,
    as_json: JsonOpt = False,
) -> None:
    """Move every token and the USDC from the vault to your smart account (no swaps)."""
    if not in_kind:
        raise InputError(
            "withdrawals are in kind only", hint="Use --in-kind, or `sell` to receive USDC."
        )
    with _signing(network, wallet) as session:
        _go(session, session.preview_withdraw(), yes, False, command="withdraw", as_json=as_json)


@app.command("holdings")
def show_holdings(
    network: Network = "local",
    wallet: Wallet = "default",
    treemap: Annotated[Path | None, typer.Option(help="Also draw a treemap PNG here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The vault's tokens at mid prices, against this week's targets."""
    with _viewing(network, wallet) as session:
        view = session.holdings()
        drawn = None
        if treemap is not None and view.exists:
            drawn = session.draw_treemap(treemap)
        if as_json:
            emit("holdings", {"holdings": view, "treemap": drawn})
            return
        typer.echo(holdings_text(view))
        if drawn is not None:
            typer.echo(f"treemap written to {drawn}")


@app.command("pnl")
def show_pnl(
    network: Network = "local", wallet: Wallet = "default", as_json: JsonOpt = False
) -> None:
    """Cost basis, realised and unrealised P&L, fees and gas, rebuilt from chain events."""
    with _viewing(network, wallet) as session:
        pnl, eth_price = session.pnl(), session.eth_price_usdc()
        if as_json:
            emit("pnl", {"pnl": pnl, "eth_price_usdc": eth_price})
            return
        typer.echo(pnl_text(pnl, eth_price))


@app.command("log")
def show_log(
    network: Network = "local", wallet: Wallet = "default", as_json: JsonOpt = False
) -> None:
    """Every transaction of your vault (chain events merged with the journal)."""
    with _viewing(network, wallet) as session:
        rows = session.log()
        if as_json:
            emit("log", {"rows": rows})
            return
        typer.echo(log_text(rows))


@app.command("balance")
def show_balance(
    network: Network = "local", wallet: Wallet = "default", as_json: JsonOpt = False
) -> None:
    """What your smart account and your vault hold: every token, in USD, and ETH for gas."""
    with _viewing(network, wallet) as session:
        found = session.balances()
        if as_json:
            emit("balance", found)
            return
        typer.echo(balances_text(found))


@app.command(context_settings={"ignore_unknown_options": True})  # `send -5 …` is an amount
def send(
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="How much, e.g. 250.5.")],
    token: Annotated[str, typer.Argument(metavar="TOKEN", help="USDC, or a listed token.")],
    to: Annotated[str, typer.Argument(metavar="TO", help="The 0x address to send to.")],
    network: Network = "local",
    wallet: Wallet = "default",
    yes: Yes = False,
    as_json: JsonOpt = False,
) -> None:
    """Send a token from your smart account to an address (previewed, then confirmed)."""
    value = parse_amount(amount)
    with _signing(network, wallet) as session:
        preview = session.preview_send(token, value, to)
        _go(session, preview, yes, False, command="send", as_json=as_json)


def parse_amount(text: str) -> Decimal:
    """'250.5', '1,000' -> a positive Decimal (the token's decimals are checked later)."""
    try:
        value = Decimal(text.replace(",", "").replace("_", "").strip().lstrip("$"))
    except InvalidOperation:
        raise InputError(f"{text!r} is not an amount", hint="e.g. 250.5") from None
    if not value.is_finite() or value <= 0:
        raise InputError(f"the amount must be positive, got {text!r}", hint="e.g. 250.5")
    return value


@local_app.command("fund")
def fund(
    usdc: Annotated[str, typer.Option(help="Test USDC to mint to your smart account.")] = "10000",
    wallet: Wallet = "default",
    as_json: JsonOpt = False,
) -> None:
    """Mint test USDC to your smart account and give it 1 ETH for gas (local only)."""
    amount = parse_usdc(usdc)
    eth_wei = Wei(10**18)
    with _viewing("local", wallet) as session:
        account = session.fund(amount, eth_wei=eth_wei)
        if as_json:
            emit("local fund", {"smart_account": account, "usdc": amount, "eth_wei": eth_wei})
            return
        typer.echo(f"funded {account} with {usd(amount)} USDC and 1 ETH")
