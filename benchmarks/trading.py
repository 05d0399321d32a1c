"""One-click trading benchmarks: preview latency, first-buy user operation gas, gas
estimate error, tracking error after a buy (issue 5)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_utils.crypto import keccak

from orchestrator.chain import Chain, Transactor, connect_anvil, connect_eth_tester
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket import AddressBook, deploy_market
from orchestrator.service import fund_test_account, load_history, select_assets, trading_context
from orchestrator.strategy import StrategyConfig, WeightsConfig
from orchestrator.trading.confirm import confirm
from orchestrator.trading.context import TradingContext
from orchestrator.trading.holdings import holdings
from orchestrator.trading.previews import preview_buy, preview_sell

USDC = 10**6
BUY_USDC = 10_000 * USDC
REPEATS = 5


def _market(chain: Chain, tokens: int) -> AddressBook:
    history = load_history(None, tokens=tokens)
    assets = select_assets(history, None, tokens)
    deployer = Transactor(chain, chain.accounts[0])
    return deploy_market(
        chain, deployer, assets, market_source=history.source_label, market_is_synthetic=True
    )


def _trader(chain: Chain, book: AddressBook, journal: Journal, label: str) -> TradingContext:
    owner = Account.from_key(keccak(text=f"bench {label}"))
    ctx = trading_context(
        chain, book, owner, journal=journal, history=load_history(None, tokens=len(book.tokens))
    )
    # Every listed token gets a leg (the default 10 bps minimum weight leaves 65 of the
    # synthetic 100), so "N" below is the number of legs.
    ctx.strategy = StrategyConfig(weights=WeightsConfig(min_weight_bps=0))
    fund_test_account(ctx, 10 * BUY_USDC, eth_wei=10**19)
    return ctx


def _preview_ms(ctx: TradingContext, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        preview_buy(ctx, BUY_USDC)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _run_chain(kind: str, tokens: int, results: dict[str, float], *, buy: bool) -> None:
    chain = connect_anvil() if kind == "anvil" else connect_eth_tester()
    try:
        book = _market(chain, tokens)
        with tempfile.TemporaryDirectory() as folder:
            journal = Journal(Path(folder) / "journal.sqlite")
            ctx = _trader(chain, book, journal, f"{kind}-{tokens}")
            repeats = REPEATS if kind == "anvil" else 2
            results[f"preview_ms.{kind}.{tokens}"] = round(_preview_ms(ctx, repeats), 1)
            print(f"   preview_ms.{kind}.{tokens} {results[f'preview_ms.{kind}.{tokens}']}")
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
            journal.close()
    finally:
        chain.close()


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    _run_chain("anvil", 10, results, buy=True)
    _run_chain("anvil", 100, results, buy=True)
    _run_chain("eth_tester", 100, results, buy=False)
    errors = [v for k, v in results.items() if k.startswith("gas_estimate_error_pct.")]
    results["gas_estimate_error_pct"] = max(errors)
    return results
