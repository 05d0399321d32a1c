"""Build previews: plan -> quotes and gas simulations -> Preview (journaled), in one round
trip to the node.

One JSON-RPC batch carries a preview's facts (`trading.facts`: code, nonce, fee config,
balances, clock, fees, ETH price), every leg's quote with its pool's mid price, and the
op's two gas simulations; the node runs them side by side. The calls are built on the
facts the session read last: the batch reads them again, and if what the calls were built
on changed, the preview is built again on the fresh facts (twice at most, then ChainMoved).
A session's first preview reads its facts alone first: two round trips.

The op is simulated with every min-out at zero and a deadline far ahead (gas depends on
neither); the slippage is then chosen, the min-outs and the deadline (the fresh clock)
set, and the final op gets the same gas limits with its preVerificationGas recomputed for
the final calldata."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from orchestrator.chain.calls import BatchRead, EthCall, read_batch
from orchestrator.chain.multicall import aggregate_call, decode_aggregate
from orchestrator.chain.uniswap import decode_pool_states, pool_state_calls
from orchestrator.chain.vault_binding import LegStruct, unguarded_legs
from orchestrator.domain.legs import Direction, Holding, PlannedLeg, QuotedLeg, TokenRef
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import BPS, Bps, Gas, TokenUnits, UsdcUnits, Wei, usdc_units
from orchestrator.errors import (
    MAYBE_ALREADY_INCLUDED,
    ChainMoved,
    ConfigError,
    ContractReverted,
    InputError,
    NotEnoughFunds,
    NoVault,
    UserOpRejected,
)
from orchestrator.planning import BuyPlan, SellPlan, min_buy_usdc, plan_buy, plan_sell
from orchestrator.preview import (
    GasFacts,
    Preview,
    PreviewContext,
    PreviewKind,
    build_preview,
    choose_max_slippage,
)
from orchestrator.preview.build import NO_FRACTION
from orchestrator.preview.model import Outflow
from orchestrator.strategy.signal import Regime
from orchestrator.trading.calls import buy_calls, sell_calls, withdraw_calls
from orchestrator.trading.context import TradingContext
from orchestrator.trading.facts import Facts, FactsRead
from orchestrator.trading.reads import Balances, QuotesRead
from orchestrator.wallet.builder import DraftUserOp, draft_from
from orchestrator.wallet.gas import pre_verification_gas
from orchestrator.wallet.smart_account import Call, encode_calls
from orchestrator.wallet.userop import UserOperation
from orchestrator.wallet.userop_signing import user_op_hash

__all__ = ["preview_buy", "preview_sell", "preview_withdraw", "simulate_calls"]

# The deadline in the simulated calls: far ahead, so a clock read earlier cannot make them
# revert; four non-zero bytes, like any real deadline, so the calldata costs the same.
SIMULATION_DEADLINE_S = 2**32 - 1
BUILD_ATTEMPTS = 2  # builds on facts that moved, before ChainMoved
ETH_PRICE_SOURCE = "mid price of this chain's ETH/USDC Uniswap V3 pool"


def _usd(amount: int) -> str:
    return f"${Decimal(amount).scaleb(-6):,.2f}"  # display only


def _usd_up(amount: int) -> str:
    """Dollars rounded up to the cent (a minimum must not be shown below itself)."""
    return f"${Decimal(-(-amount // 10_000)).scaleb(-2):,.2f}"


class _Draft:
    """The op simulated once (min-outs zero), then finalised for the chosen min-outs."""

    def __init__(
        self,
        ctx: TradingContext,
        draft: DraftUserOp,
        outputs: Sequence[bytes | ContractReverted],
        facts: Facts,
        *,
        creates_vault: bool,
    ):
        self.ctx = ctx
        self.prepared = draft.complete(ctx.chain, outputs, fees=facts.fees)
        est = self.prepared.estimate
        self.gas = GasFacts(
            likely_gas=Gas(est.likely_gas),
            max_gas=Gas(est.max_gas),
            likely_fee_per_gas_wei=Wei(est.likely_fee_per_gas_wei),
            max_fee_per_gas_wei=Wei(est.max_fee_per_gas_wei),
            eth_price_usdc=facts.eth_price_usdc,
            deploys_account=draft.deploys_account,
            creates_vault=creates_vault,
            eth_price_source=ETH_PRICE_SOURCE,
        )

    def _account_moved(self, op: UserOperation) -> bool:
        ctx = self.ctx
        if ctx.account.nonce(ctx.chain) != op.nonce:
            return True
        return op.factory is not None and bool(ctx.chain.code(op.sender))

    def finalise(self, calls: Sequence[Call]) -> tuple[str, dict[str, str]]:
        """The simulated op with the final calls (same sender, nonce, initCode, limits)."""
        ctx = self.ctx
        op = self.prepared.op.replace(call_data=encode_calls(calls))
        op = op.replace(pre_verification_gas=pre_verification_gas(op))
        try:
            fitted = ctx.submitter.fit(op)  # a bundler may price preVerificationGas higher
        except UserOpRejected as error:
            # the preview read the account, then another of its ops landed before the
            # bundler simulated this one (AA25 nonce used, AA10 account created): say that
            if error.code in MAYBE_ALREADY_INCLUDED and self._account_moved(op):
                ctx.facts = None
                moved = "your smart account was used meanwhile: its nonce moved"
                raise ChainMoved(moved) from error
            raise
        added = fitted.pre_verification_gas - op.pre_verification_gas
        if added > 0:  # charged in full: the likely and the most gas both grow by it
            self.gas = replace(
                self.gas,
                likely_gas=Gas(self.gas.likely_gas + added),
                max_gas=Gas(self.gas.max_gas + added),
            )
        op = fitted
        op_hash = user_op_hash(op, entry_point=ctx.aa.entry_point, chain_id=ctx.chain.chain_id)
        return "0x" + op_hash.hex(), op.to_rpc()


AccountCalls = Callable[[Sequence[LegStruct], int], list[Call]]  # (legs, deadline) -> calls


@dataclass(frozen=True)
class _Built:
    """What a preview builds on its facts: the legs to quote, the account's calls for given
    legs and deadline, the tokens whose mid price it needs besides, and its plan."""

    planned: tuple[PlannedLeg, ...]
    calls: AccountCalls
    creates_vault: bool = False
    priced: tuple[TokenRef, ...] = ()
    plan: object = None


@dataclass(frozen=True)
class _Sent:
    facts: Facts
    built: _Built
    quotes: list[QuotedLeg]
    prices: dict[str, int]  # sqrtPriceX96 of each `priced` token's pool
    draft: _Draft


def _facts_read(ctx: TradingContext, *, balances: bool) -> FactsRead:
    return FactsRead(ctx.book, ctx.account.address, ctx.vault_address(), balances)


def _known_facts(ctx: TradingContext, read: FactsRead) -> Facts:
    """The facts this session read last, if they are of this kind; else one read now."""
    known = ctx.facts
    if known is not None and (known.basis.vault is not None) == read.with_vault_balances:
        return known
    ctx.facts = read.read(ctx.chain)
    return ctx.facts


def _prices_call(ctx: TradingContext, tokens: Sequence[TokenRef]) -> EthCall:
    calls = pool_state_calls([t.pool for t in tokens])
    return aggregate_call(ctx.book.contracts.multicall3, calls, allow_failure=False)


def _send(
    ctx: TradingContext,
    read: FactsRead,
    build: Callable[[Facts], _Built],
    check: Callable[[Facts], None] = lambda _facts: None,
) -> _Sent:
    """Build on the known facts, then one batch: the facts again, the quotes (and prices),
    the gas simulations. Kept if the facts it was built on still hold, else built again on
    the fresh ones. `check` runs on the fresh facts before any quote or revert is read."""
    facts = _known_facts(ctx, read)
    for _ in range(BUILD_ATTEMPTS):
        built = build(facts)
        sim_calls = built.calls(unguarded_legs(built.planned), SIMULATION_DEADLINE_S)
        basis = facts.basis
        draft = draft_from(
            ctx.account, sim_calls, deployed=basis.account_deployed, nonce=basis.nonce,
            fees=facts.fees,
        )  # fmt: skip
        quotes = QuotesRead(ctx.book, built.planned)
        own: list[BatchRead] = [quotes.call()] if built.planned else []
        if built.priced:
            own.append(_prices_call(ctx, built.priced))
        facts_reads = read.reads()
        outputs = read_batch(ctx.chain, [*facts_reads, *own, *draft.sims.calls])
        fresh = read.decode(outputs)
        ctx.facts = fresh
        if fresh.basis != basis:
            facts = fresh
            continue
        check(fresh)
        rest = outputs[len(facts_reads) :]
        quoted = quotes.decode(_call_output(rest.pop(0))) if built.planned else []
        prices: dict[str, int] = {}
        if built.priced:
            states = decode_pool_states(decode_aggregate(_call_output(rest.pop(0))))
            prices = {t.symbol: s.sqrt_price_x96 for t, s in zip(built.priced, states, strict=True)}
        sims = [_call_output(out) for out in rest]
        return _Sent(
            fresh,
            built,
            quoted,
            prices,
            _Draft(ctx, draft, sims, fresh, creates_vault=built.creates_vault),
        )
    raise ChainMoved("the account, the vault or the fee changed while the preview read them")


def _call_output(out: object) -> bytes | ContractReverted:
    assert isinstance(out, bytes | ContractReverted)
    return out


def simulate_calls(ctx: TradingContext, calls: Sequence[Call]) -> tuple[_Draft, Facts]:
    """The op of `calls` simulated, no quotes (a mandate change): its draft and facts."""
    sent = _send(
        ctx, _facts_read(ctx, balances=False), lambda _f: _Built((), lambda _l, _d: list(calls))
    )
    return sent.draft, sent.facts


def _context(
    ctx: TradingContext,
    draft: _Draft,
    calls: Sequence[Call],
    deadline_s: int,
    regime: str,
    *,
    fee_bps: Bps,
    force: bool = False,
) -> PreviewContext:
    op_hash, op = draft.finalise(calls)
    return PreviewContext(
        quote_id=uuid.uuid4().hex,
        chain_id=ctx.chain.chain_id,
        owner=ctx.account.address,
        vault=ctx.vault_address(),
        usdc=ctx.book.contracts.usdc,
        now_s=int(ctx.wall_clock()),
        ttl_s=ctx.ttl_s,
        deadline_s=deadline_s,
        regime=regime,
        fee_bps=fee_bps,
        user_op_hash=op_hash,
        user_op=op,
        force=force,
    )


def _guarded(
    ctx: TradingContext, quotes: Sequence[QuotedLeg], max_slippage_bps: Bps
) -> list[LegStruct]:
    usdc = ctx.book.contracts.usdc
    return [
        LegStruct(g.token, g.pool_fee, g.amount_in, g.min_out)
        for g in (q.guarded_by_slippage(max_slippage_bps, usdc=usdc) for q in quotes)
    ]


def _value_of_quotes(ctx: TradingContext, quotes: Sequence[QuotedLeg]) -> int:
    usdc = ctx.book.contracts.usdc
    total = 0
    for q in quotes:
        if q.direction is Direction.SELL:
            total += q.quoted_out
        else:
            is0 = token_is_token0(q.token.address, usdc)
            total += value_in_usdc(q.quoted_out, q.sqrt_price_x96, token_is_0=is0)
    return total


def _record(ctx: TradingContext, preview: Preview) -> Preview:
    ctx.journal.record_preview(
        preview.quote_id,
        preview.kind.value,
        preview.owner,
        preview.vault,
        preview.created_at_s,
        preview.expires_at_s,
        preview.model_dump_json(),
    )
    return preview


def _deadline(ctx: TradingContext, facts: Facts) -> int:
    return facts.now_s + ctx.ttl_s + ctx.deadline_margin_s


def _check_balance(ctx: TradingContext, usdc_amount: UsdcUnits, facts: Facts) -> None:
    balance = facts.usdc_balance
    if usdc_amount > balance:
        raise NotEnoughFunds(
            f"{_usd(usdc_amount)} is more than your smart account's balance of "
            f"{_usd(balance)} USDC ({ctx.account.address})",
            holder=ctx.account.address,
            asset="USDC",
            amount=usdc_amount,
            available=balance,
            hint="Buy for less, or send USDC to your smart account first.",
        )


def _swap_preview(
    ctx: TradingContext,
    kind: PreviewKind,
    sent: _Sent,
    max_slippage_bps: int | None,
    regime: str,
    *,
    usdc_amount: UsdcUnits,
    cash_usdc: UsdcUnits,
    fraction_bps: Bps = NO_FRACTION,
    dropped: Sequence[tuple[str, str]] = (),
    force: bool = False,
) -> Preview:
    """A buy's or a sell's preview from its simulated batch: the slippage is chosen from the
    gas and the quoted value, then the min-outs and the deadline (the fresh clock) go into
    the calls the op finally carries. The fee shown is the one the plan was made with."""
    value = _value_of_quotes(ctx, sent.quotes)
    slippage, auto = choose_max_slippage(max_slippage_bps, sent.draft.gas, value)
    deadline = _deadline(ctx, sent.facts)
    final_calls = sent.built.calls(_guarded(ctx, sent.quotes, slippage), deadline)
    fee_bps = sent.facts.basis.fee_bps
    return build_preview(
        kind,
        sent.quotes,
        ctx=_context(ctx, sent.draft, final_calls, deadline, regime, fee_bps=fee_bps, force=force),
        gas=sent.draft.gas,
        max_slippage_bps=slippage,
        slippage_is_auto=auto,
        usdc_amount=usdc_amount,
        cash_usdc=cash_usdc,
        fraction_bps=fraction_bps,
        dropped=dropped,
    )


def preview_buy(
    ctx: TradingContext,
    usdc_amount: UsdcUnits,
    *,
    max_slippage_bps: int | None = None,
    force: bool = False,
) -> Preview:
    """What buying the index for `usdc_amount` (USDC base units, fee included) will do."""
    if usdc_amount <= 0:
        raise InputError(
            f"the amount must be positive, got {_usd(usdc_amount)}",
            hint="e.g. `indexvault buy 10000` invests $10,000.",
        )
    read = _facts_read(ctx, balances=False)
    _check_balance(ctx, usdc_amount, _known_facts(ctx, read))  # before anything is quoted
    targets = ctx.targets()
    if targets is None:
        raise ConfigError(
            "this network has no market history: the index's targets are unknown",
            hint="Set market_data in the network file (or use the synthetic market).",
        )

    def planned(amount: UsdcUnits, fee_bps: Bps) -> BuyPlan:
        return plan_buy(
            amount, fee_bps=fee_bps, weights_bps=targets.weights_bps, tokens=ctx.tokens(),
            regime=targets.regime, min_leg_usdc=ctx.min_leg_usdc, cap_bps=ctx.cap_bps,
        )  # fmt: skip

    known_fee = _known_facts(ctx, read).basis.fee_bps
    if targets.regime is not Regime.BEAR and not planned(usdc_amount, known_fee).legs:
        least = min_buy_usdc(lambda amount: planned(amount, known_fee))
        raise InputError(
            f"{_usd(usdc_amount)} is too small to buy anything: every leg would be below the "
            f"{_usd(ctx.min_leg_usdc)} dust floor (its gas would cost more than it tracks); "
            f"the smallest buy that fills a leg is {_usd_up(least)}",
            hint=f"Buy at least {_usd_up(least)}.",
        )

    def build(facts: Facts) -> _Built:
        plan = planned(usdc_amount, facts.basis.fee_bps)
        creates = not facts.basis.vault_exists

        def calls(legs: Sequence[LegStruct], deadline_s: int) -> list[Call]:
            return buy_calls(
                ctx.book,
                account=ctx.account.address, vault=ctx.vault_address(), salt=ctx.salt,
                create_vault=creates, usdc_amount=usdc_amount, legs=legs,
                max_fee_bps=facts.basis.fee_bps, deadline_s=deadline_s,
            )  # fmt: skip

        return _Built(plan.legs, calls, creates_vault=creates, plan=plan)

    sent = _send(ctx, read, build, lambda facts: _check_balance(ctx, usdc_amount, facts))
    plan = sent.built.plan
    assert isinstance(plan, BuyPlan)
    preview = _swap_preview(
        ctx, PreviewKind.BUY, sent, max_slippage_bps, targets.regime.value, force=force,
        usdc_amount=usdc_amount, cash_usdc=plan.cash_usdc,
        dropped=(*plan.dropped, *ctx.book.left_out),
    )  # fmt: skip
    return _record(ctx, preview)


def _vault_balances(ctx: TradingContext, facts: Facts, action: str) -> Balances:
    if not facts.basis.vault_exists:
        raise NoVault(ctx.account.address, action=f"nothing to {action}")
    assert facts.basis.vault is not None  # read with the vault's balances
    return facts.basis.vault


def preview_sell(
    ctx: TradingContext, fraction_bps: Bps, *, max_slippage_bps: int | None = None
) -> Preview:
    """Selling `fraction_bps` of every holding and of the vault's cash, paid out in USDC."""
    read = _facts_read(ctx, balances=True)
    vault = ctx.vault_address()

    def build(facts: Facts) -> _Built:
        balances = _vault_balances(ctx, facts, "sell")
        refs = {t.symbol: t for t in ctx.tokens()}
        holdings = [Holding(refs[s], amount) for s, amount in balances.tokens.items() if amount]
        plan = plan_sell(
            holdings, fraction_bps=fraction_bps, cash_usdc=balances.usdc,
            fee_bps=facts.basis.fee_bps,
        )  # fmt: skip

        def calls(legs: Sequence[LegStruct], deadline_s: int) -> list[Call]:
            return sell_calls(
                vault=vault, legs=legs, fraction_bps=fraction_bps,
                max_fee_bps=facts.basis.fee_bps, deadline_s=deadline_s,
            )  # fmt: skip

        return _Built(plan.legs, calls, plan=plan)

    sent = _send(ctx, read, build)
    plan = sent.built.plan
    assert isinstance(plan, SellPlan)
    preview = _swap_preview(
        ctx, PreviewKind.SELL, sent, max_slippage_bps, _regime_or_unknown(ctx),
        usdc_amount=usdc_units(0), cash_usdc=plan.cash_usdc, fraction_bps=fraction_bps,
        dropped=plan.skipped,
    )  # fmt: skip
    return _record(ctx, preview)


