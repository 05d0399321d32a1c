"""Vault gas (issue 3), measured by the forge gas suite in one run, side by side with the
naive baseline (an EOA doing approve + SwapRouter02 exactInputSingle per token); and the
batch settlement's gas per vault against one vault by one (issue 19, BatchGas.t.sol).

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
    # BatchGasBenchTest (issue 19): the share of a batch's volume crossed inside it
    netted = metrics.pop("batch_netted_fraction_bps.100", None)
    if netted is not None:
        metrics["batch_netted_fraction.100"] = round(netted / 10_000, 4)
    metrics.pop("batch_regime_switch_saving_x100.100", None)
    single = metrics.get("rebalance_regime_switch_gas_per_vault.25")
    for n in (10, 100):
        batched = metrics.get(f"batch_regime_switch_gas_per_vault.{n}")
        if single and batched:
            metrics[f"batch_regime_switch_saving_ratio.{n}"] = round(single / batched, 2)
    return metrics
