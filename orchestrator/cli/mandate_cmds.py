"""`indexvault mandate set|show|revoke`: what the keeper may do with your vault.

A change is previewed (the terms, the gas), confirmed unless --yes, and sent as one user
operation from your smart account, exactly like a trade. Durations are `30m`, `6h`, `7d`
or plain seconds; the loss budget and cap are in USDC (dollars, up to 6 decimals).

The defaults are the safe choice: 1% max slippage per trade, the keeper refused while a
pool's price moved more than that within the 30-minute window, at most $100 of loss per 30
days and never more than $200 in total under the mandate (sign a new one to renew)."""

from __future__ import annotations

import datetime
import re
import textwrap
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Protocol

import typer

from orchestrator.cli.app import app
from orchestrator.cli.trade_cmds import Network, Wallet, Yes, _unlock
from orchestrator.domain.mandate import Mandate
from orchestrator.domain.units import USDC_DECIMALS, Bps, UsdcUnits, usdc_units
from orchestrator.errors import InputError
from orchestrator.networks import resolve_network
from orchestrator.preview.model import AllowedPoolTerms, Preview
from orchestrator.service import keeper_address, open_trading
from orchestrator.text.render import eth, execution_text, gas_usd, pct, usd
from orchestrator.trading.confirm import confirm
from orchestrator.trading.context import TradingContext
from orchestrator.trading.mandate import (
    MandateView,
    preview_revoke_keeper,
    preview_set_mandate,
    read_mandate,
)

__all__ = [
    "duration_text",
    "mandate_preview_text",
    "mandate_view_text",
    "parse_duration",
    "parse_loss_budget",
    "parse_tokens",
]

mandate_app = typer.Typer(
    help="Your keeper's mandate: which tokens it may trade, and its limits.",
    no_args_is_help=True,
)
app.add_typer(mandate_app, name="mandate")

SECONDS_PER = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
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


# --- rendering ------------------------------------------------------------------------------


class _Limits(Protocol):
    @property
    def max_slippage_bps(self) -> int: ...
    @property
    def min_interval_s(self) -> int: ...
    @property
    def twap_window_s(self) -> int: ...
    @property
    def loss_budget_usdc(self) -> int: ...
    @property
    def loss_window_s(self) -> int: ...
    @property
    def loss_cap_usdc(self) -> int: ...


def duration_text(seconds: int) -> str:
    """518400 -> '6d (518,400 s)'; 5400 -> '1h 30m (5,400 s)'; 45 -> '45 s'."""
    parts, rest = [], seconds
    for unit in ("d", "h", "m"):
        count, rest = divmod(rest, SECONDS_PER[unit])
        if count:
            parts.append(f"{count}{unit}")
    if not parts:
        return f"{seconds} s"
    return " ".join(parts + ([f"{rest}s"] if rest else [])) + f" ({seconds:,} s)"


def _when(timestamp_s: int) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp_s, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _limits_lines(m: _Limits) -> list[str]:
    window = duration_text(m.twap_window_s)
    return [
        f"  max slippage     {pct(m.max_slippage_bps)} per keeper trade, below the price now and"
        " the pool's recent average, whichever is better for you",
        f"  price guard      the keeper is refused while a pool's price moved more than "
        f"{pct(m.max_slippage_bps)} within {window}",
        f"  min interval     {duration_text(m.min_interval_s)} between two rebalances",
        f"  loss budget      {usd(m.loss_budget_usdc)} per {duration_text(m.loss_window_s)} "
        "(frees up linearly)",
        f"  loss cap         {usd(m.loss_cap_usdc)} in total under this mandate, however long it "
        "lasts (renew by signing a new one)",
        f"  at most          {usd(m.loss_cap_usdc)} can ever be lost to the keeper's trades under "
        "this mandate; your exit (sell, withdraw) is never limited",
    ]


def _allowed_lines(allowed: Sequence[AllowedPoolTerms]) -> list[str]:
    if not allowed:
        return ["  allowed tokens   none"]
    listed = ", ".join(f"{p.symbol} ({p.fee / 10_000:.2f}%)" for p in allowed)
    text = f"{len(allowed)}: {listed}"
    wrapped = textwrap.wrap(text, width=78) or [""]
    return [f"  allowed tokens   {wrapped[0]}"] + [f"                   {w}" for w in wrapped[1:]]


