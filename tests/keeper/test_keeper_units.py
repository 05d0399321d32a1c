"""Pure keeper logic: which cycle a run works on, mandate-aware planning, min-outs, and the
journal's state machine (a signed transaction is never forgotten)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from eth_utils.abi import function_signature_to_4byte_selector
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.chain.abi import encode as abi_encode
from orchestrator.domain.legs import Direction, PlannedLeg, QuotedLeg, TokenRef
from orchestrator.domain.mandate import Mandate
from orchestrator.domain.units import min_out_rounded_down
from orchestrator.keeper.journal import ActionState, Cycle, KeeperJournal
from orchestrator.keeper.plan import (
    allowed_targets,
    apply_floors,
    fund_buys,
    oracle_blocked,
    plan_vault,
)
from orchestrator.keeper.reads import NO_TWAP, UNSETTLED, VaultState, guard_reason
from orchestrator.keeper.schedule import (
    choose_cycle,
    next_daily_check_s,
    next_weekly_s,
    week_id,
)
from orchestrator.planning.rebalance import RebalanceBands
from orchestrator.strategy.signal import Regime

MONDAY_9H = int(datetime.datetime(2026, 11, 23, 9, tzinfo=datetime.UTC).timestamp())
USDC_ADDR = "0x" + "ff" * 20
TOKENS = [TokenRef(s, "0x" + f"{i + 1:02x}" * 20, 18, 3000, "0x" + f"{i + 0x10:02x}" * 20)
          for i, s in enumerate(["AAA", "BBB", "CCC"])]  # fmt: skip
Q96 = 2**96


def _cycle(cid: str, regime: str, finished: bool, kind: str = "weekly") -> Cycle:
    return Cycle(cid, kind, regime, "2023-01-02", {}, MONDAY_9H, MONDAY_9H if finished else None,
                 None)  # fmt: skip


# --- schedule -------------------------------------------------------------------------------


def test_week_ids_and_next_runs() -> None:
    assert week_id(MONDAY_9H) == "weekly-2026-W48"
    assert week_id(MONDAY_9H - 10 * 3600) == "weekly-2026-W47"  # Sunday 23:00
    assert next_weekly_s(MONDAY_9H) == MONDAY_9H - 9 * 3600 + 7 * 86_400
    assert next_daily_check_s(MONDAY_9H, at_hour_utc=6) == MONDAY_9H + 21 * 3600
    assert next_daily_check_s(MONDAY_9H, at_hour_utc=10) == MONDAY_9H + 3600


def test_first_run_of_a_week_starts_its_cycle_and_supersedes_open_ones() -> None:
    stale = _cycle("regime-2026-11-20-bear", "bear", False, "regime")
    choice = choose_cycle(MONDAY_9H, "bull", existing=None, open_cycles=[stale],
                          last_finished=None)  # fmt: skip
    assert (choice.cycle_id, choice.kind, choice.resume) == ("weekly-2026-W48", "weekly", False)
    assert choice.supersede == ("regime-2026-11-20-bear",)


def test_an_open_weekly_cycle_is_resumed() -> None:
    week = _cycle("weekly-2026-W48", "bull", False)
    choice = choose_cycle(MONDAY_9H, "bull", existing=week, open_cycles=[week],
                          last_finished=None)  # fmt: skip
    assert (choice.cycle_id, choice.resume, choice.supersede) == ("weekly-2026-W48", True, ())


def test_a_regime_flip_after_the_weekly_cycle_starts_a_regime_cycle() -> None:
    week = _cycle("weekly-2026-W48", "bull", True)
    choice = choose_cycle(MONDAY_9H + 86_400, "bear", existing=week, open_cycles=[],
                          last_finished=week)  # fmt: skip
    assert (choice.cycle_id, choice.kind) == ("regime-2026-11-24-bear", "regime")
    same = choose_cycle(MONDAY_9H + 86_400, "bull", existing=week, open_cycles=[],
                        last_finished=week)  # fmt: skip
    assert same.cycle_id is None
    assert "still bull" in same.why


# --- planning -------------------------------------------------------------------------------


def test_allowed_targets_renormalise_over_the_allowlist_and_its_pool() -> None:
    weights = {"AAA": 5_000, "BBB": 3_000, "CCC": 2_000}
    assert allowed_targets(weights, {"AAA": 3000, "BBB": 3000, "CCC": 3000}, TOKENS) == weights
    assert allowed_targets(weights, {"AAA": 3000, "CCC": 3000}, TOKENS) == {
        "AAA": 7_143, "CCC": 2_857,
    }  # fmt: skip
    assert allowed_targets(weights, {"AAA": 500}, TOKENS) == {}  # another pool: not ours


@given(st.dictionaries(st.sampled_from(["AAA", "BBB", "CCC"]), st.integers(1, 10_000),
                       min_size=1))  # fmt: skip
def test_allowed_targets_always_sum_to_10000(weights: dict[str, int]) -> None:
    allowed = {t.symbol: t.fee for t in TOKENS}
    assert sum(allowed_targets(weights, allowed, TOKENS).values()) == 10_000


def _state(balances: dict[str, int], cash: int, allowed: dict[str, int]) -> VaultState:
    mandate = Mandate("0x" + "aa" * 20, 300, 3600, 1_800, 10**9, 86_400, 10**10)
    return VaultState("0x" + "bb" * 20, "0x" + "cc" * 20, mandate, 0, 0, 0, balances, cash, allowed)


def test_plan_leaves_tokens_outside_the_allowlist_alone() -> None:
    prices = {t.symbol: Q96 for t in TOKENS}  # 1 base unit = 1 USDC base unit
    state = _state({"AAA": 1_000 * 10**6, "BBB": 0, "CCC": 500 * 10**6}, 0,
                   {"AAA": 3000, "BBB": 3000})  # fmt: skip
    plan, notes = plan_vault(
        state, weights_bps={"AAA": 5_000, "BBB": 5_000}, regime=Regime.BULL, tokens=TOKENS,
        sqrt_prices_x96=prices, usdc=USDC_ADDR, bands=RebalanceBands(),
    )  # fmt: skip
    assert plan.nav_usdc == 1_000 * 10**6  # CCC is not the keeper's to steer
    assert [(leg.token.symbol, leg.amount_in) for leg in plan.sells] == [("AAA", 500 * 10**6)]
    assert notes
    assert notes[0][0] == "CCC"


def test_bear_plan_sells_every_allowed_holding_in_full() -> None:
    prices = {t.symbol: Q96 for t in TOKENS}
    state = _state({"AAA": 7, "BBB": 900 * 10**6, "CCC": 0}, 5, {"AAA": 3000, "BBB": 3000})
    plan, _ = plan_vault(
        state, weights_bps={"AAA": 10_000}, regime=Regime.BEAR, tokens=TOKENS,
        sqrt_prices_x96=prices, usdc=USDC_ADDR, bands=RebalanceBands(),
    )  # fmt: skip
    sold = {leg.token.symbol: leg.amount_in for leg in plan.sells}
    assert sold == {"AAA": 7, "BBB": 900 * 10**6}
    assert plan.buys == ()


def _leg(symbol: str, direction: Direction, amount: int) -> PlannedLeg:
    return PlannedLeg(next(t for t in TOKENS if t.symbol == symbol), direction, amount, 0)


def _quoted(symbol: str, direction: Direction, amount: int, out: int) -> QuotedLeg:
    return QuotedLeg(_leg(symbol, direction, amount), Q96, out)


def test_min_out_rounds_down_and_floors_raise_or_drop() -> None:
    assert min_out_rounded_down(1_000_001, 50) == 995_000  # 995000.995 rounds down
    legs = [_quoted("AAA", Direction.SELL, 10, 1_000),
            _quoted("BBB", Direction.SELL, 10, 1_000),
            _quoted("CCC", Direction.SELL, 10, 1_000)]  # fmt: skip
    kept, dropped = apply_floors(
        legs, [(1_010, 998), (1_200, 1_001), NO_TWAP], max_slippage_bps=50, usdc=USDC_ADDR
    )
    assert [(g.symbol, g.min_out) for g in kept] == [("AAA", 998)]
    assert [s for s, _ in dropped] == ["BBB", "CCC"]
    with pytest.raises(ValueError, match="tolerance"):
        apply_floors(legs, [NO_TWAP, NO_TWAP, NO_TWAP], max_slippage_bps=10_000, usdc=USDC_ADDR)


def test_buys_never_spend_more_than_cash_plus_the_sells_min_outs() -> None:
    sells = [_quoted("AAA", Direction.SELL, 10**18, 600).guarded(590, usdc=USDC_ADDR)]
    buys = [_quoted("BBB", Direction.BUY, 800, 4_000),
            _quoted("CCC", Direction.BUY, 400, 2_000)]  # fmt: skip
    kept, dropped, scaled = fund_buys(buys, cash_usdc=310, sells=sells, min_trade_usdc=1)
    assert scaled
    assert dropped == []
    assert sum(b.amount_in for b in kept) <= 900
    assert [(b.amount_in, b.quoted_out) for b in kept] == [(600, 3_000), (300, 1_500)]
    same, _, scaled_again = fund_buys(buys, cash_usdc=10_000, sells=sells, min_trade_usdc=1)
    assert not scaled_again
    assert same == buys


# --- journal --------------------------------------------------------------------------------


def test_journal_never_forgets_a_signed_transaction(tmp_path: Path) -> None:
    with KeeperJournal(tmp_path / "k.sqlite") as j:
        j.add_vaults([("0xV", "0xO", 5)], scanned_to=9)
        assert j.meta("scanned_to_block") == "9"
        j.start_cycle("c1", kind="weekly", regime="bull", targets_date="2023-01-02",
                      weights_bps={"AAA": 10_000}, now_s=1)  # fmt: skip
        again = j.start_cycle("c1", kind="weekly", regime="bear", targets_date="x",
                              weights_bps={}, now_s=2)  # fmt: skip
        assert again.regime == "bull"  # a restarted cycle keeps the targets it started with
        assert again.weights_bps == {"AAA": 10_000}
        j.settle("c1", "0xV", ActionState.SUBMITTED, now_s=3, count_attempt=True, nonce=7,
                 tx_hash="0xabc", raw_tx="02f8", legs=3)  # fmt: skip
        with pytest.raises(ValueError, match="submitted"):
            j.settle("c1", "0xV", ActionState.SKIPPED, now_s=4)
        assert [a.tx_hash for a in j.submitted()] == ["0xabc"]
        assert j.open_actions("c1") == 1
        j.settle("c1", "0xV", ActionState.DONE, now_s=5, gas_used=1, loss_usdc=2**70)
        with pytest.raises(ValueError, match="final"):
            j.settle("c1", "0xV", ActionState.PENDING, now_s=6)
        action = j.action("c1", "0xV")
        assert action is not None
        assert (action.state, action.attempts, action.loss_usdc) == (ActionState.DONE, 1, 2**70)
        j.finish_cycle("c1", 7)
        assert j.last_finished() is not None
        assert j.open_cycles() == []


def test_finishing_a_cycle_with_a_reason_closes_waiting_vaults(tmp_path: Path) -> None:
    with KeeperJournal(tmp_path / "k.sqlite") as j:
        j.add_vaults([("0xV", "0xO", 5)], scanned_to=9)
        j.start_cycle("c1", kind="regime", regime="bear", targets_date="d", weights_bps={},
                      now_s=1)  # fmt: skip
        j.settle("c1", "0xV", ActionState.WAITING, now_s=2, reason="interval")
        j.finish_cycle("c1", 3, "superseded by c2")
        action = j.action("c1", "0xV")
        assert action is not None
        assert (action.state, action.reason) == (ActionState.SKIPPED, "superseded by c2")


def test_oracle_reasons_are_the_ones_time_cures() -> None:
    legs = [_quoted("AAA", Direction.SELL, 10, 1_000)]
    _, no_twap = apply_floors(legs, [NO_TWAP], max_slippage_bps=50, usdc=USDC_ADDR)
    _, off_twap = apply_floors(legs, [(1_300, 1_100)], max_slippage_bps=50, usdc=USDC_ADDR)
    _, unsettled = apply_floors(
        legs, [f"{UNSETTLED} (spot tick 5, window halves 1 and 200)"], max_slippage_bps=50,
        usdc=USDC_ADDR,
    )  # fmt: skip
    small = _revert("CardinalityTooLow(address,uint256,uint256)",
                    ["address", "uint256", "uint256"], ["0x" + "11" * 20, 16, 31])  # fmt: skip
    _, small_ring = apply_floors(legs, [guard_reason(small)], max_slippage_bps=50, usdc=USDC_ADDR)
    assert oracle_blocked(no_twap)
    assert oracle_blocked(off_twap)
    assert oracle_blocked(unsettled)
    assert not oracle_blocked(small_ring)  # time does not grow a ring: the leg is dropped
    assert small_ring[0][1].startswith(
        "the pool's oracle holds 16 observations and the window needs 31"
    )
    assert not oracle_blocked([("AAA", "too small once scaled to the cash available")])
    assert not oracle_blocked([])


def test_an_open_regime_cycle_is_resumed_on_a_later_day() -> None:
    week = _cycle("weekly-2026-W48", "bull", True)
    waiting = _cycle("regime-2026-11-24-bear", "bear", False, "regime")
    choice = choose_cycle(MONDAY_9H + 3 * 86_400, "bear", existing=week,
                          open_cycles=[waiting], last_finished=week)  # fmt: skip
    assert (choice.cycle_id, choice.resume, choice.supersede) == (waiting.cycle_id, True, ())


def _revert(signature: str, types: list[str], values: list[object]) -> bytes:
    return function_signature_to_4byte_selector(signature) + abi_encode(types, values)


def test_guard_reasons_decode_the_vaults_price_guard_errors() -> None:
    unsettled = guard_reason(_revert("PriceUnsettled(address,int24,int24,int24)",
                                     ["address", "int24", "int24", "int24"],
                                     ["0x" + "11" * 20, -199_226, -200_179, -199_544]))  # fmt: skip
    assert unsettled == f"{UNSETTLED} (spot tick -199226, window halves -200179 and -199544)"
    too_short = guard_reason(_revert("OracleTooShort(address,uint32)", ["address", "uint32"],
                                     ["0x" + "11" * 20, 1_800]))  # fmt: skip
    assert too_short == NO_TWAP
