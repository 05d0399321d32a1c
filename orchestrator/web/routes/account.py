"""The owner's smart account, and the local faucet."""

from __future__ import annotations

from fastapi import APIRouter

from orchestrator.errors import InputError
from orchestrator.service import overview
from orchestrator.service.models import WEI_PER_ETH, Wei
from orchestrator.web.deps import FacadeDep, SameOrigin
from orchestrator.web.schemas import FaucetRequest, parse_usdc
from orchestrator.web.state import PageState

router = APIRouter(prefix="/api", tags=["account"])

FAUCET_ETH_WEI = Wei(WEI_PER_ETH)  # gas money for a local account


@router.get("/account")
async def account(owner: str, facade: FacadeDep) -> overview.AccountView:
    return await facade.call(lambda state: overview.account_view(state.session(owner)))


@router.post("/faucet", dependencies=[SameOrigin])
async def faucet(body: FaucetRequest, facade: FacadeDep) -> overview.AccountView:
    """Local chains only: mint test USDC to the owner's smart account and give it 1 ETH."""
    amount = parse_usdc(body.usdc)

    def fund(state: PageState) -> overview.AccountView:
        if not state.can_fund():
            raise InputError(
                f"{state.network} is not a local chain: the faucet mints test funds only there",
                hint="Send USDC and ETH to your smart account from another wallet.",
            )
        session = state.session(body.owner)
        session.fund(amount, eth_wei=FAUCET_ETH_WEI)
        return overview.account_view(session)

    return await facade.call(fund)
