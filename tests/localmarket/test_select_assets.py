"""Which assets a local market lists: the N largest, never USDC (the quote token)."""

from __future__ import annotations

import pytest

from orchestrator.errors import InputError
from orchestrator.service import load_history, select_assets
from orchestrator.strategy import DEFAULT_CONFIG
from orchestrator.strategy.candidates import signal_readings
from orchestrator.strategy.signal import Regime
from orchestrator.trading.targets import trading_date


@pytest.mark.parametrize("tokens", [5, 100, 150])
def test_synthetic_market_lists_exactly_the_requested_tokens_without_usdc(tokens: int) -> None:
    assets = select_assets(load_history(None, tokens=tokens), None, tokens)
    assert len(assets) == tokens
    assert "USDC" not in {a.symbol for a in assets}
    caps = [a.market_cap_usd for a in assets]
    assert caps == sorted(caps, reverse=True)  # the largest first


def test_zero_tokens_is_refused() -> None:
    with pytest.raises(InputError, match="at least one token"):
        select_assets(load_history(None), None, 0)


def test_the_default_date_is_the_latest_on_which_the_signal_is_invested() -> None:
    """A fresh local market must let a buy buy the index: it is priced on the latest date
    the live signal reads bull (the 100-coin synthetic history ends in a bear stretch)."""
    history = load_history(None, tokens=20)
    points = signal_readings(history, DEFAULT_CONFIG)
    date = trading_date(history)
    assert date < history.dates[-1]
    (point,) = [p for p in points if p.date == date]
    assert point.regime is Regime.BULL
    assert not point.warming_up
    assert all(p.regime is Regime.BEAR for p in points if p.date > date)
    assert select_assets(history, None, 5)[0].date == date
    bear = trading_date(history, regime=Regime.BEAR)
    assert next(p for p in points if p.date == bear).regime is Regime.BEAR
