"""`indexvault demo`: the embedded chain, a real Uniswap V3 market, one swap, a pool table."""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Annotated

import typer

from orchestrator import service
from orchestrator.cli.app import app
from orchestrator.cli.output import JsonOpt, emit
from orchestrator.service.models import format_pool_table

MarketDataOption = Annotated[
    Path | None,
    typer.Option("--market-data", help="A market snapshot CSV (default: the synthetic market)."),
]
DateOption = Annotated[
    datetime.datetime | None,
    typer.Option("--date", formats=["%Y-%m-%d"], help="Snapshot date (default: the latest)."),
]


@app.command("market")
def market_show(
    market_data: MarketDataOption = None,
    date: DateOption = None,
    tokens: Annotated[int, typer.Option(min=1, max=500, help="How many tokens to list.")] = 100,
    chain: Annotated[str, typer.Option(help="eth_tester (embedded) or anvil.")] = "eth_tester",
    swap_usd: Annotated[int, typer.Option(min=1, help="Size of the demo swap, in USD.")] = 1_000,
    address_book: Annotated[
        Path | None, typer.Option(help="Also write the address book here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build a local market from a snapshot, show its pools, and make one real swap."""
    started = time.perf_counter()
    market = service.open_local_market(
        chain_target=chain,
        market_data=market_data,
        date=date.date() if date else None,
        tokens=tokens,
        progress=(lambda msg: None) if as_json else (lambda msg: typer.echo(f"· {msg}")),
    )
    try:
        book = market.book
        if as_json:
            top = book.tokens[0]
            market.fund_usdc(market.deployer.address, swap_usd * 10**6)
            swap = market.buy_token_with_usdc(top.symbol, swap_usd * 10**6)
            if address_book is not None:
                book.save(address_book)
            emit("market", {
                "chain": book.chain, "chain_id": book.chain_id, "tokens": len(book.tokens),
                "source": book.market_source, "synthetic": book.market_is_synthetic,
                "market_date": book.market_date, "pools": market.pool_rows(), "swap": swap,
            })  # fmt: skip
            return
        label = " (SYNTHETIC data)" if book.market_is_synthetic else ""
        typer.echo(
            f"\nMarket on {book.chain} (chain id {book.chain_id}): {len(book.tokens)} tokens, "
            f"{book.market_source}{label}, snapshot {book.market_date}, "
            f"deployed in {time.perf_counter() - started:.1f} s"
        )
        if address_book is not None:
            book.save(address_book)
            typer.echo(f"address book written to {address_book}")

        typer.echo("\nPools as deployed (price vs the snapshot's):\n")
        typer.echo(format_pool_table(market.pool_rows()))

        top = book.tokens[0]
        amount = swap_usd * 10**6
        market.fund_usdc(market.deployer.address, amount)
        outcome = market.buy_token_with_usdc(top.symbol, amount)
        received = service.usd(outcome.received_out, top.decimals)
        typer.echo(
            f"\nSwap via SwapRouter02: {service.usd(amount, 6):,} USDC -> {received} "
            f"{top.symbol} (QuoterV2 quoted {service.usd(outcome.quoted_out, top.decimals)}; "
            f"gas {outcome.gas_used:,})"
        )
    finally:
        market.close()


@app.command()
def demo(
    market_data: MarketDataOption = None,
    tokens: Annotated[int, typer.Option(min=1, max=500, help="How many tokens to list.")] = 100,
    out_dir: Annotated[Path, typer.Option(help="Journal and treemap go here.")] = Path(
        "demo-output"
    ),
    year_tokens: Annotated[
        int, typer.Option(min=0, max=100, help="Tokens in the simulated year (0 skips it).")
    ] = 20,
    year_weeks: Annotated[
        int, typer.Option(min=1, max=155, help="Weekly keeper runs in the simulated year.")
    ] = 52,
    year_chain: Annotated[
        str, typer.Option(help="The year's chain: anvil (spawned) or eth_tester (slow).")
    ] = "anvil",
    as_json: JsonOpt = False,
) -> None:
    """The whole story on the embedded chain: wallet, $10,000 buy, holdings, sell 50%, P&L;
    then a year of the keeper in fast-forward, managed vs passive (real weekly prices when
    ../shared/data/market/ is present, SYNTHETIC otherwise)."""
    from orchestrator.demo.story import run_demo

    lines: list[str] = []
    run_demo(
        tokens=tokens, market_data=market_data, out_dir=out_dir,
        echo=lines.append if as_json else typer.echo,
        year_tokens=year_tokens, year_weeks=year_weeks, year_chain=year_chain,
    )  # fmt: skip
    if as_json:  # the story is prose: its lines, and where its files went
        emit("demo", {"out_dir": out_dir, "lines": "\n".join(lines).splitlines()})
