"""A Session: one network, and on it optionally one owner (its address), with every
operation a person runs there. The CLI calls it today; a web server will call the same
methods and serialise the same models.

    with open_session("local", wallet="default", password=ask) as session:
        preview = session.preview_buy(usdc_units(10_000 * ONE_USDC))
        done = session.confirm(preview)          # prepare -> sign (keystore) -> submit
        view = session.holdings()                # reads need no password

A web page confirms in two calls instead: `request = session.prepare(preview)`, the
browser signs `request.user_op_hash` (or `request.typed_data`), `session.submit(request,
signature)` checks it recovers to the owner, journals and sends once.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from pathlib import Path
from types import TracebackType

from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from orchestrator.chain import Chain, Transactor
from orchestrator.domain.mandate import Mandate
from orchestrator.domain.units import Bps, TokenUnits, UsdcUnits, Wei
from orchestrator.errors import ConfigError, EarlierRunLanded, InputError
from orchestrator.execution.userop_submitter import UserOpSubmitter, submitter_for
from orchestrator.keeper.cycle import CycleReport, Keeper
from orchestrator.keeper.journal import KeeperJournal
from orchestrator.ledger import LogRow, PnL
from orchestrator.ledger.journal import Journal
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.market.snapshot import MarketHistory
from orchestrator.networks import indexvault_home, open_chain, resolve_network
from orchestrator.preview.model import Preview
from orchestrator.sendlock import send_lock
from orchestrator.service.reliability import notify
from orchestrator.trading import confirm as confirming
from orchestrator.trading import mandate as mandates
from orchestrator.trading import previews
from orchestrator.trading.confirm import Execution, SigningRequest
from orchestrator.trading.context import TradingContext
from orchestrator.trading.holdings import HoldingsView, holdings
from orchestrator.trading.mandate import MandateView
from orchestrator.trading.reports import draw_treemap, vault_log, vault_pnl
from orchestrator.trading.send import AccountBalances, account_balances, preview_send
from orchestrator.trading.settle import Settled, settle_open
from orchestrator.trading.targets import Targets, current_targets, trading_date
from orchestrator.wallet.keystore import Keystore
from orchestrator.wallet.signers import KeystoreSigner, LocalKeySigner, Signer

__all__ = [
    "LOCAL_BUNDLER_ACCOUNT",
    "LOCAL_KEEPER_ACCOUNT",
    "Session",
    "keeper_address",
    "keeper_journal_path",
    "load_history",
    "open_session",
    "trading_context",
]

LOCAL_BUNDLER_ACCOUNT = 1  # dev account that sends handleOps on local chains
LOCAL_KEEPER_ACCOUNT = 3  # dev account that runs the keeper on local chains


def load_history(market_data: Path | None, *, tokens: int = 100) -> MarketHistory:
    """A CSV snapshot file, or the seeded synthetic market when none is given (sized so
    that `tokens` assets remain once USDC, the quote token, is set aside)."""
    from orchestrator.market.csv_source import read_market_csv
    from orchestrator.market.synthetic import generate_synthetic_market

    if market_data is not None:
        return read_market_csv(market_data)
    return generate_synthetic_market(n_assets=max(100, tokens + 1))


def keeper_address(chain: Chain, configured: str | None = None) -> str:
    """The keeper owners delegate to: the network's published keeper, or on a local chain
    the dev keeper account."""
    if configured:
        return configured
    if not chain.is_local:
        raise InputError(
            f"no keeper is configured for {chain.label}",
            hint="Pass --keeper ADDRESS, or set keeper_address in the network file.",
        )
    return str(chain.accounts[LOCAL_KEEPER_ACCOUNT].address)


def keeper_journal_path(network: str) -> Path:
    return indexvault_home() / f"keeper-{network}.sqlite"


def local_submitter(chain: Chain, book: AddressBook, bundler_url: str | None) -> UserOpSubmitter:
    """A bundler when configured, else self-bundling from a dev account (local chains)."""
    bundler_key = (
        Transactor(chain, chain.accounts[LOCAL_BUNDLER_ACCOUNT]) if chain.is_local else None
    )
    return submitter_for(
        chain, book.contracts.entry_point, bundler_url=bundler_url, bundler_key=bundler_key
    )


def trading_context(
    chain: Chain,
    book: AddressBook,
    owner: LocalAccount,
    *,
    journal: Journal,
    history: MarketHistory | None,
    bundler_url: str | None = None,
    wall_clock: Callable[[], float] | None = None,
) -> TradingContext:
    """One owner's trading on `chain` with an in-memory key (tests, benchmarks)."""
    ctx = TradingContext(
        chain=chain,
        book=book,
        journal=journal,
        submitter=local_submitter(chain, book, bundler_url),
        owner=owner.address,
        history=history,
        signer=LocalKeySigner(owner),
    )
    if wall_clock is not None:
        ctx.wall_clock = wall_clock
    return ctx


