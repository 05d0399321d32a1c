"""The one JSON shape every front end emits for a machine (the CLI's `--json`, and a web
page may reuse it): `{"schema": "indexvault/1", "command": ..., "data": ...}`, or on failure
`{"schema": ..., "command": ..., "error": {"type", "message", "hint"}}`.

`data` is the facade's own model (pydantic model or dataclass) serialised by pydantic in
JSON mode: amounts stay integers in base units (their names say which), Decimals become
strings, dates ISO 8601, paths strings. docs/cli-json.md lists each command's `data`."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_jsonable_python

from orchestrator.errors import IndexVaultError

__all__ = ["SCHEMA", "error_envelope", "json_envelope", "jsonable"]

SCHEMA = "indexvault/1"  # bumped only when a key is removed or changes meaning


def jsonable(value: object) -> Any:
    """`value` as JSON-ready Python (dicts, lists, str, int, bool, None)."""
    return to_jsonable_python(value, by_alias=False, fallback=str)


def json_envelope(command: str, data: object) -> dict[str, Any]:
    return {"schema": SCHEMA, "command": command, "data": jsonable(data)}


def error_envelope(command: str, error: IndexVaultError) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "command": command,
        "error": {"type": type(error).__name__, "message": str(error), "hint": error.hint},
    }
