"""Confirm a preview in three steps, so that the key can be elsewhere (the browser):

    request = prepare(ctx, preview)          # check it, re-quote, the unsigned op to sign
    signature = signer.sign_hash(digest)     # the owner's key, here or in the browser
    execution = submit(ctx, request, sig)    # the signature must recover to the owner;
                                             # journal, submit once, record the fills
    confirm(ctx, preview)                    # all three, with the context's own signer

Order matters for "never twice": the journal's submission row (unique per quote id; one
live row per op hash and per account nonce) is written before the op is broadcast; a
crash after that leaves an open row that the next session on the network settles from the
chain before it does anything else (`trading.settle`), and the EntryPoint's nonce makes
the op executable only once. A quote id submitted before answers with its recorded
outcome and sends nothing; a dropped one stays dead (preview again: a new quote id).
The caller (the facade) holds the network's send lock around prepare..submit, so the
nonce checked in `prepare` is still the account's when the op is sent."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.chain.vault_binding import SWAPPED
from orchestrator.crashpoints import crash_point
from orchestrator.domain.legs import Direction, FilledLeg, PlannedLeg, TokenRef
from orchestrator.domain.units import Gas, TokenUnits, Wei
from orchestrator.errors import (
    AccountMoved,
    AlreadySubmitted,
    ContractReverted,
    IndexVaultError,
    InputError,
    InvalidUserOperation,
    OperationReverted,
    PreviewExpired,
    PriceUpdated,
    ReceiptNotOnChain,
    UnknownQuote,
    UserOpNotSent,
)
from orchestrator.execution.userop_result import UserOpResult
from orchestrator.ledger.reconcile import revert_text
from orchestrator.preview.model import Preview, PreviewKind
from orchestrator.trading.context import TradingContext
from orchestrator.trading.reads import quote_legs
from orchestrator.wallet.userop import UserOperation
from orchestrator.wallet.userop_signing import recover_user_op_signer, user_op_typed_data

__all__ = [
    "Execution",
    "SigningRequest",
    "check_nonce",
    "confirm",
    "fills_from",
    "prepare",
    "requote",
    "submit",
]


class SigningRequest(BaseModel):
    """What the owner signs to confirm a preview: the unsigned user operation, its EIP-712
    typed data (`eth_signTypedData_v4`) and the digest both sign to (`user_op_hash`)."""

    model_config = ConfigDict(frozen=True)

    quote_id: str
    owner: str  # the key that must sign (the smart account's owner)
    chain_id: int
    entry_point: str
    user_op: dict[str, str]  # ERC-4337 JSON-RPC form, signature empty
    user_op_hash: str
    typed_data: dict[str, Any]


class Execution(BaseModel):
    """What a confirmation did: the op's receipt facts and each leg's fill."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    quote_id: str
    kind: PreviewKind
    user_op_hash: str
    transaction_hash: str
    block_number: int
    success: bool
    actual_gas_used: Gas
    actual_gas_cost_wei: Wei
    bundle_gas_used: Gas  # the whole bundle transaction
    estimated_gas: Gas  # the preview's likely gas, for comparison
    fills: tuple[FilledLeg, ...]
    already_done: bool = False  # the quote id had been confirmed before: nothing re-sent
    preview: Preview = Field(exclude=True, repr=False)
    result: UserOpResult = Field(exclude=True, repr=False)

    @classmethod
    def of(
        cls,
        preview: Preview,
        result: UserOpResult,
        fills: tuple[FilledLeg, ...],
        already_done: bool = False,
    ) -> Execution:
        return cls(
            quote_id=preview.quote_id,
            kind=preview.kind,
            user_op_hash=result.user_op_hash,
            transaction_hash=result.transaction_hash,
            block_number=result.block_number,
            success=result.success,
            actual_gas_used=Gas(result.actual_gas_used),
            actual_gas_cost_wei=Wei(result.actual_gas_cost_wei),
            bundle_gas_used=Gas(result.bundle_gas_used),
            estimated_gas=preview.gas.likely_gas,
            fills=fills,
            already_done=already_done,
            preview=preview,
            result=result,
        )


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
        places = {leg.symbol: leg.out_decimals for leg in preview.legs}
        raise PriceUpdated(preview.quote_id, moved, places)


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


