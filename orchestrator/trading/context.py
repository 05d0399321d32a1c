"""Everything a trading flow needs on one network, for one owner."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.chain.vault_binding import FACTORY_CONFIG, PREDICT_VAULT, owner_salt
from orchestrator.domain.legs import TokenRef
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.domain.units import ONE_USDC, Bps, UsdcUnits, usdc_units
from orchestrator.execution.userop_submitter import UserOpSubmitter
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy import DEFAULT_CONFIG, StrategyConfig
from orchestrator.trading.facts import ETH_SYMBOLS, Facts
from orchestrator.trading.reads import mid_prices, token_refs
from orchestrator.trading.targets import Targets, current_targets
from orchestrator.wallet.signers import Signer
from orchestrator.wallet.smart_account import AAContracts, SmartAccount, smart_account


@dataclass
class TradingContext:
    chain: Chain
    book: AddressBook
    journal: Journal
    submitter: UserOpSubmitter
    owner: str  # the key that owns the smart account (its address)
    history: MarketHistory | None = None  # for targets; None: no strategy (sell/withdraw only)
    market_date: datetime.date | None = None
    strategy: StrategyConfig = DEFAULT_CONFIG
    salt: bytes = field(default_factory=owner_salt)
    ttl_s: int = 120  # how long a preview can be confirmed
    deadline_margin_s: int = 1_200  # the vault call's deadline, after the preview expires
    min_leg_usdc: UsdcUnits = ONE_USDC  # dust: no leg below $1
    cap_bps: int = DEFAULT_CONFIG.weights.cap_bps  # no asset above the strategy's cap
    wall_clock: Callable[[], float] = time.time
    facts: Facts | None = None  # what the last preview read (the next one builds on it)
    signer: Signer | None = None  # None: the session reads, or the signature comes from elsewhere
    _account: SmartAccount | None = None
    _vault: str | None = None
    _targets: Targets | None = None

    @property
    def aa(self) -> AAContracts:
        c = self.book.contracts
        return AAContracts(c.entry_point, c.simple_account_factory)

    @property
    def account(self) -> SmartAccount:
        if self._account is None:
            self._account = smart_account(self.chain, self.aa, self.owner)
        return self._account

    def vault_address(self) -> str:
        """Deterministic (CREATE2 from the owner and the salt): asked once."""
        if self._vault is None:
            factory = self.book.contracts.vault_factory
            data = call_raw(
                self.chain, factory, PREDICT_VAULT.call(self.account.address, self.salt)
            )
            self._vault = to_checksum_address(PREDICT_VAULT.decode(data)[0])
        return self._vault

    def vault_exists(self) -> bool:
        return bool(self.chain.code(self.vault_address()))

    def fee_bps(self) -> Bps:
        config = call_raw(self.chain, self.book.contracts.vault_factory, FACTORY_CONFIG.call())
        return Bps(int(FACTORY_CONFIG.decode(config)[1]))

    def tokens(self) -> list[TokenRef]:
        return token_refs(self.book)

    def targets(self) -> Targets | None:
        """This week's targets; None without market history (sell and withdraw only)."""
        if self.history is None:
            return None
        if self._targets is None:  # weekly numbers: computed once per context
            date = self.market_date or datetime.date.fromisoformat(self.book.market_date)
            tradable = [t.symbol for t in self.book.tokens]
            self._targets = current_targets(self.history, date, tradable, self.strategy)
        return self._targets

    def eth_price_usdc(self) -> UsdcUnits | None:
        """USDC base units per 1 ETH at the ETH pool's mid price, if the network lists ETH."""
        ref = next((t for t in self.tokens() if t.symbol in ETH_SYMBOLS), None)
        if ref is None:
            return None
        sqrt_price = mid_prices(self.chain, self.book, [ref])[ref.symbol]
        is0 = token_is_token0(ref.address, self.book.contracts.usdc)
        return usdc_units(value_in_usdc(10**ref.decimals, sqrt_price, token_is_0=is0))
