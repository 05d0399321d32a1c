"""`indexvault local up|status|down`: the local node (anvil in the background, its market,
the alto bundler beside it). The logic is `orchestrator.localmarket.localnet`'s."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.output import JsonOpt, emit
from orchestrator.cli.trade_cmds import Yes, local_app
from orchestrator.errors import InputError
from orchestrator.service import local_down, local_reset_warning, local_status, local_up
from orchestrator.service.models import LocalStatus

__all__ = ["status_text"]


def _when(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@local_app.command("up")
def up(
    tokens: Annotated[int, typer.Option(min=1, max=500, help="Tokens in a new market.")] = 100,
    market_data: Annotated[
        Path | None, typer.Option(help="Market CSV for a new market (default synthetic).")
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Replace the local chain with a new one.")
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="The node's port (default: as last time).")
    ] = None,
    chain_id: Annotated[int | None, typer.Option(help="Chain id of a new chain.")] = None,
    state_interval: Annotated[
        int, typer.Option(min=1, help="Save the chain state every N seconds.")
    ] = 30,
    yes: Yes = False,
    as_json: JsonOpt = False,
) -> None:
    """Start the local node in the background (or resume the chain saved last time), with
    a market and the alto bundler. The chain is replaced only with --reset."""
    if reset:
        lost = local_reset_warning()
        if lost is not None:
            if not as_json:
                typer.echo(f"--reset replaces {lost}.")
            if as_json and not yes:
                raise InputError(f"--reset would replace {lost}", hint="Add --yes to replace it.")
            if not yes and not typer.confirm("Replace the local chain?", default=False):
                raise InputError("nothing was changed", hint="Leave out --reset to resume it.")
    done = local_up(
        tokens=tokens,
        market_data=market_data,
        reset=reset,
        port=port,
        chain_id=chain_id,
        state_interval_s=state_interval,
        progress=(lambda m: None) if as_json else (lambda m: typer.echo(f"· {m}")),
    )
    if as_json:
        emit("local up", {
            "tokens": len(done.book.tokens), "chain_id": done.book.chain_id,
            "deployed_market": done.deployed_market, "node": done.node.record,
            "bundler": done.bundler, "address_book": done.book,
        })  # fmt: skip
        return
    kept = "" if done.deployed_market else " (the market on the resumed chain, unchanged)"
    typer.echo(
        f"local network ready: {len(done.book.tokens)} tokens{kept}, chain id "
        f"{done.book.chain_id}\n  node     {done.node.record.url}  (pid {done.node.record.pid})"
    )
    if done.bundler is not None:
        typer.echo(f"  bundler  {done.bundler.url}  (alto, pid {done.bundler.pid})")
    typer.echo("stop it with `indexvault local down` (the chain is saved and resumed next time)")


def status_text(status: LocalStatus) -> str:
    node, bundler = status.node, status.bundler
    lines = []
    if node.running and node.record is not None:
        assert node.block is not None
        assert node.chain_time_s is not None
        lines += [
            f"node      running: {node.record.url}  pid {node.record.pid}",
            f"chain id  {node.chain_id}",
            f"block     {node.block:,}",
            f"clock     {_when(node.chain_time_s)}",
        ]
    elif node.problem:
        lines.append(f"node      NOT RUNNING: {node.problem}")
    else:
        lines.append("node      not running")
    if bundler.running and bundler.record is not None:
        lines.append(f"bundler   running: {bundler.record.url}  pid {bundler.record.pid} (alto)")
    elif bundler.problem:
        lines.append(f"bundler   NOT RUNNING: {bundler.problem}")
    else:
        lines.append("bundler   not running")
    if status.tokens is not None:
        lines.append(f"market    {status.tokens} tokens")
    saved = node.state_saved_at or "never"
    lines.append(f"state     {node.folder / 'anvil-state.json'} (saved {saved})")
    if not node.running:
        lines.append("start it with `indexvault local up`")
    return "\n".join(lines)


@local_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """The local node and its bundler: URL, chain id, block, clock, pid."""
    found = local_status()
    if as_json:
        emit("local status", found)
        return
    typer.echo(status_text(found))


@local_app.command("down")
def down(as_json: JsonOpt = False) -> None:
    """Stop the bundler and the node; the node saves the chain first."""
    stopped = local_down()
    if as_json:
        emit("local down", stopped)
        return
    if stopped.bundler is not None:
        record, outcome = stopped.bundler
        typer.echo(f"bundler (pid {record.pid}): {outcome}")
    node = stopped.node
    if node.record is None:
        typer.echo("the local node was not running")
        return
    if node.outcome == "stopped":
        typer.echo(f"node (pid {node.record.pid}): stopped; chain saved at {node.state_saved_at}")
    elif node.outcome == "killed":
        typer.echo(
            f"node (pid {node.record.pid}): did not stop in time and was killed; the chain "
            f"is as last saved ({node.state_saved_at})"
        )
    else:
        typer.echo(
            f"node (pid {node.record.pid}) was not running (crashed or killed); the chain "
            f"is as last saved ({node.state_saved_at})"
        )