def prepare(
    ctx: TradingContext, preview: Preview, *, accept_high_impact: bool = False
) -> SigningRequest:
    """Check the preview (expiry, chain, impact consent), re-quote every leg, check the
    account's nonce, and return what the owner must sign. Sends nothing."""
    _check(ctx, preview, accept_high_impact)
    requote(ctx, preview)
    op = check_nonce(ctx, preview.quote_id, preview.user_op)
    entry_point, chain_id = ctx.aa.entry_point, ctx.chain.chain_id
    return SigningRequest(
        quote_id=preview.quote_id,
        owner=ctx.owner,
        chain_id=chain_id,
        entry_point=entry_point,
        user_op=preview.user_op,
        user_op_hash=preview.user_op_hash,
        typed_data=_json_typed_data(op, entry_point=entry_point, chain_id=chain_id),
    )


def check_nonce(ctx: TradingContext, quote_id: str, user_op: dict[str, str]) -> UserOperation:
    """The op, if the account is still as it was built on: the same EntryPoint nonce, and
    not deployed yet when the op deploys it; AccountMoved otherwise (another operation used
    the account since the preview)."""
    op = UserOperation.from_rpc(user_op)
    nonce = ctx.account.nonce(ctx.chain)
    if nonce != op.nonce or (op.factory is not None and ctx.chain.code(op.sender)):
        raise AccountMoved(quote_id, previewed_nonce=op.nonce, nonce=nonce)
    return op


def _json_typed_data(op: UserOperation, *, entry_point: str, chain_id: int) -> dict[str, Any]:
    """The typed data with bytes as 0x hex, as a browser wallet takes it."""
    data = user_op_typed_data(op, entry_point=entry_point, chain_id=chain_id)
    message = {
        k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in data["message"].items()
    }
    return {**data, "message": message}


def submit(ctx: TradingContext, request: SigningRequest, signature: bytes) -> Execution:
    """Submit the previewed op, signed with `signature`, once: it must recover to the owner
    (InvalidUserOperation otherwise, nothing sent); the journal records the confirmation
    and the submission before anything is broadcast."""
    preview = _journaled_preview(ctx, request.quote_id)
    if ctx.journal.submission(preview.quote_id) is not None:
        return _already(ctx, preview)
    op = UserOperation.from_rpc(preview.user_op).replace(signature=signature)
    signer = recover_user_op_signer(op, entry_point=ctx.aa.entry_point, chain_id=ctx.chain.chain_id)
    if signer.lower() != ctx.owner.lower():
        raise InvalidUserOperation(
            "signature",
            signer,
            f"recovers to {signer}, not to the owner {ctx.owner}; nothing was sent",
            hint="Sign the operation's EIP-712 hash with the owner's key.",
        )
    check_nonce(ctx, preview.quote_id, preview.user_op)  # again: under the send lock
    twin = _open_twin(ctx, preview)
    if twin is not None:
        return _send_again(ctx, twin, op)
    now = int(ctx.wall_clock())
    ctx.facts = None  # the op moves the nonce, maybe creates the account and the vault
    ctx.journal.record_confirmation(preview.quote_id, now)
    crash_point("confirm.confirmed")
    ctx.journal.begin_submission(
        preview.quote_id, preview.user_op_hash, op.sender, op.nonce, None, now
    )
    crash_point("confirm.journaled")
    try:
        result = ctx.submitter.submit(op)
    except ContractReverted as error:  # rejected by the bundler/EntryPoint: not included
        ctx.journal.mark_dropped(preview.quote_id, f"rejected before inclusion: {error}")
        raise
    except UserOpNotSent as error:  # the bundler was unreachable: nothing left this process
        ctx.journal.mark_dropped(preview.quote_id, f"not sent: {error}")
        raise
    except IndexVaultError:
        raise  # unknown outcome (RPC down...): the row stays open for reconcile
    return _settle(ctx, preview, result)


