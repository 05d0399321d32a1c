"""The owner's side of the keeper mandate: preview `setMandate` / `revokeKeeper`, read it.

    preview = preview_set_mandate(ctx, Mandate(keeper, 100, 6 * DAY, 1_800, 100 * 10**6,
                                               30 * DAY, 200 * 10**6), ["BTC", "ETH"])
    confirm(ctx, preview)             # one user operation, journaled like a trade
    view = read_mandate(ctx)          # one batched eth_call

Units: slippage in bps, durations in seconds, the loss budget and cap in USDC base units (6
decimals), pool fee tiers in hundredths of a bip (3000 = 0.30%). Every limit is checked
here, with its value, before anything is simulated (the vault checks them again:
SPECIFICATION.md §4 "Mandate"). A mandate preview has no legs, no fee and no deadline: its
terms are in `Preview.mandate`, and `confirm()` sends it exactly as it sends a trade."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils.address import (
    is_checksum_address,
    is_checksum_formatted_address,
    is_hex_address,
    to_checksum_address,
)
from pydantic.dataclasses import dataclass

from orchestrator.chain.multicall import aggregate_raw
from orchestrator.chain.vault_binding import (
    ALLOWED_POOL,
    LOSS_USED,
    MANDATE_EPOCH,
    MANDATE_OF,
    decode_allowed_pool,
    decode_mandate,
    mandate_from_struct,
)
from orchestrator.domain.mandate import Mandate
from orchestrator.domain.units import Bps, UsdcUnits, usdc_units
from orchestrator.errors import InputError, InvalidMandate, NoVault
from orchestrator.localmarket.addressbook import AddressBook, TokenEntry
from orchestrator.preview.build import PreviewContext
from orchestrator.preview.model import AllowedPoolTerms, MandateTerms, Preview, PreviewKind
from orchestrator.trading.calls import revoke_keeper_calls, set_mandate_calls
from orchestrator.trading.context import TradingContext
from orchestrator.trading.previews import _context, _record, simulate_calls
from orchestrator.wallet.smart_account import Call

__all__ = [
    "MandateView",
    "check_mandate",
    "preview_revoke_keeper",
    "preview_set_mandate",
    "read_mandate",
]

# the vault's limits (IndexVault constants and the Mandate struct's integer widths)
MAX_SLIPPAGE_CAP_BPS = 1_000
MIN_TWAP_WINDOW_S = 1_800
MAX_TWAP_WINDOW_S = 86_400
MIN_INTERVAL_END_S = 2**24  # uint24 minInterval: exclusive bound
LOSS_BUDGET_END_USDC = 2**96  # uint96 lossBudget and lossCap: exclusive bound
LOSS_WINDOW_END_S = 2**32  # uint32 lossWindow: exclusive bound
NOT_APPLICABLE = "n/a"  # a mandate change has no market regime


@dataclass(frozen=True)
class MandateView:
    """A vault's mandate as stored, read in one call at the latest block.

    `allowed` lists the address-book tokens the keeper may trade in this epoch (a token the
    book does not list cannot be seen: the allowlist is a mapping). After a revoke the
    limits and the allowlist stay stored but inert (no keeper) until the next set."""

    vault: str
    keeper: str | None  # None: never set, or revoked
    max_slippage_bps: Bps
    min_interval_s: int
    twap_window_s: int
    loss_budget_usdc: UsdcUnits  # per loss window
    loss_window_s: int
    loss_cap_usdc: UsdcUnits  # in total under this mandate
    epoch: int  # 0: never set
    allowed: tuple[AllowedPoolTerms, ...]
    loss_used_usdc: (
        UsdcUnits  # as of the latest block, after leaking (the vault rounds the leak down)
    )
    last_rebalance_s: int  # 0: never rebalanced
    loss_spent_usdc: UsdcUnits  # the total loss under the current mandate so far
    batchable: bool = False  # the keeper may settle it in a batch with other vaults

    @property
    def ever_set(self) -> bool:
        return self.epoch > 0

    @property
    def loss_available_usdc(self) -> int:
        """What the keeper may still lose right now (USDC base units): the lesser of what
        the rolling budget and the mandate's total cap leave."""
        return max(min(self.loss_budget_usdc - self.loss_used_usdc,
                       self.loss_cap_usdc - self.loss_spent_usdc), 0)  # fmt: skip

    @property
    def next_rebalance_at_s(self) -> int:
        """The earliest time of the next rebalance (0: any time)."""
        return self.last_rebalance_s + self.min_interval_s if self.last_rebalance_s else 0


