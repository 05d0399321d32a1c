"""The keeper's batch path against real vaults, pools and the platform's BatchSettlement:
batchable vaults of a cycle settle in one transaction, a vault whose checks fail leaves the
batch for the single-vault path with its decoded reason, a vault not opted in keeps its own
transaction, and a batch signed before a crash is broadcast once after the restart."""

from __future__ import annotations

import pytest
from eth_utils.address import to_checksum_address

from orchestrator.chain.calls import call_raw
from orchestrator.chain.vault_binding import FACTORY_BATCH_SETTLEMENT
from orchestrator.keeper.cycle import Keeper
from orchestrator.keeper.journal import ActionState
from tests.keeper.conftest import USDC, KeeperEnv


def _symbols(kenv: KeeperEnv) -> list[str]:
    return [t.symbol for t in kenv.market.book.tokens]


def _batch_address(kenv: KeeperEnv) -> str:
    factory = kenv.market.book.contracts.vault_factory
    (address,) = FACTORY_BATCH_SETTLEMENT.decode(
        call_raw(kenv.chain, factory, FACTORY_BATCH_SETTLEMENT.call())
    )
    return to_checksum_address(address)


def _sends(kenv: KeeperEnv) -> int:
    return kenv.chain.tx_count(kenv.keeper.address)


def test_bear_switch_settles_batchable_vaults_in_one_transaction(kenv: KeeperEnv) -> None:
    symbols = _symbols(kenv)
    batched = [
        kenv.open_vault(f"b{i}", buy_usdc=2_000 * USDC, symbols=symbols[:3]) for i in range(3)
    ]
    alone = kenv.open_vault("alone", buy_usdc=2_000 * USDC, symbols=symbols[:3])
    for vault in batched:
        kenv.set_mandate(vault, batchable=True)
    kenv.set_mandate(alone)
    kenv.chain.increase_time(1_900)
    sends = _sends(kenv)

    report = kenv.keeper.run_once(kenv.bear())

    outcomes = {o.vault: o for o in report.outcomes}
    assert all(outcomes[v.address].state is ActionState.DONE for v in [*batched, alone]), outcomes
    hashes = {outcomes[v.address].tx_hash for v in batched}
    assert len(hashes) == 1, "the three batchable vaults share one transaction"
    assert outcomes[alone.address].tx_hash not in hashes, "the vault not opted in has its own"
    assert _sends(kenv) - sends == 2, "one batch and one single rebalance"
    for vault in [*batched, alone]:
        assert all(v == 0 for v in kenv.holdings(vault.address).values()), "bear: all in USDC"
    batch = _batch_address(kenv)
    assert kenv.cash(batch) == 0
    assert all(v == 0 for v in kenv.holdings(batch).values()), "the batch holds nothing"
    # the batch's gas is shared: each vault is charged a third of it
    action = kenv.journal.action(report.cycle_id or "", batched[0].address)
    assert action is not None
    assert action.gas_used is not None
    alone_gas = outcomes[alone.address].gas_used
    assert alone_gas is not None
    assert action.gas_used < alone_gas


def test_a_vault_that_would_fail_leaves_the_batch_with_its_reason(kenv: KeeperEnv) -> None:
    symbols = _symbols(kenv)
    good = [kenv.open_vault(f"g{i}", buy_usdc=2_000 * USDC, symbols=symbols[:3]) for i in range(2)]
    bad = kenv.open_vault("bad", buy_usdc=2_000 * USDC, symbols=symbols[:3])
    for vault in good:
        kenv.set_mandate(vault, batchable=True)
    kenv.set_mandate(bad, batchable=True, loss_budget_usdc=1)  # any loss is over budget
    kenv.chain.increase_time(1_900)

    report = kenv.keeper.run_once(kenv.bear())

    outcomes = {o.vault: o for o in report.outcomes}
    assert outcomes[bad.address].state is ActionState.FAILED
    assert "LossBudgetExceeded" in (outcomes[bad.address].reason or ""), outcomes[bad.address]
    assert outcomes[bad.address].tx_hash is None, "its own pre-flight failed too: nothing sent"
    assert "left the batch" in (outcomes[bad.address].reason or ""), "why it left the batch"
    assert {outcomes[v.address].state for v in good} == {ActionState.DONE}
    assert len({outcomes[v.address].tx_hash for v in good}) == 1


