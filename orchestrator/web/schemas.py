"""The web's own request and response shapes. Everything else a route returns is a facade
model (orchestrator.service.models / overview) serialised as it is."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.errors import InputError
from orchestrator.service.models import (
    BPS,
    ONE_USDC,
    USDC_DECIMALS,
    Bps,
    Execution,
    FilledLeg,
    HoldingsView,
    LogRow,
    PnL,
    PreviewKind,
    UsdcUnits,
    usdc_units,
)

__all__ = [
    "BuyRequest",
    "ConfirmRequest",
    "FaucetRequest",
    "HoldingsPage",
    "LogPage",
    "MandateRequest",
    "OwnerRequest",
    "PnlPage",
    "SellRequest",
    "StrategyText",
    "SubmitRequest",
    "Submitted",
    "TreemapTile",
    "WebConfig",
    "parse_percent",
    "parse_usdc",
]


def parse_usdc(text: str, what: str = "amount") -> UsdcUnits:
    """ "1,000.50" -> 1_000_500_000 base units; at most 6 decimals, more than zero."""
    try:
        value = Decimal(text.replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        raise InputError(
            f"{what} {text!r} is not a number", hint="Type an amount in USDC, e.g. 1000."
        ) from None
    units = value * ONE_USDC
    if not value.is_finite() or units != units.to_integral_value() or units <= 0:
        raise InputError(
            f"{what} {text!r} must be more than 0 with at most {USDC_DECIMALS} decimals",
            hint="Type an amount in USDC, e.g. 1000 or 250.50.",
        )
    return usdc_units(int(units))


def parse_percent(text: str) -> Bps:
    """ "50" -> 5000 bps; (0, 100], at most two decimals."""
    try:
        value = Decimal(text.replace("%", "").strip())
    except InvalidOperation:
        raise InputError(f"{text!r} is not a percentage", hint="Type e.g. 50 for half.") from None
    bps = value * 100
    if not value.is_finite() or bps != bps.to_integral_value() or not 0 < bps <= BPS:
        raise InputError(
            f"{text!r}% is not a share between 0.01% and 100%", hint="Type e.g. 50 for half."
        )
    return Bps(int(bps))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OwnerRequest(_Strict):
    owner: str = Field(description="The owner key's address (the browser wallet).")


class BuyRequest(OwnerRequest):
    usdc: str = Field(description="USDC to invest, fee included, e.g. '1000'.")
    max_slippage_bps: int | None = Field(None, description="None: the automatic default.")


class SellRequest(OwnerRequest):
    percent: str = Field(description="Share of the vault to sell, e.g. '50'.")
    max_slippage_bps: int | None = None


class MandateRequest(OwnerRequest):
    max_slippage_bps: int
    min_interval_s: int
    twap_window_s: int
    loss_budget_usdc: str
    loss_window_s: int
    loss_cap_usdc: str
    tokens: list[str] | None = None  # None: every token of the market


class ConfirmRequest(_Strict):
    quote_id: str
    accept_high_impact: bool = False


class SubmitRequest(_Strict):
    quote_id: str
    signature: str = Field(description="0x + 65 bytes: the owner's signature of user_op_hash.")


class FaucetRequest(OwnerRequest):
    usdc: str = "10000"


class Submitted(BaseModel):
    """What a submission did (the facade's Execution, as JSON): receipt facts, each leg's fill
    against its min-out."""

    quote_id: str
    kind: PreviewKind
    user_op_hash: str
    transaction_hash: str
    block_number: int
    success: bool
    actual_gas_used: int
    actual_gas_cost_wei: int
    bundle_gas_used: int
    estimated_gas: int
    fills: tuple[FilledLeg, ...]

    @classmethod
    def of(cls, execution: Execution) -> Submitted:
        return cls.model_validate(execution.model_dump())


class WebConfig(BaseModel):
    network: str
    chain_id: int
    faucet: bool  # a local chain: test funds can be minted from the page


class StrategyText(BaseModel):
    text: str  # the same text as `indexvault strategy`


class TreemapTile(BaseModel):
    name: str
    value_usdc: int
    weight_bps: int
    target_bps: int
    drift_bps: int  # weight - target


class HoldingsPage(BaseModel):
    view: HoldingsView
    treemap: list[TreemapTile]


class PnlPage(BaseModel):
    pnl: PnL
    eth_price_usdc: int | None


class LogPage(BaseModel):
    rows: list[LogRow]  # newest first
