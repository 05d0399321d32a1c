"""The index tile and gauge, the strategy text, the chain head the page polls."""

from __future__ import annotations

from fastapi import APIRouter

from orchestrator.service import overview, strategy
from orchestrator.web.deps import FacadeDep
from orchestrator.web.schemas import StrategyText, WebConfig
from orchestrator.web.state import PageState

router = APIRouter(prefix="/api", tags=["index"])


@router.get("/config")
async def config(facade: FacadeDep) -> WebConfig:
    def read(state: PageState) -> WebConfig:
        head = overview.chain_head(state.session())
        return WebConfig(network=state.network, chain_id=head.chain_id, faucet=state.can_fund())

    return await facade.call(read)


@router.get("/overview")
async def index_overview(facade: FacadeDep) -> overview.IndexOverview:
    """Index level and weekly change, constituents, next rebalance, regime and gauge."""

    def read(state: PageState) -> overview.IndexOverview:
        session = state.session()
        head = overview.chain_head(session)
        return state.index_overview().model_copy(
            update={
                "chain_time_s": head.timestamp_s,
                "next_rebalance_s": overview.next_rebalance_after(head.timestamp_s),
            }
        )

    return await facade.call(read)


@router.get("/head")
async def head(facade: FacadeDep) -> overview.ChainHead:
    """The latest block: the page polls this and reloads its data when it moves."""
    return await facade.call(lambda state: overview.chain_head(state.session()))


@router.get("/strategy")
async def strategy_text() -> StrategyText:
    """The rules, generated from the live configuration (`indexvault strategy`)."""
    return StrategyText(text=strategy.strategy_rules())
