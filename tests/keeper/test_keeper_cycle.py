"""The keeper against real vaults and pools (eth-tester and anvil): weekly rebalance to
targets within bands, regime flips to USDC and back, opted-out vaults untouched, a vault
that reverts does not stop the others, mandate intervals defer, nothing is sent twice."""

from __future__ import annotations

import pytest

from orchestrator.chain import Transactor
from orchestrator.chain.uniswap import QuoteRequest, swap_exact_input_single
from orchestrator.keeper.journal import ActionState
from tests.keeper.conftest import DAY_S, USDC, KeeperEnv


def _symbols(kenv: KeeperEnv) -> list[str]:
    return [t.symbol for t in kenv.market.book.tokens]


def _outcomes(report) -> dict[str, ActionState]:  # type: ignore[no-untyped-def]
    return {o.vault: o.state for o in report.outcomes}


def test_weekly_rebalance_reaches_targets_and_leaves_opted_out_vaults_alone(
    kenv: KeeperEnv,
) -> None:
    symbols = _symbols(kenv)
    full = kenv.open_vault("full", buy_usdc=3_000 * USDC, symbols=symbols[:2])
    subset = kenv.open_vault("subset", buy_usdc=3_000 * USDC, symbols=symbols[:3])
    passive = kenv.open_vault("passive", buy_usdc=1_000 * USDC, symbols=symbols[:3])
    kenv.set_mandate(full)
    allowed = symbols[1:4]
    kenv.set_mandate(subset, symbols=allowed)
    kenv.chain.increase_time(1_900)  # the pools' TWAP covers the mandates' 1 800 s window
    passive_before = kenv.holdings(passive.address), kenv.cash(passive.address)

    report = kenv.keeper.run_once(kenv.bull)

    assert report.kind == "weekly"
    assert report.finished
    states = _outcomes(report)
    assert states[full.address] is ActionState.DONE
    assert states[subset.address] is ActionState.DONE
    assert states[passive.address] is ActionState.SKIPPED
    assert (kenv.holdings(passive.address), kenv.cash(passive.address)) == passive_before

    weights = kenv.weights_bps(full.address)
    for symbol, target in kenv.bull.weights_bps.items():
        assert abs(weights[symbol] - target) <= 150, (symbol, weights[symbol], target)
    # the subset vault: only allowed tokens, renormalised; the disallowed token stays held
    sub_targets = {s: w for s, w in kenv.bull.weights_bps.items() if s in allowed}
    held = kenv.weights_bps(subset.address)  # bps of the whole NAV
    assert kenv.holdings(subset.address)[symbols[0]] > 0  # not allowed: untouched
    steered = 10_000 - held[symbols[0]]  # the part of the NAV the keeper may trade
    total_target = sum(sub_targets.values())
    for symbol, target in sub_targets.items():
        share = held[symbol] * 10_000 // steered
        assert abs(share - target * 10_000 // total_target) <= 150, (symbol, share)

    # the same week again: nothing to do, nothing sent
    nonce = kenv.chain.w3.eth.get_transaction_count(kenv.keeper.address)
    again = kenv.keeper.run_once(kenv.bull)
    assert again.cycle_id is None
    assert "done" in again.why
    assert kenv.chain.w3.eth.get_transaction_count(kenv.keeper.address) == nonce


def test_regime_flip_moves_opted_in_vaults_to_usdc_and_back(kenv: KeeperEnv) -> None:
    symbols = _symbols(kenv)
    vaults = [kenv.open_vault(f"v{i}", buy_usdc=1_500 * USDC, symbols=symbols[: i + 2])
              for i in range(2)]  # fmt: skip
    for v in vaults:
        kenv.set_mandate(v, min_interval_s=3_600)
    outsider = kenv.open_vault("outsider", buy_usdc=1_000 * USDC, symbols=symbols[:2])
    kenv.chain.increase_time(1_900)
    assert kenv.keeper.run_once(kenv.bull).finished
    outsider_before = kenv.holdings(outsider.address)

    kenv.chain.increase_time(DAY_S)  # mid-week: the daily check sees bear
    bear = kenv.keeper.run_once(kenv.bear())
    assert bear.kind == "regime"
    assert bear.regime == "bear"
    assert bear.finished
    for v in vaults:
        assert _outcomes(bear)[v.address] is ActionState.DONE
        assert sum(kenv.holdings(v.address).values()) == 0
        assert kenv.cash(v.address) > 1_400 * USDC
    assert kenv.holdings(outsider.address) == outsider_before

    kenv.chain.increase_time(DAY_S)  # and back
    bull = kenv.keeper.run_once(kenv.bull)
    assert bull.kind == "regime"
    assert bull.regime == "bull"
    assert bull.finished
    for v in vaults:
        weights = kenv.weights_bps(v.address)
        for symbol, target in kenv.bull.weights_bps.items():
            assert abs(weights[symbol] - target) <= 150, (symbol, weights[symbol], target)
    assert kenv.keeper.run_once(kenv.bull).cycle_id is None  # nothing left


def test_a_reverting_vault_is_recorded_and_the_others_proceed(kenv: KeeperEnv) -> None:
    symbols = _symbols(kenv)
    good = kenv.open_vault("good", buy_usdc=2_000 * USDC, symbols=symbols[:1])
    stingy = kenv.open_vault("stingy", buy_usdc=2_000 * USDC, symbols=symbols[:1])
    whale_hit = kenv.open_vault("whale", buy_usdc=2_000 * USDC, symbols=symbols[:1])
    kenv.set_mandate(good)
    kenv.set_mandate(stingy, loss_budget_usdc=1)  # any realistic loss breaks it
    kenv.set_mandate(whale_hit)
    kenv.chain.increase_time(1_900)
    book, chain = kenv.market.book, kenv.chain

    def adverse_swap(vault: str) -> None:  # between signing and broadcast
        if vault != whale_hit.address:
            return
        whale = Transactor(chain, chain.accounts[6])
        kenv.market.deployer.resync()
        kenv.market.fund_usdc(whale.address, 400_000 * USDC)
        token = book.tokens[1]  # the whale vault buys it: make it dearer
        request = QuoteRequest(book.contracts.usdc, token.address, token.fee, 400_000 * USDC)
        swap_exact_input_single(whale, book.contracts.swap_router02, request, amount_out_min=0)

    kenv.keeper.before_submit = adverse_swap
    report = kenv.keeper.run_once(kenv.bull)

    outcomes = {o.vault: o for o in report.outcomes}
    assert outcomes[good.address].state is ActionState.DONE
    assert outcomes[stingy.address].state is ActionState.FAILED
    assert "LossBudgetExceeded" in (outcomes[stingy.address].reason or "")
    assert outcomes[whale_hit.address].state is ActionState.FAILED
    # the whale moved the price past the max slippage: the vault's guard refuses it first
    assert "PriceUnsettled" in (outcomes[whale_hit.address].reason or "")
    assert "on chain" in (outcomes[whale_hit.address].reason or "")
    assert kenv.holdings(stingy.address)[symbols[0]] > 0  # untouched by the failed attempt
    assert report.finished  # failures are outcomes: the cycle is complete
    action = kenv.journal.action(report.cycle_id or "", whale_hit.address)
    assert action is not None
    assert action.tx_hash is not None
    assert action.attempts == 1


def test_mandate_interval_defers_the_vault_until_a_later_run(kenv: KeeperEnv) -> None:
    symbols = _symbols(kenv)
    slow = kenv.open_vault("slow", buy_usdc=1_500 * USDC, symbols=symbols[:2])
    kenv.set_mandate(slow, min_interval_s=3 * DAY_S)
    kenv.chain.increase_time(1_900)
    assert kenv.keeper.run_once(kenv.bull).finished

    kenv.chain.increase_time(DAY_S)
    early = kenv.keeper.run_once(kenv.bear())
    assert _outcomes(early)[slow.address] is ActionState.WAITING
    assert "interval" in (early.outcomes[0].reason or "")
    assert not early.finished
    assert sum(kenv.holdings(slow.address).values()) > 0

    kenv.chain.increase_time(2 * DAY_S + 60)
    later = kenv.keeper.run_once(kenv.bear())
    assert later.cycle_id == early.cycle_id  # the open regime cycle is resumed
    assert _outcomes(later)[slow.address] is ActionState.DONE
    assert sum(kenv.holdings(slow.address).values()) == 0


def test_dry_run_plans_without_sending_or_journaling(kenv: KeeperEnv) -> None:
    symbols = _symbols(kenv)
    v = kenv.open_vault("dry", buy_usdc=1_500 * USDC, symbols=symbols[:1])
    kenv.set_mandate(v)
    kenv.chain.increase_time(1_900)
    nonce = kenv.chain.w3.eth.get_transaction_count(kenv.keeper.address)
    report = kenv.keeper.run_once(kenv.bull, dry_run=True)
    assert _outcomes(report)[v.address] is ActionState.PENDING
    assert "would rebalance" in (report.outcomes[0].reason or "")
    assert kenv.chain.w3.eth.get_transaction_count(kenv.keeper.address) == nonce
    assert kenv.journal.cycles() == []


def test_an_unreachable_node_is_retried_with_backoff_then_stops_with_a_report(
    kenv: KeeperEnv,
) -> None:
    from web3 import Web3

    from orchestrator.chain.backends import Chain
    from orchestrator.errors import KeeperStopped

    dead = Chain(w3=Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2})),
                 kind="rpc", label="http://127.0.0.1:9", chain_id=kenv.chain.chain_id)  # fmt: skip
    slept: list[float] = []
    kenv.keeper.chain = dead
    kenv.keeper.sleep = slept.append
    with pytest.raises(KeeperStopped, match="stayed unreachable") as stopped:
        kenv.keeper.run_once(kenv.bull)
    assert slept == [0.5, 1.0, 2.0]  # 4 attempts, doubling
    assert stopped.value.hint is not None
    assert "resumes" in stopped.value.hint
    assert kenv.journal.cycles() == []  # nothing half-written


