"""Confirm a preview: check it, re-quote, sign, journal, submit once, record the fills.

Order matters for "never twice": the journal's submission row (unique per quote id) is
written before the op is broadcast; a crash after that leaves a row that `reconcile`
settles from the chain, and the EntryPoint's nonce makes the op executable only once."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.chain.vault_binding import SWAPPED
from orchestrator.domain.legs import Direction, FilledLeg, PlannedLeg, TokenRef
from orchestrator.domain.units import TokenUnits
from orchestrator.errors import (
    AccountMoved,
    ContractReverted,
    IndexVaultError,
    InputError,
    OperationReverted,
    PreviewExpired,
    PriceUpdated,
    UserOpNotSent,
)
from orchestrator.execution.userop_result import UserOpResult
from orchestrator.ledger.reconcile import revert_text
from orchestrator.preview.model import Preview, PreviewKind
from orchestrator.trading.context import TradingContext
from orchestrator.trading.reads import quote_legs
from orchestrator.wallet.userop import UserOperation
from orchestrator.wallet.userop_signing import sign_user_op


@dataclass(frozen=True)
class Execution:
    preview: Preview
    result: UserOpResult
    fills: tuple[FilledLeg, ...]
    already_done: bool = False  # the quote id had been confirmed before: nothing re-sent


def _planned_again(ctx: TradingContext, preview: Preview) -> list[PlannedLeg]:
    refs: dict[str, TokenRef] = {t.symbol: t for t in ctx.tokens()}
    return [
        PlannedLeg(refs[leg.symbol], Direction(leg.direction), leg.amount_in, leg.target_bps)
        for leg in preview.legs
    ]


def requote(ctx: TradingContext, preview: Preview) -> None:
    """Raise PriceUpdated if any leg's fresh quote is below its reviewed min-out."""
    fresh = quote_legs(ctx.chain, ctx.book, _planned_again(ctx, preview))
    moved = [
        (leg.symbol, int(q.quoted_out), int(leg.min_out))
        for leg, q in zip(preview.legs, fresh, strict=True)
        if q.quoted_out < leg.min_out
    ]
    if moved:
        raise PriceUpdated(preview.quote_id, moved)


def _check(ctx: TradingContext, preview: Preview, accept_high_impact: bool) -> None:
    now = int(ctx.wall_clock())
    if now > preview.expires_at_s:
        raise PreviewExpired(
            preview.quote_id, expires_at_s=preview.expires_at_s, confirmed_at_s=now
        )
    if preview.chain_id != ctx.chain.chain_id:
        raise InputError(
            f"preview {preview.quote_id} is for chain {preview.chain_id}, this is "
            f"{ctx.chain.chain_id}",
            hint="Preview again on this network.",
        )
    if preview.blocked:
        raise InputError(
            "a leg's price impact is 15% or more: refused",
            hint="Buy less, or preview again with --force if you really mean it.",
        )
    if preview.needs_explicit_confirmation and not accept_high_impact:
        raise InputError(
            "a leg's price impact is 10% or more: it must be confirmed explicitly",
            hint="Confirm with --accept-impact after reading the preview.",
        )


def fills_from(preview: Preview, result: UserOpResult, vault: str) -> tuple[FilledLeg, ...]:
    """Per leg: what the vault's `Swapped` events say it received, next to the min-out."""
    got: dict[str, tuple[int, int]] = {}
    for log in result.logs:
        if log.address.lower() != vault.lower() or not log.topics:
            continue
        if log.topics[0].lower() != SWAPPED.topic_hex or len(log.topics) < 3:
            continue
        token_in = "0x" + log.topics[1][-40:]
        token_out = "0x" + log.topics[2][-40:]
        amount_in = int.from_bytes(log.data[:32], "big")
        amount_out = int.from_bytes(log.data[32:64], "big")
        token = token_out if preview.kind is PreviewKind.BUY else token_in
        got[token.lower()] = (amount_in, amount_out)
    fills = []
    for leg in preview.legs:
        amount_in, amount_out = got.get(leg.token.lower(), (0, 0))
        fills.append(
            FilledLeg(
                token=leg.token,
                symbol=leg.symbol,
                amount_in=TokenUnits(amount_in),
                min_out=leg.min_out,
                amount_out=TokenUnits(amount_out),
            )
        )
    return tuple(fills)


def confirm(
    ctx: TradingContext, preview: Preview, *, accept_high_impact: bool = False
) -> Execution:
    """Submit the previewed op once. A quote id confirmed before returns its recorded
    outcome (settled from the chain if the earlier process died) and sends nothing."""
    existing = ctx.journal.submission(preview.quote_id)
    if existing is not None:
        return _already(ctx, preview)
    _check(ctx, preview, accept_high_impact)
    requote(ctx, preview)
    op = UserOperation.from_rpc(preview.user_op)
    nonce = ctx.account.nonce(ctx.chain)
    if nonce != op.nonce:
        raise AccountMoved(preview.quote_id, previewed_nonce=op.nonce, nonce=nonce)
    signed = sign_user_op(
        op, ctx.owner, entry_point=ctx.aa.entry_point, chain_id=ctx.chain.chain_id
    )
    now = int(ctx.wall_clock())
    ctx.journal.record_confirmation(preview.quote_id, now)
    ctx.journal.begin_submission(
        preview.quote_id, preview.user_op_hash, op.sender, op.nonce, None, now
    )
    try:
        result = ctx.submitter.submit(signed)
    except ContractReverted as error:  # rejected by the bundler/EntryPoint: not included
        ctx.journal.mark_dropped(preview.quote_id, f"rejected before inclusion: {error}")
        raise
    except UserOpNotSent as error:  # the bundler was unreachable: nothing left this process
        ctx.journal.mark_dropped(preview.quote_id, f"not sent: {error}")
        raise
    except IndexVaultError:
        raise  # unknown outcome (RPC down...): the row stays open for reconcile
    return _settle(ctx, preview, result)


def _settle(ctx: TradingContext, preview: Preview, result: UserOpResult) -> Execution:
    reason = revert_text(result)
    ctx.journal.record_receipt(
        preview.quote_id,
        result.transaction_hash,
        result.block_number,
        result.success,
        result.actual_gas_used,
        result.actual_gas_cost_wei,
        reason,
    )
    fills = fills_from(preview, result, preview.vault) if result.success else ()
    if fills:
        ctx.journal.record_fills(preview.quote_id, list(fills))
    if not result.success:
        raise OperationReverted(
            reason=reason, gas_cost_wei=result.actual_gas_cost_wei, tx_hash=result.transaction_hash
        )
    return Execution(preview, result, fills)


def _already(ctx: TradingContext, preview: Preview) -> Execution:
    """The quote id was confirmed before: report its outcome, send nothing."""
    result = ctx.submitter.receipt(preview.user_op_hash)
    if result is None:
        raise InputError(
            f"preview {preview.quote_id} was already submitted and is not on chain (yet); "
            "it will not be sent again",
            hint="Run `indexvault log` to see how it settled; preview again for a new trade.",
        )
    if ctx.journal.receipt(preview.quote_id) is None:  # a crash before the receipt: settle
        settled = _settle(ctx, preview, result)
        return Execution(preview, result, settled.fills, already_done=True)
    return Execution(preview, result, fills_from(preview, result, preview.vault), True)
