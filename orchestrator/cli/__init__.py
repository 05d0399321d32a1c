"""Command line front end. Thin: parses, calls the service layer, prints.

Each `*_cmds.py` module registers its commands on `app`; importing them here is what
wires them in. Every IndexVaultError becomes a short message, a hint and exit code 2.
"""

from __future__ import annotations

import sys

import typer

from orchestrator.cli.app import app
from orchestrator.errors import IndexVaultError

# Command modules: imported for their side effect of registering commands on `app`.
from orchestrator.cli import market_cmds  # noqa: E402, F401, I001

__all__ = ["app", "main"]


def main() -> None:
    try:
        app(standalone_mode=False)
    except IndexVaultError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        if error.hint:
            typer.echo(f"hint: {error.hint}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as error:  # click usage errors arrive here with standalone_mode=False
        from click.exceptions import ClickException

        if isinstance(error, ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