def test_a_batch_signed_before_a_crash_is_sent_once_after_restart(kenv: KeeperEnv) -> None:
    symbols = _symbols(kenv)
    vaults = [
        kenv.open_vault(f"c{i}", buy_usdc=2_000 * USDC, symbols=symbols[:2]) for i in range(3)
    ]
    for vault in vaults:
        kenv.set_mandate(vault, batchable=True)
    kenv.chain.increase_time(1_900)
    sends = _sends(kenv)

    def crash(_vault: str) -> None:
        raise RuntimeError("killed between journaling and broadcasting")

    kenv.keeper.before_submit = crash
    with pytest.raises(RuntimeError, match="killed"):
        kenv.keeper.run_once(kenv.bear())
    assert _sends(kenv) == sends, "nothing was broadcast"
    cycle_id = kenv.journal.open_cycles()[0].cycle_id
    signed = [kenv.journal.action(cycle_id, v.address) for v in vaults]
    assert {a.state for a in signed if a} == {ActionState.SUBMITTED}
    assert len({a.tx_hash for a in signed if a}) == 1, "one batch journaled for all three"

    restarted = Keeper(kenv.chain, kenv.market.book, kenv.journal, kenv.keeper.transactor,
                       sleep=lambda _s: None)  # fmt: skip
    report = restarted.run_once(kenv.bear())

    assert {o.state for o in report.recovered} == {ActionState.DONE}
    assert len(report.recovered) == 3
    assert _sends(kenv) - sends == 1, "the batch was sent exactly once"
    again = restarted.run_once(kenv.bear())
    assert _sends(kenv) - sends == 1, "and never again"
    assert again.count(ActionState.DONE) == 3 or again.finished


def test_each_batch_is_guarded_at_the_prices_the_earlier_batches_left(kenv: KeeperEnv) -> None:
    """A cycle of several batches (here one vault each): the first batch's net swap moves the
    pools, so the next batch's min-outs must come from quotes taken after it, not from the
    cycle's start (the 30-vault bench's 3 failures: InsufficientOutput ~0.7% under min-out)."""
    symbol = _symbols(kenv)[0]
    vaults = [kenv.open_vault(f"s{i}", buy_usdc=200_000 * USDC, symbols=[symbol]) for i in range(3)]
    for vault in vaults:
        kenv.set_mandate(vault, batchable=True, loss_budget_usdc=50_000 * USDC,
                         loss_cap_usdc=100_000 * USDC)  # fmt: skip
    kenv.chain.increase_time(1_900)
    kenv.keeper.batch_gas_budget = 1  # every vault a batch of its own, one after another
    sends = _sends(kenv)

    report = kenv.keeper.run_once(kenv.bear())

    outcomes = {o.vault: o for o in report.outcomes}
    assert {outcomes[v.address].state for v in vaults} == {ActionState.DONE}, outcomes
    assert not any("left the batch" in (o.reason or "") for o in outcomes.values()), outcomes
    assert len({outcomes[v.address].tx_hash for v in vaults}) == 3, "three batches"
    assert _sends(kenv) - sends == 3


def test_a_batch_receipt_is_read_once_for_all_its_vaults(kenv: KeeperEnv) -> None:
    """A batch's receipt carries every vault's legs' logs: its vaults settle from one read
    (reading it again per vault made the 1,000-vault cycle quadratic in the batch size)."""
    symbols = _symbols(kenv)
    vaults = [
        kenv.open_vault(f"r{i}", buy_usdc=2_000 * USDC, symbols=symbols[:2]) for i in range(4)
    ]
    for vault in vaults:
        kenv.set_mandate(vault, batchable=True)
    kenv.chain.increase_time(1_900)
    tx, chain = kenv.keeper.transactor, kenv.chain
    reads: list[str] = []
    receipt, wait = chain.receipt, tx.wait
    chain.receipt = lambda h: reads.append("receipt") or receipt(h)  # type: ignore[method-assign]
    tx.wait = lambda h, **kw: reads.append("wait") or wait(h, **kw)  # type: ignore[method-assign]
    try:
        report = kenv.keeper.run_once(kenv.bear())
    finally:
        del chain.receipt, tx.wait

    outcomes = {o.vault: o for o in report.outcomes}
    assert {outcomes[v.address].state for v in vaults} == {ActionState.DONE}, outcomes
    assert len({outcomes[v.address].tx_hash for v in vaults}) == 1
    assert reads.count("wait") == 1, reads
    assert reads.count("receipt") <= 2, reads  # "not mined yet", then maybe once more
    gas = {outcomes[v.address].gas_used for v in vaults}
    assert len(gas) == 1, "each vault charged the same share"
    assert None not in gas
