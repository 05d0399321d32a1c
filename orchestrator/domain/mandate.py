"""The owner's limits on the keeper (IIndexVault.Mandate, in our units)."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.domain.units import Bps, UsdcUnits

__all__ = ["Mandate"]


@dataclass(frozen=True)
class Mandate:
    """Who may rebalance the vault, and within what: every keeper leg's min-out at least the
    reference output (the most protective of the spot and the two half-window TWAPs) less
    `max_slippage_bps`, at most one rebalance per `min_interval_s`, no more than
    `loss_budget_usdc` lost against the reference per `loss_window_s`, and no more than
    `loss_cap_usdc` in total under this mandate, however long it lasts. `batchable` lets the
    keeper rebalance the vault through the platform's BatchSettlement, under the same checks."""

    keeper: str
    max_slippage_bps: Bps
    min_interval_s: int
    twap_window_s: int
    loss_budget_usdc: UsdcUnits
    loss_window_s: int
    loss_cap_usdc: UsdcUnits
    batchable: bool = False
