"""Text of a keeper run's report and of the keeper's status."""

from __future__ import annotations

import datetime

from orchestrator.service.models import ActionState, CycleReport, KeeperStatus

__all__ = ["report_text", "status_text", "when_utc"]


def when_utc(ts: int) -> str:
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


def status_text(status: KeeperStatus) -> str:
    cycles, actions = status.cycles, status.actions
    clock = f"{status.clock} clock"
    upcoming = (
        f"next daily check {when_utc(status.next_daily_check_s)}; next weekly cycle from "
        f"{when_utc(status.next_weekly_s)} ({clock}"
        + (f", now {when_utc(status.now_s)})" if status.now_s is not None else ")")
    )
    if not cycles:
        return f"the keeper has not run on this network yet\n{upcoming}"
    last = cycles[0]
    state = (f"finished {when_utc(last.finished_at_s)}" if last.finished_at_s is not None
             else "open")  # fmt: skip
    lines = [
        f"last cycle {last.cycle_id} ({last.kind}, {last.regime}, targets of market date "
        f"{last.targets_date}): started {when_utc(last.started_at_s)}, {state} (chain clock)"
        + (f" — {last.closed_reason}" if last.closed_reason else ""),
    ]
    for a in actions:
        extra = f" {a.legs} legs, {a.gas_used:,} gas, {a.tx_hash}" if a.gas_used else ""
        lines.append(f"  {a.vault}  {a.state.value:<9}{extra} {a.reason or ''}".rstrip())
    lines.append(upcoming)
    if len(cycles) > 1:
        lines.append("earlier: " + ", ".join(c.cycle_id for c in cycles[1:6]))
    return "\n".join(lines)
