"""Issue 18's acceptance, on the real 2021-2023 data (skipped only when the file is absent).

The walk-forward curve of the new default (net of costs, parameters chosen only on the data
before each window) beats passive on max drawdown, and its switches per year and worst
round trip are no worse than the old rule's. Nothing from the file is copied here.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrator.market import MarketHistory, load_market_csv
from orchestrator.market.stablecoins import load_exclusions_csv
from orchestrator.strategy.config import DEFAULT_CONFIG
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS
from orchestrator.strategy.walkforward import (
    BTC_210_RULE,
    WalkForwardResult,
    default_candidates,
    walk_forward,
)

pytestmark = pytest.mark.market_data

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO.parent / "shared" / "data" / "market" / "weekly_top100_2021_2023.csv"


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    path = Path(os.environ.get("INDEXVAULT_MARKET_DATA", DEFAULT_PATH))
    if not path.is_file():
        pytest.skip(f"real market data not found at {path}")
    return load_market_csv(path)


@pytest.fixture(scope="module")
def result(history: MarketHistory) -> WalkForwardResult:
    stablecoins = Path(os.environ.get("INDEXVAULT_MARKET_DATA", DEFAULT_PATH)).with_name(
        "stablecoins.csv"
    )
    exclusions = BUILTIN_EXCLUSIONS
    if stablecoins.is_file():
        exclusions = exclusions.merged(load_exclusions_csv(stablecoins))
    return walk_forward(history, exclusions=exclusions)


def test_the_rule_picks_the_default_family_and_its_final_choice_is_the_default(
    result: WalkForwardResult,
) -> None:
    chosen = result.candidate(result.chosen)
    assert DEFAULT_CONFIG.signal in next(
        c.grid for c in default_candidates() if c.name == chosen.name
    )
    assert chosen.final_choice == DEFAULT_CONFIG.signal
    assert result.baseline.final_choice == BTC_210_RULE
    assert result.configs_tried == sum(len(c.grid) for c in default_candidates())
    assert result.test_dates[0].year == 2022  # one year of training before the first choice


def test_new_default_out_of_sample_beats_passive_drawdown_and_whipsaws_no_more(
    result: WalkForwardResult,
) -> None:
    new, old = result.candidate(result.chosen), result.baseline
    assert new.metrics.max_drawdown < result.passive_metrics.max_drawdown
    assert new.switches_per_year <= old.switches_per_year
    new_worst, old_worst = new.worst_round_trip, old.worst_round_trip
    assert old_worst is not None
    assert new_worst is None or new_worst.change <= old_worst.change
    # and it is net of costs: every regime switch paid fees, slippage and gas
    assert new.switching_cost_usd > 0
    assert all(t.cost > 0 for t in new.run.trades if t.reason == "regime")


def test_every_candidate_reports_its_numbers(result: WalkForwardResult) -> None:
    assert len(result.candidates) == len(default_candidates())
    for report in result.candidates:
        assert report.configs_tried >= 1
        assert 0 <= report.metrics.time_in_market <= 1
        assert len(report.windows) == 8  # 2022-2023 in 13-week windows
        assert report.switching_cost_usd >= Decimal(0)
