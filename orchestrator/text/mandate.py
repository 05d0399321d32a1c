"""Text of a mandate change's preview and of a stored mandate."""

from __future__ import annotations

import datetime
import textwrap
from collections.abc import Sequence
from typing import Protocol

from orchestrator.service.models import AllowedPoolTerms, MandateView, Preview
from orchestrator.text.render import gas_lines, pct, usd

__all__ = ["duration_text", "mandate_preview_text", "mandate_view_text"]

SECONDS_PER = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}


class _Limits(Protocol):
    @property
    def max_slippage_bps(self) -> int: ...
    @property
    def min_interval_s(self) -> int: ...
    @property
    def twap_window_s(self) -> int: ...
    @property
    def loss_budget_usdc(self) -> int: ...
    @property
    def loss_window_s(self) -> int: ...
    @property
    def loss_cap_usdc(self) -> int: ...
    @property
    def batchable(self) -> bool: ...


def duration_text(seconds: int) -> str:
    """518400 -> '6d (518,400 s)'; 5400 -> '1h 30m (5,400 s)'; 45 -> '45 s'."""
    parts, rest = [], seconds
    for unit in ("d", "h", "m"):
        count, rest = divmod(rest, SECONDS_PER[unit])
        if count:
            parts.append(f"{count}{unit}")
    if not parts:
        return f"{seconds} s"
    return " ".join(parts + ([f"{rest}s"] if rest else [])) + f" ({seconds:,} s)"


def _when(timestamp_s: int) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp_s, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _limits_lines(m: _Limits) -> list[str]:
    window = duration_text(m.twap_window_s)
    return [
        f"  max slippage     {pct(m.max_slippage_bps)} per keeper trade, below the price now and"
        " the pool's recent average, whichever is better for you",
        f"  price guard      the keeper is refused while a pool's price moved more than "
        f"{pct(m.max_slippage_bps)} within {window}",
        f"  min interval     {duration_text(m.min_interval_s)} between two rebalances",
        f"  loss budget      {usd(m.loss_budget_usdc)} per {duration_text(m.loss_window_s)} "
        "(frees up linearly)",
        f"  loss cap         {usd(m.loss_cap_usdc)} in total under this mandate, however long it "
        "lasts (renew by signing a new one)",
        f"  at most          {usd(m.loss_cap_usdc)} can ever be lost to the keeper's trades under "
        "this mandate; your exit (sell, withdraw) is never limited",
        "  batching         "
        + (
            "yes: rebalanced in one transaction with other vaults, at one price per token, "
            "under these same limits"
            if m.batchable
            else "no: rebalanced in its own transaction"
        ),
    ]


def _allowed_lines(allowed: Sequence[AllowedPoolTerms]) -> list[str]:
    if not allowed:
        return ["  allowed tokens   none"]
    listed = ", ".join(f"{p.symbol} ({p.fee / 10_000:.2f}%)" for p in allowed)
    text = f"{len(allowed)}: {listed}"
    wrapped = textwrap.wrap(text, width=78) or [""]
    return [f"  allowed tokens   {wrapped[0]}"] + [f"                   {w}" for w in wrapped[1:]]


def mandate_preview_text(p: Preview, now_s: int) -> str:
    """The terms the owner is about to sign, the gas, and the warnings."""
    t = p.mandate
    if t is None:
        raise ValueError(f"preview {p.quote_id} is a {p.kind.value}, not a mandate change")
    expires = f"expires in {max(p.expires_at_s - now_s, 0)} s"
    head = (
        [f"Preview {p.quote_id} — set the keeper's mandate (epoch {t.epoch}), {expires}"]
        if t.action == "set"
        else [f"Preview {p.quote_id} — revoke the keeper, {expires}"]
    )
    lines = [*head, f"  vault            {p.vault}", f"  smart account    {p.owner}"]
    if t.action == "set":
        lines.append(f"  keeper           {t.keeper} (may only rebalance; never withdraw)")
        lines += _limits_lines(t) + _allowed_lines(t.allowed)
    elif t.keeper is None:
        lines.append("  keeper           none is set: there is nothing to revoke")
    else:
        lines.append(f"  keeper           {t.keeper}: loses its rights at once")
        lines.append(f"  kept, inert      the epoch {t.epoch} limits and allowlist, until a set")
    lines.append("  platform fee     none (nothing is swapped)")
    lines += gas_lines(p.gas)
    lines += [f"  ! {warning}" for warning in p.warnings]
    return "\n".join(lines)


def mandate_view_text(v: MandateView, now_s: int) -> str:
    """The stored mandate, the used loss budget and when the keeper may act next."""
    if not v.ever_set:
        return (
            f"Vault {v.vault}: no mandate yet, so no keeper can rebalance it\n"
            "  set one with `indexvault mandate set`"
        )
    keeper = v.keeper or "none (revoked): nobody may rebalance; the limits below are inert"
    lines = [f"Mandate of vault {v.vault} — epoch {v.epoch}", f"  keeper           {keeper}"]
    lines += _limits_lines(v) + _allowed_lines(v.allowed)
    lines.append(
        f"  loss used        {usd(v.loss_used_usdc)} of {usd(v.loss_budget_usdc)} this window; "
        f"{usd(v.loss_spent_usdc)} of the {usd(v.loss_cap_usdc)} cap in total "
        f"({usd(v.loss_available_usdc)} available now)"
    )
    if v.last_rebalance_s == 0:
        lines.append("  last rebalance   never")
    else:
        nxt = v.next_rebalance_at_s
        after = "any time" if nxt <= now_s else _when(nxt)
        lines.append(f"  last rebalance   {_when(v.last_rebalance_s)}; next allowed: {after}")
    return "\n".join(lines)