def confirm(
    ctx: TradingContext, preview: Preview, *, accept_high_impact: bool = False
) -> Execution:
    """prepare, sign with the context's signer, submit. A quote id confirmed before returns
    its recorded outcome (settled from the chain if the earlier process died) and sends
    nothing."""
    if ctx.journal.submission(preview.quote_id) is not None:
        return _already(ctx, preview)
    request = prepare(ctx, preview, accept_high_impact=accept_high_impact)
    if ctx.signer is None:
        raise InputError(
            f"no key to sign preview {preview.quote_id} with: this session only reads",
            hint="Open the session with a wallet, or sign the request and submit it.",
        )
    signature = ctx.signer.sign_hash(bytes.fromhex(request.user_op_hash[2:]))
    return submit(ctx, request, signature)


def _open_twin(ctx: TradingContext, preview: Preview) -> str | None:
    """The quote id of an earlier submission still open (no receipt, not dropped) whose op
    is this very op: the same nonce, calls, deadline and fees hash the same (a preview
    repeated on a chain whose clock has not moved, after a run that died)."""
    earlier = ctx.journal.submission_by_op_hash(preview.user_op_hash)
    if earlier is None or earlier.quote_id == preview.quote_id:
        return None
    if earlier.dropped_reason is not None or ctx.journal.receipt(earlier.quote_id) is not None:
        return None
    return earlier.quote_id


def _send_again(ctx: TradingContext, earlier_quote_id: str, op: UserOperation) -> Execution:
    """Send the op of an open submission again, and record its outcome under that
    submission's quote id (one journal row per op). Safe: an op executes at most once (its
    nonce), and the bundler answers an op it holds already by waiting for it (and one
    already included by its receipt). Needed: the earlier run may have died before its op
    reached the bundler. A rejection drops the earlier submission; an unknown outcome
    leaves it open."""
    earlier = _journaled_preview(ctx, earlier_quote_id)
    ctx.facts = None
    try:
        result = ctx.submitter.submit(op)
    except ContractReverted as error:
        ctx.journal.mark_dropped(earlier_quote_id, f"rejected before inclusion: {error}")
        raise
    return _settle(ctx, earlier, result)


def _journaled_preview(ctx: TradingContext, quote_id: str) -> Preview:
    record = ctx.journal.preview(quote_id)
    if record is None:
        raise UnknownQuote(quote_id)
    return Preview.model_validate_json(record.preview_json)


def _settle(ctx: TradingContext, preview: Preview, result: UserOpResult) -> Execution:
    """Record the op's outcome, once the node confirms the receipt's transaction is in the
    block the bundler says (ReceiptNotOnChain otherwise: a bundler's memory can outlive a
    reorg, and the journal records only what the chain has)."""
    mined = ctx.chain.receipt(bytes.fromhex(result.transaction_hash[2:]))
    if mined is None or int(mined["blockNumber"]) != result.block_number:
        raise ReceiptNotOnChain(
            preview.user_op_hash, tx_hash=result.transaction_hash, block_number=result.block_number
        )
    reason = revert_text(result)
    fills = fills_from(preview, result, preview.vault) if result.success else ()
    ctx.journal.record_receipt(
        preview.quote_id,
        result.transaction_hash,
        result.block_number,
        result.success,
        result.actual_gas_used,
        result.actual_gas_cost_wei,
        reason,
        fills,
    )
    crash_point("confirm.done")
    if not result.success:
        raise OperationReverted(
            reason=reason, gas_cost_wei=result.actual_gas_cost_wei, tx_hash=result.transaction_hash
        )
    return Execution.of(preview, result, fills)


def _already(ctx: TradingContext, preview: Preview) -> Execution:
    """The quote id was confirmed before: report its outcome, send nothing."""
    submission = ctx.journal.submission(preview.quote_id)
    result = ctx.submitter.receipt(preview.user_op_hash)
    if result is None and submission is not None and submission.dropped_reason is not None:
        raise AlreadySubmitted(preview.quote_id, preview.user_op_hash, "dropped")
    if result is None:
        raise InputError(
            f"preview {preview.quote_id} was already submitted and is not on chain (yet); "
            "it will not be sent again",
            hint="Run `indexvault log` to see how it settled; preview again for a new trade.",
        )
    if ctx.journal.receipt(preview.quote_id) is None:  # a crash before the receipt: settle
        settled = _settle(ctx, preview, result)
        return Execution.of(preview, result, settled.fills, already_done=True)
    return Execution.of(preview, result, fills_from(preview, result, preview.vault), True)
