"""Text rendering of previews, executions and holdings. Decimals only here, for display."""

from __future__ import annotations

import datetime
from decimal import Decimal

from orchestrator.service.models import (
    USDC_DECIMALS,
    WEI_PER_ETH,
    Execution,
    HoldingsView,
    LogRow,
    PnL,
    Preview,
    PreviewKind,
)


def units(amount: int, decimals: int) -> Decimal:
    return Decimal(amount).scaleb(-decimals)


def usd(amount_usdc: int) -> str:
    sign = "-" if amount_usdc < 0 else ""
    return f"{sign}${units(abs(amount_usdc), USDC_DECIMALS):,.2f}"


def gas_usd(amount_usdc: int) -> str:
    return usd(amount_usdc) if amount_usdc >= 10_000 else "< $0.01"


def eth(wei: int) -> str:
    return f"{Decimal(wei) / WEI_PER_ETH:.6f} ETH"


def pct(bps: int) -> str:
    return f"{bps / 100:.2f}%"


def amount(value: int, decimals: int) -> str:
    return f"{units(value, decimals):,.6f}".rstrip("0").rstrip(".")


def preview_text(p: Preview, now_s: int) -> str:
    lines = [
        f"Preview {p.quote_id} — {p.kind.value}, regime {p.regime}, "
        f"expires in {max(p.expires_at_s - now_s, 0)} s",
        f"  vault            {p.vault}",
        f"  smart account    {p.owner}",
    ]
    if p.kind is PreviewKind.BUY:
        lines.append(f"  you pay          {usd(p.usdc_amount)} USDC")
    elif p.kind is PreviewKind.SELL:
        lines.append(f"  selling          {pct(p.fraction_bps)} of every holding and of the cash")
    else:
        lines.append("  withdrawing      every token and the USDC, in kind (no swaps)")
    lines += [
        f"  platform fee     {usd(p.platform_fee_usdc)} ({p.fee_bps} bps)",
        f"  max slippage     {pct(p.max_slippage_bps)}"
        + (" (auto)" if p.slippage_is_auto else " (set by you)"),
        f"  price impact     {pct(p.price_impact_bps)} (value-weighted over {len(p.legs)} legs)",
        f"  expected value   {usd(p.expected_value_usdc)}"
        + ("  (USDC paid to you)" if p.kind is PreviewKind.SELL else ""),
        f"  minimum value    {usd(p.min_expected_value_usdc)}  (every leg at its min-out)",
    ]
    g = p.gas
    likely_usd = f" ≈ {gas_usd(g.likely_cost_usdc)}" if g.likely_cost_usdc is not None else ""
    max_usd = f" ≈ {gas_usd(g.max_cost_usdc)}" if g.max_cost_usdc is not None else ""
    lines += [
        f"  estimated gas    {g.likely_gas:,} gas, {eth(g.likely_cost_wei)}{likely_usd}",
        f"  at most          {g.max_gas:,} gas, {eth(g.max_cost_wei)}{max_usd}",
    ]
    if p.cash_usdc and p.kind is PreviewKind.BUY:
        lines.append(f"  kept as USDC     {usd(p.cash_usdc)}")
    if p.legs:
        lines.append("")
        lines.append(f"  {'leg':<10} {'amount in':>20} {'expected out':>22} {'min out':>22} impact")
        for leg in p.legs[:25]:
            lines.append(
                f"  {leg.symbol:<10} {amount(leg.amount_in, leg.in_decimals):>20} "
                f"{amount(leg.expected_out, leg.out_decimals):>22} "
                f"{amount(leg.min_out, leg.out_decimals):>22} {pct(leg.price_impact_bps)}"
                + ("" if leg.impact_tier.value == "ok" else f" {leg.impact_tier.value}")
            )
        if len(p.legs) > 25:
            lines.append(f"  … and {len(p.legs) - 25} more legs")
    for warning in p.warnings:
        lines.append(f"  ! {warning}")
    return "\n".join(lines)


def execution_text(e: Execution) -> str:
    head = "already confirmed before: nothing sent again; " if e.already_done else ""
    lines = [
        f"{head}done: user operation {e.user_op_hash} in block {e.block_number} "
        f"(tx {e.transaction_hash})",
        f"  gas used {e.actual_gas_used:,} (estimated {e.estimated_gas:,}), "
        f"paid {eth(e.actual_gas_cost_wei)}",
    ]
    short = [f for f in e.fills if f.amount_out < f.min_out]
    if e.fills:
        worst = min(
            ((f.amount_out - f.min_out) * 10_000 // max(f.min_out, 1), f.symbol) for f in e.fills
        )
        lines.append(
            f"  {len(e.fills)} legs filled, each at or above its min-out "
            f"(closest: {worst[1]} {pct(worst[0])} above)"
            if not short
            else f"  {len(short)} legs below min-out (should be impossible)"
        )
    return "\n".join(lines)


def holdings_text(h: HoldingsView, limit: int = 30) -> str:
    if not h.exists:
        return f"no vault yet (it will be {h.vault}); buy to create it"
    lines = [
        f"Vault {h.vault} — NAV {usd(h.nav_usdc)}, cash {usd(h.cash_usdc)} USDC, "
        f"regime {h.regime}, tracking error {pct(h.tracking_error_bps())}",
        f"  {'token':<10} {'amount':>24} {'value':>16} {'weight':>8} {'target':>8}",
    ]
    for row in h.rows[:limit]:
        lines.append(
            f"  {row.symbol:<10} {amount(row.amount, row.decimals):>24} "
            f"{usd(row.value_usdc):>16} {pct(row.weight_bps):>8} {pct(row.target_bps):>8}"
        )
    if len(h.rows) > limit:
        lines.append(f"  … and {len(h.rows) - limit} more")
    return "\n".join(lines)


def pnl_text(r: PnL, eth_price_usdc: int | None) -> str:
    gas_usd = f" ≈ {usd(r.gas_paid_wei * eth_price_usdc // WEI_PER_ETH)}" if eth_price_usdc else ""
    return "\n".join(
        [
            f"equity           {usd(r.equity_usdc)} (holdings {usd(r.market_value_usdc)} "
            f"+ cash {usd(r.cash_usdc)})",
            f"deposited        {usd(r.deposits_usdc)}",
            f"withdrawn        {usd(r.withdrawals_usdc)}",
            f"cost basis       {usd(r.cost_basis_usdc)} (average cost, open positions)",
            f"realised P&L     {usd(r.realised_pnl_usdc)}",
            f"unrealised P&L   {usd(r.unrealised_pnl_usdc)} (at pool mid prices)",
            f"platform fees    {usd(r.fees_usdc)}",
            f"net P&L          {usd(r.net_pnl_usdc)} (realised + unrealised - fees)",
            f"gas paid         {eth(r.gas_paid_wei)}{gas_usd} (not in net P&L)",
        ]
    )


def log_text(rows: list[LogRow]) -> str:
    if not rows:
        return "no transactions yet"
    lines = [f"{'time (UTC)':<19} {'kind':<14} {'USDC':>14} {'legs':>5} {'fee':>10}  tx"]
    for row in rows:
        when = datetime.datetime.fromtimestamp(row.time_s, datetime.UTC).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        amount_text = usd(row.usdc_amount) if row.usdc_amount is not None else "-"
        tx = (row.tx_hash or row.quote_id or "")[:18]
        lines.append(
            f"{when:<19} {row.kind:<14} {amount_text:>14} {row.legs:>5} {usd(row.fee_usdc):>10}  "
            f"{tx} {row.detail}".rstrip()
        )
    return "\n".join(lines)
