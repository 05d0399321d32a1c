"""Metrics from a hand-built run."""

from __future__ import annotations

import datetime
import math
import statistics
from decimal import Decimal

import pytest

from orchestrator.errors import InputError
from orchestrator.strategy.ledger import NavPoint, Run, Side, Trade
from orchestrator.strategy.metrics import compute_metrics, max_drawdown

D0, D1, D2 = datetime.date(2020, 1, 1), datetime.date(2021, 1, 1), datetime.date(2022, 1, 1)


def trade(notional: str) -> Trade:
    zero = Decimal(0)
    return Trade(
        D0, "BTC", Side.BUY, Decimal(1), Decimal(1), Decimal(notional), zero, zero, zero, "enter"
    )


def test_metrics_by_hand() -> None:
    run = Run(
        "x",
        Decimal(100),
        (
            NavPoint(D0, Decimal(100), Decimal(0), True),
            NavPoint(D1, Decimal(150), Decimal(0), False),
            NavPoint(D2, Decimal(121), Decimal(0), True),
        ),
        (trade("120"), trade("80")),
        (),
    )
    m = compute_metrics(run)
    years = 731 / 365.25
    assert m.final_nav == Decimal(121)
    assert m.cagr == pytest.approx(1.21 ** (1 / years) - 1)
    assert m.max_drawdown == pytest.approx(1 - 121 / 150)
    returns = [0.0, 0.5, 121 / 150 - 1]
    per_year = 3 / years
    assert m.volatility == pytest.approx(statistics.stdev(returns) * math.sqrt(per_year))
    assert m.volatility is not None
    assert m.sharpe == pytest.approx(statistics.fmean(returns) * per_year / m.volatility)
    assert m.calmar == pytest.approx(m.cagr / m.max_drawdown)
    assert m.turnover == pytest.approx(200 / ((100 + 100 + 150 + 121) / 4) / years)
    assert m.switches == 2
    assert m.time_in_market == pytest.approx(2 / 3)
    assert m.to_json()["final_nav"] == 121.0


def test_flat_run_has_undefined_ratios() -> None:
    flat = Run(
        "flat",
        Decimal(10),
        (
            NavPoint(D0, Decimal(10), Decimal(10), False),
            NavPoint(D1, Decimal(10), Decimal(10), False),
        ),
        (),
        (),
    )
    m = compute_metrics(flat)
    assert m.max_drawdown == 0
    assert m.calmar is None
    assert m.sharpe is None
    assert m.time_in_market == 0


def test_needs_two_dates() -> None:
    one = Run("one", Decimal(10), (NavPoint(D0, Decimal(10), Decimal(10), True),), (), ())
    with pytest.raises(InputError):
        compute_metrics(one)


def test_max_drawdown_takes_the_worst_fall() -> None:
    navs = [Decimal(v) for v in (100, 80, 120, 60, 90, 130, 117)]
    assert max_drawdown(navs) == Decimal("0.5")
