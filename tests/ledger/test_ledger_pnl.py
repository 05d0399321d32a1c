"""Positions, average cost and P&L from hand-built events (pure): hand-computed numbers,
refusals of events that do not add up, and the accounting identity on random histories."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import EventsInconsistent, InputError, MissingPrice
from orchestrator.ledger import (
    Price,
    group_actions,
    pnl,
    replay,
)
from tests.ledger.builders import USDC, A, B, Chain


def _history() -> Chain:
    chain = Chain()
    # buy 1: 1000 in, fee 1, A: 600 USDC → 300 A, B: 300 USDC → 1000 B; cash 99
    chain.buy(1_000, 1, [(A, 600, 300), (B, 300, 1_000)])
    # buy 2: 500 in, fee 1, A: 400 USDC → 100 A; A = 400 @ basis 1000; cash 99 + 499 - 400
    chain.buy(500, 1, [(A, 400, 100)])
    # sell: 150 A → 450 (cost 1000*150//400 = 375, +75), 333 B → 120 (cost 300*333//1000
    # = 99, +21); 50 cash paid out, fee 6: paid 614; cash 198 + 570 - 620 = 148
    chain.sell([(A, 150, 450), (B, 333, 120)], cash=50, fee=6)
    # rebalance: 50 A → 160 (cost 625*50//250 = 125, +35), 100 USDC → 400 B; cash 208
    chain.rebalance([(A, USDC, 50, 160), (USDC, B, 100, 400)], loss=3)
    # withdraw in kind every B (basis 201 + 100 = 301, at cost) and the cash (208)
    chain.withdraw([B, USDC, B], [1_067, 208, 0])
    return chain


def test_a_hand_computed_history() -> None:
    actions = group_actions(_history().events)
    assert [a.kind for a in actions] == ["buy", "buy", "sell", "rebalance", "withdraw"]
    assert [len(a.swaps) for a in actions] == [2, 1, 2, 2, 0]
    book = replay(actions, usdc=USDC.lower())

    assert book.holdings() == {USDC: 0, A: 200, B: 0}
    assert {p.token: p.cost_basis_usdc for p in book.positions} == {A: 500, B: 0}
    assert book.deposits_usdc == 1_500
    assert book.fees_usdc == 1 + 1 + 6
    assert book.realised_pnl_usdc == 75 + 21 + 35
    assert book.withdrawals_usdc == 614 + 301 + 208

    report = pnl(book, {A.lower(): Price(7, 3)}, gas_paid_wei=123)  # A at 7/3 USDC
    (position,) = report.positions
    assert (position.value_usdc, position.unrealised_pnl_usdc) == (466, -34)  # 1400/3 down
    assert report.equity_usdc == 466
    assert report.net_pnl_usdc == 131 - 34 - 8 == 89
    assert report.equity_usdc + report.withdrawals_usdc - report.deposits_usdc == 89
    assert report.gas_paid_wei == 123


def test_cash_is_the_usdc_left_after_each_action() -> None:
    chain = Chain()
    chain.buy(1_000, 1, [(A, 600, 300)])
    assert replay(group_actions(chain.events), usdc=USDC).cash_usdc == 399
    chain.sell([(A, 300, 700)], cash=399, fee=1)
    book = replay(group_actions(chain.events), usdc=USDC)
    assert book.cash_usdc == 0
    assert book.holdings()[A] == 0
    assert book.positions[0].cost_basis_usdc == 0  # a full exit removes the whole basis
    assert book.realised_pnl_usdc == 100
    assert book.withdrawals_usdc == 1_098


def test_events_that_do_not_add_up_are_refused_with_their_transaction() -> None:
    chain = Chain()
    chain.buy(1_000, 0, [(A, 600, 300)])
    tx = chain.sell([(A, 301, 700)], cash=0, fee=0)
    with pytest.raises(EventsInconsistent) as caught:
        replay(group_actions(chain.events), usdc=USDC)
    assert caught.value.tx_hash == tx
    assert "301 of" in caught.value.problem
    assert "which held 300" in caught.value.problem

    chain = Chain()
    chain.rebalance([(A, B, 1, 1)])
    with pytest.raises(EventsInconsistent, match="does not trade USDC"):
        replay(group_actions(chain.events), usdc=USDC)

    chain = Chain()
    chain.buy(1_000, 0, [(A, 600, 300)])
    chain.events[-1] = chain.events[-1].__class__(  # Bought claiming another usdcSwapped
        **{**chain.events[-1].__dict__, "usdc_swapped": 601}
    )
    with pytest.raises(EventsInconsistent, match="the legs add up to 600, usdcSwapped says 601"):
        replay(group_actions(chain.events), usdc=USDC)


def test_legs_without_their_action_are_refused() -> None:
    chain = Chain()
    chain.buy(1_000, 0, [(A, 600, 300)])
    del chain.events[-1]  # the Bought is missing (e.g. the read stopped mid-transaction)
    with pytest.raises(EventsInconsistent, match="belong to no buy, sell or rebalance"):
        group_actions(chain.events)


def test_one_transaction_can_hold_several_actions_in_log_order() -> None:
    chain = Chain()
    chain.created(A, B)
    chain.buy(10, 0, [(A, 10, 1)])
    created, bought = chain.events[0], chain.events[-1]
    # a user operation's batch: [createVault, approve, buy] in one transaction
    same_tx = [
        created.__class__(**{**created.__dict__, "tx_hash": bought.tx_hash,
                             "block_number": bought.block_number, "log_index": 0}),
        *(e.__class__(**{**e.__dict__, "log_index": e.log_index + 1}) for e in chain.events[1:]),
    ]  # fmt: skip
    actions = group_actions(reversed(same_tx))
    assert [a.kind for a in actions] == ["vault_created", "buy"]
    assert {a.tx_hash for a in actions} == {bought.tx_hash}
    assert len(actions[1].swaps) == 1


def test_prices_are_required_for_held_tokens_only_and_values_round_down() -> None:
    book = replay(group_actions(_history().events), usdc=USDC)
    with pytest.raises(MissingPrice) as caught:
        pnl(book, {})
    assert caught.value.tokens == (A,)  # B is no longer held: it needs no price
    assert Price.per_whole_token(2_500_000, 18).value_of(10**18 - 1) == 2_499_999
    assert Price(1, 3).value_of(2) == 0
    with pytest.raises(InputError, match="per > 0"):
        Price(1, 0)


@st.composite
def histories(draw: st.DrawFn) -> tuple[Chain, dict[str, Price], dict[str, int]]:
    """A random but consistent history: the generator tracks what the vault holds."""
    chain, held, cash = Chain(), {A: 0, B: 0}, 0
    for _ in range(draw(st.integers(1, 12))):
        step = draw(st.sampled_from(["buy", "sell", "rebalance", "withdraw"]))
        amounts = st.integers(0, 10**24)
        if step == "buy":
            usdc_in = draw(st.integers(0, 10**12))
            fee = draw(st.integers(0, usdc_in // 100))
            budget = usdc_in - fee
            legs = []
            for token in draw(st.lists(st.sampled_from([A, B]), max_size=2, unique=True)):
                spend = draw(st.integers(0, budget))
                budget -= spend
                legs.append((token, spend, draw(amounts)))
                held[token] += legs[-1][2]
            chain.buy(usdc_in, fee, legs)
            cash += budget
        elif step == "sell":
            legs = [
                (t, draw(st.integers(0, held[t])), draw(st.integers(0, 10**12))) for t in (A, B)
            ]
            proceeds = sum(o for _, _, o in legs)
            paid_cash = draw(st.integers(0, cash))
            fee = draw(st.integers(0, (proceeds + paid_cash) // 100))
            chain.sell(legs, cash=paid_cash, fee=fee)
            for token, amount, _ in legs:
                held[token] -= amount
            cash -= paid_cash
        elif step == "rebalance":
            sold = draw(st.integers(0, held[A]))
            proceeds = draw(st.integers(0, 10**12))
            spend = draw(st.integers(0, cash + proceeds))
            bought = draw(amounts)
            chain.rebalance([(A, USDC, sold, proceeds), (USDC, B, spend, bought)])
            held[A] += -sold
            held[B] += bought
            cash += proceeds - spend
        else:
            token = draw(st.sampled_from([A, B]))
            chain.withdraw([token, USDC], [held[token], cash])
            held[token], cash = 0, 0
    prices = {t: Price(draw(st.integers(0, 10**9)), draw(st.integers(1, 10**18))) for t in (A, B)}
    return chain, prices, {USDC: cash, **held}


@settings(max_examples=150, deadline=None)
@given(histories())
def test_the_accounting_identity_holds_exactly_on_any_history(
    case: tuple[Chain, dict[str, Price], dict[str, int]],
) -> None:
    chain, prices, holdings = case
    book = replay(group_actions(chain.events), usdc=USDC)
    assert {t: n for t, n in book.holdings().items() if n} == {
        t: n for t, n in holdings.items() if n
    }
    report = pnl(book, prices)
    assert report.equity_usdc + report.withdrawals_usdc - report.deposits_usdc == (
        report.net_pnl_usdc
    )
    assert all(p.cost_basis_usdc >= 0 for p in book.positions)
