"""The project's seeded synthetic market: the embedded default when no data is given.

Clearly labelled (`source_label == "synthetic (seed=N)"`, `is_synthetic`, and every name
ends in "(synthetic)"). Deterministic for a given (n_assets, n_weeks, seed): the random
walk draws from `random.Random(seed)` and all money arithmetic is Decimal.

Shape (chosen to exercise the strategy, not to forecast anything):
- a BTC-like leader (symbol BTC, ~600B cap), an ETH-like second (ETH, ~120B), one
  USD stablecoin (USDC, price ~1) so the universe filter has something to exclude, and a
  long tail `SYN004`, `SYN005`, ... with caps from ~20B down to ~60M (4 orders of magnitude);
- weekly Mondays from 2021-01-04; a market factor with three regimes: a bull run (first
  30% of the weeks), a sustained bear stretch (next 35%, with a crash week at its start),
  then a choppy recovery; every coin = beta x market + its own noise;
- more candidates than reported: each week lists the top `n_assets` by cap, so coins
  enter and leave the list; some candidates only list later, and one collapses (-95%) in
  the bear stretch and drops out, like LUNA did.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Context, Decimal

from orchestrator.errors import InputError
from orchestrator.market.snapshot import AssetSnapshot, MarketHistory

__all__ = ["SYNTHETIC_START", "SyntheticMarketSource", "generate_synthetic_market"]

SYNTHETIC_START = datetime.date(2021, 1, 4)
_SIG = Context(prec=12)  # significant digits kept for synthetic prices
_CENT = Decimal("0.01")


@dataclass
class _Coin:
    symbol: str
    name: str
    price: Decimal
    supply: Decimal
    beta: float
    vol: float
    turnover: float
    listed_week: int
    stable: bool = False
    collapse_week: int | None = None


def _market_drift(week: int, n_weeks: int) -> tuple[float, float]:
    """(mean, vol) of the weekly market return in the regime of `week`."""
    phase = week / max(n_weeks, 1)
    if phase < 0.30:
        return 0.025, 0.06  # bull run
    if phase < 0.65:
        return -0.02, 0.05  # sustained bear stretch
    return 0.02, 0.05  # choppy recovery


def _make_coins(n_assets: int, n_weeks: int, rng: random.Random) -> list[_Coin]:
    coins = [
        _Coin(
            "BTC",
            "Bitcoin-like (synthetic)",
            Decimal(30000),
            Decimal(19_000_000),
            1.0,
            0.02,
            0.08,
            0,
        ),
        _Coin(
            "ETH",
            "Ethereum-like (synthetic)",
            Decimal(1000),
            Decimal(120_000_000),
            1.2,
            0.03,
            0.12,
            0,
        ),
        _Coin(
            "USDC",
            "USD Coin-like stablecoin (synthetic)",
            Decimal(1),
            Decimal("25e9"),
            0.0,
            0.0,
            0.15,
            0,
            stable=True,
        ),
    ]
    n_extra = max(n_assets // 4, 1)
    n_tail = max(n_assets + n_extra - len(coins), 1)
    n_late = 0
    for i in range(n_tail):
        # log-spaced caps from ~20B down to ~60M, jittered
        frac = i / max(n_tail - 1, 1)
        cap = 20e9 * (60e6 / 20e9) ** frac * rng.uniform(0.7, 1.3)
        price = Decimal(str(round(10 ** rng.uniform(-4, 2.7), 6))) or Decimal("0.0001")
        supply = Decimal(int(cap / float(price)))
        late = rng.random() >= 0.85 and n_late < n_extra  # keep n_assets listed from week 0
        n_late += late
        listed = rng.randrange(1, max(n_weeks, 2)) if late else 0
        coins.append(
            _Coin(
                f"SYN{len(coins) + 1:03d}",
                f"Synthetic coin {len(coins) + 1} (synthetic)",
                price,
                supply,
                rng.uniform(0.8, 1.4),
                rng.uniform(0.03, 0.08),
                rng.uniform(0.01, 0.2),
                listed,
            )
        )
    # one large tail coin collapses early in the bear stretch (LUNA-like)
    if len(coins) > 4 and n_weeks > 8:
        coins[4].collapse_week = int(n_weeks * 0.30) + 3
        coins[4].listed_week = 0
    return coins


def generate_synthetic_market(
    n_assets: int = 100, n_weeks: int = 156, seed: int = 7
) -> MarketHistory:
    """Build the synthetic market. `n_assets` coins are listed each week."""
    if n_assets < 2:
        raise InputError(f"n_assets={n_assets}: the synthetic market needs at least 2 assets")
    if n_weeks < 1:
        raise InputError(f"n_weeks={n_weeks}: the synthetic market needs at least 1 week")
    rng = random.Random(seed)  # noqa: S311 (a reproducible simulation, not a secret)
    coins = _make_coins(n_assets, n_weeks, rng)
    snapshots: list[AssetSnapshot] = []
    for week in range(n_weeks):
        date = SYNTHETIC_START + datetime.timedelta(weeks=week)
        if week > 0:
            mean, vol = _market_drift(week, n_weeks)
            market = rng.gauss(mean, vol)
            if week == int(n_weeks * 0.30):
                market -= 0.15  # the crash that opens the bear stretch
            for coin in coins:
                if coin.stable:
                    ret = rng.gauss(0.0, 0.0005)
                elif coin.collapse_week is not None and week >= coin.collapse_week:
                    ret = -0.95 if week == coin.collapse_week else rng.gauss(-0.2, 0.3)
                else:
                    ret = coin.beta * market + rng.gauss(0.0, coin.vol)
                factor = Decimal(str(round(max(ret, -0.97), 6))) + 1
                coin.price = _SIG.plus(coin.price * factor)
        listed = [c for c in coins if c.listed_week <= week]
        listed.sort(key=lambda c: (-(c.price * c.supply), c.symbol))
        for rank, coin in enumerate(listed[:n_assets], start=1):
            cap = (coin.price * coin.supply).quantize(_CENT)
            noise = Decimal(str(round(rng.uniform(0.6, 1.4), 4)))
            snapshots.append(
                AssetSnapshot(
                    date=date,
                    symbol=coin.symbol,
                    name=coin.name,
                    price_usd=coin.price,
                    market_cap_usd=cap,
                    volume_24h_usd=(cap * Decimal(str(round(coin.turnover, 4))) * noise).quantize(
                        _CENT
                    ),
                    rank=rank,
                )
            )
    return MarketHistory.from_snapshots(
        snapshots, source_label=f"synthetic (seed={seed})", is_synthetic=True
    )


class SyntheticMarketSource:
    """MarketDataSource over the synthetic market (generated once, on first use)."""

    def __init__(self, n_assets: int = 100, n_weeks: int = 156, seed: int = 7) -> None:
        self.n_assets, self.n_weeks, self.seed = n_assets, n_weeks, seed
        self._history: MarketHistory | None = None

    def history(self) -> MarketHistory:
        if self._history is None:
            self._history = generate_synthetic_market(self.n_assets, self.n_weeks, self.seed)
        return self._history
