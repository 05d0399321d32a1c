"""The rules text is generated from the configuration, not written by hand."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from orchestrator.strategy.config import DEFAULT_CONFIG, SignalConfig, WeightsConfig
from orchestrator.strategy.rules_text import rules_text


def test_default_text_states_the_live_numbers() -> None:
    text = rules_text(DEFAULT_CONFIG)
    assert "Up to 100 coins" in text
    assert "capped at 25%" in text
    assert "below 10 bps" in text
    assert "BTC's close" in text
    assert "210 days (30 weeks)" in text
    assert "more than 5% below" in text
    assert "bear trigger below 45, bull trigger above 55" in text
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
    assert "more than 8% below the average, after 3 consecutive observations" in text
    assert "bear trigger below 42, bull trigger above 58" in text
    assert text != rules_text(DEFAULT_CONFIG)
