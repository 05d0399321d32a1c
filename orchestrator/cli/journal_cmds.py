"""`indexvault journal backup` and `journal rebuild`: the journal's copy, and its rebuild
from the chain when it is damaged or lost (a damaged journal is moved aside, kept)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchestrator import service
from orchestrator.cli.app import app
from orchestrator.cli.output import JsonOpt, emit
from orchestrator.cli.trade_cmds import Network, Wallet

journal_app = typer.Typer(help="The journal: back it up, or rebuild it from the chain.",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(journal_app, name="journal")


@journal_app.command("backup")
def backup(
    to: Annotated[
        Path | None, typer.Option(help="Where (default: $INDEXVAULT_HOME/backups/).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A consistent copy of the journal (SQLite's backup API); a damaged one as it is."""
    done = service.journal_backup(to)
    if as_json:
        emit("journal backup", done)
        return
    state = " (damaged: copied as it is)" if done.damaged else ""
    typer.echo(f"journal {done.source} copied to {done.copied_to}{state}")


@journal_app.command("rebuild")
def rebuild(
    network: Network = "local", wallet: Wallet = "default", as_json: JsonOpt = False
) -> None:
    """Rebuild what the chain can tell: your smart account's operations and your vault's
    events. A damaged journal is moved aside and kept."""
    done = service.journal_rebuild(network, wallet)
    if as_json:
        emit("journal rebuild", done)
        return
    if done.moved_aside is not None:
        typer.echo(f"the damaged journal was kept as {done.moved_aside}")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(done.kinds.items())) or "none"
    typer.echo(
        f"journal {done.journal}: {done.operations_on_chain} operation(s) of smart account "
        f"{done.account} on chain; {done.added} added ({kinds}), {done.already_there} "
        "journaled already"
    )
    if done.unknown_kind:
        typer.echo(f"{done.unknown_kind} operation(s) left no vault event: recorded as buy")
    typer.echo("what the chain cannot tell, so the rebuilt entries lack:")
    for item in done.cannot_tell:
        typer.echo(f"  - {item}")
