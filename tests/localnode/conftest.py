"""One local network (anvil + market + alto) per test module that asks for `node_home`,
started with `indexvault local up` and always stopped (tests/local_network.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local_network import local_network


@pytest.fixture(scope="module")
def node_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with (
        local_network(tmp_path_factory.mktemp("node"), "--tokens", "4") as folder,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("INDEXVAULT_HOME", str(folder))
        yield folder
