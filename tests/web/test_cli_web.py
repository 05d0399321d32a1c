"""`indexvault web` refuses before serving when its network cannot be opened: an unknown
network name, or a local network never set up (nothing listens, no thread is left)."""

from __future__ import annotations

import threading
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import ConfigError


def _web(home: Path, *args: str) -> BaseException | None:
    result = CliRunner().invoke(app, ["web", *args], env={"INDEXVAULT_HOME": str(home)})
    return result.exception


def _facade_threads() -> int:
    return sum(t.name == "indexvault-facade" for t in threading.enumerate())


def test_an_unknown_network_is_refused_before_serving(tmp_path: Path) -> None:
    before = _facade_threads()
    error = _web(tmp_path, "--network", "nowhere", "--port", "1")
    assert isinstance(error, ConfigError)
    assert _facade_threads() == before


def test_a_local_network_never_set_up_is_refused_before_serving(tmp_path: Path) -> None:
    error = _web(tmp_path, "--network", "local")
    assert isinstance(error, ConfigError)
    assert error.hint  # says to run `indexvault local up`