def preview_withdraw(ctx: TradingContext) -> Preview:
    """Every token and the USDC to the owner's smart account, no swaps, no fee."""
    read = _facts_read(ctx, balances=True)
    vault = ctx.vault_address()
    refs = {t.symbol: t for t in ctx.tokens()}

    def build(facts: Facts) -> _Built:
        balances = _vault_balances(ctx, facts, "withdraw")
        held = tuple(refs[t.symbol] for t in ctx.book.tokens if balances.tokens.get(t.symbol))
        addresses = [t.address for t in held]
        if balances.usdc:
            addresses.append(ctx.book.contracts.usdc)
        if not addresses:
            raise InputError("the vault is empty: nothing to withdraw")
        calls = withdraw_calls(vault=vault, tokens=addresses)
        return _Built((), lambda _legs, _deadline: calls, priced=held, plan=balances)

    sent = _send(ctx, read, build)
    balances = sent.built.plan
    assert isinstance(balances, Balances)
    # in kind: the value is the holdings at mid, with nothing that can slip
    usdc = ctx.book.contracts.usdc
    value = balances.usdc + sum(
        value_in_usdc(
            balances.tokens[t.symbol], sent.prices[t.symbol],
            token_is_0=token_is_token0(t.address, usdc),
        )
        for t in sent.built.priced
    )  # fmt: skip
    outflows = [
        Outflow(
            symbol=t.symbol, token=t.address, amount=balances.tokens[t.symbol],
            decimals=t.decimals,
            value_usdc=usdc_units(value_in_usdc(
                balances.tokens[t.symbol], sent.prices[t.symbol],
                token_is_0=token_is_token0(t.address, usdc),
            )),
        )
        for t in sent.built.priced
    ]  # fmt: skip
    if balances.usdc:
        outflows.append(
            Outflow(
                symbol="USDC",
                token=usdc,
                amount=TokenUnits(balances.usdc),
                decimals=6,
                value_usdc=balances.usdc,
            )
        )
    calls = sent.built.calls([], 0)
    base = _context(ctx, sent.draft, calls, 0, _regime_or_unknown(ctx), fee_bps=Bps(0))
    preview = build_preview(
        PreviewKind.WITHDRAW,
        [],
        ctx=base,
        gas=sent.draft.gas,
        max_slippage_bps=Bps(0),
        slippage_is_auto=False,
        usdc_amount=usdc_units(0),
        cash_usdc=usdc_units(value),
        fraction_bps=Bps(BPS),
        outflows=outflows,
    )
    return _record(ctx, preview)


def _regime_or_unknown(ctx: TradingContext) -> str:
    targets = ctx.targets()
    return "unknown" if targets is None else targets.regime.value
