"""Strategy benchmarks: the walk-forward of every candidate signal, and the live signal.

- `walkforward_s`: `walk_forward` over the default candidates on the synthetic market
  (100 coins x 156 weeks), index weights included;
- `walkforward_real_s`: the same on the shared 2021-2023 data, when it is present;
- `signal_readings_ms`: the live signal over the whole synthetic history, cold (what the
  first targets of a session cost; later reads are remembered).
"""

from __future__ import annotations

import time
from pathlib import Path

from orchestrator.service import load_history
from orchestrator.strategy import DEFAULT_CONFIG
from orchestrator.strategy.candidates import signal_readings
from orchestrator.strategy.walkforward import walk_forward

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"
REAL_FILE = REAL / "weekly_top100_2021_2023.csv"


def _timed_s(history_path: Path | None) -> float:
    history = load_history(history_path)
    started = time.perf_counter()
    result = walk_forward(history)
    elapsed = time.perf_counter() - started
    print(
        f"   {history.source_label}: {result.configs_tried} configurations, chosen "
        f"{result.chosen}, {elapsed:.1f} s"
    )
    return elapsed


def run() -> dict[str, float]:
    results = {"strategy.walkforward_s": _timed_s(None)}
    if REAL_FILE.is_file():
        results["strategy.walkforward_real_s"] = _timed_s(REAL_FILE)
    history = load_history(None)
    started = time.perf_counter()
    signal_readings(history, DEFAULT_CONFIG)
    results["strategy.signal_readings_ms"] = (time.perf_counter() - started) * 1000
    return results
