"""`make bench`: run every benchmark suite, print a table, write .bench/results.json."""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

SUITES = [
    "benchmarks.market",
    "benchmarks.vault_gas",
    "benchmarks.trading",
    "benchmarks.keeper",
    "benchmarks.keeper_batch",
    "benchmarks.keeper_1000",
    "benchmarks.bundler",
    "benchmarks.deploy",
    "benchmarks.strategy",
    "benchmarks.web",
    "benchmarks.reliability",
]
RESULTS = Path(__file__).resolve().parents[1] / ".bench" / "results.json"


def main(argv: list[str]) -> int:
    wanted = [s for s in SUITES if not argv or s.rsplit(".", 1)[-1] in argv]
    # a run of selected suites updates their metrics and keeps the others'
    results: dict[str, float] = json.loads(RESULTS.read_text()) if argv and RESULTS.exists() else {}
    for suite in wanted:
        started = time.perf_counter()
        print(f"== {suite}", flush=True)
        metrics = importlib.import_module(suite).run()
        results.update(metrics)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    width = max(len(k) for k in results) if results else 10
    print(f"\n{'metric':<{width}}  value")
    for key in sorted(results):
        value = results[key]
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        print(f"{key:<{width}}  {shown}")
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
