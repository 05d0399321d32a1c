"""`--json`: every command can print one JSON object instead of text, in the envelope of
`orchestrator.service.envelope` (documented in docs/cli-json.md). A trade with `--json` and
without `--yes` prints its preview and sends nothing (no prompt can interleave with JSON)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from orchestrator.service.envelope import json_envelope

__all__ = ["JsonOpt", "emit"]

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object instead of text (docs/cli-json.md).")
]


def emit(command: str, data: object) -> None:
    """The envelope for `command` with `data` (a facade model, or a dict of them)."""
    typer.echo(json.dumps(json_envelope(command, data), indent=2))
