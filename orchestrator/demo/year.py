"""`make demo`'s last step: a year of the keeper in fast-forward, on real weekly prices
when `../shared/data/market/` is present (SYNTHETIC otherwise, and labelled so).

A market of its own, seeded at the year's first week (its tokens: the index's largest
members that week), on a spawned anvil by default: on the embedded eth-tester a year of
20 tokens measured about 50 s a week (py-evm runs every swap in Python, ~75 ms a
transaction and ~60 a week to move the pools; its gas estimate of a 20-leg rebalance
re-executes it about 20 times, 34 s; and its eth_getLogs finds each receipt by scanning
back from the head, so the keeper's vault discovery and the final log grow with the square
of the chain). `chain_target="eth_tester"` still works, for a few tokens and weeks.

Two owners, each with a smart account, buy the same USDC amount of the same index at the
same prices on week 0: "managed" then delegates to the local keeper with a mandate (a
user operation, previewed and confirmed like a trade); "passive" never trades again.
Then, every week of the window (demo_year_data.choose_window: it holds a regime switch
when the data has one):

- Monday 00:00 UTC (chain time): another trader moves every pool to the week's price with
  real swaps (`set_prices`), so holdings are marked at the week's prices;
- Monday 01:00: the keeper runs once with the strategy's targets as of that week; its
  weekly cycle is the chain's ISO week, and the mandate's 30-minute TWAP window sees
  only the new price (the min interval, one day, has long passed).

No daily regime checks between the weekly runs: the data is weekly, so a daily check
would read the same close as the Monday run and never switch in between.
NAVs are integers (USDC base units) at the pools' mid prices; Decimal only on display."""

from __future__ import annotations

import contextlib
import datetime
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from eth_account import Account
from eth_utils.crypto import keccak

from orchestrator import service
from orchestrator.demo.year_data import (
    Vanished,
    YearWindow,
    choose_window,
    max_drawdown_bps,
    return_bps,
    weekly_prices,
    year_assets,
)
from orchestrator.errors import InputError
from orchestrator.service.models import (
    BPS,
    ONE_USDC,
    ActionState,
    Bps,
    HoldingsView,
    LogRow,
    Targets,
    UsdcUnits,
    VaultOutcome,
    Wei,
    usdc_units,
)
from orchestrator.service.strategy import (
    DEFAULT_CONFIG,
    MarketHistory,
    Regime,
    StrategyConfig,
    current_targets,
)
from orchestrator.text.render import log_text, usd

__all__ = [
    "REAL_DATA",
    "Week",
    "YearResult",
    "check_year_size",
    "run_year",
    "year_data",
    "year_table",
]

USDC = ONE_USDC
YEAR_BUY_USDC = usdc_units(10_000 * USDC)
HOUR_S, DAY_S = 3_600, 86_400
WEEK_S = 7 * DAY_S
REAL_DATA = service.SHARED_MARKET_DATA / "weekly_top100_2021_2023.csv"

TargetsFor = Callable[[MarketHistory, datetime.date, Sequence[str]], Targets]


