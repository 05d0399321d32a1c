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

from orchestrator import service
from orchestrator.demo.year import check_year_size, run_year, year_data
from orchestrator.errors import SetupError
from orchestrator.service.models import ONE_USDC, Bps, UsdcUnits, Wei, usdc_units
from orchestrator.text.render import (
    execution_text,
    holdings_text,
    log_text,
    pnl_text,
    preview_text,
)

USDC = ONE_USDC
DEMO_BUY_USDC = usdc_units(10_000 * USDC)
WEEK_S = 7 * 24 * 3600
PASSWORD = "demo password: not for real funds"  # noqa: S105 - a scratch keystore's


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
    market = service.open_local_market(
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
        info = service.wallets.keystore(home / "keystores").create("demo", PASSWORD)
        signer = service.wallets.keystore_signer(
            "demo", lambda: PASSWORD, directory=home / "keystores"
        )
        echo(f"\n2. Wallet 'demo' created: owner key {info.owner} (keystore in {home})")
        out_dir.mkdir(parents=True, exist_ok=True)
        history = service.load_history(market_data, tokens=tokens)
        with market.session(signer, journal=out_dir / "journal.sqlite", history=history) as me:
            account = me.fund(usdc_units(2 * buy_usdc), eth_wei=Wei(10**18))
            echo(
                f"   smart account {account} (counterfactual until its first "
                f"operation), funded with {2 * buy_usdc // USDC:,} test USDC and 1 ETH"
            )
            echo("\n3. Preview: buy $10,000 of the index")
            preview = me.preview_buy(buy_usdc)
            echo(preview_text(preview, int(time.time())))
            echo("\n   confirmed (the demo answers yes) → re-quote → one user operation")
            echo(execution_text(me.confirm(preview)))

            echo("\n4. Holdings")
            echo(holdings_text(me.holdings(), limit=15))
            treemap = me.draw_treemap(out_dir / "treemap.png")
            echo(f"   treemap: {treemap}")

            echo("\n5. A week passes; another trader moves prices")
            market.advance(WEEK_S)
            symbols = [t.symbol for t in book.tokens[:6]]
            moves = dict(zip(symbols, [800, 1200, -600, 500, -900, 300], strict=False))
            market.push_prices(moves)
            echo("   " + ", ".join(f"{s} {m / 100:+.0f}% pressure" for s, m in moves.items()))

            echo("\n6. Preview: sell 50% to USDC")
            sale = me.preview_sell(Bps(5_000))
            echo(preview_text(sale, int(time.time())))
            echo(execution_text(me.confirm(sale)))

            echo("\n7. P&L")
            echo(pnl_text(me.pnl(), me.eth_price_usdc()))
            echo("\n8. Transaction log")
            echo(log_text(me.log()))
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
