"""`indexvault web`: the index page in a browser (orchestrator.web, over the same facade)."""

from __future__ import annotations

from typing import Annotated

import typer

from orchestrator.cli.app import app

DEFAULT_PORT = 8765


@app.command()
def web(
    network: Annotated[
        str, typer.Option("--network", "-n", help="local, or a configured network.")
    ] = "local",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option(help="Interface to bind (default localhost only; others: LAN-visible).")
    ] = "127.0.0.1",
) -> None:
    """Serve the index page (gauge, strategy, holdings, log, P&L, one-click buy/sell signed
    in the browser) until Ctrl-C."""
    from orchestrator.web.server import serve  # FastAPI and uvicorn load for this command only

    serve(network, host=host, port=port, announce=typer.echo)
