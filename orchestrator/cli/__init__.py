"""Command line front end. Thin: parses, calls the service layer, prints.

Each `*_cmds.py` module registers its commands on `app`; importing them here is what
wires them in. Every IndexVaultError becomes a short message, a hint and exit code 2.
"""

from __future__ import annotations

import json
import sys

import typer
import typer.main

# Command modules: imported for their side effect of registering commands on `app`.
from orchestrator.cli import (  # noqa: F401
    deploy_cmds,
    journal_cmds,
    keeper_cmds,
    local_cmds,
    mandate_cmds,
    market_cmds,
    strategy_cmds,
    trade_cmds,
    wallet_cmds,
    web_cmds,
)
from orchestrator.cli.app import app
from orchestrator.errors import IndexVaultError
from orchestrator.service.envelope import error_envelope

__all__ = ["app", "main"]


def _command_path(args: list[str]) -> str:
    """The command words at the head of `args` ('mandate show'), for the JSON envelope."""
    group: object = typer.main.get_command(app)
    words: list[str] = []
    for arg in args:
        commands = getattr(group, "commands", None)
        if not isinstance(commands, dict) or arg not in commands:
            break
        words.append(arg)
        group = commands[arg]
    return " ".join(words)


def main() -> None:
    """Console entry point: usage errors are click's (exit 2 with usage); our own errors
    print a message and a hint, never a traceback (exit 2); with --json, as one JSON object
    on stdout (`error` in place of `data`)."""
    try:
        app()
    except IndexVaultError as error:
        args = sys.argv[1:]
        if "--json" in args:
            envelope = error_envelope(_command_path(args), error)
            typer.echo(json.dumps(envelope, indent=2))
            sys.exit(2)
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        if error.hint:
            typer.echo(f"hint: {error.hint}", err=True)
        sys.exit(2)
