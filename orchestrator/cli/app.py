"""The Typer application object. Command modules register on it; see cli/__init__.py."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="indexvault",
    help="indexvault: a self-custodial on-chain crypto index.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """indexvault: a self-custodial on-chain crypto index."""
    from orchestrator.service import on_notice  # what a session settled on start, one line

    on_notice(lambda line: typer.echo(line, err=True))
