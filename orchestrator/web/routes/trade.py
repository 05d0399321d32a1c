"""Buy, sell and withdraw: preview -> confirm (re-quote, the op to sign) -> submit (the
browser's signature). The facade does every check; these routes only carry them.

    POST /api/preview/buy|sell|withdraw   the review sheet (a Preview, journaled)
    POST /api/confirm                     re-quotes every leg: 409 "price updated" with the
                                          per-leg shortfall, or the SigningRequest
    POST /api/submit                      the signature must recover to the owner (400,
                                          nothing sent); a quote id is submitted once (409)
"""

from __future__ import annotations

from fastapi import APIRouter

from orchestrator.errors import AlreadySubmitted, InputError, QuoteNotConfirmed
from orchestrator.service.models import Preview, SigningRequest
from orchestrator.web.deps import FacadeDep, SameOrigin
from orchestrator.web.schemas import (
    BuyRequest,
    ConfirmRequest,
    OwnerRequest,
    SellRequest,
    SubmitRequest,
    Submitted,
    parse_percent,
    parse_usdc,
)
from orchestrator.web.state import PageState

router = APIRouter(prefix="/api", tags=["trade"], dependencies=[SameOrigin])

SIGNATURE_HEX_LENGTH = 2 + 65 * 2


@router.post("/preview/buy")
async def preview_buy(body: BuyRequest, facade: FacadeDep) -> Preview:
    amount = parse_usdc(body.usdc)

    def preview(state: PageState) -> Preview:
        session = state.session(body.owner)
        made = session.preview_buy(amount, max_slippage_bps=body.max_slippage_bps)
        return state.remember(body.owner, made)

    return await facade.call(preview)


@router.post("/preview/sell")
async def preview_sell(body: SellRequest, facade: FacadeDep) -> Preview:
    fraction = parse_percent(body.percent)

    def preview(state: PageState) -> Preview:
        session = state.session(body.owner)
        made = session.preview_sell(fraction, max_slippage_bps=body.max_slippage_bps)
        return state.remember(body.owner, made)

    return await facade.call(preview)


@router.post("/preview/withdraw")
async def preview_withdraw(body: OwnerRequest, facade: FacadeDep) -> Preview:
    """Every token and the USDC back to the smart account, in kind: no swap, no fee."""

    def preview(state: PageState) -> Preview:
        return state.remember(body.owner, state.session(body.owner).preview_withdraw())

    return await facade.call(preview)


@router.post("/confirm")
async def confirm(body: ConfirmRequest, facade: FacadeDep) -> SigningRequest:
    """Re-quote the reviewed preview and return what the owner signs. Nothing is sent."""

    def prepare(state: PageState) -> SigningRequest:
        reviewed = state.pending(body.quote_id)
        session = state.session(reviewed.owner)
        request = session.prepare(reviewed.preview, accept_high_impact=body.accept_high_impact)
        reviewed.request = request
        return request

    return await facade.call(prepare)


def _signature(text: str) -> bytes:
    if len(text) != SIGNATURE_HEX_LENGTH or not text.startswith("0x"):
        raise InputError(
            f"a signature is 0x and 130 hex digits (65 bytes), got {len(text)} characters",
            hint="Sign the request's typed data (eth_signTypedData_v4) with the owner's key.",
        )
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise InputError(
            "the signature is not hexadecimal", hint="Send the signature as 0x + hex."
        ) from None


@router.post("/submit")
async def submit(body: SubmitRequest, facade: FacadeDep) -> Submitted:
    """Check the signature recovers to the owner, journal, send once, return the fills."""
    signature = _signature(body.signature)

    def send(state: PageState) -> Submitted:
        reviewed = state.pending(body.quote_id)
        if reviewed.request is None:
            raise QuoteNotConfirmed(body.quote_id)
        execution = state.session(reviewed.owner).submit(reviewed.request, signature)
        if execution.already_done:
            reviewed.execution = execution
            raise AlreadySubmitted(body.quote_id, execution.user_op_hash, "included")
        reviewed.execution = execution
        return Submitted.of(execution)

    return await facade.call(send)
