"""One-click trading benchmarks: preview latency, first-buy user operation gas, gas
estimate error, tracking error after a buy (issue 5).

The market is aged before anything is measured: every pool trades once each way (prices
up 1%, then back). A pool that never traded in a direction pays a 20k zero-to-nonzero
write of its fee-growth accumulator on its first swap that way, which no pool on a live
network does; without aging, the first buy measured ~17k gas per leg more than on a
market with history."""

from __future__ import annotations

import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from eth_account import Account
from eth_utils.crypto import keccak

from orchestrator.chain import Chain, Transactor, connect_anvil, connect_eth_tester
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket import AddressBook, deploy_market
from orchestrator.localmarket.price_moves import set_prices
from orchestrator.service import (
    LocalMarket,
    fund_test_account,
    load_history,
    select_assets,
    trading_context,
)
from orchestrator.strategy import StrategyConfig, WeightsConfig
from orchestrator.trading.confirm import confirm
from orchestrator.trading.context import TradingContext
from orchestrator.trading.holdings import holdings
from orchestrator.trading.previews import preview_buy, preview_sell

USDC = 10**6
BUY_USDC = 10_000 * USDC
REPEATS = 5


def _market(chain: Chain, tokens: int, *, aged: bool = True) -> AddressBook:
    history = load_history(None, tokens=tokens)
    assets = select_assets(history, None, tokens)
    deployer = Transactor(chain, chain.accounts[0])
    book = deploy_market(
        chain, deployer, assets, market_source=history.source_label, market_is_synthetic=True
    )
    if aged:
        _age(LocalMarket(chain=chain, deployer=deployer, book=book))
    return book


def _age(market: LocalMarket) -> None:
    """One real swap each way per pool (see the module docstring)."""
    moves = set_prices(
        market, {t.symbol: t.snapshot_price_usd * Decimal("1.01") for t in market.book.tokens}
    )
    set_prices(market, {m.symbol: m.price_usd_before for m in moves})


def _trader(
    chain: Chain, book: AddressBook, journal: Journal, label: str, *, every_token: bool = True
) -> TradingContext:
    owner = Account.from_key(keccak(text=f"bench {label}"))
    ctx = trading_context(
        chain, book, owner, journal=journal, history=load_history(None, tokens=len(book.tokens))
    )
    if every_token:
        # Every listed token gets a leg (the default 10 bps minimum weight leaves 65 of the
        # synthetic 100), so "N" below is the number of legs.
        ctx.strategy = StrategyConfig(weights=WeightsConfig(min_weight_bps=0))
    fund_test_account(ctx, 10 * BUY_USDC, eth_wei=10**19)
    return ctx


def _preview_ms(ctx: TradingContext, repeats: int) -> tuple[float, float]:
    """(median, first) of `repeats` previews in one session: the first reads the session's
    facts on its own (two round trips), the next ones are one round trip each."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        preview_buy(ctx, BUY_USDC)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), times[0]


def _run_chain(kind: str, tokens: int, results: dict[str, float], *, buy: bool) -> None:
    chain = connect_anvil() if kind == "anvil" else connect_eth_tester()
    try:
        book = _market(chain, tokens, aged=buy)  # preview timing alone needs no history
        with tempfile.TemporaryDirectory() as folder:
            journal = Journal(Path(folder) / "journal.sqlite")
            ctx = _trader(chain, book, journal, f"{kind}-{tokens}")
            repeats = REPEATS if kind == "anvil" else 2
            median_ms, first_ms = _preview_ms(ctx, repeats)
            results[f"preview_ms.{kind}.{tokens}"] = round(median_ms, 1)
            results[f"preview_first_ms.{kind}.{tokens}"] = round(first_ms, 1)
            print(f"   preview_ms.{kind}.{tokens} {median_ms:.1f} (first {first_ms:.1f})")
            if not buy:
                return
            preview = preview_buy(ctx, BUY_USDC)
            done = confirm(ctx, preview)
            actual = done.result.actual_gas_used
            results[f"first_buy_userop_gas.{tokens}"] = actual
            results[f"first_buy_bundle_tx_gas.{tokens}"] = done.result.bundle_gas_used
            error_pct = abs(preview.gas.likely_gas - actual) * 100 / actual
            results[f"gas_estimate_error_pct.buy.{tokens}"] = round(error_pct, 3)
            view = holdings(ctx)
            results[f"tracking_error_bps.{tokens}"] = view.tracking_error_bps()
            results[f"buy_legs.{tokens}"] = len(preview.legs)
            sale = preview_sell(ctx, 5_000)
            sold = confirm(ctx, sale)
            sell_actual = sold.result.actual_gas_used
            results[f"gas_estimate_error_pct.sell.{tokens}"] = round(
                abs(sale.gas.likely_gas - sell_actual) * 100 / sell_actual, 3
            )
            if tokens == 100:
                _default_weights_buy(chain, book, journal, kind, results)
            journal.close()
    finally:
        chain.close()


def _default_weights_buy(
    chain: Chain, book: AddressBook, journal: Journal, kind: str, results: dict[str, float]
) -> None:
    """A first buy of the 100-token index with the default strategy (10 bps minimum weight:
    the smallest constituents get no leg), on the same market."""
    ctx = _trader(chain, book, journal, f"{kind}-default", every_token=False)
    preview = preview_buy(ctx, BUY_USDC)
    done = confirm(ctx, preview)
    results["first_buy_userop_gas.100.default_weights"] = done.result.actual_gas_used
    results["buy_legs.100.default_weights"] = len(preview.legs)


def _per_leg(results: dict[str, float]) -> None:
    """Marginal first-buy gas per leg (10 -> 100 legs), the fixed part (account + vault
    creation, fee, approval), and how many legs fit under 7.5M gas."""
    if "first_buy_userop_gas.100" not in results or "first_buy_userop_gas.10" not in results:
        return
    gas_10, gas_100 = results["first_buy_userop_gas.10"], results["first_buy_userop_gas.100"]
    legs_10, legs_100 = results["buy_legs.10"], results["buy_legs.100"]
    per_leg = (gas_100 - gas_10) / (legs_100 - legs_10)
    fixed = gas_10 - legs_10 * per_leg
    results["first_buy_gas_per_leg"] = round(per_leg)
    results["first_buy_gas_fixed"] = round(fixed)
    results["first_buy_legs_under_7_5m_gas"] = int((7_500_000 - fixed) // per_leg)


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    _run_chain("anvil", 10, results, buy=True)
    _run_chain("anvil", 100, results, buy=True)
    _run_chain("eth_tester", 100, results, buy=False)
    _per_leg(results)
    errors = [v for k, v in results.items() if k.startswith("gas_estimate_error_pct.")]
    results["gas_estimate_error_pct"] = max(errors)
    return results
