"""The local network as a user runs it: `local up` (node + market + bundler), `local
status`, `local down`.

`up` on a fresh folder starts anvil, puts the canonical contracts and a market on it,
starts alto beside it, and writes the network file (`network.json`: the node's and the
bundler's URLs, the chain id, the address book). `up` on an existing chain resumes it
(market, vaults and balances as they were) and restarts whatever is not running; only
`reset=True` replaces the chain, and `reset_warning` says first what would be lost.
`down` stops the bundler, then the node, which writes its state file on the way out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.chain.backends import Chain, dev_accounts
from orchestrator.chain.daemon import DaemonRecord, StopOutcome
from orchestrator.chain.localnode import (
    DEFAULT_STATE_INTERVAL_S,
    NodeStarted,
    NodeStatus,
    NodeStopped,
    connect_node,
    node_status,
    start_node,
    state_file,
    stop_node,
)
from orchestrator.chain.transactor import Transactor
from orchestrator.errors import ConfigError
from orchestrator.execution.alto import BundlerStatus, bundler_status, start_bundler, stop_bundler
from orchestrator.localmarket.addressbook import AddressBook
from orchestrator.localmarket.deploy import MarketConfig, deploy_market
from orchestrator.market.snapshot import AssetSnapshot
from orchestrator.networks import LOCAL, NetworkConfig, local_config_path, local_dir

__all__ = [
    "BUNDLER_EXECUTOR_ACCOUNT",
    "BUNDLER_UTILITY_ACCOUNT",
    "LocalDown",
    "LocalStatus",
    "LocalUp",
    "local_down",
    "local_status",
    "local_up",
    "reset_warning",
]

# Development accounts alto sends bundles from (repaid by each op) and refills them from.
BUNDLER_EXECUTOR_ACCOUNT = 1
BUNDLER_UTILITY_ACCOUNT = 7

AssetsFor = Callable[[], tuple[list[AssetSnapshot], str, bool]]  # assets, source, synthetic


@dataclass(frozen=True)
class LocalUp:
    node: NodeStarted
    bundler: DaemonRecord | None
    book: AddressBook
    deployed_market: bool  # False: the market on the resumed chain was kept
    config: NetworkConfig


def _saved_config() -> NetworkConfig | None:
    path = local_config_path()
    if not path.exists():
        return None
    try:
        return NetworkConfig.model_validate_json(path.read_text())
    except ValueError as error:
        raise ConfigError(
            f"{path} is not a valid network file: {error}",
            hint="Run `indexvault local up --reset` to start a new local chain.",
        ) from error


def _market_is_there(chain: Chain, book_path: Path) -> AddressBook | None:
    if not book_path.exists():
        return None
    book = AddressBook.load(book_path)
    if book.chain_id != chain.chain_id:
        return None
    for address in (book.contracts.vault_factory, book.contracts.entry_point):
        if not chain.code(address):
            return None
    return book


def reset_warning(folder: Path | None = None) -> str | None:
    """What `local up --reset` would throw away; None when there is no local chain."""
    folder = folder or local_dir()
    state = state_file(folder)
    config = _saved_config()
    if not state.exists() and config is None:
        return None
    parts = []
    status = node_status(folder)
    if status.running:
        parts.append(
            f"the running local chain (chain id {status.chain_id}, {status.block:,} blocks)"
        )
    elif state.exists():
        parts.append(f"the local chain saved in {state} (at {status.state_saved_at})")
    if config is not None and config.address_book is not None and config.address_book.exists():
        tokens = len(AddressBook.load(config.address_book).tokens)
        parts.append(f"its market of {tokens} tokens")
    parts.append(
        "every smart account, vault, balance and trade on it (journal entries for "
        "it stay, describing a chain that no longer exists)"
    )
    return "; ".join(parts)


def _remove_chain(folder: Path) -> None:
    stop_bundler(folder)
    stop_node(folder)
    for name in ("anvil-state.json", "addressbook.json", "network.json"):
        (folder / name).unlink(missing_ok=True)


def local_up(
    assets_for: AssetsFor,
    *,
    market_data: Path | None = None,
    reset: bool = False,
    port: int | None = None,
    chain_id: int | None = None,
    state_interval_s: int = DEFAULT_STATE_INTERVAL_S,
    with_bundler: bool = True,
    market_config: MarketConfig | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> LocalUp:
    """Start (or resume) the local node, its market and its bundler. `assets_for` is only
    called when a market must be deployed (a new chain)."""
    folder = local_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if reset:
        _remove_chain(folder)
    saved = _saved_config()
    if saved is not None and chain_id is not None and saved.chain_id not in (None, chain_id):
        raise ConfigError(
            f"the local chain is chain id {saved.chain_id}, not {chain_id}",
            hint="Leave out --chain-id to resume it, or add --reset for a new chain.",
        )
    wanted_chain_id = chain_id or (saved.chain_id if saved is not None else None)
    node = start_node(
        folder, chain_id=wanted_chain_id, port=port, state_interval_s=state_interval_s,
        expect_state=saved is not None,  # a chain was here: never silently a new one
    )  # fmt: skip
    if node.note:
        progress(node.note)
    if saved is not None and not (reset or node.resumed or node.already_running):
        # a chain was set up here, but its saved state is gone: going on would put a new,
        # empty chain in its place without anyone asking for it
        stop_node(folder)
        raise ConfigError(
            f"the local chain set up in {folder} could not be resumed (its saved state "
            f"{state_file(folder)} is missing): starting now would replace it with a new, "
            "empty chain, and every vault on it would be gone",
            hint="Add --reset to start a new chain (see what it replaces first), or restore "
            "the state file.",
        )
    where = f"at {node.record.url} (pid {node.record.pid})"
    if node.already_running:
        progress(f"node already running {where}")
    else:
        progress(f"node started {where}, {'chain resumed' if node.resumed else 'new chain'}")
    config_template = saved or NetworkConfig(
        name=LOCAL, address_book=folder / "addressbook.json", market_data=market_data
    )
    book_path = config_template.address_book or folder / "addressbook.json"
    chain = connect_node(folder)
    try:
        book = _market_is_there(chain, book_path)
        deployed = book is None
        if book is None:
            assets, source, synthetic = assets_for()
            progress(f"market data: {source}, {assets[0].date}, {len(assets)} tokens")
            book = deploy_market(
                chain,
                Transactor(chain, chain.accounts[0]),
                assets,
                market_source=source,
                market_is_synthetic=synthetic,
                config=market_config or MarketConfig(),
                progress=progress,
            )
            book.save(book_path)
    finally:
        chain.close()
    bundler = None
    if with_bundler:
        progress("starting the bundler (alto)")
        keys = dev_accounts()
        bundler = start_bundler(
            folder,
            rpc_url=node.record.url,
            entry_point=book.contracts.entry_point,
            executor=keys[BUNDLER_EXECUTOR_ACCOUNT],
            utility=keys[BUNDLER_UTILITY_ACCOUNT],
        )
    config = config_template.model_copy(
        update={
            "rpc_url": node.record.url,
            "chain_id": book.chain_id,
            "bundler_url": bundler.url if bundler is not None else None,
            "market_data": config_template.market_data if not deployed else market_data,
        }
    )
    scratch = local_config_path().with_suffix(".json.tmp")
    scratch.write_text(config.model_dump_json(indent=2) + "\n")
    scratch.replace(local_config_path())
    return LocalUp(node, bundler, book, deployed, config)


@dataclass(frozen=True)
class LocalStatus:
    node: NodeStatus
    bundler: BundlerStatus
    config: NetworkConfig | None
    tokens: int | None


def local_status() -> LocalStatus:
    folder = local_dir()
    config = _saved_config()
    tokens = None
    if config is not None and config.address_book is not None and config.address_book.exists():
        tokens = len(AddressBook.load(config.address_book).tokens)
    return LocalStatus(node_status(folder), bundler_status(folder), config, tokens)


@dataclass(frozen=True)
class LocalDown:
    bundler: tuple[DaemonRecord, StopOutcome] | None
    node: NodeStopped


def local_down() -> LocalDown:
    """Stop the bundler, then the node (SIGTERM: it saves its state on the way out)."""
    folder = local_dir()
    bundler = stop_bundler(folder)
    return LocalDown(bundler, stop_node(folder))
