"""`make demo`: the whole story on the embedded chain, in one process.

Build a market from a snapshot → create a wallet (a keystore in a scratch home) → fund its
smart account with test USDC → preview and buy $10,000 of the index in one user operation
→ holdings and a treemap → a week passes and prices move (real swaps by another trader)
→ sell 50% to USDC → P&L and the transaction log → a year of the keeper in fast-forward,
managed vs passive (demo_year.py; `year_tokens=0` skips it)."""

from __future__ import annotations

import datetime
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from orchestrator.chain import Transactor
from orchestrator.chain.uniswap import QuoteRequest, swap_exact_input_single
from orchestrator.demo.year import check_year_size, run_year, year_data
from orchestrator.domain.units import ONE_USDC, Bps, UsdcUnits, usdc_units
from orchestrator.errors import SetupError
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket.addressbook import TokenEntry
from orchestrator.service import (
    LocalMarket,
    fund_test_account,
    load_history,
    open_local_market,
    trading_context,
)
from orchestrator.text.render import (
    execution_text,
    holdings_text,
    log_text,
    pnl_text,
    preview_text,
)
from orchestrator.trading.confirm import confirm
from orchestrator.trading.holdings import holdings
from orchestrator.trading.previews import preview_buy, preview_sell
from orchestrator.trading.reports import draw_treemap, vault_log, vault_pnl
from orchestrator.wallet.keystore import Keystore

USDC = ONE_USDC
DEMO_BUY_USDC = usdc_units(10_000 * USDC)
WEEK_S = 7 * 24 * 3600


def move_prices(market: LocalMarket, moves_bps: dict[str, int]) -> None:
    """Another trader swaps against the pools: a positive move buys the token with USDC
    (its price rises), a negative one sells freshly minted tokens (it falls). Sizes are
    a share of the pool's seeded depth, so the move is roughly `moves_bps`."""
    trader = Transactor(market.chain, market.chain.accounts[6])
    market.deployer.resync()  # other code sent from the deployer's key since
    c = market.book.contracts
    for symbol, move in moves_bps.items():
        token: TokenEntry = market.book.token(symbol)
        depth_usdc = int(token.seeded_depth_usd) * USDC // 2
        size_usdc = depth_usdc * abs(move) // 20_000
        if move > 0:
            market.fund_usdc(trader.address, size_usdc)
            request = QuoteRequest(c.usdc, token.address, token.fee, size_usdc)
        else:
            amount = size_usdc * 10**token.decimals // int(token.snapshot_price_usd * USDC)
            erc20 = market.chain.contract("TestToken", token.address)
            market.deployer.send(erc20.functions.mint(trader.address, amount), gas=100_000)
            request = QuoteRequest(token.address, c.usdc, token.fee, amount)
        swap_exact_input_single(trader, c.swap_router02, request, amount_out_min=0)


def run_demo(
    *,
    tokens: int = 100,
    market_data: Path | None = None,
    buy_usdc: UsdcUnits = DEMO_BUY_USDC,
    out_dir: Path = Path("demo-output"),
    echo: Callable[[str], None] = print,
    year_tokens: int = 20,
    year_weeks: int = 52,
    year_chain: str = "anvil",
) -> None:
    started = time.perf_counter()
    check_year_size(year_tokens, year_weeks)  # before the story, not 70 s into it
    market = open_local_market(
        market_data=market_data, tokens=tokens, progress=lambda m: echo(f"· {m}")
    )
    try:
        book = market.book
        synthetic = " (SYNTHETIC prices)" if book.market_is_synthetic else ""
        echo(
            f"\n1. Market: {len(book.tokens)} Uniswap V3 pools on {book.chain}, "
            f"{book.market_source}{synthetic}, snapshot {book.market_date} "
            f"({time.perf_counter() - started:.0f} s)"
        )
        home = Path(tempfile.mkdtemp(prefix="indexvault-demo-"))
        keystore = Keystore(home / "keystores")
        info = keystore.create("demo", "demo password: not for real funds")
        owner = keystore.unlock("demo", "demo password: not for real funds")
        echo(f"\n2. Wallet 'demo' created: owner key {info.owner} (keystore in {home})")
        out_dir.mkdir(parents=True, exist_ok=True)
        with Journal(out_dir / "journal.sqlite") as journal:
            history = load_history(market_data, tokens=tokens)
            ctx = trading_context(market.chain, book, owner, journal=journal, history=history)
            fund_test_account(ctx, 2 * buy_usdc, eth_wei=10**18)
            echo(
                f"   smart account {ctx.account.address} (counterfactual until its first "
                f"operation), funded with {2 * buy_usdc // USDC:,} test USDC and 1 ETH"
            )
            echo("\n3. Preview: buy $10,000 of the index")
            preview = preview_buy(ctx, buy_usdc)
            echo(preview_text(preview, int(time.time())))
            echo("\n   confirmed (the demo answers yes) → re-quote → one user operation")
            echo(execution_text(confirm(ctx, preview)))

            echo("\n4. Holdings")
            echo(holdings_text(holdings(ctx), limit=15))
            treemap = draw_treemap(ctx, vault_pnl(ctx), out_dir / "treemap.png")
            echo(f"   treemap: {treemap}")

            echo("\n5. A week passes; another trader moves prices")
            market.chain.increase_time(WEEK_S)
            symbols = [t.symbol for t in book.tokens[:6]]
            moves = dict(zip(symbols, [800, 1200, -600, 500, -900, 300], strict=False))
            move_prices(market, moves)
            echo("   " + ", ".join(f"{s} {m / 100:+.0f}% pressure" for s, m in moves.items()))

            echo("\n6. Preview: sell 50% to USDC")
            sale = preview_sell(ctx, Bps(5_000))
            echo(preview_text(sale, int(time.time())))
            echo(execution_text(confirm(ctx, sale)))

            echo("\n7. P&L")
            echo(pnl_text(vault_pnl(ctx), ctx.eth_price_usdc()))
            echo("\n8. Transaction log")
            echo(log_text(vault_log(ctx)))
        if year_tokens > 0:
            echo(f"\n9. A year in fast-forward: the keeper vs buying once ({year_tokens} tokens, "
                 f"{year_weeks} weekly runs, on {year_chain})")  # fmt: skip
            try:
                run_year(
                    market_data=year_data(market_data), tokens=year_tokens, weeks=year_weeks,
                    out_dir=out_dir, echo=echo, chain_target=year_chain,
                )  # fmt: skip
            except SetupError as error:
                echo(f"   skipped: {error} ({error.hint})")
        echo(
            f"\nDone in {time.perf_counter() - started:.0f} s on {book.chain}; journal "
            f"{out_dir / 'journal.sqlite'}, treemap {out_dir / 'treemap.png'} "
            f"({datetime.date.today().isoformat()})"
        )
    finally:
        market.close()
