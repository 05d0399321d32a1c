"""Dependencies every route takes: the facade thread with the page state it owns, and the
Origin check that state-changing routes add.

Routes never touch a Session themselves: they hand a function of the state to
`Facade.call`, which runs it on the facade thread (see facade_thread.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from orchestrator.errors import OriginRejected
from orchestrator.web.facade_thread import FacadeThread
from orchestrator.web.state import PageState

__all__ = ["BigIntJSONResponse", "Facade", "FacadeDep", "SameOrigin", "check_origin"]

T = TypeVar("T")
MAX_SAFE_INTEGER = 2**53 - 1  # beyond it a browser's JSON.parse rounds: sent as a string


@dataclass
class Facade:
    thread: FacadeThread
    state: PageState

    async def call(self, fn: Callable[[PageState], T]) -> T:
        return await self.thread.call(fn, self.state)


def get_facade(request: Request) -> Facade:
    facade: Facade = request.app.state.facade
    return facade


FacadeDep = Annotated[Facade, Depends(get_facade)]


def check_origin(request: Request) -> None:
    """A state-changing request must come from this server's own page: its Origin header
    must be this server's scheme://host[:port] (the Host was already checked against the
    allowed hosts, against DNS rebinding). No CORS headers are ever sent, so a foreign page
    cannot read an answer either."""
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    if origin is None or host is None or origin != f"{request.url.scheme}://{host}":
        raise OriginRejected(origin)


SameOrigin = Depends(check_origin)


def _safe(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        return str(value)
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


class BigIntJSONResponse(JSONResponse):
    """JSON whose integers above 2^53 - 1 (token base units, nonces) are decimal strings,
    so a browser reads them exactly (with BigInt) instead of rounded."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            _safe(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
