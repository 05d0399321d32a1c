"""Foundation benchmarks: market deployment, swap gas, quoting 100 legs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from orchestrator.chain import Chain, Transactor, connect_anvil, connect_eth_tester
from orchestrator.chain.uniswap import (
    QuoteRequest,
    quote_batched,
    quote_exact_input_single,
    swap_exact_input_single,
)
from orchestrator.localmarket import AddressBook, deploy_market
from orchestrator.service import load_history, select_assets

TOKENS = 100
REPEATS = 5


def _deploy(chain: Chain) -> tuple[Transactor, AddressBook, float]:
    history = load_history(None, tokens=TOKENS)
    assets = select_assets(history, None, TOKENS)
    assert len(assets) == TOKENS, len(assets)
    tx = Transactor(chain, chain.accounts[0])
    started = time.perf_counter()
    book = deploy_market(
        chain, tx, assets, market_source=history.source_label, market_is_synthetic=True
    )
    return tx, book, time.perf_counter() - started


def _requests(book: AddressBook) -> list[QuoteRequest]:
    c = book.contracts
    return [QuoteRequest(c.usdc, t.address, t.fee, 100 * 10**6) for t in book.tokens]


def _median_ms(fn: Callable[[], object]) -> float:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def run() -> dict[str, float]:
    metrics: dict[str, float] = {}
    for name, connect in (("eth_tester", connect_eth_tester), ("anvil", connect_anvil)):
        with connect() as chain:
            tx, book, seconds = _deploy(chain)
            metrics[f"market_deploy_s.{name}"] = round(seconds, 2)
            c, requests = book.contracts, _requests(book)
            w3 = chain.w3
            metrics[f"quote100_batched_ms.{name}"] = _median_ms(
                lambda: quote_batched(chain, c.quoter_v2, c.multicall3, requests)  # noqa: B023
            )
            if name == "anvil":
                metrics["quote100_sequential_ms.anvil"] = _median_ms(
                    lambda: [quote_exact_input_single(chain, c.quoter_v2, r) for r in requests]  # noqa: B023
                )
                usdc = w3.eth.contract(address=c.usdc, abi=_token_abi())
                tx.send(usdc.functions.mint(tx.address, 10**12), gas=100_000)
                receipt = swap_exact_input_single(
                    tx, c.swap_router02, requests[5], amount_out_min=0
                )
                metrics["swap_gas.exact_input_single"] = int(receipt["gasUsed"])
    return metrics


def _token_abi() -> list[dict[str, object]]:
    from orchestrator.artifacts import load_artifact

    return load_artifact("TestToken").abi
