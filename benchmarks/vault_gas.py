"""Vault gas (issue 3), measured by the forge gas suite in one run, side by side with the
naive baseline (an EOA doing approve + SwapRouter02 exactInputSingle per token).

`tests/forge/gas/Gas.t.sol` prints `BENCH <metric> <integer>` lines; this module runs it
with the native forge binary and collects them, then adds per-leg and ratio metrics.
"""

from __future__ import annotations

import re
import subprocess

from orchestrator.artifacts.load import repo_root

FORGE = repo_root() / "node_modules" / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"
LINE = re.compile(r"^\s*BENCH (\S+) (\d+)\s*$")


def run() -> dict[str, float]:
    completed = subprocess.run(
        [str(FORGE), "test", "--match-contract", "Gas", "--isolate", "-vv"],
        cwd=repo_root(), capture_output=True, text=True, check=False, timeout=1_800,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(
            f"forge gas suite failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}"
        )
    metrics: dict[str, float] = {}
    for line in completed.stdout.splitlines():
        match = LINE.match(line)
        if match:
            metrics[match.group(1)] = int(match.group(2))
    if not metrics:
        raise RuntimeError("forge gas suite printed no BENCH lines")
    for n in (1, 10, 25, 50, 100):
        if f"buy_gas.{n}" in metrics:
            metrics[f"buy_gas_per_leg.{n}"] = round(metrics[f"buy_gas.{n}"] / n)
        if f"buy_gas.{n}" in metrics and f"naive_buy_gas.{n}" in metrics:
            metrics[f"buy_vs_naive_ratio.{n}"] = round(
                metrics[f"buy_gas.{n}"] / metrics[f"naive_buy_gas.{n}"], 3
            )
    return metrics
