"""`indexvault mandate set|show|revoke`: what the keeper may do with your vault.

A change is previewed (the terms, the gas), confirmed unless --yes, and sent as one user
operation from your smart account, exactly like a trade. Durations are `30m`, `6h`, `7d`
or plain seconds; the loss budget and cap are in USDC (dollars, up to 6 decimals).

The defaults are the safe choice: 1% max slippage per trade, the keeper refused while a
pool's price moved more than that within the 30-minute window, at most $100 of loss per 30
days and never more than $200 in total under the mandate (sign a new one to renew)."""

from __future__ import annotations

import re
import time
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from orchestrator import service
from orchestrator.cli.app import app
from orchestrator.cli.output import JsonOpt, emit
from orchestrator.cli.trade_cmds import Network, Wallet, Yes, _signing, _viewing
from orchestrator.errors import InputError
from orchestrator.service.models import USDC_DECIMALS, Bps, Preview, UsdcUnits, usdc_units
from orchestrator.text.mandate import SECONDS_PER, mandate_preview_text, mandate_view_text
from orchestrator.text.render import execution_text

__all__ = [
    "parse_duration",
    "parse_loss_budget",
    "parse_tokens",
]

mandate_app = typer.Typer(
    help="Your keeper's mandate: which tokens it may trade, and its limits.",
    no_args_is_help=True,
)
app.add_typer(mandate_app, name="mandate")

_DURATION = re.compile(r"(\d+)\s*([smhd]?)")


def parse_duration(text: str) -> int:
    """'30m', '6h', '7d', '45s' or plain seconds '3600' -> whole seconds (>= 0)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise InputError(
            f"{text!r} is not a duration",
            hint="Give whole numbers with a unit: 30m, 6h, 7d, or plain seconds (3600).",
        )
    return int(match[1]) * SECONDS_PER[match[2] or "s"]


def parse_loss_budget(text: str) -> UsdcUnits:
    """'100', '2,500.50', '0' (USD) -> USDC base units (>= 0, at most 6 decimals, exact)."""
    try:
        value = Decimal(text.replace(",", "").replace("_", "").strip().lstrip("$"))
    except InvalidOperation:
        raise InputError(
            f"{text!r} is not an amount of USDC", hint="e.g. --loss-budget-usdc 100"
        ) from None
    if not value.is_finite() or value < 0:
        raise InputError(f"the loss budget must be 0 or more USDC, got {text!r}")
    base = value.scaleb(USDC_DECIMALS)
    if base != base.to_integral_value():
        raise InputError(f"{text!r} has more than {USDC_DECIMALS} decimals (USDC's precision)")
    return usdc_units(int(base))


def parse_tokens(text: str) -> list[str] | None:
    """'all' -> None (every token of the market); 'BTC,ETH' -> ['BTC', 'ETH']."""
    return None if text.strip().lower() == "all" else text.split(",")


# --- commands -------------------------------------------------------------------------------


def _send(
    session: service.Session, preview: Preview, yes: bool, *, command: str, as_json: bool
) -> None:
    if as_json:
        execution = session.confirm(preview) if yes else None
        emit(command, {"preview": preview, "execution": execution})
        return
    typer.echo(mandate_preview_text(preview, int(time.time())))
    if not yes and not typer.confirm("\nConfirm and send?", default=False):
        typer.echo("cancelled: nothing was sent")
        return
    typer.echo("sending…")
    typer.echo(execution_text(session.confirm(preview)))


@mandate_app.command("set")
def set_mandate(
    network: Network = "local",
    wallet: Wallet = "default",
    keeper: Annotated[
        str | None, typer.Option(help="The keeper's address (default: the network's keeper).")
    ] = None,
    max_slippage_bps: Annotated[
        int,
        typer.Option(
            help="Per keeper trade, below the better of the price now and its recent average"
            " (1..1000); also how far a pool's price may have moved within the window."
        ),
    ] = 100,
    min_interval: Annotated[str, typer.Option(help="Between two rebalances.")] = "6d",
    twap_window: Annotated[
        str, typer.Option(help="Pool history the average covers (30m..1d).")
    ] = "30m",
    loss_budget_usdc: Annotated[str, typer.Option(help="USDC of loss per loss window.")] = "100",
    loss_window: Annotated[str, typer.Option(help="Over which the budget frees up.")] = "30d",
    loss_cap_usdc: Annotated[
        str, typer.Option(help="USDC of loss in total under this mandate, ever.")
    ] = "200",
    tokens: Annotated[str, typer.Option(help="'all', or symbols: BTC,ETH.")] = "all",
    batchable: Annotated[
        bool,
        typer.Option(
            help="Let the keeper rebalance this vault in one transaction with other vaults"
            " (opposite trades cross; same limits, checked by your vault)."
        ),
    ] = False,
    yes: Yes = False,
    as_json: JsonOpt = False,
) -> None:
    """Let a keeper rebalance your vault within these limits (one user operation)."""
    # parsed before the wallet is unlocked: a typo costs no password
    interval_s, twap_s = parse_duration(min_interval), parse_duration(twap_window)
    budget, window_s = parse_loss_budget(loss_budget_usdc), parse_duration(loss_window)
    cap = parse_loss_budget(loss_cap_usdc)
    symbols = parse_tokens(tokens)
    with _signing(network, wallet) as session:
        preview = session.preview_set_mandate(
            keeper=keeper, max_slippage_bps=Bps(max_slippage_bps), min_interval_s=interval_s,
            twap_window_s=twap_s, loss_budget_usdc=budget, loss_window_s=window_s,
            loss_cap_usdc=cap, tokens=symbols, batchable=batchable,
        )  # fmt: skip
        _send(session, preview, yes, command="mandate set", as_json=as_json)


@mandate_app.command("show")
def show(network: Network = "local", wallet: Wallet = "default", as_json: JsonOpt = False) -> None:
    """Your vault's mandate: keeper, limits, allowed tokens, loss budget used."""
    with _viewing(network, wallet) as session:
        view, now_s = session.mandate(), session.timestamp()
        if as_json:
            emit("mandate show", {"mandate": view, "chain_time_s": now_s})
            return
        typer.echo(mandate_view_text(view, now_s))


@mandate_app.command("revoke")
def revoke(
    network: Network = "local",
    wallet: Wallet = "default",
    yes: Yes = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove the keeper at once (one user operation); your funds stay where they are."""
    with _signing(network, wallet) as session:
        preview = session.preview_revoke_keeper()
        _send(session, preview, yes, command="mandate revoke", as_json=as_json)
