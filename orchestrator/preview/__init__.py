"""The preview, pure given quotes + fees + gas: what a trade will do, before signing."""

from orchestrator.preview.build import GasFacts, PreviewContext, build_preview, choose_max_slippage
from orchestrator.preview.model import GasPreview, Preview, PreviewKind
from orchestrator.preview.slippage import auto_max_slippage_bps, check_max_slippage

__all__ = [
    "GasFacts",
    "GasPreview",
    "Preview",
    "PreviewContext",
    "PreviewKind",
    "auto_max_slippage_bps",
    "build_preview",
    "check_max_slippage",
    "choose_max_slippage",
]
