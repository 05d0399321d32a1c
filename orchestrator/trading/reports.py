"""P&L, the transaction log and the treemap for the owner's vault, from chain events
(authoritative) and the journal (gas, previews that never reached the chain)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from eth_utils.address import to_checksum_address

from orchestrator.domain.prices import token_is_token0
from orchestrator.ledger import (
    LogRow,
    PnL,
    Price,
    group_actions,
    holdings_tiles,
    pnl,
    read_log,
    read_vault_events,
    render_treemap,
    replay,
)
from orchestrator.preview.model import Preview
from orchestrator.trading.context import TradingContext
from orchestrator.trading.reads import mid_prices


def first_block(ctx: TradingContext) -> int:
    """Where the vault's history starts: the block of the first operation the journal saw
    for it (the vault is created by its first buy), else the chain's start. Scanning logs
    from block 0 is what made the demo's P&L take a minute on eth-tester."""
    blocks = [
        e.receipt.block_number
        for e in ctx.journal.entries(vault=ctx.vault_address())
        if e.receipt is not None
    ]
    return min(blocks, default=0)


def withdrawal_values(ctx: TradingContext) -> dict[tuple[str, str], int]:
    """What each token withdrawn in kind through the journal was worth when it left: the
    confirmed withdrawal preview's mid value, keyed by its transaction."""
    values: dict[tuple[str, str], int] = {}
    for entry in ctx.journal.entries(vault=ctx.vault_address()):
        receipt = entry.receipt
        if entry.preview.kind != "withdraw" or receipt is None or not receipt.success:
            continue
        shown = Preview.model_validate_json(entry.preview.preview_json)
        for out in shown.outflows:
            values[(receipt.tx_hash.lower(), to_checksum_address(out.token))] = out.value_usdc
    return values


def vault_pnl(ctx: TradingContext) -> PnL:
    """Average-cost P&L at the pools' current mid prices; gas from the journal (wei)."""
    vault = ctx.vault_address()
    usdc = ctx.book.contracts.usdc
    actions = []
    if ctx.vault_exists():
        events = read_vault_events(ctx.chain, vault, from_block=first_block(ctx))
        actions = group_actions(events)
    book = replay(actions, usdc=usdc, withdrawal_values=withdrawal_values(ctx))
    refs = ctx.tokens()
    sqrt_prices = mid_prices(ctx.chain, ctx.book, refs)
    prices = {}
    for ref in refs:
        square = sqrt_prices[ref.symbol] ** 2
        # pool price = token1 per token0 in raw units = sqrtP^2 / 2^192
        if token_is_token0(ref.address, usdc):
            prices[ref.address] = Price(square, 2**192)
        else:
            prices[ref.address] = Price(2**192, square)
    return pnl(book, prices, gas_paid_wei=ctx.journal.gas_paid_wei(ctx.account.address))


def vault_log(ctx: TradingContext) -> list[LogRow]:
    if not ctx.vault_exists():
        return []
    names = {t.address: (t.symbol, t.decimals) for t in ctx.tokens()}
    return read_log(
        ctx.chain, ctx.journal, ctx.vault_address(), from_block=first_block(ctx), tokens=names
    )


def draw_treemap(ctx: TradingContext, report: PnL, path: Path) -> Path:
    """The vault's holdings at mid prices; the title says whose, how much, when (the chain
    clock) and, on a synthetic market, that its prices are not real ones."""
    symbols = {t.address: t.symbol for t in ctx.book.tokens}
    vault = ctx.vault_address()
    when = datetime.datetime.fromtimestamp(ctx.chain.timestamp(), tz=datetime.UTC)
    nav = f"${Decimal(report.equity_usdc).scaleb(-6):,.2f}"
    title = (
        f"Vault {vault[:6]}…{vault[-4:]}: NAV {nav} at mid prices, "
        f"{when:%Y-%m-%d %H:%M} UTC (chain clock)"
    )
    if ctx.book.market_is_synthetic:
        source = ctx.book.market_source.replace("synthetic", "SYNTHETIC market", 1)
        title += f"\n{source}: generated prices, not real ones"
    return render_treemap(holdings_tiles(report, symbols), path, title=title)
