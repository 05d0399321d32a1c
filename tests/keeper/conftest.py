"""Vaults with different owners and mandates on the small real market, and a keeper.

Owners here are plain keys calling their vault directly (the vault does not care whether
its owner is a smart account; the user-operation path is tested in tests/trading). Each
vault starts off-target: the owner bought a few tokens in equal USDC amounts."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from orchestrator.chain import Transactor
from orchestrator.chain.bindings import bind_ours
from orchestrator.chain.vault_binding import LegStruct, mandate_struct, owner_salt
from orchestrator.domain.mandate import Mandate
from orchestrator.keeper.cycle import Keeper
from orchestrator.keeper.journal import KeeperJournal
from orchestrator.keeper.schedule import next_weekly_s
from orchestrator.service import LOCAL_KEEPER_ACCOUNT, LocalMarket, load_history
from orchestrator.strategy.signal import Regime
from orchestrator.trading.targets import Targets, current_targets

USDC = 10**6
DAY_S = 86_400
GAS_OWNER_CALL = 2_000_000


def _tuples(legs: Sequence[LegStruct]) -> list[tuple[str, int, int, int]]:
    """Plain tuples for web3's encoder (it rebuilds tuples by their type)."""
    return [tuple(leg) for leg in legs]  # type: ignore[misc]


@dataclass
class Vault:
    name: str
    owner: Transactor
    address: str


@dataclass
class KeeperEnv:
    market: LocalMarket
    keeper: Keeper
    journal: KeeperJournal
    bull: Targets

    @property
    def chain(self):  # type: ignore[no-untyped-def]
        return self.market.chain

    def bear(self) -> Targets:
        return dataclasses.replace(
            self.bull, reading=dataclasses.replace(self.bull.reading, regime=Regime.BEAR)
        )

    def balance(self, token: str, holder: str) -> int:
        erc20 = bind_ours(self.chain.w3, "TestToken", token)
        return int(erc20.functions.balanceOf(holder).call())

    def holdings(self, vault: str) -> dict[str, int]:
        return {t.symbol: self.balance(t.address, vault) for t in self.market.book.tokens}

    def cash(self, vault: str) -> int:
        return self.balance(self.market.book.contracts.usdc, vault)

    def open_vault(self, name: str, *, buy_usdc: int, symbols: Sequence[str]) -> Vault:
        """A funded owner creates a vault and buys `symbols` with equal USDC each."""
        book, chain = self.market.book, self.chain
        owner = Transactor(chain, Account.from_key(keccak(text=f"keeper-test owner {name}")))
        chain.set_balance(owner.address, 10**19)
        self.market.deployer.resync()
        self.market.fund_usdc(owner.address, buy_usdc)
        factory = bind_ours(chain.w3, "VaultFactory", book.contracts.vault_factory)
        owner.send(factory.functions.createVault(owner.address, owner_salt()), gas=400_000)
        address = str(factory.functions.predictVault(owner.address, owner_salt()).call())
        usdc = bind_ours(chain.w3, "TestToken", book.contracts.usdc)
        owner.send(usdc.functions.approve(address, buy_usdc), gas=100_000)
        spend = buy_usdc * 9_900 // 10_000 // len(symbols)  # the 10 bps fee leaves room
        legs = [LegStruct(book.token(s).address, book.token(s).fee, spend, 1) for s in symbols]
        vault = bind_ours(chain.w3, "IndexVault", address)
        deadline = chain.timestamp() + 3_600
        owner.send(vault.functions.buy(buy_usdc, _tuples(legs), 100, deadline), gas=GAS_OWNER_CALL)
        return Vault(name, owner, address)

    def set_mandate(
        self, vault: Vault, *, symbols: Sequence[str] | None = None, keeper: str | None = None,
        max_slippage_bps: int = 300, min_interval_s: int = 3_600, twap_window_s: int = 1_800,
        loss_budget_usdc: int = 500 * USDC, loss_window_s: int = 7 * DAY_S,
        loss_cap_usdc: int = 2_000 * USDC, batchable: bool = False,
    ) -> Mandate:  # fmt: skip
        book = self.market.book
        chosen = symbols if symbols is not None else [t.symbol for t in book.tokens]
        mandate = Mandate(
            keeper or self.keeper.address, max_slippage_bps, min_interval_s, twap_window_s,
            loss_budget_usdc, loss_window_s, loss_cap_usdc, batchable,
        )  # fmt: skip
        pools = [(book.token(s).address, book.token(s).fee) for s in chosen]
        contract = bind_ours(self.chain.w3, "IndexVault", vault.address)
        vault.owner.send(
            contract.functions.setMandate(mandate_struct(mandate), pools), gas=GAS_OWNER_CALL
        )
        return mandate

    def weights_bps(self, vault: str) -> dict[str, int]:
        """Post-trade weights at the pools' mid prices, in bps of (tokens + cash)."""
        from orchestrator.domain.prices import token_is_token0, value_in_usdc
        from orchestrator.trading.reads import mid_prices, token_refs

        book = self.market.book
        prices = mid_prices(self.chain, book, token_refs(book))
        values = {
            t.symbol: value_in_usdc(
                self.balance(t.address, vault), prices[t.symbol],
                token_is_0=token_is_token0(t.address, book.contracts.usdc),
            )
            for t in book.tokens
        }  # fmt: skip
        nav = sum(values.values()) + self.cash(vault)
        return {s: v * 10_000 // nav for s, v in values.items()}


def make_kenv(market: LocalMarket, journal: KeeperJournal) -> KeeperEnv:
    """Targets from the synthetic history (forced bull), the chain moved to a Monday
    01:00 UTC so a test's days stay in one ISO week, and the local dev keeper."""
    chain, book = market.chain, market.book
    history = load_history(None, tokens=len(book.tokens))
    date = datetime.date.fromisoformat(book.market_date)
    bull = current_targets(history, date, [t.symbol for t in book.tokens])
    bull = dataclasses.replace(bull, reading=dataclasses.replace(bull.reading, regime=Regime.BULL))
    chain.increase_time(next_weekly_s(chain.timestamp()) + 3_600 - chain.timestamp())
    keeper_tx = Transactor(chain, chain.accounts[LOCAL_KEEPER_ACCOUNT])
    keeper = Keeper(chain, book, journal, keeper_tx, sleep=lambda _s: None)
    return KeeperEnv(market, keeper, journal, bull)


@pytest.fixture
def kenv(fresh_market: LocalMarket, tmp_path: Path) -> Iterator[KeeperEnv]:
    with KeeperJournal(tmp_path / "keeper.sqlite") as journal:
        yield make_kenv(fresh_market, journal)
