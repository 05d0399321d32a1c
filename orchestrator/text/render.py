"""Text rendering of previews, executions and holdings. Decimals only here, for display."""

from __future__ import annotations

import datetime
from decimal import Decimal

from orchestrator.service.models import (
    USDC_DECIMALS,
    WEI_PER_ETH,
    AccountBalances,
    Execution,
    GasPreview,
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


def _maybe_pct(bps: int | None) -> str:
    return "n/a" if bps is None else pct(bps)


def amount(value: int, decimals: int) -> str:
    return f"{units(value, decimals):,.6f}".rstrip("0").rstrip(".")


def cents(amount_usdc: int) -> int:
    """USDC base units to whole cents, half away from zero (display only)."""
    sign = -1 if amount_usdc < 0 else 1
    return sign * ((abs(amount_usdc) + 5_000) // 10_000)


def usd_cents(value_cents: int) -> str:
    sign = "-" if value_cents < 0 else ""
    return f"{sign}${Decimal(abs(value_cents)).scaleb(-2):,.2f}"


def gwei(wei: int) -> str:
    return f"{Decimal(wei).scaleb(-9):,.3f} gwei"


def _fee_tiers(p: Preview) -> str:
    tiers = sorted({leg.pool_fee for leg in p.legs})
    return ", ".join(f"{t / 10_000:.2f}%" for t in tiers) or "none"


def _reconciled(p: Preview) -> list[str]:
    """Where the money goes, in cents that add up exactly on the page (the impact line is
    what is left once the others are rounded; it is at most a cent off its exact value)."""
    impact_note = f"{pct(p.price_impact_bps)} value-weighted over {len(p.legs)} legs"
    pools = f"Uniswap LP fees, {_fee_tiers(p)} of each leg"
    fee = cents(p.platform_fee_usdc)
    pool, expected = cents(p.pool_fees_usdc), cents(p.expected_value_usdc)
    if p.kind is PreviewKind.BUY:
        paid = cents(p.usdc_amount)
        impact = paid - fee - pool - expected
        return [
            f"  you pay          {usd_cents(paid)} USDC",
            f"  - platform fee   {usd_cents(fee)} ({p.fee_bps} bps)",
            f"  - pool fees      {usd_cents(pool)} ({pools})",
            f"  - price impact   {usd_cents(impact)} ({impact_note})",
            f"  = expected value {usd_cents(expected)} (holdings at mid prices"
            + (f", {usd(p.cash_usdc)} kept as USDC)" if p.cash_usdc else ")"),
        ]
    at_mid = cents(p.value_at_mid_usdc)
    impact = at_mid - pool - fee - expected
    return [
        f"  selling          {pct(p.fraction_bps)} of every holding and of the cash",
        f"  value at mid     {usd_cents(at_mid)}",
        f"  - pool fees      {usd_cents(pool)} ({pools})",
        f"  - price impact   {usd_cents(impact)} ({impact_note})",
        f"  - platform fee   {usd_cents(fee)} ({p.fee_bps} bps)",
        f"  = expected value {usd_cents(expected)} (USDC paid to you)",
    ]


def gas_lines(g: GasPreview) -> list[str]:
    """Gas units x price (gwei) = ETH ≈ USD, likely and at most, and the ETH/USD rate used."""

    def cost(usdc: int | None) -> str:
        return f" ≈ {gas_usd(usdc)}" if usdc is not None else ""

    lines = [
        f"  gas, likely      {g.likely_gas:,} gas × {gwei(g.likely_fee_per_gas_wei)} = "
        f"{eth(g.likely_cost_wei)}{cost(g.likely_cost_usdc)}",
        f"  gas, at most     {g.max_gas:,} gas × {gwei(g.max_fee_per_gas_wei)} = "
        f"{eth(g.max_cost_wei)}{cost(g.max_cost_usdc)}",
    ]
    if g.eth_price_usdc is not None:
        source = f" ({g.eth_price_source})" if g.eth_price_source else ""
        lines.append(f"  ETH/USD          {usd(g.eth_price_usdc)}{source}")
    else:
        lines.append("  ETH/USD          unknown on this network (no USD cost shown)")
    return lines


def preview_text(p: Preview, now_s: int) -> str:
    lines = [
        f"Preview {p.quote_id} — {p.kind.value}, regime {p.regime}, "
        f"expires in {max(p.expires_at_s - now_s, 0)} s",
        f"  vault            {p.vault}",
        f"  smart account    {p.owner}",
    ]
    if p.kind is PreviewKind.SEND and p.transfer is not None:
        t = p.transfer
        value = f" ≈ {usd(t.value_usdc)}" if t.value_usdc is not None else ""
        lines += [
            f"  sending          {amount(t.amount, t.decimals)} {t.symbol}{value}",
            f"  to               {t.to}" + (" (a contract)" if t.to_is_contract else ""),
            f"  from balance     {amount(t.balance, t.decimals)} {t.symbol} "
            f"(left: {amount(t.balance - t.amount, t.decimals)} {t.symbol})",
            "  as               an ERC-20 transfer by your smart account (one user operation)",
        ]
    elif p.kind is PreviewKind.WITHDRAW:
        lines.append("  withdrawing      every token and the USDC, in kind (no swaps, no fee)")
        lines.append(f"  value at mid     {usd(p.expected_value_usdc)}")
        for out in p.outflows:
            lines.append(
                f"    {out.symbol:<10} {amount(out.amount, out.decimals):>24} "
                f"{usd(out.value_usdc):>16}"
            )
    else:
        lines += _reconciled(p)
        lines += [
            f"  minimum value    {usd(p.min_expected_value_usdc)}  (every leg at its min-out)",
            f"  max slippage     {pct(p.max_slippage_bps)} per leg"
            + (" (auto)" if p.slippage_is_auto else " (set by you)"),
        ]
    lines += gas_lines(p.gas)
    if p.legs:
        lines.append("")
        lines.append(
            f"  {'leg':<10} {'amount in':>20} {'expected out':>22} {'min out':>22} pool fee  impact"
        )
        for leg in p.legs[:25]:
            lines.append(
                f"  {leg.symbol:<10} {amount(leg.amount_in, leg.in_decimals):>20} "
                f"{amount(leg.expected_out, leg.out_decimals):>22} "
                f"{amount(leg.min_out, leg.out_decimals):>22} "
                f"{leg.pool_fee / 10_000:>7.2f}%  {pct(leg.price_impact_bps)}"
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


def balances_text(b: AccountBalances) -> str:
    """The smart account and the vault: every token held, its amount and USD value."""
    lines = []
    for label, h in (("smart account", b.smart_account), ("vault", b.vault)):
        state = "" if h.exists else " (not deployed yet)"
        gas = ""
        if label == "smart account":
            price = b.eth_price_usdc
            in_usd = f" ≈ {usd(h.eth_wei * price // WEI_PER_ETH)}" if price else ""
            gas = f", {eth(h.eth_wei)} for gas{in_usd}"
        lines.append(f"{label:<14} {h.address}{state}: {usd(h.total_usdc)} in tokens{gas}")
        if not h.tokens:
            lines.append("  (no tokens)")
        for row in h.tokens:
            held = amount(row.amount, row.decimals)
            lines.append(f"  {row.symbol:<10} {held:>26} {usd(row.value_usdc):>16}")
    lines.append(f"values at the {b.price_source}")
    return "\n".join(lines)


def holdings_text(h: HoldingsView, limit: int = 30) -> str:
    if not h.exists:
        return f"no vault yet (it will be {h.vault}); buy to create it"
    lines = [
        f"Vault {h.vault} — NAV {usd(h.nav_usdc)}, cash {usd(h.cash_usdc)} USDC, "
        f"regime {h.regime}, tracking error {_maybe_pct(h.tracking_error_bps())} "
        "(prices now, targets of the market's date)",
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
    lines = [
        f"{'time (UTC, chain clock)':<23} {'kind':<14} {'USDC':>14} {'legs':>5} {'fee':>10}  "
        "transaction"
    ]
    for row in rows:
        when = datetime.datetime.fromtimestamp(row.time_s, datetime.UTC).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        amount_text = usd(row.usdc_amount) if row.usdc_amount is not None else "-"
        tx = row.tx_hash or (f"quote {row.quote_id}" if row.quote_id else "")
        lines.append(
            f"{when:<23} {row.kind:<14} {amount_text:>14} {row.legs:>5} {usd(row.fee_usdc):>10}  "
            f"{tx}" + (f"\n{'':<23} {row.detail}" if row.detail else "")
        )
    return "\n".join(lines)
