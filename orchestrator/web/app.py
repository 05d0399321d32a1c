"""The FastAPI application: JSON routes over the facade (OpenAPI at /docs) and the page's
static files. `create_app(state)` builds it around a PageState; `serve()` runs it with
uvicorn on one network.

Security: bound to 127.0.0.1 unless told otherwise; the Host header must name an allowed
host (DNS rebinding); every state-changing route checks that Origin is this server's own
(403 otherwise); no CORS headers at all; the server never sees a key, and logs no request
bodies (signatures and amounts stay out of the log; uvicorn's access log has paths only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from orchestrator.errors import IndexVaultError
from orchestrator.web.deps import BigIntJSONResponse, Facade
from orchestrator.web.errors import handle_indexvault_error
from orchestrator.web.facade_thread import FacadeThread
from orchestrator.web.routes import account, holdings, mandate, overview, trade
from orchestrator.web.state import PageState

__all__ = ["LOCAL_HOSTS", "STATIC_DIR", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(state: PageState, *, allowed_hosts: Sequence[str] = LOCAL_HOSTS) -> FastAPI:
    thread = FacadeThread()
    facade = Facade(thread, state)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        thread.submit(state.warm)  # the first page load finds the overview ready
        try:
            yield
        finally:
            thread.run(state.close)
            thread.stop()

    app = FastAPI(
        title="indexvault",
        summary="The index page's JSON API: thin routes over the orchestrator's facade.",
        default_response_class=BigIntJSONResponse,
        lifespan=lifespan,
    )
    app.state.facade = facade
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_exception_handler(IndexVaultError, handle_indexvault_error)
    for module in (overview, account, holdings, trade, mandate):
        app.include_router(module.router)
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True, check_dir=False), name="page")
    return app
