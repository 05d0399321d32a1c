"""The rules text is generated from the configuration, not written by hand."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

from orchestrator.strategy.config import DEFAULT_CONFIG, SignalConfig, WeightsConfig
from orchestrator.strategy.rules_text import rules_text, signal_lines


def test_default_text_states_the_live_numbers() -> None:
    text = rules_text(DEFAULT_CONFIG)
    assert "Up to 100 coins" in text
    assert "capped at 25%" in text
    assert "below 10 bps" in text
    # the live signal: a vote of three 20-week signals (docs/strategy.md)
    assert "Invested while all of 3 signals read bull" in text
    assert "BTC's close against its average over the last 140 days (20 weeks)" in text
    assert "bear when BTC's close is more than 5% below the average" in text
    assert "bear when it falls below 40%, bull when it rises above 60%" in text
    assert "The index's level against its average over the last 140 days" in text
    assert "invested at 100 (3 of 3), USDC below" in text
    assert "210 days" not in text  # the old rule is gone
    assert "gas $0.50 per leg" in text
    assert "Liquidity" not in text  # an option that is off is not described


def test_text_follows_the_configuration() -> None:
    config = dataclasses.replace(
        DEFAULT_CONFIG,
        weights=WeightsConfig(
            cap=Decimal("0.3"),
            min_weight_bps=25,
            max_pool_share=Decimal("0.02"),
            max_gas_share=Decimal("0.01"),
        ),
        signal=SignalConfig(symbol="ETH", window_days=140, band=Decimal("0.08"), confirm=3),
    )
    text = rules_text(config)
    assert "capped at 30%" in text
    assert "below 25 bps (0.25%)" in text
    assert "2% of its pool's depth" in text
    assert "exceed 1% of its value" in text
    assert "ETH's close" in text
    assert "140 days (20 weeks)" in text
    assert (
        "more than 8% below the average, bull when more than 8% above it, after 3 "
        "consecutive observations"
    ) in text
    assert "all of" not in text  # a single signal, not a vote
    assert "bear trigger below 42, bull trigger above 58" in text
    assert text != rules_text(DEFAULT_CONFIG)


def test_signal_lines_describe_every_kind() -> None:
    breadth = SignalConfig(
        kind="breadth", window_days=70, enter_above=Decimal("0.55"), exit_below=Decimal("0.45")
    )
    assert "bear when it falls below 45%, bull when it rises above 55%" in "\n".join(
        signal_lines(breadth)
    )
    assert "bear trigger below 45, bull trigger above 55" in "\n".join(signal_lines(breadth))
    stop = SignalConfig(kind="drawdown", stop=Decimal("0.25"), cooloff_days=56)
    assert "more than 25% below its high" in "\n".join(signal_lines(stop))
    vote = SignalConfig(kind="vote", members=(SignalConfig(), breadth, stop), need=2)
    text = "\n".join(signal_lines(vote))
    assert "at least 2 of 3 signals" in text
    assert "invested at 67 or more (2 of 3)" in text


def test_docs_show_the_generated_rules() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "strategy.md").read_text()
    block = doc.split("## The rules (output of `indexvault strategy`)\n\n```\n", 1)[1]
    assert block.split("```", 1)[0] == rules_text(DEFAULT_CONFIG)
