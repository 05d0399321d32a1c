"""The keeper mandate: show it, and preview setting or revoking it (then confirm and
submit like a trade, through /api/confirm and /api/submit)."""

from __future__ import annotations

from fastapi import APIRouter

from orchestrator.service.models import Bps, MandateView, Preview
from orchestrator.web.deps import FacadeDep, SameOrigin
from orchestrator.web.schemas import MandateRequest, OwnerRequest, parse_usdc
from orchestrator.web.state import PageState

router = APIRouter(prefix="/api", tags=["mandate"])


@router.get("/mandate")
async def mandate(owner: str, facade: FacadeDep) -> MandateView:
    """Limits, budget used, last rebalance."""
    return await facade.call(lambda state: state.session(owner).mandate())


@router.post("/preview/mandate", dependencies=[SameOrigin])
async def preview_set_mandate(body: MandateRequest, facade: FacadeDep) -> Preview:
    budget = parse_usdc(body.loss_budget_usdc, "loss budget")
    cap = parse_usdc(body.loss_cap_usdc, "loss cap")

    def preview(state: PageState) -> Preview:
        made = state.session(body.owner).preview_set_mandate(
            keeper=None,
            max_slippage_bps=Bps(body.max_slippage_bps),
            min_interval_s=body.min_interval_s,
            twap_window_s=body.twap_window_s,
            loss_budget_usdc=budget,
            loss_window_s=body.loss_window_s,
            loss_cap_usdc=cap,
            tokens=body.tokens,
        )
        return state.remember(body.owner, made)

    return await facade.call(preview)


@router.post("/preview/revoke", dependencies=[SameOrigin])
async def preview_revoke(body: OwnerRequest, facade: FacadeDep) -> Preview:
    def preview(state: PageState) -> Preview:
        return state.remember(body.owner, state.session(body.owner).preview_revoke_keeper())

    return await facade.call(preview)
