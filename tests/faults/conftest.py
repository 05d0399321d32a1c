"""The fault matrix reports its own count for `make bench` (benchmarks/reliability.py):
.bench/fault_matrix.json, {"cases": N, "failures": M, "gaps": G}, written when the matrix
ran whole. A case is one test of a `test_fault_matrix*.py` module; a gap is a case named
`..._gap_...`: it passes by showing a known shortfall as it is today (docs/reliability.md
marks each), so it is counted apart as well."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# the module-scoped local node behind the two proxies: each matrix module gets its own
from tests.faults.test_fault_matrix import rig  # noqa: F401

RESULTS = Path(__file__).resolve().parents[2] / ".bench" / "fault_matrix.json"
_outcomes: dict[str, bool] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "/test_fault_matrix" not in report.nodeid:
        return
    if report.when == "call" or report.failed:
        _outcomes[report.nodeid] = _outcomes.get(report.nodeid, True) and report.passed


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _outcomes or session.config.option.keyword or session.config.option.markexpr:
        return  # a selection: not the whole matrix
    RESULTS.parent.mkdir(exist_ok=True)
    failures = sum(1 for ok in _outcomes.values() if not ok)
    gaps = sum(1 for nodeid in _outcomes if "_gap_" in nodeid.split("::")[-1])
    counts = {"cases": len(_outcomes), "failures": failures, "gaps": gaps}
    RESULTS.write_text(json.dumps(counts) + "\n")
