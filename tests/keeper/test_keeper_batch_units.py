"""Pure parts of the keeper's batch path: packing by estimated gas, the nets (crossing at
mid), and the calldata's shape."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchestrator.chain.vault_binding import SETTLE
from orchestrator.domain.legs import Direction, GuardedLeg
from orchestrator.domain.units import Bps, Pips, TokenUnits
from orchestrator.keeper import batch as kb
from orchestrator.keeper.journal import _SCHEMA, ActionState, KeeperJournal

TOKEN_A = "0x" + "a" * 40
TOKEN_B = "0x" + "0" * 39 + "b"


def _leg(token: str, direction: Direction, amount_in: int, mid_out: int) -> GuardedLeg:
    return GuardedLeg(
        symbol=token[-1], token=token, direction=direction, pool="0x" + "1" * 40,
        pool_fee=Pips(500), amount_in=TokenUnits(amount_in), in_decimals=18,
        expected_out=TokenUnits(mid_out), min_out=TokenUnits(mid_out * 99 // 100),
        out_decimals=6, mid_out=TokenUnits(mid_out), price_impact_bps=Bps(1), target_bps=Bps(0),
    )  # fmt: skip


def _member(vault: int, sells: list[GuardedLeg], buys: list[GuardedLeg]) -> kb.BatchMember:
    return kb.BatchMember(f"0x{vault:040x}", sells, buys)


def test_pack_fits_the_budget_in_ascending_vault_order() -> None:
    members = [
        _member(v, [_leg(TOKEN_A, Direction.SELL, 10**18, 2_000 * 10**6)], [])
        for v in (9, 3, 7, 1, 5)
    ]
    one = kb.estimated_gas(members[:1])
    batches = kb.pack(members, one + 2 * (kb.GAS_PER_VAULT + kb.GAS_PER_LEG))
    assert [len(b) for b in batches] == [3, 2]
    flat = [m.vault for b in batches for m in b]
    assert flat == sorted(flat, key=lambda v: int(v, 16)), "ascending, as settle requires"
    assert all(
        kb.estimated_gas(b) <= one + 2 * (kb.GAS_PER_VAULT + kb.GAS_PER_LEG) for b in batches
    )


def test_a_vault_too_big_for_the_budget_still_gets_its_own_batch() -> None:
    members = [_member(1, [_leg(TOKEN_A, Direction.SELL, 10**18, 2_000 * 10**6)], [])]
    assert kb.pack(members, 1) == [members]


def test_nets_cross_at_mid_and_swap_only_the_rest() -> None:
    # two vaults sell 3 A ($6,000 at mid), one buys $2,000 of A (1 A at mid): net sell of 2 A
    members = [
        _member(1, [_leg(TOKEN_A, Direction.SELL, 2 * 10**18, 4_000 * 10**6)], []),
        _member(2, [_leg(TOKEN_A, Direction.SELL, 10**18, 2_000 * 10**6)], []),
        _member(3, [], [_leg(TOKEN_A, Direction.BUY, 2_000 * 10**6, 10**18)]),
        # B: only buys; the net buys with all of their USDC
        _member(4, [], [_leg(TOKEN_B, Direction.BUY, 500 * 10**6, 10**7)]),
    ]
    nets = kb.nets_for(members)
    assert [n.token for n in nets] == [TOKEN_B, TOKEN_A], "ascending by address"
    b, a = nets
    assert (a.token_to_usdc, a.amount_in) == (True, 2 * 10**18)
    assert (b.token_to_usdc, b.amount_in) == (False, 500 * 10**6)


def test_a_perfectly_crossed_token_still_swaps_a_sliver_to_set_the_price() -> None:
    members = [
        _member(1, [_leg(TOKEN_A, Direction.SELL, 10**18, 2_000 * 10**6)], []),
        _member(2, [], [_leg(TOKEN_A, Direction.BUY, 2_000 * 10**6, 10**18)]),
    ]
    (net,) = kb.nets_for(members)
    assert net.token_to_usdc
    assert net.amount_in == 10**18 // 10_000


def test_settle_calldata_names_each_legs_net() -> None:
    members = [
        _member(2, [_leg(TOKEN_A, Direction.SELL, 10**18, 2_000 * 10**6)],
                [_leg(TOKEN_B, Direction.BUY, 100 * 10**6, 10**6)]),
        _member(1, [], [_leg(TOKEN_A, Direction.BUY, 1_000 * 10**6, 5 * 10**17)]),
    ]  # fmt: skip
    data = kb.settle_call(members, 1_700_000_000)
    assert data[:4] == SETTLE.selector
    from orchestrator.chain.abi import decode

    nets, orders, deadline = decode(list(SETTLE.inputs), data[4:])
    assert deadline == 1_700_000_000
    assert [o[0] for o in orders] == [f"0x{1:040x}", f"0x{2:040x}"]
    assert [n[0] for n in nets] == [TOKEN_B, TOKEN_A]
    assert orders[1][3] == bytes([1, 0]), "vault 2: its A sell is net 1, its B buy net 0"


def test_a_version_1_journal_migrates_and_a_batch_journals_all_its_vaults(tmp_path: Path) -> None:

    path = tmp_path / "keeper.sqlite"
    with sqlite3.connect(path) as db:  # a journal written by the previous release
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
    db.close()
    vaults = [f"0x{v:040x}" for v in (1, 2, 3)]
    with KeeperJournal(path) as journal:
        assert journal.schema_version == 2
        journal.add_vaults([(v, "0x" + "f" * 40, 1) for v in vaults], scanned_to=1)
        journal.start_cycle(
            "weekly-2026-W49", kind="weekly", regime="bull", targets_date="2026-12-01",
            weights_bps={"A": 10_000}, now_s=1,
        )  # fmt: skip
        journal.submit_batch(
            "weekly-2026-W49", [(v, 2, "batch") for v in vaults], now_s=2, nonce=7,
            tx_hash="0x" + "ab" * 32, raw_tx="00",
        )  # fmt: skip
        actions = [journal.action("weekly-2026-W49", v) for v in vaults]
        assert {a.state for a in actions if a} == {ActionState.SUBMITTED}
        assert journal.sharing_tx("0x" + "ab" * 32) == 3
        assert len(journal.submitted()) == 3
