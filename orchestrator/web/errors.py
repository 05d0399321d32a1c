"""IndexVaultError -> an HTTP answer: the status by what the caller should do (the tree's
branches), the body the error's message, hint, class name and the values it carries."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from orchestrator.errors import (
    AlreadySubmitted,
    ContractReverted,
    IndexVaultError,
    InputError,
    InternalError,
    OriginRejected,
    PreviewOutdated,
    PriceUpdated,
    TransientError,
    UnknownQuote,
)

__all__ = ["error_body", "handle_indexvault_error", "status_of"]


def status_of(error: IndexVaultError) -> int:
    if isinstance(error, OriginRejected):
        return 403
    if isinstance(error, UnknownQuote):
        return 404
    if isinstance(error, AlreadySubmitted | PreviewOutdated):
        return 409  # preview again: what was reviewed no longer holds (or was used)
    if isinstance(error, InputError):
        return 400
    if isinstance(error, ContractReverted):
        return 422
    if isinstance(error, TransientError):
        return 503
    if isinstance(error, InternalError):
        return 500
    return 400


def error_body(error: IndexVaultError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": type(error).__name__,
        "message": str(error),
        "hint": error.hint,
    }
    if isinstance(error, PriceUpdated):
        body["price_updated"] = [
            {
                "symbol": symbol,
                "now_out": str(now),
                "reviewed_min_out": str(reviewed),
                "short_by": str(reviewed - now),
            }
            for symbol, now, reviewed in error.moved
        ]
    return body


async def handle_indexvault_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, IndexVaultError)
    return JSONResponse(error_body(error), status_code=status_of(error))
