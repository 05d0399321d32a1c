"""The browser side of the web tests: the app served by a real uvicorn on a free port
(in a thread of this process), and the Debian chromium driven by Playwright.

Never a downloaded browser: `executable_path` is the system chromium. Where it is
missing the browser tests fail loudly with how to install it (`make test` installs it
when it can); they are never skipped silently."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from orchestrator.web import STATIC_DIR, PageState, create_app

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "web"


def chromium_path() -> str:
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not found:
        raise RuntimeError(
            "the browser tests need Debian's chromium at /usr/bin/chromium and it is missing: "
            "run `apt-get install -y chromium` (as root; `make test` does it when it can), or "
            "deselect them with -m 'not browser'"
        )
    if not (STATIC_DIR / "vendor" / "vendor.js").exists():
        raise RuntimeError("the page's vendor bundle is missing: run `make setup`")
    return str(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(state: PageState) -> Iterator[tuple[str, FastAPI]]:
    """The app on 127.0.0.1:<free port> until the block ends; yields its URL and the app."""
    port = free_port()
    app = create_app(state)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    try:
        started = threading.Event()
        while not server.started:  # uvicorn sets it once the socket listens
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started")
            started.wait(0.02)
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def screenshot_dir() -> Path:
    """docs/web/ when INDEXVAULT_SCREENSHOTS=docs (`make web-screenshots`, committed for the
    README), else an ignored folder: a test run leaves the work tree clean."""
    if os.environ.get("INDEXVAULT_SCREENSHOTS") == "docs":
        folder = SCREENSHOTS
    else:
        folder = Path(__file__).resolve().parents[2] / ".cache" / "web-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
