"""A 50-run slice of the crash soak (tests/crash/soak.py; `make crash-soak` runs 1,000):
the one-click confirm killed by SIGKILL at random crash points, restarted, and checked:
each run died exactly where it was told, every intended buy executed exactly once, and
the journal says what the chain says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crash.soak import POINTS, run_soak
from tests.local_network import local_network

pytestmark = pytest.mark.anvil

RUNS = 50


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with local_network(tmp_path_factory.mktemp("crash"), "--tokens", "4") as folder:
        yield folder


def test_fifty_randomized_crash_runs_lose_nothing_and_do_nothing_twice(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDEXVAULT_HOME", str(home))
    result = run_soak(home, RUNS, seed=15)
    assert result.crash_runs == RUNS
    assert result.crashed_where_told == RUNS  # every run died where it was told (or not)
    assert set(result.by_point) == set(POINTS)  # every point was hit in the slice
    assert result.retried_after_crash > 0  # some intents needed a fresh preview
    assert result.crash_double_executions == 0
    assert result.crash_lost_intents == 0
    assert result.journal_mismatches == 0
