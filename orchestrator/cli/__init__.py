"""Command line front end. Thin: parses, calls the service layer, prints.

Each `*_cmds.py` module registers its commands on `app`; importing them here is what
wires them in. Every IndexVaultError becomes a short message, a hint and exit code 2.
"""

from __future__ import annotations

import sys

import typer

# Command modules: imported for their side effect of registering commands on `app`.
from orchestrator.cli import (  # noqa: F401
    journal_cmds,
    keeper_cmds,
    local_cmds,
    mandate_cmds,
    market_cmds,
    strategy_cmds,
    trade_cmds,
    wallet_cmds,
)
from orchestrator.cli.app import app
from orchestrator.errors import IndexVaultError

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: usage errors are click's (exit 2 with usage); our own errors
    print a message and a hint, never a traceback (exit 2)."""
    try:
        app()
    except IndexVaultError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        if error.hint:
            typer.echo(f"hint: {error.hint}", err=True)
        sys.exit(2)
