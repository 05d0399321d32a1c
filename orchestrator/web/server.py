"""`indexvault web`: the app on one configured network, served by uvicorn."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn

from orchestrator.errors import InputError
from orchestrator.service import Session, open_session
from orchestrator.web.app import LOCAL_HOSTS, create_app
from orchestrator.web.deps import Facade
from orchestrator.web.state import PageState

__all__ = ["page_url", "serve"]


def page_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    network: str,
    *,
    host: str = "127.0.0.1",
    port: int,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the page for `network` until interrupted. Sessions are opened per owner on
    first use (read-only: the browser signs), on the facade thread."""
    if not 0 < port < 65536:
        raise InputError(f"--port must be 1..65535, got {port}")

    def opener(owner: str | None) -> Session:
        return open_session(network, owner)

    state = PageState(network=network, opener=opener, faucet=None)
    hosts = LOCAL_HOSTS if host in LOCAL_HOSTS else (*LOCAL_HOSTS, host)
    if host not in LOCAL_HOSTS:
        announce(f"warning: serving on {host}: anyone who can reach it can use this page")
    app = create_app(state, allowed_hosts=hosts)
    facade: Facade = app.state.facade
    try:  # the network's session, opened now: an unknown network or a stopped node fails here
        facade.thread.run(state.session)
    except BaseException:
        facade.thread.run(state.close)
        facade.thread.stop()
        raise
    announce(f"indexvault web on {network}: {page_url(host, port)}  (API docs at /docs)")
    # access_log: method and path only (owner addresses; no bodies, no keys: there are none)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True)
