"""Everything a trading flow needs on one network, for one owner."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from orchestrator.chain.backends import Chain
from orchestrator.chain.bindings import bind_ours
from orchestrator.chain.vault_binding import owner_salt
from orchestrator.domain.legs import TokenRef
from orchestrator.domain.prices import token_is_token0, value_in_usdc
from orchestrator.execution.userop_submitter import UserOpSubmitter
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.market.snapshot import MarketHistory
from orchestrator.strategy import DEFAULT_CONFIG, StrategyConfig
from orchestrator.trading.reads import mid_prices, token_refs
from orchestrator.trading.targets import Targets, current_targets
from orchestrator.wallet.smart_account import AAContracts, SmartAccount, smart_account

ETH_SYMBOLS = ("ETH", "WETH")


@dataclass
class TradingContext:
    chain: Chain
    book: AddressBook
    journal: Journal
    submitter: UserOpSubmitter
    owner: LocalAccount  # the key that signs for the smart account
    history: MarketHistory | None = None  # for targets; None: no strategy (sell/withdraw only)
    market_date: datetime.date | None = None
    strategy: StrategyConfig = DEFAULT_CONFIG
    salt: bytes = field(default_factory=owner_salt)
    ttl_s: int = 120  # how long a preview can be confirmed
    deadline_margin_s: int = 1_200  # the vault call's deadline, after the preview expires
    min_leg_usdc: int = 1_000_000  # dust: no leg below $1
    wall_clock: Callable[[], float] = time.time
    _account: SmartAccount | None = None
    _factory: Contract | None = None
    _vault: str | None = None
    _targets: Targets | None = None

    @property
    def aa(self) -> AAContracts:
        c = self.book.contracts
        return AAContracts(c.entry_point, c.simple_account_factory)

    @property
    def account(self) -> SmartAccount:
        if self._account is None:
            self._account = smart_account(self.chain, self.aa, self.owner.address)
        return self._account

    @property
    def factory(self) -> Contract:
        if self._factory is None:
            self._factory = bind_ours(
                self.chain.w3, "VaultFactory", self.book.contracts.vault_factory
            )
        return self._factory

    def vault_address(self) -> str:
        """Deterministic (CREATE2 from the owner and the salt): asked once."""
        if self._vault is None:
            predict = self.factory.functions.predictVault(self.account.address, self.salt)
            self._vault = str(predict.call())
        return self._vault

    def vault_exists(self) -> bool:
        return bool(self.chain.w3.eth.get_code(self.vault_address()))  # type: ignore[arg-type]

    def fee_bps(self) -> int:
        return int(self.factory.functions.config().call()[1])

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

    def chain_now_s(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    def eth_price_usdc(self) -> int | None:
        """USDC base units per 1 ETH at the ETH pool's mid price, if the network lists ETH."""
        ref = next((t for t in self.tokens() if t.symbol in ETH_SYMBOLS), None)
        if ref is None:
            return None
        sqrt_price = mid_prices(self.chain.w3, self.book, [ref])[ref.symbol]
        is0 = token_is_token0(ref.address, self.book.contracts.usdc)
        return value_in_usdc(10**ref.decimals, sqrt_price, token_is_0=is0)