def mandate_preview_text(p: Preview, now_s: int) -> str:
    """The terms the owner is about to sign, the gas, and the warnings."""
    t = p.mandate
    if t is None:
        raise ValueError(f"preview {p.quote_id} is a {p.kind.value}, not a mandate change")
    expires = f"expires in {max(p.expires_at_s - now_s, 0)} s"
    head = (
        [f"Preview {p.quote_id} — set the keeper's mandate (epoch {t.epoch}), {expires}"]
        if t.action == "set"
        else [f"Preview {p.quote_id} — revoke the keeper, {expires}"]
    )
    lines = [*head, f"  vault            {p.vault}", f"  smart account    {p.owner}"]
    if t.action == "set":
        lines.append(f"  keeper           {t.keeper} (may only rebalance; never withdraw)")
        lines += _limits_lines(t) + _allowed_lines(t.allowed)
    elif t.keeper is None:
        lines.append("  keeper           none is set: there is nothing to revoke")
    else:
        lines.append(f"  keeper           {t.keeper}: loses its rights at once")
        lines.append(f"  kept, inert      the epoch {t.epoch} limits and allowlist, until a set")
    g = p.gas
    likely = f" ≈ {gas_usd(g.likely_cost_usdc)}" if g.likely_cost_usdc is not None else ""
    most = f" ≈ {gas_usd(g.max_cost_usdc)}" if g.max_cost_usdc is not None else ""
    lines += [
        "  platform fee     none (nothing is swapped)",
        f"  estimated gas    {g.likely_gas:,} gas, {eth(g.likely_cost_wei)}{likely}",
        f"  at most          {g.max_gas:,} gas, {eth(g.max_cost_wei)}{most}",
    ]
    lines += [f"  ! {warning}" for warning in p.warnings]
    return "\n".join(lines)


def mandate_view_text(v: MandateView, now_s: int) -> str:
    """The stored mandate, the used loss budget and when the keeper may act next."""
    if not v.ever_set:
        return (
            f"Vault {v.vault}: no mandate yet, so no keeper can rebalance it\n"
            "  set one with `indexvault mandate set`"
        )
    keeper = v.keeper or "none (revoked): nobody may rebalance; the limits below are inert"
    lines = [f"Mandate of vault {v.vault} — epoch {v.epoch}", f"  keeper           {keeper}"]
    lines += _limits_lines(v) + _allowed_lines(v.allowed)
    lines.append(
        f"  loss used        {usd(v.loss_used_usdc)} of {usd(v.loss_budget_usdc)} this window; "
        f"{usd(v.loss_spent_usdc)} of the {usd(v.loss_cap_usdc)} cap in total "
        f"({usd(v.loss_available_usdc)} available now)"
    )
    if v.last_rebalance_s == 0:
        lines.append("  last rebalance   never")
    else:
        nxt = v.next_rebalance_at_s
        after = "any time" if nxt <= now_s else _when(nxt)
        lines.append(f"  last rebalance   {_when(v.last_rebalance_s)}; next allowed: {after}")
    return "\n".join(lines)


# --- commands -------------------------------------------------------------------------------


def _send(ctx: TradingContext, preview: Preview, yes: bool) -> None:
    typer.echo(mandate_preview_text(preview, int(time.time())))
    if not yes and not typer.confirm("\nConfirm and send?", default=False):
        typer.echo("cancelled: nothing was sent")
        return
    typer.echo("sending…")
    typer.echo(execution_text(confirm(ctx, preview)))


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
    yes: Yes = False,
) -> None:
    """Let a keeper rebalance your vault within these limits (one user operation)."""
    # parsed before the wallet is unlocked: a typo costs no password
    interval_s, twap_s = parse_duration(min_interval), parse_duration(twap_window)
    budget, window_s = parse_loss_budget(loss_budget_usdc), parse_duration(loss_window)
    cap = parse_loss_budget(loss_cap_usdc)
    symbols = parse_tokens(tokens)
    configured = keeper or resolve_network(network).keeper_address
    with open_trading(network, _unlock(wallet)) as ctx:
        mandate = Mandate(
            keeper_address(ctx.chain, configured), Bps(max_slippage_bps), interval_s, twap_s,
            budget, window_s, cap,
        )  # fmt: skip
        _send(ctx, preview_set_mandate(ctx, mandate, symbols), yes)


@mandate_app.command("show")
def show(network: Network = "local", wallet: Wallet = "default") -> None:
    """Your vault's mandate: keeper, limits, allowed tokens, loss budget used."""
    with open_trading(network, _unlock(wallet)) as ctx:
        typer.echo(mandate_view_text(read_mandate(ctx), ctx.chain_now_s()))


@mandate_app.command("revoke")
def revoke(network: Network = "local", wallet: Wallet = "default", yes: Yes = False) -> None:
    """Remove the keeper at once (one user operation); your funds stay where they are."""
    with open_trading(network, _unlock(wallet)) as ctx:
        _send(ctx, preview_revoke_keeper(ctx), yes)
