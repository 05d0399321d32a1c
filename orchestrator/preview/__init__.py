"""The preview, pure given quotes, fees and gas: what a trade will do, before signing."""

from orchestrator.domain.impact import ImpactTier, impact_tier, price_impact_bps
from orchestrator.domain.prices import mid_out, token_is_token0, value_in_usdc
from orchestrator.preview.build import (
    GasFacts,
    LegQuote,
    PreviewContext,
    build_preview,
    choose_slippage,
)
from orchestrator.preview.model import GasPreview, LegPreview, Preview, PreviewKind
from orchestrator.preview.slippage import auto_slippage_bps, min_out

__all__ = [
    "GasFacts",
    "GasPreview",
    "ImpactTier",
    "LegPreview",
    "LegQuote",
    "Preview",
    "PreviewContext",
    "PreviewKind",
    "auto_slippage_bps",
    "build_preview",
    "choose_slippage",
    "impact_tier",
    "mid_out",
    "min_out",
    "price_impact_bps",
    "token_is_token0",
    "value_in_usdc",
]
