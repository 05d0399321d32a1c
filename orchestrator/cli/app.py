"""The Typer application object. Command modules register on it; see cli/__init__.py."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

app = typer.Typer(
    name="indexvault",
    help="indexvault: a self-custodial on-chain crypto index.\n\n"
    "Every command takes --json: one JSON object on stdout (docs/cli-json.md).\n\n"
    "Market data: every command uses the same by default, the local network's (what "
    "`local up --market-data` set), else the synthetic market (seed 7), labelled SYNTHETIC. "
    "Dates: 'chain clock' is the chain's block time (trades, log, keeper runs); 'market "
    "date' is a snapshot's date (targets, weights, signal); the keeper's week is the ISO "
    "week of the chain clock.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: no "<bool>" type column on every flag
)


def _version() -> str:
    try:
        return version("indexvault")
    except PackageNotFoundError:  # a checkout that was not installed
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"indexvault {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """indexvault: a self-custodial on-chain crypto index."""
    from orchestrator.service import on_notice  # what a session settled on start, one line

    on_notice(lambda line: typer.echo(line, err=True))
