"""Build previews: plan -> one batched quote -> gas by simulation -> Preview (journaled).

The op is simulated once with every min-out at zero (gas does not depend on them); the
slippage is then chosen, the min-outs set, and the final op gets the same gas limits with
its preVerificationGas recomputed for the final calldata."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from orchestrator.chain.calls import call_batch
from orchestrator.chain.vault_binding import LegStruct, unguarded_legs
from orchestrator.domain.legs import Direction, Holding, PlannedLeg, QuotedLeg
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import BPS, Bps, Gas, UsdcUnits, Wei, usdc_units
from orchestrator.errors import ConfigError, ContractReverted, InputError, NotEnoughFunds, NoVault
from orchestrator.planning import plan_buy, plan_sell
from orchestrator.preview import (
    GasFacts,
    Preview,
    PreviewContext,
    PreviewKind,
    build_preview,
    choose_max_slippage,
)
from orchestrator.trading.calls import buy_calls, sell_calls, withdraw_calls
from orchestrator.trading.context import TradingContext
from orchestrator.trading.reads import QuotesRead, mid_prices, usdc_balance, vault_balances
from orchestrator.wallet.builder import DraftUserOp, draft_user_op
from orchestrator.wallet.gas import pre_verification_gas
from orchestrator.wallet.smart_account import Call, encode_calls
from orchestrator.wallet.userop_signing import user_op_hash


def _usd(amount: int) -> str:
    return f"${Decimal(amount).scaleb(-6):,.2f}"  # display only


class _Draft:
    """The op simulated once (min-outs zero), then finalised for the chosen min-outs."""

    def __init__(
        self,
        ctx: TradingContext,
        draft: DraftUserOp,
        outputs: Sequence[bytes | ContractReverted],
        *,
        creates_vault: bool,
    ):
        self.ctx = ctx
        self.prepared = draft.complete(ctx.chain, outputs)
        est = self.prepared.estimate
        self.gas = GasFacts(
            likely_gas=Gas(est.likely_gas),
            max_gas=Gas(est.max_gas),
            likely_fee_per_gas_wei=Wei(est.likely_fee_per_gas_wei),
            max_fee_per_gas_wei=Wei(est.max_fee_per_gas_wei),
            eth_price_usdc=ctx.eth_price_usdc(),
            deploys_account=draft.deploys_account,
            creates_vault=creates_vault,
        )

    @classmethod
    def simulate(cls, ctx: TradingContext, calls: Sequence[Call], *, creates_vault: bool) -> _Draft:
        draft = draft_user_op(ctx.chain, ctx.account, calls)
        return cls(ctx, draft, call_batch(ctx.chain, draft.sims.calls), creates_vault=creates_vault)

    def finalise(self, calls: Sequence[Call]) -> tuple[str, dict[str, str]]:
        """The simulated op with the final calls (same sender, nonce, initCode, limits)."""
        ctx = self.ctx
        op = self.prepared.op.replace(call_data=encode_calls(calls))
        op = op.replace(pre_verification_gas=pre_verification_gas(op))
        fitted = ctx.submitter.fit(op)  # a bundler may price preVerificationGas higher
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


def _quote_and_simulate(
    ctx: TradingContext, legs: Sequence[PlannedLeg], draft_calls: Sequence[Call], creates: bool
) -> tuple[list[QuotedLeg], _Draft]:
    """The quotes and the gas simulations, independent of each other, in one JSON-RPC batch
    (a node runs its members side by side). A leg that cannot be quoted is reported before
    a simulation's revert: it names the leg."""
    draft = draft_user_op(ctx.chain, ctx.account, draft_calls)
    read = QuotesRead(ctx.book, tuple(legs))
    outputs = call_batch(ctx.chain, [read.call(), *draft.sims.calls])
    quotes = read.decode(outputs[0])
    return quotes, _Draft(ctx, draft, outputs[1:], creates_vault=creates)


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
    balance = usdc_balance(ctx.chain, ctx.book, ctx.account.address)
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
    targets = ctx.targets()
    if targets is None:
        raise ConfigError(
            "this network has no market history: the index's targets are unknown",
            hint="Set market_data in the network file (or use the synthetic market).",
        )
    fee_bps = ctx.fee_bps()  # read once: the planned fee is the fee shown
    plan = plan_buy(
        usdc_amount,
        fee_bps=fee_bps,
        weights_bps=targets.weights_bps,
        tokens=ctx.tokens(),
        regime=targets.regime,
        min_leg_usdc=ctx.min_leg_usdc,
    )
    creates_vault = not ctx.vault_exists()
    deadline = ctx.chain_now_s() + ctx.ttl_s + ctx.deadline_margin_s

    def calls(legs: Sequence[LegStruct]) -> list[Call]:
        return buy_calls(
            ctx.book,
            account=ctx.account.address, vault=ctx.vault_address(), salt=ctx.salt,
            create_vault=creates_vault, usdc_amount=usdc_amount, legs=legs,
            max_fee_bps=fee_bps, deadline_s=deadline,
        )  # fmt: skip

    draft_calls = calls(unguarded_legs(plan.legs))
    quotes, draft = _quote_and_simulate(ctx, plan.legs, draft_calls, creates_vault)
    value = _value_of_quotes(ctx, quotes)
    slippage, auto = choose_max_slippage(max_slippage_bps, draft.gas, value)
    final_calls = calls(_guarded(ctx, quotes, slippage))
    preview = build_preview(
        PreviewKind.BUY,
        quotes,
        ctx=_context(
            ctx, draft, final_calls, deadline, targets.regime.value, fee_bps=fee_bps, force=force
        ),
        gas=draft.gas,
        max_slippage_bps=slippage,
        slippage_is_auto=auto,
        usdc_amount=usdc_amount,
        cash_usdc=plan.cash_usdc,
        dropped=plan.dropped,
    )
    return _record(ctx, preview)


