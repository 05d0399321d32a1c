"""One keeper run: recover what a previous run left signed, discover vaults, choose the
cycle, and rebalance every opted-in vault that has no outcome in it yet.

Each vault is isolated: a revert (in the pre-flight estimate or on chain) is recorded with
its decoded reason and the run moves on. RPC failures are retried with backoff around each
vault; if the node stays unreachable the run stops with `KeeperStopped` and leaves the
cycle open for the next run. Nothing is signed twice for a vault in a cycle: the action
row (cycle, vault) is written, with the signed bytes, before anything is broadcast.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, TypeVar

from hexbytes import HexBytes
from pydantic.dataclasses import dataclass as model

from orchestrator.chain.backends import Chain
from orchestrator.chain.transactor import GAS_ESTIMATE_MARGIN_PCT, Transactor, TxParams, TxReceipt
from orchestrator.chain.transport import seconds_from_env
from orchestrator.chain.vault_binding import REBALANCE, REBALANCED, guarded_legs
from orchestrator.domain.legs import Direction, GuardedLeg, QuotedLeg, TokenRef
from orchestrator.domain.units import Bps, TokenUnits
from orchestrator.errors import (
    ContractReverted,
    KeeperStopped,
    NotIncludedYet,
    TransactionRejected,
    TransientError,
)
from orchestrator.execution.userop_submitter import (
    DEFAULT_INCLUSION_TIMEOUT_S,
    INCLUSION_TIMEOUT_ENV,
)
from orchestrator.keeper import batch as kb
from orchestrator.keeper import plan as kp
from orchestrator.keeper.journal import Action, ActionState, Cycle, KeeperJournal
from orchestrator.keeper.reads import VaultState, discover_vaults, oracle_floors, read_vault_states
from orchestrator.keeper.schedule import choose_cycle, week_id
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.planning.rebalance import RebalanceBands, RebalancePlan
from orchestrator.strategy.signal import Regime
from orchestrator.trading.reads import mid_prices, quote_outs, token_refs
from orchestrator.trading.targets import Targets

__all__ = ["CRASH_ENV", "CycleReport", "Keeper", "VaultOutcome"]

CRASH_ENV = "INDEXVAULT_KEEPER_CRASH_AT"  # tests: "signed:2" dies after the 2nd journaled tx
# one wait for a rebalance's receipt, before the vault's step is retried: the same variable
# ($INDEXVAULT_INCLUSION_TIMEOUT_S) and default as a confirm's wait for its user operation
T = TypeVar("T")
# each leg's min-out: the quote less this, raised to the vault's oracle floor
KEEPER_MAX_SLIPPAGE_BPS: Final = Bps(50)


@model(frozen=True)
class VaultOutcome:
    vault: str
    state: ActionState
    reason: str | None
    tx_hash: str | None = None
    legs: int | None = None
    gas_used: int | None = None


@model
class CycleReport:
    cycle_id: str | None
    kind: str
    why: str
    regime: str
    outcomes: list[VaultOutcome] = field(default_factory=list)
    recovered: list[VaultOutcome] = field(default_factory=list)
    finished: bool = False
    vaults_seen: int = 0
    elapsed_s: float = 0.0

    def count(self, state: ActionState) -> int:
        return sum(1 for o in self.outcomes if o.state is state)


@dataclass(frozen=True)
class _Verdict:
    """A vault's outcome for this cycle without a transaction (skipped, waiting, failed)."""

    state: ActionState
    reason: str


@dataclass(frozen=True)
class _Guarded:
    sells: list[GuardedLeg]
    buys: list[GuardedLeg]
    dropped: list[tuple[str, str]]  # (symbol, why) legs the mandate or the cash kept out

    @property
    def count(self) -> int:
        return len(self.sells) + len(self.buys)


def _oracle_leg(q: QuotedLeg) -> tuple[TokenRef, Direction, TokenUnits]:
    return q.token, q.direction, q.amount_in


