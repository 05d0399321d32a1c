"""Tests that use the local node start it with `local up` and always stop it: the context
manager stops the bundler and the node even when `up` failed half-way, checks that no
process is left, and an atexit hook covers a test process that dies in between."""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.chain.daemon import read_record
from orchestrator.cli import app
from orchestrator.service import local_down

_STARTED: set[Path] = set()


def _down(folder: Path) -> list[int]:
    """Stop whatever runs from `folder`; the pids that were recorded."""
    pids = [r.pid for r in (read_record(folder / "local", n) for n in ("alto", "anvil")) if r]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INDEXVAULT_HOME", str(folder))
        local_down()
    _STARTED.discard(folder)
    return pids


@atexit.register
def _down_all() -> None:
    for folder in list(_STARTED):
        _down(folder)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for our purposes
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


@contextmanager
def local_network(folder: Path, *up_args: str) -> Iterator[Path]:
    """`indexvault local up *up_args` with $INDEXVAULT_HOME=folder; always `local down`."""
    _STARTED.add(folder)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("INDEXVAULT_HOME", str(folder))
            done = CliRunner().invoke(app, ["local", "up", *up_args])
            assert done.exit_code == 0, done.output
        yield folder
    finally:
        pids = _down(folder)
        assert all(gone(pid) for pid in pids), f"processes left running: {pids}"


def blocks_mined(folder: Path) -> int:
    """The local node's block number: with automine every transaction (a bundle, a send)
    mines a block, so an unchanged number means nothing was sent."""
    from orchestrator.chain.localnode import connect_node

    chain = connect_node(folder / "local")
    try:
        return chain.block_number()
    finally:
        chain.close()
