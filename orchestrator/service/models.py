"""What the facade returns: pydantic models (or pydantic dataclasses) that the CLI renders
as text and a web page serialises as JSON, and the domain values they are made of."""

from orchestrator.domain.impact import ImpactTier
from orchestrator.domain.legs import Direction, FilledLeg, GuardedLeg
from orchestrator.domain.units import (
    BPS,
    ONE_USDC,
    USDC_DECIMALS,
    WEI_PER_ETH,
    Bps,
    Gas,
    Pips,
    TokenUnits,
    UsdcUnits,
    Wei,
    usdc_units,
)
from orchestrator.keeper.cycle import CycleReport, VaultOutcome
from orchestrator.keeper.journal import Action, ActionState, Cycle
from orchestrator.ledger.log import LogRow
from orchestrator.ledger.pnl import PnL, PositionValue
from orchestrator.localmarket.addressbook import AddressBook, TokenEntry
from orchestrator.localmarket.localnet import LocalDown, LocalStatus, LocalUp
from orchestrator.localmarket.price_moves import PriceMove
from orchestrator.localmarket.report import PoolRow, format_pool_table
from orchestrator.preview.model import (
    AllowedPoolTerms,
    GasPreview,
    MandateTerms,
    Outflow,
    Preview,
    PreviewKind,
    TransferTerms,
)
from orchestrator.service.keeper import KeeperStatus
from orchestrator.service.local import SwapOutcome
from orchestrator.service.signal_reading import SignalReading
from orchestrator.strategy.candidates import RegimePoint
from orchestrator.strategy.signal import Regime, RegimeReading
from orchestrator.trading.confirm import Execution, SigningRequest
from orchestrator.trading.holdings import HoldingRow, HoldingsView
from orchestrator.trading.mandate import MandateView
from orchestrator.trading.send import AccountBalances, HolderBalances, TokenBalance
from orchestrator.trading.targets import Targets
from orchestrator.wallet.keystore import WalletInfo

__all__ = [
    "BPS",
    "ONE_USDC",
    "USDC_DECIMALS",
    "WEI_PER_ETH",
    "AccountBalances",
    "Action",
    "ActionState",
    "AddressBook",
    "AllowedPoolTerms",
    "Bps",
    "Cycle",
    "CycleReport",
    "Direction",
    "Execution",
    "FilledLeg",
    "Gas",
    "GasPreview",
    "GuardedLeg",
    "HolderBalances",
    "HoldingRow",
    "HoldingsView",
    "ImpactTier",
    "KeeperStatus",
    "LocalDown",
    "LocalStatus",
    "LocalUp",
    "LogRow",
    "MandateTerms",
    "MandateView",
    "Outflow",
    "Pips",
    "PnL",
    "PoolRow",
    "PositionValue",
    "Preview",
    "PreviewKind",
    "PriceMove",
    "Regime",
    "RegimePoint",
    "RegimeReading",
    "SignalReading",
    "SigningRequest",
    "SwapOutcome",
    "Targets",
    "TokenBalance",
    "TokenEntry",
    "TokenUnits",
    "TransferTerms",
    "UsdcUnits",
    "VaultOutcome",
    "WalletInfo",
    "Wei",
    "format_pool_table",
    "usdc_units",
]
