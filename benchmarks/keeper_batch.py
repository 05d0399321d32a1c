"""Keeper with batching (issue 19): one weekly cycle on anvil over N opted-in, batchable
vaults of 25 constituents, the same setup as `benchmarks.keeper` (its market, vaults and
measured cycle) but every mandate opts into batch settlement, so the keeper packs the
cycle's vaults into `BatchSettlement.settle` transactions.

Metrics: `keeper_batch_cycle_s.anvil.N` (wall time of the cycle), the batched gas per vault
(each vault's action carries its share of its batch's gas), how many transactions the cycle
sent, and the outcomes (done, failed; legs the keeper dropped for the oracle band).
`keeper_cycle_s.anvil.1000` is measured by `benchmarks.keeper_1000` (vaults built in bulk).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.keeper import (
    CYCLE_CARDINALITY,
    TOKENS,
    bull_targets,
    dropped_legs,
    open_vaults,
    run_cycle,
)
from orchestrator.keeper.journal import ActionState
from orchestrator.keeper.schedule import next_weekly_s
from orchestrator.localmarket.deploy import MarketConfig
from orchestrator.service import LOCAL_KEEPER_ACCOUNT, open_local_market

SIZES = (30,)  # a shared two-core machine builds 100 such vaults too slowly for the bench


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    config = MarketConfig(observation_cardinality=CYCLE_CARDINALITY)
    started = time.perf_counter()
    market = open_local_market(chain_target="anvil", tokens=TOKENS, config=config)
    try:
        chain = market.chain
        chain.increase_time(next_weekly_s(chain.timestamp()) + 3_600 - chain.timestamp())
        targets = bull_targets(market)
        keeper = str(chain.accounts[LOCAL_KEEPER_ACCOUNT].address)
        built = 0
        with tempfile.TemporaryDirectory() as tmp:
            for n in SIZES:
                open_vaults(market, keeper, built, n - built, batchable=True)
                built = n
                print(f"   setup: {n} batchable vaults ({time.perf_counter() - started:.1f} s)")
                sent_before = chain.tx_count(str(chain.accounts[LOCAL_KEEPER_ACCOUNT].address))
                cycle = run_cycle(market, targets, n, Path(tmp) / f"keeper-batch-{n}.sqlite")
                sent = chain.tx_count(keeper) - sent_before
                done = [o for o in cycle.report.outcomes if o.state is ActionState.DONE]
                gas = [o.gas_used or 0 for o in done]
                results[f"keeper_batch_cycle_s.anvil.{n}"] = round(cycle.wall_s, 2)
                results[f"keeper_batch_txs.anvil.{n}"] = sent
                results[f"keeper_batch_outcomes.done.{n}"] = len(done)
                results[f"keeper_batch_outcomes.failed.{n}"] = sum(
                    1 for o in cycle.report.outcomes if o.state is ActionState.FAILED
                )
                results[f"keeper_batch_outcomes.dropped_legs.{n}"] = sum(
                    dropped_legs(o) for o in done
                )
                if gas:
                    results[f"keeper_batch_gas_per_vault.{TOKENS}.{n}"] = int(
                        statistics.median(gas)
                    )
                for o in cycle.report.outcomes:
                    if o.state is ActionState.FAILED:
                        print(f"   failed {o.vault}: {o.reason}")
                print(
                    f"   cycle N={n}: {cycle.wall_s:.2f} s, {sent} transactions, "
                    f"{dict(cycle.states())}, gas/vault median "
                    f"{statistics.median(gas) if gas else 0:,.0f}",
                    flush=True,
                )
    finally:
        market.close()
    return results
