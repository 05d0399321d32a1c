"""Universe: exclusions, top N after exclusions, a reason for every coin left out."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from orchestrator.errors import StrategyError
from orchestrator.market.snapshot import AssetSnapshot
from orchestrator.strategy.config import UniverseConfig
from orchestrator.strategy.exclusions import BUILTIN_EXCLUSIONS, Exclusions
from orchestrator.strategy.universe import select_universe

DATE = datetime.date(2022, 5, 9)


def snaps(*rows: tuple[str, str, int]) -> list[AssetSnapshot]:
    return [
        AssetSnapshot(DATE, sym, name, Decimal(1), Decimal(cap), Decimal(1), i + 1)
        for i, (sym, name, cap) in enumerate(rows)
    ]


MARKET = snaps(
    ("BTC", "Bitcoin", 900),
    ("USDT", "Tether", 800),
    ("ETH", "Ethereum", 700),
    ("WBTC", "Wrapped Bitcoin", 600),
    ("XAUt", "Tether Gold", 500),
    ("SOL", "Solana", 400),
    ("WFOO", "Wrapped Foo", 300),
    ("STX", "Lido Staked Thing", 250),
    ("USTC", "TerraClassicUSD", 200),
    ("DOGE", "Dogecoin", 100),
)


def test_exclusions_and_top_n() -> None:
    universe = select_universe(MARKET, UniverseConfig(top_n=3))
    assert universe.symbols == ("BTC", "ETH", "SOL")
    assert universe.excluded["USDT"] == "stablecoin"
    assert universe.excluded["USTC"] == "stablecoin"  # the renamed UST
    assert universe.excluded["WBTC"] == "wrapped/pegged duplicate of BTC"
    assert universe.excluded["XAUt"] == "gold token"  # case-insensitive symbol match
    assert "wrapped/pegged" in universe.excluded["WFOO"]  # the name rule
    assert "wrapped/pegged" in universe.excluded["STX"]
    assert "top 3" in universe.excluded["DOGE"]
    # nothing disappears silently
    assert set(universe.symbols) | set(universe.excluded) == {s.symbol for s in MARKET}
    assert not set(universe.symbols) & set(universe.excluded)


def test_top_n_counts_eligible_coins_by_market_cap_not_rank() -> None:
    shuffled = list(reversed(MARKET))  # ranks no longer match the order
    universe = select_universe(shuffled, UniverseConfig(top_n=4))
    assert universe.symbols == ("BTC", "ETH", "SOL", "DOGE")


def test_tradable_filter() -> None:
    universe = select_universe(MARKET, UniverseConfig(top_n=10), tradable={"BTC", "DOGE"})
    assert universe.symbols == ("BTC", "DOGE")
    assert universe.excluded["ETH"] == "not tradable on this chain"


def test_empty_universe_is_a_clear_error() -> None:
    stables = snaps(("USDT", "Tether", 5), ("USDC", "USD Coin", 4), ("DAI", "Dai", 3))
    with pytest.raises(StrategyError, match="empty universe on 2022-05-09: all 3 coins"):
        select_universe(stables)
    with pytest.raises(StrategyError, match="empty universe"):
        select_universe([])


def test_custom_exclusions_replace_the_builtin_list() -> None:
    universe = select_universe(MARKET, UniverseConfig(top_n=10), Exclusions({"BTC": "banned"}))
    assert universe.excluded["BTC"] == "banned"
    assert set(universe.excluded) == {"BTC", "WBTC", "WFOO", "STX"}  # name rules still apply
    assert "USDT" in universe.symbols
    assert BUILTIN_EXCLUSIONS.reason_for("steth") == "wrapped/pegged duplicate of ETH"