class Session:
    """One network and, optionally, one owner. Closing it closes what it opened."""

    def __init__(
        self,
        chain: Chain,
        book: AddressBook,
        *,
        journal: Journal,
        history: MarketHistory | None,
        owner: str | None = None,
        signer: Signer | None = None,
        submitter: UserOpSubmitter | None = None,
        bundler_url: str | None = None,
        keeper: str | None = None,
        keeper_journal: Path | None = None,
        wall_clock: Callable[[], float] = time.time,
        on_close: Sequence[Callable[[], None]] = (),
        network: str | None = None,
        home: Path | None = None,
    ) -> None:
        self.chain, self.book, self.journal, self.history = chain, book, journal, history
        self.network, self._home = network, home  # both set: sends hold the send lock
        self.settled: list[Settled] = []  # what the session settled when it opened
        self._told: set[str] = set()  # earlier runs' landings already raised (once each)
        self.keeper_backoff_s: float | None = None  # None: the keeper's default
        self.owner = signer.owner if owner is None and signer is not None else owner
        self.signer = signer
        self._submitter = submitter
        self._bundler_url = bundler_url
        self._keeper = keeper
        self._keeper_journal = keeper_journal
        self._wall_clock = wall_clock
        self._on_close = list(on_close)
        self._ctx: TradingContext | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        while self._on_close:
            self._on_close.pop()()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the owner ---------------------------------------------------------------------------
    @property
    def trading(self) -> TradingContext:
        """The owner's trading context (InputError when the session has no owner)."""
        if self._ctx is None:
            if self.owner is None:
                raise InputError(
                    "this session has no wallet: nothing to trade or read for",
                    hint="Pass --wallet NAME (or an owner address to read).",
                )
            submitter = self._submitter or local_submitter(self.chain, self.book, self._bundler_url)
            self._ctx = TradingContext(
                chain=self.chain,
                book=self.book,
                journal=self.journal,
                submitter=submitter,
                owner=self.owner,
                history=self.history,
                signer=self.signer,
                wall_clock=self._wall_clock,
            )
        return self._ctx

    @property
    def account(self) -> str:
        """The owner's smart account (counterfactual until its first operation)."""
        return self.trading.account.address

    @property
    def vault(self) -> str:
        return self.trading.vault_address()

    def unlock(self) -> None:
        """Ask for the key now rather than at the first signature (a front end that wants a
        wrong password to fail up front)."""
        if isinstance(self.signer, KeystoreSigner):
            self.signer.unlock()

    def timestamp(self) -> int:
        """The chain's time (mandate intervals and TWAP windows run on it)."""
        return self.chain.timestamp()

    # -- previews -----------------------------------------------------------------------------
    def preview_buy(
        self, usdc_amount: UsdcUnits, *, max_slippage_bps: int | None = None, force: bool = False
    ) -> Preview:
        """What buying the index for `usdc_amount` (fee included) will do."""
        self._stop_if_an_earlier_run_landed()
        return previews.preview_buy(
            self.trading, usdc_amount, max_slippage_bps=max_slippage_bps, force=force
        )

    def preview_sell(self, fraction_bps: Bps, *, max_slippage_bps: int | None = None) -> Preview:
        """Selling `fraction_bps` of every holding and of the vault's cash, to USDC."""
        self._stop_if_an_earlier_run_landed()
        return previews.preview_sell(self.trading, fraction_bps, max_slippage_bps=max_slippage_bps)

    def preview_withdraw(self) -> Preview:
        """Every token and the USDC to the smart account, in kind: no swap, no fee."""
        self._stop_if_an_earlier_run_landed()
        return previews.preview_withdraw(self.trading)

    def preview_set_mandate(
        self,
        *,
        keeper: str | None,
        max_slippage_bps: Bps,
        min_interval_s: int,
        twap_window_s: int,
        loss_budget_usdc: UsdcUnits,
        loss_window_s: int,
        loss_cap_usdc: UsdcUnits,
        tokens: Sequence[str] | None = None,
        batchable: bool = False,
    ) -> Preview:
        """Delegate to `keeper` (None: the network's keeper) within these limits, for
        `tokens` (None: every token of the market); `batchable`: the keeper may rebalance
        the vault in one transaction with other vaults (BatchSettlement), same limits."""
        self._stop_if_an_earlier_run_landed()
        mandate = Mandate(
            keeper_address(self.chain, keeper or self._keeper),
            max_slippage_bps,
            min_interval_s,
            twap_window_s,
            loss_budget_usdc,
            loss_window_s,
            loss_cap_usdc,
            batchable,
        )
        return mandates.preview_set_mandate(self.trading, mandate, tokens)

    def preview_revoke_keeper(self) -> Preview:
        self._stop_if_an_earlier_run_landed()
        return mandates.preview_revoke_keeper(self.trading)

    def _stop_if_an_earlier_run_landed(self) -> None:
        """EarlierRunLanded, once, when this session's opening settle found an op of this
        account, left open by an earlier run, executed: the caller decided this command
        without knowing, and a repeat of that trade would execute twice. (An open op that
        lands later than the settle moves the account's nonce: the preview built on the
        old nonce is then refused by `check_nonce`.)"""
        if not self.settled or self.owner is None:
            return
        account = self.account
        for item in self.settled:
            if item.state != "included" or item.quote_id in self._told:
                continue
            submission = self.journal.submission(item.quote_id)
            if submission is None or submission.sender != account:
                continue
            self._told.add(item.quote_id)
            raise EarlierRunLanded(item.quote_id, item.kind, item.detail)

    # -- confirming: prepare -> sign -> submit --------------------------------------------------
    def prepare(self, preview: Preview, *, accept_high_impact: bool = False) -> SigningRequest:
        return confirming.prepare(self.trading, preview, accept_high_impact=accept_high_impact)

    def submit(self, request: SigningRequest, signature: bytes) -> Execution:
        """Under the send lock: the nonce is checked again, then journaled and sent once."""
        with self._sending():
            return confirming.submit(self.trading, request, signature)

    def confirm(self, preview: Preview, *, accept_high_impact: bool = False) -> Execution:
        """prepare, sign with this session's key (asked for now), submit; all under the
        network's send lock (one sender at a time: orchestrator.sendlock)."""
        with self._sending():
            return confirming.confirm(self.trading, preview, accept_high_impact=accept_high_impact)

    def _sending(self) -> AbstractContextManager[None]:
        if self.network is None or self._home is None:
            return nullcontext()
        return send_lock(self._home, self.network)

    def settle(self) -> list[Settled]:
        """Settle what an earlier run left open on this network (trading.settle); each
        settlement is also sent, as one line, to the facade's notices."""
        if self.network is None or self._home is None:
            return []
        settled = settle_open(
            self.chain, self.book.contracts.entry_point, self.journal,
            home=self._home, network=self.network, from_block=self.book.deployed_from_block,
        )  # fmt: skip
        for item in settled:
            notify(item.line)
        self.settled.extend(settled)
        return settled

    # -- reads (no key needed) ------------------------------------------------------------------
    def holdings(self) -> HoldingsView:
        return holdings(self.trading)

    def pnl(self) -> PnL:
        return vault_pnl(self.trading)

    def log(self) -> list[LogRow]:
        return vault_log(self.trading)

    def mandate(self) -> MandateView:
        return mandates.read_mandate(self.trading)

    def eth_price_usdc(self) -> UsdcUnits | None:
        return self.trading.eth_price_usdc()

    def balances(self) -> AccountBalances:
        """The smart account's and the vault's every token (and native ETH), in USD."""
        return account_balances(self.trading)

    # -- sending out of the smart account ---------------------------------------------------------
    def preview_send(self, symbol: str, amount: Decimal, to: str) -> Preview:
        """Sending `amount` whole units of token `symbol` (USDC or a listed token) from the
        smart account to `to`: refused for the zero address, the vault, the account itself
        and token contracts; a warning for another contract."""
        self._stop_if_an_earlier_run_landed()
        return preview_send(self.trading, symbol, self._base_units(symbol, amount), to)

    def _base_units(self, symbol: str, amount: Decimal) -> TokenUnits:
        decimals = (
            6
            if symbol.upper() == "USDC"
            else next(
                (t.decimals for t in self.trading.tokens() if t.symbol.upper() == symbol.upper()), 0
            )
        )  # an unknown symbol is refused, by name, in preview_send
        if not amount.is_finite() or amount <= 0:
            raise InputError(f"the amount must be positive, got {amount}", hint="e.g. 100")
        base = amount.scaleb(decimals)
        if base != base.to_integral_value():
            raise InputError(
                f"{amount} has more than {decimals} decimals ({symbol.upper()}'s precision)"
            )
        return TokenUnits(int(base))

    def draw_treemap(self, path: Path) -> Path:
        return draw_treemap(self.trading, self.pnl(), path)

    # -- local chains ---------------------------------------------------------------------------
    def fund(self, usdc_amount: UsdcUnits, *, eth_wei: Wei) -> str:
        """Local chains only: mint test USDC to the smart account and give it ETH."""
        from orchestrator.service.local import fund_account

        account = self.account
        fund_account(self.chain, self.book, account, usdc_amount, eth_wei=eth_wei)
        return account

    # -- the keeper -----------------------------------------------------------------------------
    def targets(self, as_of: datetime.date | None = None) -> Targets:
        """The strategy's targets and regime as of `as_of` (default: the market's date)."""
        if self.history is None:
            raise ConfigError("this network has no market history: no targets")
        date = as_of or datetime.date.fromisoformat(self.book.market_date)
        return current_targets(self.history, date, [t.symbol for t in self.book.tokens])

    def keeper_run(
        self,
        *,
        as_of: datetime.date | None = None,
        targets: Targets | None = None,
        dry_run: bool = False,
    ) -> CycleReport:
        """One keeper run on this network with this session's key (on a local chain without
        a wallet: the dev keeper), over every vault that opted in to it."""
        if self._keeper_journal is None:
            raise ConfigError("this session has no keeper journal")
        with (
            nullcontext() if dry_run else self._sending(),
            KeeperJournal(self._keeper_journal) as journal,
        ):
            keeper = Keeper(self.chain, self.book, journal, Transactor(self.chain, self._key()))
            if self.keeper_backoff_s is not None:
                keeper.backoff_s = self.keeper_backoff_s
            return keeper.run_once(targets or self.targets(as_of), dry_run=dry_run)

    def keeper_key_address(self) -> str:
        return str(self._key().address)

    def _key(self) -> LocalAccount:
        if isinstance(self.signer, KeystoreSigner):
            return self.signer.unlock()
        if isinstance(self.signer, LocalKeySigner):
            return self.signer.account
        if not self.chain.is_local:
            raise InputError(
                f"{self.chain.label} is not local: the keeper needs its own key",
                hint="Pass --wallet NAME (a keystore; password from INDEXVAULT_PASSWORD).",
            )
        return self.chain.accounts[LOCAL_KEEPER_ACCOUNT]


