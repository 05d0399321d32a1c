"""The strategy, pure: universe, capped weights, regime signal (candidates.py, every kind),
rules text, backtest, walk-forward.

No I/O here except `plot.plot_backtest` (writes a PNG). Market data comes in as a
`MarketHistory` (orchestrator.market); configuration as a `StrategyConfig`.
"""

from __future__ import annotations

from orchestrator.strategy.backtest import BacktestResult, index_weights, run_backtest
from orchestrator.strategy.candidates import RegimePoint, signal_readings
from orchestrator.strategy.config import (
    DEFAULT_CONFIG,
    DEFAULT_SIGNAL,
    BacktestConfig,
    CostConfig,
    SignalConfig,
    StrategyConfig,
    UniverseConfig,
    WeightsConfig,
)
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions
from orchestrator.strategy.metrics import Metrics, compute_metrics
from orchestrator.strategy.rules_text import rules_text, signal_lines
from orchestrator.strategy.signal import (
    Close,
    Regime,
    RegimeReading,
    closes_of,
    gauge_of,
    regime_at,
    regime_path,
)
from orchestrator.strategy.universe import Universe, select_universe
from orchestrator.strategy.weights import (
    TargetWeights,
    capped_weights,
    round_to_bps,
    target_weights,
)

__all__ = [
    "BUILTIN_EXCLUSIONS",
    "DEFAULT_CONFIG",
    "DEFAULT_SIGNAL",
    "BacktestConfig",
    "BacktestResult",
    "Close",
    "CostConfig",
    "Exclusions",
    "Metrics",
    "Regime",
    "RegimePoint",
    "RegimeReading",
    "SignalConfig",
    "StrategyConfig",
    "TargetWeights",
    "Universe",
    "UniverseConfig",
    "WeightsConfig",
    "capped_weights",
    "closes_of",
    "compute_metrics",
    "gauge_of",
    "index_weights",
    "regime_at",
    "regime_path",
    "round_to_bps",
    "rules_text",
    "run_backtest",
    "select_universe",
    "signal_lines",
    "signal_readings",
    "target_weights",
]