def test_rebalances_appear_in_the_vault_transaction_log(kenv: KeeperEnv) -> None:
    from orchestrator.ledger.event_records import group_actions
    from orchestrator.ledger.events import read_vault_events

    v = kenv.open_vault("logged", buy_usdc=1_500 * USDC, symbols=_symbols(kenv)[:1])
    kenv.set_mandate(v)
    kenv.chain.increase_time(1_900)
    report = kenv.keeper.run_once(kenv.bull)
    assert _outcomes(report)[v.address] is ActionState.DONE
    actions = group_actions(read_vault_events(kenv.chain, v.address, from_block=0))
    kinds = [a.kind for a in actions]
    assert kinds.count("rebalance") == 1
    rebalance = next(a for a in actions if a.kind == "rebalance")
    assert rebalance.tx_hash == report.outcomes[0].tx_hash


def test_a_pool_without_enough_twap_history_defers_the_vault(kenv: KeeperEnv) -> None:
    book, chain = kenv.market.book, kenv.chain
    token = book.tokens[0]
    v = kenv.open_vault("young", buy_usdc=1_500 * USDC, symbols=[token.symbol])
    kenv.set_mandate(v)
    kenv.chain.increase_time(1_900)
    # 96 trades in 96 blocks 2 s apart, most moving the tick, fill the pool's 32 observation
    # slots (a pool writes one only when its tick moves): the oldest is now seconds old, so
    # the 30-minute TWAP cannot be read yet. (The local factory declares 60 s blocks, which
    # keeps the local rings small; a live chain's factory declares its true block time, so
    # there a full ring always spans the window.)
    trader = Transactor(chain, chain.accounts[6])
    kenv.market.deployer.resync()
    kenv.market.fund_usdc(trader.address, 96 * 1_000 * USDC)
    for _ in range(96):
        request = QuoteRequest(book.contracts.usdc, token.address, token.fee, 1_000 * USDC)
        swap_exact_input_single(trader, book.contracts.swap_router02, request, amount_out_min=0)
        chain.increase_time(2)  # one observation per distinct block time
    early = kenv.keeper.run_once(kenv.bull)
    assert _outcomes(early)[v.address] is ActionState.WAITING
    assert "oracle not ready" in (early.outcomes[0].reason or "")
    assert not early.finished
    kenv.chain.increase_time(1_900)
    later = kenv.keeper.run_once(kenv.bull)
    assert later.cycle_id == early.cycle_id
    assert _outcomes(later)[v.address] is ActionState.DONE
    assert later.finished


def test_a_vault_whose_loss_cap_is_used_up_is_skipped_with_the_reason(kenv: KeeperEnv) -> None:
    """The vault would refuse any losing rebalance (`LossCapExceeded`): the keeper does not
    even plan one, and says what the owner must do."""
    symbols = _symbols(kenv)
    v = kenv.open_vault("capped", buy_usdc=1_500 * USDC, symbols=symbols[:1])
    kenv.set_mandate(v, loss_cap_usdc=0)
    kenv.chain.increase_time(1_900)
    report = kenv.keeper.run_once(kenv.bull)
    outcome = next(o for o in report.outcomes if o.vault == v.address)
    assert outcome.state is ActionState.SKIPPED
    assert "loss cap is used up (0.00 of 0.00 USDC)" in (outcome.reason or "")
    assert "sign a new mandate" in (outcome.reason or "")
