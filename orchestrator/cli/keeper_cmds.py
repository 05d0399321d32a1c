"""`indexvault keeper run [--once] [--dry-run]` and `keeper status`.

`run --once` is one cycle step for cron or a systemd timer (see docs/keeper.md); without
`--once` the command is its own daily scheduler: a run now, then one every day at
`--at-hour` UTC (the weekly cycle is simply the first run of each ISO week)."""

from __future__ import annotations

import datetime
import time
from typing import Annotated

import typer

from orchestrator.cli.app import app
from orchestrator.cli.mandate_cmds import parse_duration
from orchestrator.cli.trade_cmds import Network, local_app
from orchestrator.cli.wallet_cmds import _password
from orchestrator.errors import InputError
from orchestrator.keeper.cycle import CycleReport
from orchestrator.keeper.journal import Action, ActionState, Cycle
from orchestrator.keeper.schedule import next_daily_check_s, next_weekly_s
from orchestrator.service import keeper_status, keeper_targets, local_advance, open_keeper
from orchestrator.wallet.keystore import Keystore

__all__ = ["report_text", "status_text"]

keeper_app = typer.Typer(help="Rebalance every opted-in vault (the platform's keeper).",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(keeper_app, name="keeper")

KeeperWallet = Annotated[
    str | None,
    typer.Option("--wallet", "-w", help="The keeper's keystore (default on local: dev key)."),
]


def _when(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _short(address: str | None) -> str:
    return "-" if not address else f"{address[:8]}…{address[-4:]}"


def report_text(report: CycleReport, keeper: str) -> str:
    head = f"keeper {keeper}: "
    if report.cycle_id is None:
        return head + f"nothing to do ({report.why}); {report.vaults_seen} vaults known"
    lines = [head + f"cycle {report.cycle_id} ({report.kind}, {report.regime}): {report.why}"]
    for o in report.recovered:
        lines.append(f"  recovered {_short(o.vault)}  {o.state.value:<9} {o.tx_hash or ''}")
    for o in report.outcomes:
        detail = f"{o.legs} legs  {o.gas_used:,} gas  {o.tx_hash}" if o.gas_used else ""
        lines.append(f"  vault {_short(o.vault)}  {o.state.value:<9} {detail} {o.reason or ''}")
    counts = " · ".join(f"{report.count(s)} {s.value}" for s in ActionState if report.count(s))
    state = "cycle finished" if report.finished else "cycle still open (a later run resumes it)"
    lines.append(f"  {counts or 'no vaults'} — {state}; {report.elapsed_s:.1f} s")
    return "\n".join(lines)


def status_text(cycles: list[Cycle], actions: list[Action], *, now_s: int) -> str:
    if not cycles:
        return "the keeper has not run on this network yet"
    last = cycles[0]
    state = (f"finished {_when(last.finished_at_s)}" if last.finished_at_s is not None
             else "open")  # fmt: skip
    lines = [
        f"last cycle {last.cycle_id} ({last.kind}, {last.regime}, targets of "
        f"{last.targets_date}): started {_when(last.started_at_s)}, {state}"
        + (f" — {last.closed_reason}" if last.closed_reason else ""),
    ]
    for a in actions:
        extra = f" {a.legs} legs, {a.gas_used:,} gas, {a.tx_hash}" if a.gas_used else ""
        lines.append(f"  {a.vault}  {a.state.value:<9}{extra} {a.reason or ''}".rstrip())
    lines.append(f"next daily check {_when(next_daily_check_s(now_s))}; "
                 f"next weekly cycle from {_when(next_weekly_s(now_s))}")  # fmt: skip
    if len(cycles) > 1:
        lines.append("earlier: " + ", ".join(c.cycle_id for c in cycles[1:6]))
    return "\n".join(lines)


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
) -> None:
    """Rebalance every vault whose owner delegated to this keeper, within its mandate."""
    if not 0 <= at_hour <= 23:
        raise InputError(f"--at-hour must be 0..23, got {at_hour}")
    date = _as_of(as_of)
    key = Keystore().unlock(wallet, _password(confirm=False)) if wallet else None
    while True:
        with open_keeper(network, key) as (keeper, history):
            targets = keeper_targets(history, keeper.book, date)
            report = keeper.run_once(targets, dry_run=dry_run)
            typer.echo(report_text(report, keeper.address))
        if once or dry_run:
            return
        wake = next_daily_check_s(int(time.time()), at_hour_utc=at_hour)
        typer.echo(f"next run {_when(wake)}")
        time.sleep(max(0, wake - time.time()))


@keeper_app.command("status")
def status(network: Network = "local") -> None:
    """The last cycle, each vault's outcome in it, and when the next runs are due."""
    cycles, actions = keeper_status(network)
    typer.echo(status_text(cycles, actions, now_s=int(time.time())))


@local_app.command("advance")
def advance(
    duration: Annotated[str, typer.Argument(help="How far: 30m, 6h, 7d or seconds.")],
) -> None:
    """Move the local chain's clock forward (TWAP windows, intervals, the next week)."""
    now_s = local_advance(parse_duration(duration))
    typer.echo(f"local chain time is now {_when(now_s)}")
