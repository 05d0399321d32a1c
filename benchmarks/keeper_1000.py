"""Keeper at 1,000 vaults, batched (issue 19): `keeper_cycle_s.anvil.1000`, the wall time of
ONE weekly `Keeper.run_once` over 1,000 opted-in, batchable vaults of 25 constituents on
anvil (planning, per-batch quotes and guards, pre-flights, signing, broadcast, receipts,
journal), with the setup timed apart and where the cycle's time goes.

The vaults end up as `benchmarks.keeper_batch` builds them (same owner keys, same mandate,
25 constituents bought with equal USDC, a little cash), but built in bulk instead of 5,000
owner transactions, and only where the cycle cannot tell the difference:
- vaults are created by the real factory, 100 `createVault(owner, salt)` per Multicall3
  transaction (anyone may create an owner's vault: the salt is bound to the owner);
- each vault's holdings are written into the tokens' balance slots (`anvil_setStorageAt`,
  in JSON-RPC batches): 25 x 79.2 USDC at the pool's mid price and 18 USDC of cash, what
  the owner's buy leaves. Unlike 1,000 real buys this does not push the pools' prices up
  before the cycle (the tokens' `totalSupply` is not raised either; nothing reads it);
- every owner signs its own `setMandate` (the vault checks it against the real pools).

Pools: the default market's depth (2 bps of market cap, at least $50k a side) carries the
flow of ~30 such vaults before the cycle's own trades push a pool past the mandate's
300 bps band (then the rest of the vaults wait, cheaply: the number would measure waiting,
not trading). The pools here are `DEPTH_SCALE` times deeper, so that 1,000 vaults move them
about as much as 30 move the default market; reported as `keeper_1000.pool_depth_scale`.
The outcomes (done, waiting, failed) are reported next to the time. With
INDEXVAULT_BENCH_PROFILE=1 the cycle runs under cProfile (its top functions are printed; the
time is then not comparable).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from benchmarks.keeper import (
    CYCLE_CARDINALITY,
    MANDATE_INTERVAL_S,
    MANDATE_LOSS_BUDGET_USDC,
    MANDATE_LOSS_CAP_USDC,
    MANDATE_LOSS_WINDOW_S,
    MANDATE_SLIPPAGE_BPS,
    MANDATE_TWAP_S,
    PHASES,
    TOKENS,
    USDC,
    bull_targets,
    phase_ms,
    run_cycle,
)
from orchestrator.chain import Transactor
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.bindings import bind_ours
from orchestrator.chain.multicall import selector
from orchestrator.chain.vault_binding import VAULT_CREATED, mandate_struct, owner_salt
from orchestrator.domain.mandate import Mandate
from orchestrator.domain.prices import mid_out, token_is_token0
from orchestrator.keeper.journal import ActionState
from orchestrator.keeper.schedule import next_weekly_s
from orchestrator.localmarket.deploy import MarketConfig
from orchestrator.service import LOCAL_KEEPER_ACCOUNT, LocalMarket, open_local_market
from orchestrator.trading.reads import mid_prices, token_refs

N = 1_000
DEPTH_SCALE = 33  # ~1,000 / 30 vaults: see the module's docstring
BUY_USDC = 2_000 * USDC  # per vault, as benchmarks.keeper
SPEND_USDC = BUY_USDC * 9_900 // 10_000 // TOKENS  # per token, as its owner's buy spends it
CASH_USDC = BUY_USDC - BUY_USDC * 10 // 10_000 - SPEND_USDC * TOKENS  # less the 10 bps fee
CREATES_PER_TX = 100
GAS_CREATES = 25_000_000
GAS_MANDATE = 4_000_000
RPC_BATCH = 1_000
PROFILE_ENV = "INDEXVAULT_BENCH_PROFILE"  # set: the cycle also runs under cProfile (slower)
BALANCES_SLOT = 0  # OpenZeppelin 5 ERC20: `_balances` is the first storage variable
_AGGREGATE3 = selector("aggregate3((address,bool,bytes)[])")


def _rpc_batch(market: LocalMarket, requests: list[tuple[str, list[Any]]]) -> None:
    provider: Any = market.chain.w3.provider
    for i in range(0, len(requests), RPC_BATCH):
        for response in provider.make_batch_request(requests[i : i + RPC_BATCH]):
            if response.get("error"):
                raise RuntimeError(f"anvil refused a setup call: {response['error']}")


def _balance_slot(holder: str) -> str:
    key = bytes.fromhex(holder[2:]).rjust(32, b"\0") + BALANCES_SLOT.to_bytes(32, "big")
    return "0x" + keccak(key).hex()


def build_vaults(market: LocalMarket, keeper: str, n: int) -> list[str]:
    chain, book = market.chain, market.book
    owners = [
        Transactor(chain, Account.from_key(keccak(text=f"bench keeper owner {i}")))
        for i in range(n)
    ]
    _rpc_batch(market, [("anvil_setBalance", [o.address, hex(10**19)]) for o in owners])
    factory = bind_ours(chain.w3, "VaultFactory", book.contracts.vault_factory)
    create = factory.functions.createVault
    creates = [
        (
            factory.address,
            False,
            bytes(HexBytes(create(o.address, owner_salt())._encode_transaction_data())),
        )
        for o in owners
    ]
    market.deployer.resync()
    sent = [
        market.deployer.send_nowait(
            {
                "to": book.contracts.multicall3,
                "data": _AGGREGATE3
                + abi_encode(["(address,bool,bytes)[]"], [creates[i : i + CREATES_PER_TX]]),
            },
            gas=GAS_CREATES,
        )
        for i in range(0, n, CREATES_PER_TX)
    ]
    vaults: list[str] = []
    for tx_hash in sent:
        receipt = market.deployer.wait(tx_hash)
        vaults += [
            to_checksum_address(bytes(log["topics"][2])[-20:])
            for log in receipt["logs"]
            if log["topics"] and bytes(log["topics"][0]) == VAULT_CREATED.topic
        ]
    assert len(vaults) == n, f"{len(vaults)} vaults created of {n}"
    # holdings: what each owner's equal-USDC buy of the 25 tokens would leave, at mid
    prices = mid_prices(chain, book, token_refs(book))
    usdc = book.contracts.usdc
    amounts = {
        t.address: mid_out(
            SPEND_USDC, prices[t.symbol], zero_for_one=not token_is_token0(t.address, usdc)
        )
        for t in book.tokens
    }
    amounts[usdc] = CASH_USDC
    writes = [
        ("anvil_setStorageAt", [token, _balance_slot(v), "0x" + amount.to_bytes(32, "big").hex()])
        for v in vaults
        for token, amount in amounts.items()
    ]
    _rpc_batch(market, writes)
    first = bind_ours(chain.w3, "TestToken", book.tokens[0].address)
    held = first.functions.balanceOf(vaults[0]).call()
    assert held == amounts[book.tokens[0].address], "the balance slot is not where it was written"
    mandate = Mandate(
        keeper,
        MANDATE_SLIPPAGE_BPS,
        MANDATE_INTERVAL_S,
        MANDATE_TWAP_S,
        MANDATE_LOSS_BUDGET_USDC,
        MANDATE_LOSS_WINDOW_S,
        MANDATE_LOSS_CAP_USDC,
        True,
    )
    pools = [(t.address, t.fee) for t in book.tokens]
    hashes = []
    for owner, vault in zip(owners, vaults, strict=True):
        contract = bind_ours(chain.w3, "IndexVault", vault)
        call = contract.functions.setMandate(mandate_struct(mandate), pools)
        hashes.append((owner, owner.send_nowait(call, gas=GAS_MANDATE)))
    for owner, tx_hash in hashes:
        owner.wait(tx_hash)
    return vaults


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    base = MarketConfig()
    config = MarketConfig(
        observation_cardinality=CYCLE_CARDINALITY,
        depth_bps_of_market_cap=base.depth_bps_of_market_cap * DEPTH_SCALE,
        min_depth_usd=base.min_depth_usd * DEPTH_SCALE,
        max_depth_usd=max(base.max_depth_usd, base.min_depth_usd * DEPTH_SCALE * Decimal(10)),
    )
    started = time.perf_counter()
    market = open_local_market(chain_target="anvil", tokens=TOKENS, config=config)
    try:
        chain = market.chain
        chain.increase_time(next_weekly_s(chain.timestamp()) + 3_600 - chain.timestamp())
        targets = bull_targets(market)
        keeper = str(chain.accounts[LOCAL_KEEPER_ACCOUNT].address)
        market_s = time.perf_counter() - started
        build_vaults(market, keeper, N)
        setup_s = time.perf_counter() - started
        print(
            f"   setup: market {market_s:.1f} s, {N} vaults {setup_s - market_s:.1f} s", flush=True
        )
        sent_before = chain.tx_count(keeper)
        profiler = cProfile.Profile() if os.environ.get(PROFILE_ENV) else None
        with tempfile.TemporaryDirectory() as tmp:
            if profiler is not None:
                profiler.enable()
            cycle = run_cycle(market, targets, N, Path(tmp) / "keeper-1000.sqlite")
            if profiler is not None:
                profiler.disable()
        sent = chain.tx_count(keeper) - sent_before
    finally:
        market.close()
    states = Counter(o.state.value for o in cycle.report.outcomes)
    done = [o for o in cycle.report.outcomes if o.state is ActionState.DONE]
    gas = [o.gas_used or 0 for o in done]
    results[f"keeper_cycle_s.anvil.{N}"] = round(cycle.wall_s, 1)
    results["keeper_1000.setup_s"] = round(setup_s, 1)
    results["keeper_1000.pool_depth_scale"] = DEPTH_SCALE
    results["keeper_1000.txs"] = sent
    for state in (ActionState.DONE, ActionState.WAITING, ActionState.SKIPPED, ActionState.FAILED):
        results[f"keeper_1000.outcomes.{state.value}"] = states.get(state.value, 0)
    if gas:
        results["keeper_1000.gas_per_vault"] = int(statistics.median(gas))
    p = cycle.profile
    results["keeper_1000.rpc_calls"] = p.total
    for phase, ms in phase_ms(cycle).items():
        results[f"keeper_1000.phase_s.{phase}"] = round(ms * N / 1000, 1)
    print(
        f"   cycle N={N}: {cycle.wall_s:.1f} s, {sent} transactions, {dict(states)}, "
        f"{p.total} RPC requests ({p.total_rpc_s:.1f} s waiting on anvil)"
    )
    print(
        "   where the time goes (s): "
        + ", ".join(
            f"{k} {v * N / 1000:.1f} (anvil {p.phase_rpc_s[k]:.1f})"
            for k, v in phase_ms(cycle).items()
            if k in PHASES
        )
    )
    for method, count in p.calls.most_common(8):
        print(f"      {method:<26} {count:>6} requests {p.rpc_s[method]:>7.1f} s")
    for o in cycle.report.outcomes:
        if o.state is ActionState.FAILED:
            print(f"   failed {o.vault}: {(o.reason or '')[:200]}")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print(
            "   cProfile (slows the cycle ~2x), top 15 by own time:\n"
            + "\n".join(
                "      " + line for line in out.getvalue().splitlines()[6:24] if line.strip()
            )
        )
    return results
