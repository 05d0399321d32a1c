"""The real bundler's cost (issue 14): the same first buy of 10 legs ($10,000, aged market,
fresh smart account) sent through alto on the local node and self-bundled through
`handleOps`, from the same chain state (a snapshot is taken before the first and
reverted to before the second); and how long alto takes from `eth_sendUserOperation` to
a receipt on anvil.

    bundler_buy_gas.10            the op's actualGasUsed through alto (what the user pays for)
    first_buy_userop_gas.10.self  the same op self-bundled, same state
    bundler_overhead_gas.10       the difference (preVerificationGas as priced for alto)
    bundler_bundle_tx_gas.10      gasUsed of alto's bundle transaction
    bundler_roundtrip_ms.10       median send -> receipt through alto (10-leg buys)
    selfbundled_roundtrip_ms.10   the same for handleOps sent by our own key
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from eth_utils.crypto import keccak

from benchmarks.trading import BUY_USDC, _age
from orchestrator.chain import Chain, Transactor
from orchestrator.chain.localnode import connect_node
from orchestrator.execution import BundlerClient, SelfBundler, UserOpSubmitter
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.localmarket.localnet import local_down, local_up
from orchestrator.networks import HOME_ENV, local_dir
from orchestrator.service import LocalMarket, fund_test_account, load_history, select_assets
from orchestrator.service import trading_context as make_context
from orchestrator.strategy import StrategyConfig, WeightsConfig
from orchestrator.trading.confirm import confirm
from orchestrator.trading.context import TradingContext
from orchestrator.trading.previews import preview_buy
from orchestrator.wallet.userop import UserOperation
from orchestrator.wallet.userop_signing import user_op_hash

TOKENS = 10
ROUNDTRIPS = 5
SELF_BUNDLER_ACCOUNT = 2  # not alto's executor key: the two must not share nonces


def _context(chain: Chain, book: AddressBook, journal: Journal, label: str,
             submitter: UserOpSubmitter) -> TradingContext:  # fmt: skip
    owner = Account.from_key(keccak(text=f"bench bundler {label}"))
    ctx = make_context(
        chain, book, owner, journal=journal, history=load_history(None, tokens=len(book.tokens))
    )
    ctx.submitter = submitter
    ctx.strategy = StrategyConfig(weights=WeightsConfig(min_weight_bps=0))  # a leg per token
    fund_test_account(ctx, 10 * BUY_USDC, eth_wei=10**19)
    return ctx


def _roundtrip_ms(ctx: TradingContext, send: Callable[[UserOperation], object]) -> float:
    """Median wall time of `send` (send + wait for the receipt) over signed 10-leg buys."""
    times = []
    for _ in range(ROUNDTRIPS):
        preview = preview_buy(ctx, BUY_USDC // 10)
        assert ctx.signer is not None
        unsigned = UserOperation.from_rpc(preview.user_op)
        digest = user_op_hash(unsigned, entry_point=ctx.aa.entry_point, chain_id=ctx.chain.chain_id)
        op = unsigned.replace(signature=ctx.signer.sign_hash(digest))
        started = time.perf_counter()
        send(op)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _measure(chain: Chain, book: AddressBook, bundler_url: str, folder: Path) -> dict[str, float]:
    results: dict[str, float] = {}
    alto = BundlerClient(bundler_url, entry_point=book.contracts.entry_point,
                         chain_id=chain.chain_id, poll_interval_s=0.005)  # fmt: skip
    own = SelfBundler(chain, book.contracts.entry_point,
                      Transactor(chain, chain.accounts[SELF_BUNDLER_ACCOUNT]))  # fmt: skip
    with Journal(folder / "journal.sqlite") as journal:
        before = chain.snapshot()
        through_alto = confirm(
            (ctx := _context(chain, book, journal, "first", alto)), preview_buy(ctx, BUY_USDC)
        )
        results[f"bundler_buy_gas.{TOKENS}"] = through_alto.result.actual_gas_used
        results[f"bundler_bundle_tx_gas.{TOKENS}"] = through_alto.result.bundle_gas_used
        results[f"bundler_roundtrip_ms.{TOKENS}"] = round(
            _roundtrip_ms(ctx, lambda op: alto.submit(op, timeout_s=60)), 1
        )
        chain.revert_to(before)  # the very same state for the self-bundled buy
    with Journal(folder / "journal-self.sqlite") as journal:
        own.bundler.resync()
        ctx = _context(chain, book, journal, "first", own)
        self_bundled = confirm(ctx, preview_buy(ctx, BUY_USDC))
        results[f"first_buy_userop_gas.{TOKENS}.self"] = self_bundled.result.actual_gas_used
        results[f"bundler_overhead_gas.{TOKENS}"] = (
            through_alto.result.actual_gas_used - self_bundled.result.actual_gas_used
        )
        results[f"selfbundled_roundtrip_ms.{TOKENS}"] = round(
            _roundtrip_ms(ctx, lambda op: own.submit(op, timeout_s=60)), 1
        )
    alto.close()
    return results


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        previous = os.environ.get(HOME_ENV)
        os.environ[HOME_ENV] = home
        try:
            history = load_history(None, tokens=TOKENS)
            assets = select_assets(history, None, TOKENS)
            up = local_up(lambda: (assets, history.source_label, True))
            assert up.bundler is not None
            chain = connect_node(local_dir())
            try:
                _age(LocalMarket(chain, Transactor(chain, chain.accounts[0]), up.book))
                results = _measure(chain, up.book, up.bundler.url, Path(home))
            finally:
                chain.close()
        finally:
            local_down()
            if previous is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous
    for key, value in sorted(results.items()):
        print(f"   {key} {value:,}")
    return results
