"""The Preview: exactly what a buy, sell, withdrawal or mandate change will do, before it
is signed.

Amounts are integers in base units (USDC: 6 decimals); the display layer turns them into
Decimals. A preview is identified by its quote id (the journal's idempotency key) and
stops being confirmable at `expires_at_s`."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from orchestrator.domain.legs import GuardedLeg
from orchestrator.domain.units import Bps, Gas, Pips, TokenUnits, UsdcUnits, Wei


class PreviewKind(StrEnum):
    BUY = "buy"
    SELL = "sell"
    WITHDRAW = "withdraw"
    MANDATE = "mandate"  # setMandate or revokeKeeper: no legs, no fee; terms in `mandate`
    SEND = "send"  # a token out of the smart account to an address: terms in `transfer`


class GasPreview(BaseModel):
    model_config = ConfigDict(frozen=True)

    likely_gas: Gas
    max_gas: Gas
    likely_fee_per_gas_wei: Wei
    max_fee_per_gas_wei: Wei
    likely_cost_wei: Wei
    max_cost_wei: Wei
    likely_cost_usdc: UsdcUnits | None  # None when no ETH price is known on this network
    max_cost_usdc: UsdcUnits | None
    deploys_account: bool
    creates_vault: bool
    # The rate the USD costs above use, and where it comes from (None: no ETH price here).
    eth_price_usdc: UsdcUnits | None = None
    eth_price_source: str | None = None


class Outflow(BaseModel):
    """A token leaving the vault (an in-kind withdrawal): how much, and its value at mid."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    token: str
    amount: TokenUnits
    decimals: int
    value_usdc: UsdcUnits


class TransferTerms(BaseModel):
    """A send: `amount` of `symbol` from the smart account to `to` (an ERC-20 transfer made
    by the account's execute)."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    token: str
    decimals: int
    amount: TokenUnits
    to: str
    to_is_contract: bool
    balance: TokenUnits  # the smart account's, before the send
    value_usdc: UsdcUnits | None  # at the pool's mid price (None: no price)


class AllowedPoolTerms(BaseModel):
    """A token the keeper may trade, and the one USDC pool (fee tier) it must use."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    token: str
    fee: Pips  # pool fee tier (3000 = 0.30%)


class MandateTerms(BaseModel):
    """What a mandate preview asks the owner to sign (IIndexVault.Mandate, in our units).

    `set`: the new limits, which start epoch `epoch` (older allowlists void). `revoke`: the
    keeper that loses its rights at once (None: there is none, the call changes nothing);
    the other fields are the current mandate, which stays stored, inert, until the next set.
    """

    model_config = ConfigDict(frozen=True)

    action: Literal["set", "revoke"]
    keeper: str | None
    max_slippage_bps: Bps  # per keeper leg, below the reference (spot and TWAP halves) output
    min_interval_s: int  # between two rebalances
    twap_window_s: int  # pool history the TWAP averages
    loss_budget_usdc: UsdcUnits  # of loss vs the reference per loss window
    loss_window_s: int  # over which a full budget leaks out of the used budget
    loss_cap_usdc: UsdcUnits  # of loss in total under this mandate, ever
    epoch: int  # set: the epoch the new mandate gets; revoke: the current one
    allowed: tuple[AllowedPoolTerms, ...]
    batchable: bool = False  # the keeper may settle it in a batch with other vaults (one tx)


class Preview(BaseModel):
    model_config = ConfigDict(frozen=True)

    quote_id: str
    kind: PreviewKind
    chain_id: int
    owner: str  # the smart account
    vault: str
    created_at_s: int
    expires_at_s: int
    regime: str
    usdc_amount: UsdcUnits  # buy: paid in (fee included); sell: gross (proceeds + cash)
    fee_bps: Bps
    platform_fee_usdc: UsdcUnits  # buy: exact; sell: on the expected gross (exact once filled)
    max_slippage_bps: Bps  # each leg's min-out is its quote less this (rounded down)
    slippage_is_auto: bool
    legs: tuple[GuardedLeg, ...]
    cash_usdc: UsdcUnits  # buy: left as USDC in the vault; sell: vault cash paid out
    fraction_bps: Bps  # sell: share of every holding sold; buy: 0
    expected_value_usdc: UsdcUnits  # buy: holdings added at mid; sell: USDC paid to the owner
    min_expected_value_usdc: UsdcUnits  # the same with every leg at its min-out (rounds down)
    price_impact_bps: Bps  # value-weighted over the legs
    gas: GasPreview
    warnings: tuple[str, ...]
    needs_explicit_confirmation: bool  # a leg at >= 10% impact
    blocked: bool  # a leg at >= 15% impact and not forced
    dropped: tuple[tuple[str, str], ...]
    deadline_s: int  # the vault call's deadline
    user_op_hash: str
    user_op: dict[str, str]  # the unsigned op in ERC-4337 JSON-RPC form (gas and fees set)
    mandate: MandateTerms | None = None  # kind "mandate" only: the terms being signed
    # Where the value goes, reconciled to the base unit (buy and sell):
    #   buy:  usdc_amount - platform_fee - pool_fees - price_impact = expected_value
    #   sell: value_at_mid - pool_fees - price_impact - platform_fee = expected_value
    pool_fees_usdc: UsdcUnits = UsdcUnits(TokenUnits(0))  # the Uniswap pools' LP fees on the legs
    price_impact_usdc: int = 0  # what moving the pools costs (the rest; rounding included)
    value_at_mid_usdc: UsdcUnits = UsdcUnits(
        TokenUnits(0)
    )  # sell: what is sold, at mid, plus the cash
    outflows: tuple[Outflow, ...] = ()  # withdraw: every token that leaves, in kind
    transfer: TransferTerms | None = None  # kind "send" only

    def leg(self, symbol: str) -> GuardedLeg:
        for leg in self.legs:
            if leg.symbol == symbol:
                return leg
        raise KeyError(symbol)
