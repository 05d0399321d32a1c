"""Networks a user can trade on, and opening one.

    local          the local node: anvil running in the background (`indexvault local up`),
                   its state, pid file and logs in $INDEXVAULT_HOME/local/, a market and
                   the alto bundler beside it; every command talks to it over JSON-RPC
    <name>         a public network (sepolia, base-sepolia): the shipped
                   deploy/networks/<name>.json completed by the user's RPC URL (and bundler
                   URL) from $INDEXVAULT_HOME/networks/<name>.json or INDEXVAULT_<NAME>_RPC_URL;
                   its address book is the network file's canonical contracts plus the
                   deployment file (deploy/deployments/<name>.json, `indexvault deploy`),
                   with the tokens that really have a pool with liquidity, found on chain
    <name>         $INDEXVAULT_HOME/networks/<name>.json with an `address_book` path: any
                   JSON-RPC node with a local-style address book

The embedded eth-tester chain lives inside one process only, so it serves `make demo` and
the tests, not commands run one after another.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, ValidationError

from orchestrator.chain.backends import Chain, connect_rpc
from orchestrator.chain.localnode import connect_node
from orchestrator.deployment.book import public_address_book
from orchestrator.deployment.network_file import NetworkFile, env_var, load_network_file
from orchestrator.deployment.record import DeploymentRecord, deployment_path
from orchestrator.errors import ConfigError, NotDeployed
from orchestrator.localmarket.addressbook import AddressBook

HOME_ENV = "INDEXVAULT_HOME"
LOCAL = "local"


def indexvault_home() -> Path:
    home = os.environ.get(HOME_ENV)
    return Path(home).expanduser() if home else Path.home() / ".indexvault"


class NetworkConfig(BaseModel):
    name: str
    rpc_url: str | None = None  # local: the running node's URL, rewritten by `local up`
    chain_id: int | None = None
    address_book: Path | None = None  # None: a public network (`public`)
    bundler_url: str | None = None
    market_data: Path | None = None  # CSV the market and targets come from; None: synthetic
    keeper_address: str | None = None  # the keeper owners delegate to; None: local dev keeper
    public: NetworkFile | None = None  # a public network's file (canonical addresses)

    @property
    def is_local(self) -> bool:
        """The local node (`indexvault local up`): reached through its pid file."""
        return self.name == LOCAL


def local_dir() -> Path:
    return indexvault_home() / LOCAL


def local_config_path() -> Path:
    return local_dir() / "network.json"


def known_networks() -> list[str]:
    from orchestrator.deployment.network_file import shipped_networks

    folder = indexvault_home() / "networks"
    named = {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()
    return [LOCAL, *sorted(named | set(shipped_networks()))]


def public_config(network: NetworkFile) -> NetworkConfig:
    return NetworkConfig(
        name=network.name,
        rpc_url=network.rpc_url,
        chain_id=network.chain_id,
        bundler_url=network.bundler_url,
        market_data=network.market_data,
        keeper_address=network.keeper_address,
        public=network,
    )


def resolve_network(name: str) -> NetworkConfig:
    """The configuration of `name`; a clear error for a name nobody configured."""
    if name == LOCAL:
        path = local_config_path()
        if not path.exists():
            raise ConfigError(
                "the local network is not set up yet",
                hint="Run `indexvault local up` once (it deploys a local market).",
            )
        return NetworkConfig.model_validate_json(path.read_text())
    path = indexvault_home() / "networks" / f"{name}.json"
    if not _has_address_book(path):
        public = load_network_file(name, indexvault_home())
        if public is not None:
            return public_config(public)
    if not path.exists():
        raise ConfigError(
            f"unknown network {name!r}; known: {', '.join(known_networks())}",
            hint=f"Use one of those, or describe it in {path} (rpc_url, chain_id, "
            "address_book, bundler_url).",
        )
    return _read_network_file(path, name)


REQUIRED_FIELDS = ("address_book",)
NETWORK_FIELDS = (
    "rpc_url", "chain_id", "address_book", "bundler_url", "market_data", "keeper_address",
)  # fmt: skip


def _read_network_file(path: Path, name: str) -> NetworkConfig:
    """A network file in words when it is wrong: which fields are missing or malformed,
    never a parser's dump. `name` defaults to the file's name."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"{path} is not a JSON file ({error})",
            hint='Write it as one JSON object, e.g. {"rpc_url": "https://…", '
            '"chain_id": 11155111, "address_book": "book.json", "bundler_url": "https://…"}.',
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold one JSON object with the network's fields")
    raw.setdefault("name", name)
    try:
        return NetworkConfig.model_validate(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            field = ".".join(str(part) for part in item["loc"]) or "the file"
            if item["type"] == "missing":
                problems.append(f"{field} is missing")
            else:
                problems.append(f"{field}: {item['msg'].lower()} (got {item.get('input')!r})")
        raise ConfigError(
            f"{path} is not a valid network file: {'; '.join(problems)}",
            hint=f"Its fields: {', '.join(NETWORK_FIELDS)} ({', '.join(REQUIRED_FIELDS)} "
            "required; name defaults to the file's name).",
        ) from None


def _has_address_book(path: Path) -> bool:
    """A user's network file in the older, local style (an address_book path)."""
    if not path.exists():
        return False
    try:
        return "address_book" in json.loads(path.read_text())
    except (OSError, ValueError):
        return False


def require_rpc_url(config: NetworkConfig) -> str:
    if not config.rpc_url:
        user_file = indexvault_home() / "networks" / f"{config.name}.json"
        raise ConfigError(
            f"network {config.name!r} has no RPC URL",
            hint=f"export {env_var(config.name, 'rpc_url')}=https://... (your node provider's "
            f'URL), or put "rpc_url" in {user_file}.',
        )
    return config.rpc_url


def load_deployment(config: NetworkConfig) -> DeploymentRecord:
    path = deployment_path(config.name)
    if not path.exists():
        raise NotDeployed(network=config.name, path=path)
    try:
        return DeploymentRecord.load(path)
    except ValueError as error:
        raise ConfigError(
            f"{path} is not a valid deployment file ({type(error).__name__})",
            hint="Restore it from git, or deploy again (nothing already deployed is resent).",
        ) from error


@contextmanager
def open_chain(config: NetworkConfig) -> Iterator[tuple[Chain, AddressBook]]:
    """The chain and its address book. The local network is the running local node (a
    clear error, saying how to start it, when it is down)."""
    if config.public is not None:
        chain = connect_rpc(require_rpc_url(config), expected_chain_id=config.public.chain_id)
        try:
            yield chain, public_address_book(chain, config.public, load_deployment(config))
        finally:
            chain.close()
        return
    if config.address_book is None or not config.address_book.exists():
        raise ConfigError(
            f"no address book at {config.address_book}",
            hint="Run `indexvault local up` (local), or fix address_book in the network file.",
        )
    book = AddressBook.load(config.address_book)
    if config.is_local:
        chain = connect_node(local_dir(), expected_chain_id=book.chain_id)
    else:
        if not config.rpc_url:
            raise ConfigError(
                f"network {config.name!r} has no rpc_url",
                hint="Add the node's JSON-RPC URL to its network file.",
            )
        chain = connect_rpc(config.rpc_url, expected_chain_id=config.chain_id or book.chain_id)
    try:
        if chain.chain_id != book.chain_id:
            raise ConfigError(
                f"the address book is for chain {book.chain_id}, the node is chain "
                f"{chain.chain_id}",
                hint="Point the network file at the right node or address book.",
            )
        yield chain, book
    finally:
        chain.close()
