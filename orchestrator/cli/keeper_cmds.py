"""`indexvault keeper run [--once] [--dry-run]` and `keeper status`.

`run --once` is one cycle step for cron or a systemd timer (see docs/keeper.md); without
`--once` the command is its own daily scheduler: a run now, then one every day at
`--at-hour` UTC (the weekly cycle is simply the first run of each ISO week)."""

from __future__ import annotations

import datetime
import json
from typing import Annotated

import typer

from orchestrator import service
from orchestrator.cli.app import app
from orchestrator.cli.mandate_cmds import parse_duration
from orchestrator.cli.output import JsonOpt, emit
from orchestrator.cli.trade_cmds import Network, local_app
from orchestrator.cli.wallet_cmds import _password
from orchestrator.errors import InputError
from orchestrator.service.envelope import json_envelope
from orchestrator.service.models import CycleReport
from orchestrator.text.keeper import report_text, status_text, when_utc

keeper_app = typer.Typer(help="Rebalance every opted-in vault (the platform's keeper).",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(keeper_app, name="keeper")

KeeperWallet = Annotated[
    str | None,
    typer.Option("--wallet", "-w", help="The keeper's keystore (default on local: dev key)."),
]


def _as_of(text: str | None) -> datetime.date | None:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date", hint="Use YYYY-MM-DD.") from None


@keeper_app.command("run")
def run(
    network: Network = "local",
    wallet: KeeperWallet = None,
    once: Annotated[bool, typer.Option(help="One run, then exit (for cron).")] = False,
    dry_run: Annotated[bool, typer.Option(help="Plan and simulate; send nothing.")] = False,
    as_of: Annotated[str | None, typer.Option(help="Targets as of this date.")] = None,
    at_hour: Annotated[int, typer.Option(help="Daily check hour (UTC) when looping.")] = 6,
    as_json: JsonOpt = False,
) -> None:
    """Rebalance every vault whose owner delegated to this keeper, within its mandate."""
    if not 0 <= at_hour <= 23:
        raise InputError(f"--at-hour must be 0..23, got {at_hour}")
    date = _as_of(as_of)
    signer = None
    if wallet is not None:  # unlocked now: a wrong password fails before any run
        signer = service.wallets.keystore_signer(wallet, lambda: _password(confirm=False))
        signer.unlock()
    if once or dry_run:  # transient failures retried with backoff, then KeeperStopped
        report, keeper = service.keeper_run_once(network, signer, as_of=date, dry_run=dry_run)
        if as_json:
            emit("keeper run", {"report": report, "keeper": keeper})
        else:
            typer.echo(report_text(report, keeper))
        return

    def on_report(report: CycleReport, keeper: str) -> None:
        if as_json:  # one object per run, one per line (JSON Lines) when looping
            typer.echo(
                json.dumps(json_envelope("keeper run", {"report": report, "keeper": keeper}))
            )
        else:
            typer.echo(report_text(report, keeper))

    def on_wait(wake_s: int) -> None:
        if not as_json:
            typer.echo(f"next run {when_utc(wake_s)}")

    service.keeper_daily(
        network, signer, at_hour_utc=at_hour, as_of=date, on_report=on_report, on_wait=on_wait
    )


@keeper_app.command("status")
def status(network: Network = "local", as_json: JsonOpt = False) -> None:
    """The last cycle, each vault's outcome in it, and when the next runs are due."""
    found = service.keeper_status(network)
    if as_json:
        emit("keeper status", found)
        return
    typer.echo(status_text(found))


@local_app.command("advance")
def advance(
    duration: Annotated[
        str, typer.Argument(metavar="DURATION", help="How far: 30m, 6h, 7d or seconds.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Move the local chain's clock forward (TWAP windows, intervals, the next week)."""
    now_s = service.local_advance(parse_duration(duration))
    if as_json:
        emit("local advance", {"chain_time_s": now_s})
        return
    typer.echo(f"local chain time is now {when_utc(now_s)} (chain clock)")
