"""Holdings (with the treemap's tiles), P&L and the transactions log of an owner's vault."""

from __future__ import annotations

from fastapi import APIRouter

from orchestrator.web.deps import FacadeDep
from orchestrator.web.schemas import HoldingsPage, LogPage, PnlPage, TreemapTile
from orchestrator.web.state import PageState

router = APIRouter(prefix="/api", tags=["vault"])


@router.get("/holdings")
async def holdings(owner: str, facade: FacadeDep) -> HoldingsPage:
    """The vault's tokens at mid prices against this week's targets; the treemap's tiles are
    sized by value and coloured by drift (weight - target)."""

    def read(state: PageState) -> HoldingsPage:
        view = state.session(owner).holdings()
        tiles = [
            TreemapTile(
                name=row.symbol,
                value_usdc=row.value_usdc,
                weight_bps=row.weight_bps,
                target_bps=row.target_bps,
                drift_bps=row.weight_bps - row.target_bps,
            )
            for row in view.rows
            if row.value_usdc > 0
        ]
        return HoldingsPage(view=view, treemap=tiles)

    return await facade.call(read)


@router.get("/pnl")
async def pnl(owner: str, facade: FacadeDep) -> PnlPage:
    """Cost basis, realised and unrealised P&L, fees and gas, rebuilt from chain events."""

    def read(state: PageState) -> PnlPage:
        session = state.session(owner)
        return PnlPage(pnl=session.pnl(), eth_price_usdc=session.eth_price_usdc())

    return await facade.call(read)


@router.get("/log")
async def log(owner: str, facade: FacadeDep) -> LogPage:
    """Every transaction of the vault (chain events merged with the journal), newest first."""

    def read(state: PageState) -> LogPage:
        return LogPage(rows=list(reversed(state.session(owner).log())))

    return await facade.call(read)