def check_year_size(tokens: int, weeks: int, config: StrategyConfig = DEFAULT_CONFIG) -> None:
    """Refuse, before anything runs, a year the strategy cannot weight: each token is capped
    at `cap`, so fewer than 1 / cap tokens cannot add up to 100%. `tokens` 0: no year."""
    least = -(-BPS // config.weights.cap_bps)
    if tokens != 0 and tokens < least:
        raise InputError(
            f"the simulated year needs at least {least} tokens (each is capped at "
            f"{config.weights.cap:.0%}), got {tokens}",
            hint=f"Use --year-tokens {least} or more, or 0 to skip the year.",
        )
    if weeks < 1:
        raise InputError(f"the simulated year needs at least one week, got {weeks}")


def year_data(market_data: Path | None) -> Path | None:
    """The demo's own --market-data, else the shared real CSV when present, else None
    (the synthetic market). Read in place: never copied."""
    if market_data is not None:
        return market_data
    return REAL_DATA if REAL_DATA.is_file() else None


@dataclass(frozen=True)
class Week:
    index: int  # 0: the buys
    date: datetime.date
    regime: Regime
    gauge: int
    action: str
    managed_nav: int  # USDC base units, at mid prices after the week's trades
    passive_nav: int
    managed_cash: int
    managed_balances: dict[str, int]
    passive_balances: dict[str, int]
    outcome: VaultOutcome | None = None  # the keeper's outcome for the managed vault


@dataclass
class YearResult:
    window: YearWindow
    data_label: str
    deposit_usdc: int
    symbols: list[str]
    vanished: list[Vanished]
    weeks: list[Week] = field(default_factory=list)
    log: list[LogRow] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def rebalances(self) -> list[VaultOutcome]:
        return [w.outcome for w in self.weeks
                if w.outcome is not None and w.outcome.state is ActionState.DONE]  # fmt: skip

    @property
    def switches(self) -> list[Week]:
        return [b for a, b in pairwise(self.weeks) if b.regime is not a.regime]

    @property
    def keeper_gas(self) -> int:
        return sum(o.gas_used or 0 for o in self.rebalances)


def _owner(name: str) -> service.LocalKeySigner:
    return service.LocalKeySigner(Account.from_key(keccak(text=f"indexvault demo year: {name}")))


def _move_to(market: service.LocalMarket, at_s: int) -> None:
    if at_s > market.timestamp():
        market.advance(at_s - market.timestamp())


def _utc(at_s: int) -> str:
    return datetime.datetime.fromtimestamp(at_s, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _first_monday_s(now_s: int) -> int:
    """Monday 00:00 UTC at least a day after `now_s` (the pools are older than any TWAP)."""
    day = datetime.datetime.fromtimestamp(now_s + DAY_S, datetime.UTC).date()
    monday = day + datetime.timedelta(days=-day.weekday() % 7)
    return int(datetime.datetime.combine(monday, datetime.time(), datetime.UTC).timestamp())


def _open_market(chain_target: str, history: MarketHistory, date: datetime.date,
                 tokens: int, echo: Callable[[str], None]) -> service.LocalMarket:  # fmt: skip
    """A market of the index's largest members rather than the largest caps (a stablecoin
    pool would sit idle all year)."""
    return service.open_local_market(
        chain_target=chain_target, assets=year_assets(history, date, tokens), history=history,
        progress=lambda m: echo(f"   · {m}"),
    )  # fmt: skip


def _action(outcome: VaultOutcome | None, regime: Regime, before: Regime) -> str:
    if outcome is None:
        return "the keeper did not see the vault"
    if outcome.state is ActionState.DONE:
        legs = f"{outcome.legs} leg{'' if outcome.legs == 1 else 's'}"
        if regime is not before:
            return (
                f"{'switched to USDC' if regime is Regime.BEAR else 'back into the index'} ({legs})"
            )
        return f"rebalanced {legs}"
    reason = outcome.reason or ""
    if outcome.state is ActionState.SKIPPED and reason.startswith("within bands"):
        return "in USDC" if regime is Regime.BEAR else "skipped (within bands)"
    return f"{outcome.state.value}: {reason}"[:60]


def _line(w: Week) -> str:
    return (f"   w{w.index:02d} {w.date} {w.regime.value:<4} gauge {w.gauge:>3}  "
            f"{w.action:<34} managed {usd(w.managed_nav):>11}  "
            f"passive {usd(w.passive_nav):>11}")  # fmt: skip


class _Year:
    """The chain side of one run: the market, both owners' sessions, the keeper."""

    def __init__(self, market: service.LocalMarket, history: MarketHistory, folder: Path) -> None:
        self.market, self.book = market, market.book
        journal = folder / "journal.sqlite"
        self.managed = market.session(_owner("managed"), journal=journal, history=history)
        self.passive = market.session(_owner("passive"), journal=journal, history=history)
        self.keeper_journal = folder / "keeper.sqlite"

    def close(self) -> None:
        self.managed.close()
        self.passive.close()

    def buy(self, owner: service.Session, amount: UsdcUnits) -> int:
        owner.fund(amount, eth_wei=Wei(10**18))
        done = owner.confirm(owner.preview_buy(amount))
        return len(done.fills)

    def delegate(self, owner: service.Session, deposit: int) -> str:
        """The owner's mandate, as a user operation: every pool, 2% max slippage vs the
        30-minute TWAP, a day between rebalances, a loss budget of 2% of the deposit
        per 30 days and at most 10% of it in total under this mandate."""
        budget = usdc_units(deposit * 2 // 100)
        preview = owner.preview_set_mandate(
            keeper=None, max_slippage_bps=Bps(200), min_interval_s=DAY_S, twap_window_s=1_800,
            loss_budget_usdc=budget, loss_window_s=30 * DAY_S,
            loss_cap_usdc=usdc_units(deposit * 10 // 100),
        )  # fmt: skip
        owner.confirm(preview)
        assert preview.mandate is not None
        return (f"   managed delegates to keeper {preview.mandate.keeper} (a user operation): "
                f"all {len(self.book.tokens)} pools, max slippage 2% vs the 30-min TWAP, 1 day "
                f"between rebalances, loss budget {usd(budget)} per 30 days")  # fmt: skip

    def keeper_run(self, targets: Targets) -> list[VaultOutcome]:
        return self.market.keeper_run(targets, journal=self.keeper_journal).outcomes

    def week(self, index: int, date: datetime.date, targets: Targets, action: str,
             outcome: VaultOutcome | None = None) -> Week:  # fmt: skip
        m, p = self.managed.holdings(), self.passive.holdings()
        return Week(
            index, date, targets.regime, targets.reading.gauge, action,
            m.nav_usdc, p.nav_usdc, m.cash_usdc, _held(m), _held(p), outcome,
        )  # fmt: skip


def _held(view: HoldingsView) -> dict[str, int]:
    return {row.symbol: row.amount for row in view.rows if row.amount}


def run_year(
    *,
    market_data: Path | None,
    tokens: int = 20,
    weeks: int = 52,
    buy_usdc: UsdcUnits = YEAR_BUY_USDC,
    out_dir: Path = Path("demo-output"),
    echo: Callable[[str], None] = print,
    chain_target: str = "anvil",
    window_dates: Sequence[datetime.date] | None = None,
    targets_for: TargetsFor = current_targets,
) -> YearResult:
    """The year, printed as it runs (one line a week, then the table). `market_data`: a
    CSV, or None for the synthetic market. `window_dates` overrides the window choice and
    `targets_for` the strategy (tests force a regime with them)."""
    started = time.perf_counter()
    check_year_size(tokens, weeks)
    if chain_target not in ("anvil", "eth_tester"):
        raise InputError(
            f"the year runs on a local chain (anvil or eth_tester), not {chain_target!r}"
        )
    history = service.load_history(market_data, tokens=tokens)
    if window_dates is None:
        window = choose_window(history, weeks)
    else:
        window = YearWindow(tuple(window_dates), ())
    dates = window.dates
    market = _open_market(chain_target, history, dates[0], tokens, echo)
    symbols = [t.symbol for t in market.book.tokens]
    prices, vanished = weekly_prices(history, dates, symbols)
    span = f"{history.dates[0]} to {history.dates[-1]}"
    label = (f"SYNTHETIC prices ({history.source_label})" if history.is_synthetic
             else f"real weekly prices from {market_data} ({span})")  # fmt: skip
    result = YearResult(window, label, buy_usdc, symbols, vanished)
    folder = out_dir / "year"
    shutil.rmtree(folder, ignore_errors=True)  # a fresh chain: stale journals would mislead
    folder.mkdir(parents=True)
    echo(f"   {len(symbols)} tokens on a fresh chain ({time.perf_counter() - started:.0f} s); "
         f"weeks {dates[0]} to {dates[-1]}")  # fmt: skip
    with contextlib.ExitStack() as stack:
        stack.callback(market.close)
        year = _Year(market, history, folder)
        stack.callback(year.close)
        t0 = _first_monday_s(market.timestamp())
        _move_to(market, t0)
        first = targets_for(history, dates[0], symbols)
        legs = year.buy(year.managed, buy_usdc)
        market.set_prices(prices[0])  # the passive owner buys at the same prices
        year.buy(year.passive, buy_usdc)
        market.set_prices(prices[0])
        echo(year.delegate(year.managed, buy_usdc))
        echo(f"   chain time {_utc(t0)} stands for {dates[0]}: one week of chain time per "
             "week of data (the log below shows chain time)")  # fmt: skip
        action = f"both buy {usd(buy_usdc)} ({legs} legs)"
        result.weeks.append(year.week(0, dates[0], first, action))
        echo(_line(result.weeks[0]))
        for i, date in enumerate(dates[1:], start=1):
            _move_to(market, t0 + i * WEEK_S)
            market.set_prices(prices[i])
            _move_to(market, t0 + i * WEEK_S + HOUR_S)
            targets = targets_for(history, date, symbols)
            outcomes = year.keeper_run(targets)
            vault = year.managed.vault.lower()
            outcome = next((o for o in outcomes if o.vault.lower() == vault), None)
            action = _action(outcome, targets.regime, result.weeks[-1].regime)
            result.weeks.append(year.week(i, date, targets, action, outcome))
            echo(_line(result.weeks[-1]))
        result.log = year.managed.log()
    result.elapsed_s = time.perf_counter() - started
    echo(year_table(result))
    return result


def _pct(bps: int) -> str:
    return f"{Decimal(bps).scaleb(-2):+.2f}%"


def year_table(r: YearResult) -> str:
    managed = [w.managed_nav for w in r.weeks]
    passive = [w.passive_nav for w in r.weeks]
    switches = ", ".join(f"{w.regime.value} {w.date}" for w in r.switches) or "none"
    rows = [
        ("deposited (USDC)", usd(r.deposit_usdc), usd(r.deposit_usdc)),
        (f"NAV week 0 ({r.weeks[0].date})", usd(managed[0]), usd(passive[0])),
        (f"NAV end ({r.weeks[-1].date})", usd(managed[-1]), usd(passive[-1])),
        ("return on the deposit", _pct(return_bps(r.deposit_usdc, managed[-1])),
         _pct(return_bps(r.deposit_usdc, passive[-1]))),
        ("max drawdown (weekly NAVs)", _pct(-max_drawdown_bps(managed)),
         _pct(-max_drawdown_bps(passive))),
        ("keeper rebalances", str(len(r.rebalances)), "0 (no mandate)"),
        ("keeper gas", f"{r.keeper_gas:,}", "0"),
    ]  # fmt: skip
    lines = [f"\n   {'':<30} {'managed (keeper)':>18} {'passive (buy once)':>20}"]
    lines += [f"   {name:<30} {a:>18} {b:>20}" for name, a, b in rows]
    lines.append(f"   regime switches: {len(r.switches)} ({switches})")
    for v in r.vanished:
        lines.append(
            f"   {v.symbol} left the data on {v.date}: marked at ${v.mark_usd:.6g} "
            f"(last ${v.last_price_usd:.6g}; the backtest's vanished-coin rule)"
        )
    lines.append("\n   The managed vault's transaction log:")
    lines += ["   " + line for line in log_text(r.log).splitlines()]
    lines.append(f"\n   The year used {r.data_label}; weeks {r.weeks[0].date} to "
                 f"{r.weeks[-1].date}; {r.elapsed_s:.0f} s")  # fmt: skip
    return "\n".join(lines)