def _check_keeper(keeper: str) -> str:
    """0x and 40 hex digits; mixed case must be a valid EIP-55 checksum (a typo shows there)."""
    checksum_ok = not is_checksum_formatted_address(keeper) or is_checksum_address(keeper)
    if not (keeper.startswith("0x") and is_hex_address(keeper) and checksum_ok):
        raise InvalidMandate(
            "the keeper",
            repr(keeper),
            "an address (0x and 40 hex digits; in mixed case, matching its checksum)",
            hint="Check the address, e.g. copy it again from its source.",
        )
    if int(keeper, 16) == 0:
        raise InvalidMandate(
            "the keeper",
            keeper,
            "a non-zero address",
            hint="To stop the keeper, use `indexvault mandate revoke`.",
        )
    return str(to_checksum_address(keeper))


# (field, name, lowest, end (exclusive), unit, hint): the vault's checks and its integer widths
_LIMITS = (
    ("max_slippage_bps", "the max slippage", 1, MAX_SLIPPAGE_CAP_BPS + 1, "bps",
     "e.g. 100 (1%): it must cover the pool fee tier plus the expected price impact."),
    ("min_interval_s", "the minimum interval", 0, MIN_INTERVAL_END_S, "s",
     "The time between two rebalances, up to about 194 days (e.g. 6d)."),
    ("twap_window_s", "the TWAP window", MIN_TWAP_WINDOW_S, MAX_TWAP_WINDOW_S + 1, "s",
     "From 30 minutes to 1 day (e.g. 30m); every allowed pool's oracle must cover it."),
    ("loss_budget_usdc", "the loss budget", 0, LOSS_BUDGET_END_USDC, "USDC base units",
     "In USDC base units (6 decimals): $100 is 100000000."),
    ("loss_window_s", "the loss window", 1, LOSS_WINDOW_END_S, "s",
     "The time over which a full loss budget frees up again (e.g. 30d)."),
    ("loss_cap_usdc", "the loss cap", 0, LOSS_BUDGET_END_USDC, "USDC base units",
     "The most the keeper may ever lose under this mandate, in USDC base units."),
)  # fmt: skip


def check_mandate(m: Mandate) -> Mandate:
    """The mandate with its keeper checksummed, or InvalidMandate for the first bad limit
    (its value and the allowed range). Pure: the limits the vault enforces, plus the
    integer widths of its struct (a wider value would not even encode)."""
    keeper = _check_keeper(m.keeper)
    for field, name, low, end, unit, hint in _LIMITS:
        value = getattr(m, field)
        if not low <= value < end:
            raise InvalidMandate(name, f"{value} {unit}", f"{low}..{end - 1} {unit}", hint=hint)
    return Mandate(keeper, m.max_slippage_bps, m.min_interval_s, m.twap_window_s,
                   m.loss_budget_usdc, m.loss_window_s, m.loss_cap_usdc, m.batchable)  # fmt: skip


