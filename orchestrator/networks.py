"""Networks a user can trade on, and opening one.

    local          the local node: anvil running in the background (`indexvault local up`),
                   its state, pid file and logs in $INDEXVAULT_HOME/local/, a market and
                   the alto bundler beside it; every command talks to it over JSON-RPC
    <name>         $INDEXVAULT_HOME/networks/<name>.json: any JSON-RPC node (e.g. Sepolia)
                   with its chain id, address book and bundler URL

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
from orchestrator.errors import ConfigError
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
    address_book: Path
    bundler_url: str | None = None
    market_data: Path | None = None  # CSV the market and targets come from; None: synthetic
    keeper_address: str | None = None  # the keeper owners delegate to; None: local dev keeper

    @property
    def is_local(self) -> bool:
        """The local node (`indexvault local up`): reached through its pid file."""
        return self.name == LOCAL


def local_dir() -> Path:
    return indexvault_home() / LOCAL


def local_config_path() -> Path:
    return local_dir() / "network.json"


def known_networks() -> list[str]:
    folder = indexvault_home() / "networks"
    named = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    return [LOCAL, *named]


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


@contextmanager
def open_chain(config: NetworkConfig) -> Iterator[tuple[Chain, AddressBook]]:
    """The chain and its address book. The local network is the running local node (a
    clear error, saying how to start it, when it is down)."""
    if not config.address_book.exists():
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