def _require_vault(ctx: TradingContext, action: str) -> str:
    if not ctx.vault_exists():
        raise NoVault(ctx.account.address, action=f"nothing to {action}")
    return ctx.vault_address()


def preview_sell(
    ctx: TradingContext, fraction_bps: Bps, *, max_slippage_bps: int | None = None
) -> Preview:
    """Selling `fraction_bps` of every holding and of the vault's cash, paid out in USDC."""
    vault = _require_vault(ctx, "sell")
    balances = vault_balances(ctx.chain, ctx.book, vault)
    fee_bps = ctx.fee_bps()
    refs = {t.symbol: t for t in ctx.tokens()}
    holdings = [Holding(refs[s], amount) for s, amount in balances.tokens.items() if amount]
    plan = plan_sell(holdings, fraction_bps=fraction_bps, cash_usdc=balances.usdc, fee_bps=fee_bps)
    deadline = ctx.chain_now_s() + ctx.ttl_s + ctx.deadline_margin_s

    def calls(legs: Sequence[LegStruct]) -> list[Call]:
        return sell_calls(
            vault=vault, legs=legs, fraction_bps=fraction_bps, max_fee_bps=fee_bps,
            deadline_s=deadline,
        )  # fmt: skip

    quotes, draft = _quote_and_simulate(ctx, plan.legs, calls(unguarded_legs(plan.legs)), False)
    value = _value_of_quotes(ctx, quotes)
    slippage, auto = choose_max_slippage(max_slippage_bps, draft.gas, value)
    final_calls = calls(_guarded(ctx, quotes, slippage))
    preview = build_preview(
        PreviewKind.SELL,
        quotes,
        ctx=_context(ctx, draft, final_calls, deadline, _regime_or_unknown(ctx), fee_bps=fee_bps),
        gas=draft.gas,
        max_slippage_bps=slippage,
        slippage_is_auto=auto,
        usdc_amount=usdc_units(0),
        cash_usdc=plan.cash_usdc,
        fraction_bps=fraction_bps,
        dropped=plan.skipped,
    )
    return _record(ctx, preview)


def preview_withdraw(ctx: TradingContext) -> Preview:
    """Every token and the USDC to the owner's smart account, no swaps, no fee."""
    vault = _require_vault(ctx, "withdraw")
    balances = vault_balances(ctx.chain, ctx.book, vault)
    held = [t for t in ctx.book.tokens if balances.tokens.get(t.symbol)]
    addresses = [t.address for t in held] + ([ctx.book.contracts.usdc] if balances.usdc else [])
    if not addresses:
        raise InputError("the vault is empty: nothing to withdraw")
    calls = withdraw_calls(vault=vault, tokens=addresses)
    draft = _Draft.simulate(ctx, calls, creates_vault=False)
    # in kind: the value is the holdings at mid, with nothing that can slip
    refs = {t.symbol: t for t in ctx.tokens()}
    prices = mid_prices(ctx.chain, ctx.book, [refs[t.symbol] for t in held])
    usdc = ctx.book.contracts.usdc
    value = balances.usdc + sum(
        value_in_usdc(
            balances.tokens[t.symbol], prices[t.symbol], token_is_0=token_is_token0(t.address, usdc)
        )
        for t in held
    )
    base = _context(ctx, draft, calls, 0, _regime_or_unknown(ctx), fee_bps=Bps(0))
    preview = build_preview(
        PreviewKind.WITHDRAW,
        [],
        ctx=base,
        gas=draft.gas,
        max_slippage_bps=Bps(0),
        slippage_is_auto=False,
        usdc_amount=usdc_units(0),
        cash_usdc=usdc_units(value),
        fraction_bps=Bps(BPS),
    )
    return _record(ctx, preview)


def _regime_or_unknown(ctx: TradingContext) -> str:
    targets = ctx.targets()
    return "unknown" if targets is None else targets.regime.value