def _allowlist(book: AddressBook, symbols: Sequence[str] | None) -> list[TokenEntry]:
    """The book's entries for `symbols` (case-insensitive, repeats once, book order kept
    for None = every token)."""
    if symbols is None:
        return list(book.tokens)
    by_symbol = {t.symbol.upper(): t for t in book.tokens}
    wanted = list(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
    unknown = [s for s in wanted if s not in by_symbol]
    if unknown:
        known = ", ".join(t.symbol for t in book.tokens[:12])
        raise InputError(
            f"unknown token(s) on this market: {', '.join(unknown)}",
            hint=f"Known symbols include: {known}{' ...' if len(book.tokens) > 12 else ''}",
        )
    if not wanted:
        raise InputError(
            "no tokens given: the keeper could trade nothing",
            hint="List symbols (e.g. --tokens BTC,ETH) or all; to stop the keeper, revoke it.",
        )
    return [by_symbol[s] for s in wanted]


def _vault(ctx: TradingContext) -> str:
    if not ctx.vault_exists():
        raise NoVault(ctx.account.address, action="a mandate needs one")
    return ctx.vault_address()


def read_mandate(ctx: TradingContext) -> MandateView:
    """The vault's mandate, epoch, allowlist (every book token's `allowedPool`) and used
    loss budget, in one Multicall3 `eth_call`."""
    return _read(ctx, _vault(ctx))


def _read(ctx: TradingContext, vault: str) -> MandateView:
    tokens = ctx.book.tokens
    calls = [
        (vault, MANDATE_OF.call()),
        (vault, MANDATE_EPOCH.call()),
        (vault, LOSS_USED.call()),
        *((vault, ALLOWED_POOL.call(t.address)) for t in tokens),
    ]
    results = aggregate_raw(ctx.chain, ctx.book.contracts.multicall3, calls, allow_failure=False)
    out = [data for _, data in results]
    # the limits stay readable after a revocation (decode_mandate would give None)
    limits = mandate_from_struct(MANDATE_OF.decode(out[0])[0])
    (epoch,) = MANDATE_EPOCH.decode(out[1])
    used, last, spent = LOSS_USED.decode(out[2])
    allowed = []
    for token, data in zip(tokens, out[3:], strict=True):
        fee = decode_allowed_pool(data)
        if fee is not None:
            allowed.append(AllowedPoolTerms(symbol=token.symbol, token=token.address, fee=fee))
    current = decode_mandate(out[0])
    return MandateView(
        vault=vault,
        keeper=None if current is None else current.keeper,
        max_slippage_bps=limits.max_slippage_bps,
        min_interval_s=limits.min_interval_s,
        twap_window_s=limits.twap_window_s,
        loss_budget_usdc=limits.loss_budget_usdc,
        loss_window_s=limits.loss_window_s,
        loss_cap_usdc=limits.loss_cap_usdc,
        batchable=limits.batchable,
        epoch=int(epoch),
        allowed=tuple(allowed),
        loss_used_usdc=usdc_units(int(used)),
        last_rebalance_s=int(last),
        loss_spent_usdc=usdc_units(int(spent)),
    )


def _set_warnings(terms: MandateTerms, current: MandateView) -> list[str]:
    warnings = []
    slow = [p.symbol for p in terms.allowed if terms.max_slippage_bps * 100 <= p.fee]
    if slow:
        warnings.append(
            f"max slippage {terms.max_slippage_bps} bps does not exceed the pool fee tier of "
            f"{', '.join(slow)}: the keeper cannot trade them"
        )
    if current.keeper is not None and current.keeper != terms.keeper:
        warnings.append(f"replaces keeper {current.keeper}, which loses its rights")
    if terms.loss_budget_usdc == 0 or terms.loss_cap_usdc == 0:
        warnings.append("loss budget or cap 0: the keeper may only trade at or above the price")
    if terms.loss_cap_usdc > terms.loss_budget_usdc * 10:
        warnings.append(
            "the loss cap is over 10 loss budgets: the cap, not the budget, bounds what the "
            "keeper can cost you; it never resets until you sign a new mandate"
        )
    if current.ever_set:
        warnings.append(f"the allowlist of epoch {current.epoch} becomes void")
    return warnings


def _preview(
    ctx: TradingContext, calls: Sequence[Call], terms: MandateTerms, warnings: Sequence[str]
) -> Preview:
    """Simulate the op once (gas), then the Preview with no legs, no fee, no deadline."""
    draft, _facts = simulate_calls(ctx, calls)
    base: PreviewContext = _context(ctx, draft, calls, 0, NOT_APPLICABLE, fee_bps=Bps(0))
    preview = Preview(
        quote_id=base.quote_id,
        kind=PreviewKind.MANDATE,
        chain_id=base.chain_id,
        owner=base.owner,
        vault=base.vault,
        created_at_s=base.now_s,
        expires_at_s=base.now_s + base.ttl_s,
        regime=base.regime,
        usdc_amount=0,
        fee_bps=0,
        platform_fee_usdc=0,
        max_slippage_bps=0,  # the operation's own: nothing is swapped
        slippage_is_auto=False,
        legs=(),
        cash_usdc=0,
        fraction_bps=0,
        expected_value_usdc=0,
        min_expected_value_usdc=0,
        price_impact_bps=0,
        gas=draft.gas.preview(),  # the account exists: it created the vault
        warnings=tuple(warnings),
        needs_explicit_confirmation=False,
        blocked=False,
        dropped=(),
        deadline_s=base.deadline_s,
        user_op_hash=base.user_op_hash,
        user_op=base.user_op,
        mandate=terms,
    )
    return _record(ctx, preview)


def preview_set_mandate(
    ctx: TradingContext, mandate: Mandate, tokens: Sequence[str] | None = None
) -> Preview:
    """What `setMandate(mandate, pools)` will do: `pools` are `tokens` (None: every token of
    the address book), each with its USDC pool's fee tier from the book. Starts a new
    epoch (older allowlists void) and a new loss total under the cap; the used loss budget
    (settled at the old rate) and last rebalance carry over. A pool whose oracle ring is
    too small for the window stops the preview (the simulation decodes `CardinalityTooLow`)."""
    checked = check_mandate(mandate)
    entries = _allowlist(ctx.book, tokens)
    vault = _vault(ctx)
    current = _read(ctx, vault)
    pools = [(t.address, t.fee) for t in entries]
    terms = MandateTerms(
        action="set",
        keeper=checked.keeper,
        max_slippage_bps=checked.max_slippage_bps,
        min_interval_s=checked.min_interval_s,
        twap_window_s=checked.twap_window_s,
        loss_budget_usdc=checked.loss_budget_usdc,
        loss_window_s=checked.loss_window_s,
        loss_cap_usdc=checked.loss_cap_usdc,
        batchable=checked.batchable,
        epoch=current.epoch + 1,
        allowed=tuple(
            AllowedPoolTerms(symbol=t.symbol, token=t.address, fee=t.fee) for t in entries
        ),
    )
    calls = set_mandate_calls(vault=vault, mandate=checked, pools=pools)
    return _preview(ctx, calls, terms, _set_warnings(terms, current))


def preview_revoke_keeper(ctx: TradingContext) -> Preview:
    """What `revokeKeeper()` will do: the keeper loses its rights at once; the limits and
    the allowlist stay stored, inert, until the next set. Idempotent on chain: with no
    keeper the preview says the call changes nothing."""
    current = read_mandate(ctx)
    terms = MandateTerms(
        action="revoke",
        keeper=current.keeper,
        max_slippage_bps=current.max_slippage_bps,
        min_interval_s=current.min_interval_s,
        twap_window_s=current.twap_window_s,
        loss_budget_usdc=current.loss_budget_usdc,
        loss_window_s=current.loss_window_s,
        loss_cap_usdc=current.loss_cap_usdc,
        batchable=current.batchable,
        epoch=current.epoch,
        allowed=current.allowed,
    )
    warnings = [] if current.keeper else ["no keeper is set: revoking changes nothing"]
    return _preview(ctx, revoke_keeper_calls(vault=current.vault), terms, warnings)
