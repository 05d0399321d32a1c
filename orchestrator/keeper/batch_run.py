"""The keeper's batch path: pre-flight, sign, journal and finish `BatchSettlement.settle`
transactions for this cycle's batchable vaults (see `batch` for the planning).

Per batch, in turn: read the pools' mid prices, quote and guard its vaults' planned legs at
the state the cycle's earlier batches left (the single-vault path's `_guard`: fresh quotes,
the vaults' oracle floors; a vault whose legs the mandate now refuses waits or is skipped
with its reason), then estimate the whole batch; if it would revert, estimate each vault
alone as a batch of one and send the ones that fail down the single-vault path
(`rebalance`, with its own pre-flight and decoded reason), then the rest again as one batch.
The signed batch is journaled for all its vaults in one write before it is broadcast (one
action per vault, all with the batch's bytes), so a crash or a retry never signs a vault
twice in a cycle; recovery re-broadcasts the same bytes and settles every vault from the one
receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from orchestrator.chain.calls import call_raw
from orchestrator.chain.transactor import GAS_ESTIMATE_MARGIN_PCT, TxParams
from orchestrator.chain.vault_binding import FACTORY_BATCH_SETTLEMENT
from orchestrator.errors import ContractReverted
from orchestrator.keeper import batch as kb
from orchestrator.keeper.cycle import Keeper, VaultOutcome, _Guarded, _joined, _Verdict
from orchestrator.keeper.journal import Action, ActionState, Cycle
from orchestrator.trading.reads import mid_prices, token_refs

__all__ = ["BatchRunner"]


@dataclass
class BatchRunner:
    keeper: Keeper
    cycle: Cycle
    dry_run: bool

    def run(self, planned: list[kb.PlannedMember]) -> list[VaultOutcome]:
        k = self.keeper
        address = k._with_retries("reading the batch contract", self._address)
        outcomes: list[VaultOutcome] = []
        for turn in kb.pack(planned, k.batch_gas_budget):
            prices = k._with_retries(
                "reading prices", lambda: mid_prices(k.chain, k.book, token_refs(k.book))
            )
            batch: list[kb.BatchMember] = []
            for member in turn:
                guarded = k._with_retries(
                    f"vault {member.vault}", partial(self._guard, member, prices)
                )
                if isinstance(guarded, kb.BatchMember):
                    batch.append(guarded)
                else:
                    outcomes.append(guarded)
            if not batch:
                continue
            done, signed = k._with_retries("batch pre-flight", partial(self._sign, address, batch))
            outcomes += done
            for action in signed:
                outcomes.append(
                    k._with_retries(f"vault {action.vault}", partial(k._finish, action))
                )
        return outcomes

    def _guard(
        self, member: kb.PlannedMember, prices: dict[str, int]
    ) -> kb.BatchMember | VaultOutcome:
        """The member's legs quoted and guarded now, or its outcome if none may trade."""
        k = self.keeper
        guarded = k._guard(member.vault, member.plan, member.cash_usdc, prices)
        if isinstance(guarded, _Verdict):
            now_s = k.chain.timestamp()
            return k._record(self.cycle, member.vault, guarded, now_s, self.dry_run)
        notes = [*member.notes, *guarded.dropped]
        return kb.BatchMember(member.vault, guarded.sells, guarded.buys, notes)

    def _address(self) -> str:
        k = self.keeper
        out = call_raw(k.chain, k.book.contracts.vault_factory, FACTORY_BATCH_SETTLEMENT.call())
        (address,) = FACTORY_BATCH_SETTLEMENT.decode(out)
        return to_checksum_address(address)

    def _estimate(
        self, address: str, members: list[kb.BatchMember], deadline_s: int
    ) -> int | ContractReverted:
        call: TxParams = {"to": address, "data": HexBytes(kb.settle_call(members, deadline_s))}
        try:
            return self.keeper.transactor.estimate_gas(call)
        except ContractReverted as error:
            return error

    def _sign(
        self, address: str, batch: list[kb.BatchMember]
    ) -> tuple[list[VaultOutcome], list[Action]]:
        """Outcomes decided without a batch transaction, and the actions of the batch signed."""
        k, cycle = self.keeper, self.cycle
        now_s = k.chain.timestamp()
        deadline_s = now_s + k.deadline_s
        done: list[VaultOutcome] = []
        good = list(batch)
        estimate = self._estimate(address, good, deadline_s)
        if isinstance(estimate, ContractReverted):
            keep = []
            for member in good:  # which vault's checks fail? each alone
                alone = self._estimate(address, [member], deadline_s)
                if isinstance(alone, ContractReverted):
                    done.append(self._single(member, f"left the batch: {alone}", now_s))
                else:
                    keep.append(member)
            good = keep
            estimate = self._estimate(address, good, deadline_s) if good else 0
            if isinstance(estimate, ContractReverted):  # fails only together: one by one
                why = f"left the batch: {estimate}"
                return done + [self._single(m, why, now_s) for m in good], []
        if not good:
            return done, []
        legs = sum(m.legs for m in good)
        counts = f"batch of {len(good)} vaults, {legs} legs, ~{estimate // len(good):,} gas a vault"
        if self.dry_run:
            return done + [
                VaultOutcome(
                    m.vault,
                    ActionState.PENDING,
                    _joined(f"would rebalance in a {counts}", m.notes),
                    legs=m.legs,
                )
                for m in good
            ], []
        call: TxParams = {"to": address, "data": HexBytes(kb.settle_call(good, deadline_s))}
        signed = k.transactor.sign(call, gas=estimate * (100 + GAS_ESTIMATE_MARGIN_PCT) // 100)
        k.journal.submit_batch(
            cycle.cycle_id,
            [(m.vault, m.legs, _joined(counts, m.notes) or None) for m in good],
            now_s=now_s, nonce=signed.nonce, tx_hash=signed.tx_hash.to_0x_hex(),
            raw_tx=signed.raw.hex(),
        )  # fmt: skip
        k._maybe_crash("signed")
        if k.before_submit is not None:
            k.before_submit(good[0].vault)
        actions = [k.journal.action(cycle.cycle_id, m.vault) for m in good]
        return done, [a for a in actions if a is not None]

    def _single(self, member: kb.BatchMember, why: str, now_s: int) -> VaultOutcome:
        """The one-vault path for a vault the batch could not take (its own pre-flight)."""
        legs = _Guarded(member.sells, member.buys, [])
        notes = [("batch", why), *member.notes]
        return self.keeper._sign(self.cycle, member.vault, legs, notes, now_s, self.dry_run)