def _owner_and_signer(
    wallet: str | None, password: Callable[[], str] | None, keystore_dir: Path | None
) -> tuple[str | None, Signer | None]:
    """A keystore name: its address (no password) and a signer that asks when it signs; an
    address: that owner, read-only; None: no owner."""
    if wallet is None:
        return None, None
    if wallet.startswith("0x") and is_address(wallet):
        return to_checksum_address(wallet), None
    keystore = Keystore(keystore_dir)
    owner = keystore.get(wallet).owner
    if password is None:
        return owner, None
    return owner, KeystoreSigner(keystore, wallet, password)


def _exit(context: AbstractContextManager[object]) -> None:
    context.__exit__(None, None, None)


def open_session(
    network: str,
    wallet: str | None = None,
    *,
    password: Callable[[], str] | None = None,
    keystore_dir: Path | None = None,
    signer: Signer | None = None,
) -> Session:
    """A session on a configured network (`local`, or $INDEXVAULT_HOME/networks/<name>.json)
    with the journal in $INDEXVAULT_HOME. `wallet`: a keystore name (its address is read
    from the file; `password()` is asked only when something is signed), an owner address
    (read-only), or None."""
    owner, own_signer = (
        (signer.owner, signer) if signer else _owner_and_signer(wallet, password, keystore_dir)
    )
    config = resolve_network(network)
    opened = open_chain(config)
    chain, book = opened.__enter__()
    try:
        journal = Journal(indexvault_home() / "journal.sqlite")
    except BaseException:
        opened.__exit__(None, None, None)
        raise
    history = load_history(config.market_data, tokens=len(book.tokens))
    if config.public is not None and book.market_source == "none":  # no test market deployed
        book = book.model_copy(update={"market_date": trading_date(history).isoformat()})
    if config.public is not None and book.tokens:  # a testnet trades a few of the index's coins
        from orchestrator.deployment.book import left_out_constituents

        date = datetime.date.fromisoformat(book.market_date)
        missing = left_out_constituents(history, date, {t.symbol for t in book.tokens})
        book = book.model_copy(update={"left_out": (*book.left_out, *missing)})
    session = Session(
        chain,
        book,
        journal=journal,
        history=history,
        owner=owner,
        signer=own_signer,
        bundler_url=config.bundler_url,
        keeper=config.keeper_address,
        keeper_journal=keeper_journal_path(network),
        on_close=(lambda: _exit(opened), journal.close),
        network=network,
        home=indexvault_home(),
    )
    try:
        session.settle()  # settle on every start: what an earlier run left open
    except BaseException:
        session.close()
        raise
    return session