@dataclass
class Keeper:
    chain: Chain
    book: AddressBook
    journal: KeeperJournal
    transactor: Transactor  # the keeper's key: may call `rebalance`, nothing else
    bands: RebalanceBands = field(default_factory=RebalanceBands)
    max_slippage_bps: Bps = KEEPER_MAX_SLIPPAGE_BPS
    deadline_s: int = 600
    rpc_attempts: int = 4
    backoff_s: float = 0.5  # doubles each attempt
    inclusion_timeout_s: float = field(
        default_factory=lambda: seconds_from_env(INCLUSION_TIMEOUT_ENV, DEFAULT_INCLUSION_TIMEOUT_S)
    )
    sleep: Callable[[float], None] = time.sleep
    before_submit: Callable[[str], None] | None = None  # tests: act between sign and send
    # batchable vaults go through BatchSettlement, batches up to this much estimated gas
    batching: bool = True
    batch_gas_budget: int = kb.DEFAULT_GAS_BUDGET
    _crashes: dict[str, int] = field(default_factory=dict)
    _mined: dict[str, TxReceipt] = field(default_factory=dict)  # the last batch's receipt

    @property
    def address(self) -> str:
        return self.transactor.address

    # -- the run -----------------------------------------------------------------------------
    def run_once(self, targets: Targets, *, dry_run: bool = False) -> CycleReport:
        started = time.perf_counter()
        recovered = [] if dry_run else self._with_retries("recovery", self._recover)
        self._with_retries("discovery", self._discover)
        now_s = self.chain.timestamp()
        j = self.journal
        choice = choose_cycle(
            now_s, targets.regime.value, existing=j.cycle(week_id(now_s)),
            open_cycles=j.open_cycles(), last_finished=j.last_finished(),
        )  # fmt: skip
        report = CycleReport(choice.cycle_id, choice.kind, choice.why, targets.regime.value,
                             recovered=recovered)  # fmt: skip
        if choice.cycle_id is None:
            report.finished = True
            report.elapsed_s = time.perf_counter() - started
            return report
        if not dry_run:
            for old in choice.supersede:
                j.finish_cycle(old, now_s, f"superseded by {choice.cycle_id}")
            cycle = j.start_cycle(
                choice.cycle_id, kind=choice.kind, regime=targets.regime.value,
                targets_date=targets.date.isoformat(), weights_bps=targets.weights_bps,
                now_s=now_s,
            )  # fmt: skip
        else:
            cycle = j.cycle(choice.cycle_id) or Cycle(
                choice.cycle_id, choice.kind, targets.regime.value, targets.date.isoformat(),
                targets.weights_bps, now_s, None, None,
            )  # fmt: skip
        report.regime = cycle.regime
        vaults = j.vaults()
        report.vaults_seen = len(vaults)
        states = self._with_retries(
            "reading vaults",
            lambda: read_vault_states(self.chain, self.book, vaults, keeper=self.address),
        )
        prices = self._with_retries(
            "reading prices", lambda: mid_prices(self.chain, self.book, token_refs(self.book))
        )
        members: list[kb.PlannedMember] = []
        for state in states:
            outcome = self._with_retries(
                f"vault {state.vault}", partial(self._vault, cycle, state, prices, dry_run)
            )
            if isinstance(outcome, kb.PlannedMember):
                members.append(outcome)
            else:
                report.outcomes.append(outcome)
        if members:
            from orchestrator.keeper.batch_run import BatchRunner  # it builds on this module

            report.outcomes += BatchRunner(self, cycle, dry_run).run(members)
        if not dry_run and j.open_actions(cycle.cycle_id) == 0:
            j.finish_cycle(cycle.cycle_id, self.chain.timestamp())
            report.finished = True
        report.elapsed_s = time.perf_counter() - started
        return report

    # -- one vault: plan, guard, sign ------------------------------------------------------
    def _vault(
        self, cycle: Cycle, state: VaultState, prices: dict[str, int], dry_run: bool
    ) -> VaultOutcome | kb.PlannedMember:
        j, vault = self.journal, state.vault
        action = j.action(cycle.cycle_id, vault)
        if action is not None and action.state is ActionState.SUBMITTED:
            return self._finish(action)
        if action is not None and action.state not in (ActionState.PENDING, ActionState.WAITING):
            return _outcome(action)
        now_s = self.chain.timestamp()
        planned = self._plan(cycle, state, prices, now_s)
        if isinstance(planned, _Verdict):
            return self._record(cycle, vault, planned, now_s, dry_run)
        plan, notes = planned
        if self.batching and state.mandate is not None and state.mandate.batchable:
            # quoted and guarded at its batch's turn, after the earlier batches moved the pools
            return kb.PlannedMember(vault, plan, state.cash_usdc, notes)
        guarded = self._guard(vault, plan, state.cash_usdc, prices)
        if isinstance(guarded, _Verdict):
            return self._record(cycle, vault, guarded, now_s, dry_run)
        return self._sign(cycle, vault, guarded, [*notes, *guarded.dropped], now_s, dry_run)

    def _plan(
        self, cycle: Cycle, state: VaultState, prices: dict[str, int], now_s: int
    ) -> tuple[RebalancePlan, list[tuple[str, str]]] | _Verdict:
        """The vault's rebalance plan under its mandate, or why there is none now."""
        if state.mandate is None:
            return _Verdict(ActionState.SKIPPED, "not opted in (no mandate, or keeper revoked)")
        if not state.opted_in(self.address):
            why = f"delegated to another keeper {state.mandate.keeper}"
            return _Verdict(ActionState.SKIPPED, why)
        cap = state.mandate.loss_cap_usdc
        if state.loss_spent_usdc >= cap:
            why = (
                f"the mandate's loss cap is used up ({state.loss_spent_usdc / 1e6:,.2f} of "
                f"{cap / 1e6:,.2f} USDC): the owner must sign a new mandate"
            )
            return _Verdict(ActionState.SKIPPED, why)
        ready = state.last_rebalance_s + state.mandate.min_interval_s
        if state.last_rebalance_s and now_s < ready:
            why = f"mandate interval: next rebalance allowed at {ready}"
            return _Verdict(ActionState.WAITING, why)
        plan, notes = kp.plan_vault(
            state, weights_bps=cycle.weights_bps, regime=Regime(cycle.regime),
            tokens=token_refs(self.book), sqrt_prices_x96=prices,
            usdc=self.book.contracts.usdc, bands=self.bands,
        )  # fmt: skip
        if plan.is_empty:
            return _Verdict(ActionState.SKIPPED, _joined("within bands", notes))
        return plan, notes

    def _guard(
        self, vault: str, plan: RebalancePlan, cash_usdc: int, prices: dict[str, int]
    ) -> _Guarded | _Verdict:
        """Quote every leg (one call), guard each with its min-out against the vault's oracle
        floors (one call, two if buys had to be scaled to the cash available)."""
        chain, book, usdc = self.chain, self.book, self.book.contracts.usdc
        planned = [*plan.sells, *plan.buys]
        outs = quote_outs(chain, book, planned)
        quoted = {
            p.token.symbol: QuotedLeg(p, prices[p.token.symbol], out)
            for p, out in zip(planned, outs, strict=True)
        }
        guard = partial(kp.apply_floors, max_slippage_bps=self.max_slippage_bps, usdc=usdc)
        floors = oracle_floors(chain, book, vault, [_oracle_leg(q) for q in quoted.values()])
        checked, dropped = guard(list(quoted.values()), floors)
        sells = [g for g in checked if g.direction is Direction.SELL]
        buys = [g for g in checked if g.direction is Direction.BUY]
        funded, too_small, scaled = kp.fund_buys(
            [quoted[b.symbol] for b in buys], cash_usdc=cash_usdc, sells=sells,
            min_trade_usdc=self.bands.min_trade_usdc,
        )  # fmt: skip
        dropped += too_small
        if scaled:
            again = oracle_floors(chain, book, vault, [_oracle_leg(q) for q in funded])
            buys, more = guard(funded, again) if funded else ([], [])
            dropped += more
        if kp.oracle_blocked(dropped):  # partial trades would leave the vault off target
            return _Verdict(
                ActionState.WAITING, _joined("oracle not ready, retried later", dropped)
            )
        if not sells and not buys:
            return _Verdict(ActionState.SKIPPED, _joined("no leg passes the mandate", dropped))
        return _Guarded(sells, buys, dropped)

    def _sign(
        self, cycle: Cycle, vault: str, legs: _Guarded, notes: list[tuple[str, str]],
        now_s: int, dry_run: bool,
    ) -> VaultOutcome:  # fmt: skip
        """Pre-flight (estimate), then sign and journal the transaction before it is
        broadcast; a revert in the pre-flight is recorded with its decoded reason."""
        data = REBALANCE.call(
            guarded_legs(legs.sells), guarded_legs(legs.buys), now_s + self.deadline_s
        )
        call: TxParams = {"to": vault, "data": HexBytes(data)}
        counts = f"{len(legs.sells)} sells, {len(legs.buys)} buys"
        try:
            estimate = self.transactor.estimate_gas(call)
        except ContractReverted as error:
            failed = _Verdict(ActionState.FAILED, _joined(f"pre-flight: {error}", notes))
            return self._record(cycle, vault, failed, now_s, dry_run, legs=legs.count)
        if dry_run:
            why = _joined(f"would rebalance: {counts}, ~{estimate:,} gas", notes)
            return VaultOutcome(vault, ActionState.PENDING, why, legs=legs.count)
        signed = self.transactor.sign(call, gas=estimate * (100 + GAS_ESTIMATE_MARGIN_PCT) // 100)
        self.journal.settle(
            cycle.cycle_id, vault, ActionState.SUBMITTED, now_s=now_s, count_attempt=True,
            reason=_joined(counts, notes) or None, nonce=signed.nonce,
            tx_hash=signed.tx_hash.to_0x_hex(), raw_tx=signed.raw.hex(), legs=legs.count,
        )  # fmt: skip
        self._maybe_crash("signed")
        if self.before_submit is not None:
            self.before_submit(vault)
        action = self.journal.action(cycle.cycle_id, vault)
        assert action is not None
        return self._finish(action, fresh=True)

    def _record(
        self, cycle: Cycle, vault: str, verdict: _Verdict, now_s: int, dry_run: bool,
        legs: int | None = None,
    ) -> VaultOutcome:  # fmt: skip
        """The vault's outcome without a transaction (journaled unless a dry run); a failed
        pre-flight counts as an attempt."""
        if not dry_run:
            self.journal.settle(
                cycle.cycle_id, vault, verdict.state, now_s=now_s, reason=verdict.reason,
                count_attempt=verdict.state is ActionState.FAILED,
                **({} if legs is None else {"legs": legs}),
            )  # fmt: skip
        return VaultOutcome(vault, verdict.state, verdict.reason, legs=legs)

    # -- after signing: idempotent --------------------------------------------------------------
    def _finish(self, action: Action, *, fresh: bool = False) -> VaultOutcome:
        """Broadcast (again) the journaled bytes if the chain has not seen them, then wait
        for the receipt and record the outcome. `fresh`: signed a moment ago by this
        process, so the chain cannot know it yet (saves two reads)."""
        assert action.tx_hash is not None
        assert action.raw_tx is not None
        assert action.nonce is not None
        tx_hash = HexBytes(action.tx_hash)
        mined = self._mined.get(action.tx_hash)
        if mined is not None:  # a batch's receipt, read for one of its vaults already
            return self._settle_receipt(action, mined)
        receipt = self.chain.receipt(tx_hash)
        if receipt is None:
            mined_nonce = self.chain.tx_count(self.transactor.address, "latest")
            if mined_nonce > action.nonce:
                receipt = self.chain.receipt(tx_hash)
                if receipt is None:
                    why = f"nonce {action.nonce} was used by another transaction"
                    return self._settle_after(action, ActionState.FAILED, why)
            else:
                try:
                    self.transactor.broadcast(HexBytes(action.raw_tx))
                except TransactionRejected as error:
                    if error.reason != "already_known":  # these bytes are in its pool: fine
                        raise
                self._maybe_crash("broadcast")
        try:
            receipt = self.transactor.wait(tx_hash, timeout_s=self.inclusion_timeout_s)
        except ContractReverted as error:
            return self._settle_after(action, ActionState.FAILED, f"reverted on chain: {error}")
        if self.journal.sharing_tx(action.tx_hash) > 1:
            # one receipt for the whole batch: its other vaults settle from it without
            # fetching it again (a batch's receipt carries every vault's legs' logs)
            self._mined = {action.tx_hash: receipt}
        return self._settle_receipt(action, receipt)

    def _settle_receipt(self, action: Action, receipt: TxReceipt) -> VaultOutcome:
        """Record a mined, successful transaction's outcome for the action's vault."""
        assert action.tx_hash is not None
        loss = next(
            (int.from_bytes(bytes(log["data"])[:32], "big") for log in receipt["logs"]
             if log["topics"] and bytes(log["topics"][0]) == REBALANCED.topic
             and str(log["address"]).lower() == action.vault.lower()),
            None,
        )  # fmt: skip
        # a batch's gas is shared equally among its vaults
        gas_used = int(receipt["gasUsed"]) // max(self.journal.sharing_tx(action.tx_hash), 1)
        outcome = self._settle_after(
            action, ActionState.DONE, action.reason, gas_used=gas_used,
            loss_usdc=loss, block_number=int(receipt["blockNumber"]),
        )  # fmt: skip
        self._maybe_crash("done")
        return outcome

    def _settle_after(
        self, action: Action, state: ActionState, reason: str | None, **fields: Any
    ) -> VaultOutcome:
        self.journal.settle(action.cycle_id, action.vault, state, now_s=self.chain.timestamp(),
                            reason=reason, **fields)  # fmt: skip
        return VaultOutcome(action.vault, state, reason, action.tx_hash, action.legs,
                            fields.get("gas_used"))  # fmt: skip

    def _recover(self) -> list[VaultOutcome]:
        return [self._finish(a) for a in self.journal.submitted()]

    def _discover(self) -> None:
        scanned = self.journal.meta("scanned_to_block")
        start = self.book.deployed_from_block if scanned is None else int(scanned) + 1
        head = self.chain.block_number()
        if start > head:
            return
        found = discover_vaults(self.chain, self.book.contracts.vault_factory,
                                from_block=start, to_block=head)  # fmt: skip
        self.journal.add_vaults(found, scanned_to=head)

    # -- plumbing -------------------------------------------------------------------------------
    def _with_retries(self, what: str, step: Callable[[], T]) -> T:
        """Run `step`, retrying what may work later (TransientError: the node did not answer,
        a transaction not mined yet) with doubling delays; then stop the run."""
        delay = self.backoff_s
        for attempt in range(1, self.rpc_attempts + 1):
            try:
                return step()
            except TransientError as error:
                if attempt == self.rpc_attempts:
                    stuck = (
                        "its transaction was still not mined"
                        if isinstance(error, NotIncludedYet)
                        else "the node stayed unreachable"
                    )
                    raise KeeperStopped(
                        f"{what}: {stuck} after {attempt} attempts "
                        f"({type(error).__name__}: {error})",
                        hint="Check the RPC endpoint; the next run resumes this cycle where it "
                        "stopped (nothing signed is lost or sent twice).",
                    ) from error
                self.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _maybe_crash(self, point: str) -> None:
        """Fault injection for the crash-safety tests: `INDEXVAULT_KEEPER_CRASH_AT=signed:2`
        kills the process (no cleanup, like SIGKILL) at the 2nd time it reaches `signed`."""
        spec = os.environ.get(CRASH_ENV)
        if not spec:
            return
        where, _, nth = spec.partition(":")
        if where != point:
            return
        self._crashes[point] = self._crashes.get(point, 0) + 1
        if self._crashes[point] == int(nth or "1"):
            os._exit(86)


def _outcome(action: Action) -> VaultOutcome:
    return VaultOutcome(action.vault, action.state, action.reason, action.tx_hash, action.legs,
                        action.gas_used)  # fmt: skip


def _joined(head: str, notes: list[tuple[str, str]]) -> str:
    if not notes:
        return head
    shown = "; ".join(f"{s}: {why}" for s, why in notes[:5])
    more = f" (+{len(notes) - 5} more)" if len(notes) > 5 else ""
    return f"{head} — {shown}{more}"
