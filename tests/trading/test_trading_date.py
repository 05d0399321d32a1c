"""`trading_date`: the one place a test market's date is chosen (the latest date on which
the strategy is invested), so that a buy on that market buys coins, not only USDC."""

from __future__ import annotations

from orchestrator.market.synthetic import generate_synthetic_market
from orchestrator.strategy import DEFAULT_CONFIG, closes_of, regime_at
from orchestrator.strategy.signal import Regime
from orchestrator.trading.targets import trading_date


def test_the_latest_invested_date_and_no_later_one() -> None:
    history = generate_synthetic_market(n_assets=30)
    chosen = trading_date(history)
    closes = closes_of(history, DEFAULT_CONFIG.signal.symbol)

    def regime(date: object) -> Regime:
        return regime_at(closes, date, DEFAULT_CONFIG.signal).regime  # type: ignore[arg-type]

    assert regime(chosen) is Regime.BULL
    later = [d for d in history.dates if d > chosen]
    assert all(regime(d) is Regime.BEAR for d in later)


def test_a_history_that_is_invested_at_its_end_gives_its_last_date() -> None:
    history = generate_synthetic_market(n_assets=30)
    chosen = trading_date(history)
    cut = history.dates_between(None, chosen)
    from orchestrator.market.snapshot import MarketHistory

    shorter = MarketHistory.from_snapshots(
        [s for d in cut for s in history.snapshot(d)], source_label="cut", is_synthetic=True
    )
    assert trading_date(shorter) == chosen == shorter.dates[-1]
