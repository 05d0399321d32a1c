"""What a preview is built on, read as members of one JSON-RPC batch.

    basis   what the preview's calls and op are made from: whether the smart account and
            the vault have code, the account's nonce, the platform fee (it sizes a buy's
            legs) and, for a sell or a withdrawal, the vault's balances
    rest    what only gets reported or checked: the account's USDC, the clock (the vault
            call's deadline), the fees (the op's fee caps), the ETH price (gas in USD)

A preview's batch carries these reads beside its quotes and gas simulations. The calls
are built on the basis read before (by the previous preview in this session, or by one
read of its own when there is none); if the batch's fresh basis differs, the preview is
built again on it. So a session's previews take one round trip to the node, its first
two (see `trading.previews`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import (
    BatchRead,
    BlockHeader,
    CodeRead,
    EthCall,
    FeeHistoryRead,
    HeaderRead,
    read_batch,
)
from orchestrator.chain.fees import FEE_HISTORY_BLOCKS, FEE_PERCENTILE, Fees, fees_from
from orchestrator.chain.multicall import aggregate_call, decode_aggregate
from orchestrator.chain.uniswap import decode_pool_states, pool_state_calls
from orchestrator.chain.vault_binding import BALANCE_OF, FACTORY_CONFIG, GET_NONCE
from orchestrator.domain.legs import TokenRef
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import Bps, TokenUnits, UsdcUnits, usdc_units
from orchestrator.errors import ContractReverted, UnexpectedAnswer
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.trading.reads import Balances, token_refs

__all__ = ["ETH_SYMBOLS", "Basis", "Facts", "FactsRead"]

ETH_SYMBOLS = ("ETH", "WETH")


@dataclass(frozen=True)
class Basis:
    account_deployed: bool
    vault_exists: bool
    nonce: int
    fee_bps: Bps
    vault: Balances | None  # read for sells and withdrawals only


@dataclass(frozen=True)
class Facts:
    basis: Basis
    usdc_balance: UsdcUnits  # the smart account's
    now_s: int  # the latest block's time
    fees: Fees
    eth_price_usdc: UsdcUnits | None  # per 1 ETH at its pool's mid price, if listed


@dataclass(frozen=True)
class FactsRead:
    """The reads of one account's facts: built here, sent by the caller (alone, or in the
    batch of a preview), decoded here."""

    book: AddressBook
    account: str
    vault: str
    with_vault_balances: bool

    @property
    def eth(self) -> TokenRef | None:
        return next((t for t in token_refs(self.book) if t.symbol in ETH_SYMBOLS), None)

    def _holdings(self) -> list[str]:
        return [*(t.address for t in self.book.tokens), self.book.contracts.usdc]

    def reads(self) -> list[BatchRead]:
        c = self.book.contracts
        calls = [
            (c.usdc, BALANCE_OF.call(self.account)),
            (c.vault_factory, FACTORY_CONFIG.call()),
            (c.entry_point, GET_NONCE.call(self.account, 0)),
        ]
        eth = self.eth
        if eth is not None:
            calls += pool_state_calls([eth.pool])
        if self.with_vault_balances:
            calls += [(token, BALANCE_OF.call(self.vault)) for token in self._holdings()]
        views: EthCall = aggregate_call(c.multicall3, calls, allow_failure=False)
        return [
            views,
            CodeRead(self.account),
            CodeRead(self.vault),
            HeaderRead(),
            FeeHistoryRead(FEE_HISTORY_BLOCKS, FEE_PERCENTILE),
        ]

    def decode(self, outputs: Sequence[object]) -> Facts:
        views, account_code, vault_code, header, tips = outputs[:5]
        if isinstance(views, ContractReverted):
            raise views
        if not (
            isinstance(views, bytes)
            and isinstance(account_code, bytes)
            and isinstance(vault_code, bytes)
            and isinstance(header, BlockHeader)
            and isinstance(tips, list)
        ):
            raise UnexpectedAnswer("the node", "a preview's facts", answer=outputs[:5])
        results = [data for _, data in decode_aggregate(views)]
        balance, config, nonce = results[:3]
        rest = results[3:]
        eth, price = self.eth, None
        if eth is not None:
            (state,) = decode_pool_states([(True, d) for d in rest[:2]])
            is0 = token_is_token0(eth.address, self.book.contracts.usdc)
            price = usdc_units(
                value_in_usdc(10**eth.decimals, state.sqrt_price_x96, token_is_0=is0)
            )
            rest = rest[2:]
        vault = None
        if self.with_vault_balances:
            amounts = [TokenUnits(int.from_bytes(d, "big")) for d in rest]
            tokens = {t.symbol: a for t, a in zip(self.book.tokens, amounts, strict=False)}
            vault = Balances(tokens, usdc_units(amounts[-1]))
        basis = Basis(
            account_deployed=bool(account_code),
            vault_exists=bool(vault_code),
            nonce=int(GET_NONCE.decode(nonce)[0]),
            fee_bps=Bps(int(FACTORY_CONFIG.decode(config)[1])),
            vault=vault,
        )
        return Facts(
            basis=basis,
            usdc_balance=usdc_units(int(BALANCE_OF.decode(balance)[0])),
            now_s=header.timestamp,
            fees=fees_from(header.as_block(), [int(t) for t in tips]),
            eth_price_usdc=price,
        )

    def read(self, chain: Chain) -> Facts:
        """The facts alone, in one round trip."""
        return self.decode(read_batch(chain, self.reads()))
