"""Chains behind one interface: embedded eth-tester/py-evm, a spawned anvil, or any RPC URL.

`Chain` is what the rest of the code sees: a connected `Web3`, its chain id, the funded
development accounts on local chains, and time/snapshot controls (local chains only).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import TransactionNotFound
from web3.middleware.base import Web3Middleware
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import FilterParams, LogReceipt, RPCEndpoint, RPCResponse, TxReceipt

from orchestrator.chain.anvil import ANVIL_GAS_LIMIT, AnvilProcess
from orchestrator.chain.bindings import Contract, bind_npm, bind_ours
from orchestrator.chain.transport import (
    RETRIED_ERRORS,
    RETRIED_METHODS,
    rpc_timeout_s,
    transport_words,
)
from orchestrator.errors import ConfigError, RpcUnavailable, UnexpectedAnswer, WrongChain

__all__ = ["Chain", "ChainKind", "connect", "connect_anvil", "connect_eth_tester", "connect_rpc"]

ChainKind = Literal["eth_tester", "anvil", "rpc"]
DEV_ACCOUNT_COUNT = 8
DEV_ACCOUNT_BALANCE_WEI = 10_000 * 10**18


def dev_accounts(count: int = DEV_ACCOUNT_COUNT) -> tuple[LocalAccount, ...]:
    """Deterministic development keys, the same on every local backend. Never fund these
    on a public network: their keys are derivable by anyone who reads this file."""
    return tuple(
        Account.from_key(keccak(text=f"indexvault local development account {i}"))
        for i in range(count)
    )


class _TransportErrors(Web3Middleware):
    """A request the transport could not deliver (requests' connection errors and timeouts
    are OSErrors) becomes RpcUnavailable, whatever part of the code made it: callers retry
    on TransientError, never on OSError."""

    def _where(self) -> str:
        uri = getattr(self._w3.provider, "endpoint_uri", None)
        return f"the node at {uri}" if uri else "the node"

    def wrap_make_request(self, make_request: Any) -> Any:
        def middleware(method: RPCEndpoint, params: Any) -> RPCResponse:
            try:
                return make_request(method, params)  # type: ignore[no-any-return]
            except (OSError, json.JSONDecodeError) as error:
                raise RpcUnavailable(
                    f"{self._where()} did not answer {method}: {transport_words(error)}"
                ) from error

        return middleware

    def wrap_make_batch_request(self, make_batch_request: Any) -> Any:
        def middleware(requests: Sequence[tuple[RPCEndpoint, Any]]) -> Any:
            try:
                return make_batch_request(requests)
            except (OSError, json.JSONDecodeError) as error:
                raise RpcUnavailable(
                    f"{self._where()} did not answer a batch of {len(requests)} reads: "
                    f"{transport_words(error)}"
                ) from error

        return middleware


@dataclass
class Chain:
    w3: Web3
    kind: ChainKind
    label: str  # "eth-tester (py-evm)", an anvil URL, or the RPC URL
    chain_id: int
    accounts: tuple[LocalAccount, ...] = ()
    _on_close: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if "transport errors" not in self.w3.middleware_onion:
            self.w3.middleware_onion.add(_TransportErrors, "transport errors")

    # -- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        while self._on_close:
            self._on_close.pop()()

    def __enter__(self) -> Chain:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def is_local(self) -> bool:
        return self.kind in ("eth_tester", "anvil")

    # -- local-chain controls --------------------------------------------------------
    def _require_local(self, what: str) -> None:
        if not self.is_local:
            raise ConfigError(f"{what} only works on a local chain, not on {self.label}")

    def _rpc(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise UnexpectedAnswer(self.label, f"{method} failed", answer=response["error"])
        return response.get("result")

    # -- reads: everything the rest of the code asks a node, besides eth_call ------------
    def timestamp(self, block: int | Literal["latest"] = "latest") -> int:
        return int(self.w3.eth.get_block(block)["timestamp"])

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def code(self, address: str) -> bytes:
        return bytes(self.w3.eth.get_code(to_checksum_address(address)))

    def balance_wei(self, address: str) -> int:
        return int(self.w3.eth.get_balance(to_checksum_address(address)))

    def tx_count(self, address: str, block: Literal["latest", "pending"] = "latest") -> int:
        return int(self.w3.eth.get_transaction_count(to_checksum_address(address), block))

    def transaction(self, tx_hash: str) -> Mapping[str, Any] | None:
        """The transaction (`blockNumber` None while pending), or None if the node does not
        know it."""
        try:
            return self.w3.eth.get_transaction(HexBytes(tx_hash))
        except TransactionNotFound:
            return None

    def contract(self, name: str, address: str) -> Contract:
        """One of our contracts (abi/<name>.json) at `address`: for sending its functions
        through a Transactor (deployment tooling and local markets)."""
        return bind_ours(self.w3, name, address)

    def npm_contract(self, name: str, address: str) -> Contract:
        """A shipped npm artifact (Uniswap, WETH9, EntryPoint) at `address`."""
        return bind_npm(self.w3, name, address)

    def logs(
        self, address: str, topics: Sequence[str | None], *, from_block: int, to_block: int | str
    ) -> list[LogReceipt]:
        """eth_getLogs of one address (topics as 0x hex; None matches anything)."""
        query: FilterParams = {
            "address": to_checksum_address(address),
            "topics": list(topics),
            "fromBlock": from_block,
            "toBlock": to_block,  # type: ignore[typeddict-item]
        }
        return list(self.w3.eth.get_logs(query))

    def receipt(self, tx_hash: bytes) -> TxReceipt | None:
        """The transaction's receipt, or None while the node has none (pending or unknown)."""
        try:
            return self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        except TransactionNotFound:
            return None

    def mine(self, blocks: int = 1) -> None:
        self._require_local("mining")
        if self.kind == "eth_tester":
            self._rpc("evm_mine", [blocks])
        else:
            self._rpc("anvil_mine", [hex(blocks)])

    def increase_time(self, seconds: int) -> None:
        """Move the clock forward and mine one block carrying the new timestamp."""
        self._require_local("time travel")
        if self.kind == "eth_tester":
            self._rpc("testing_timeTravel", [self.timestamp() + seconds])
            self.mine(1)
        else:
            self._rpc("evm_increaseTime", [seconds])
            self._rpc("evm_mine", [])

    def set_time(self, timestamp_s: int) -> None:
        """anvil: the clock restarts at `timestamp_s` (later blocks keep advancing from it)."""
        self._require_local("setting the clock")
        if self.kind != "anvil":
            raise ConfigError(f"setting the clock is only wired for anvil, not {self.label}")
        self._rpc("evm_setTime", [timestamp_s])

    def snapshot(self) -> Any:
        self._require_local("snapshots")
        if self.kind == "eth_tester":
            self.mine(1)  # py-evm snapshots the latest *mined* block: make it ours
            return self._rpc("evm_snapshot", [])
        return self._rpc("evm_snapshot", [])

    def revert_to(self, snapshot_id: Any) -> None:
        self._require_local("snapshots")
        if self.kind == "eth_tester":
            self._rpc("evm_revert", [snapshot_id])
        else:
            self._rpc("evm_revert", [snapshot_id])

    def set_code(self, address: str, code: bytes) -> None:
        """anvil only: put `code` at `address` (`anvil_setCode`)."""
        self._require_local("setting code")
        if self.kind != "anvil":
            raise ConfigError(f"setting code is only wired for anvil, not {self.label}")
        self._rpc("anvil_setCode", [address, "0x" + code.hex()])

    def set_balance(self, address: str, wei: int) -> None:
        self._require_local("setting balances")
        if self.kind == "anvil":
            self._rpc("anvil_setBalance", [address, hex(wei)])
            return
        funder = self.w3.eth.accounts[0]
        tx_hash = self.w3.eth.send_transaction(
            {"from": funder, "to": address, "value": wei, "gas": 21_000}  # type: ignore[typeddict-item]
        )
        self.w3.eth.wait_for_transaction_receipt(tx_hash)


def connect_eth_tester(*, gas_limit: int = ANVIL_GAS_LIMIT) -> Chain:
    """The embedded chain: py-evm in this process, nothing to start or stop."""
    from eth_tester import EthereumTester, PyEVMBackend

    params = PyEVMBackend.generate_genesis_params(overrides={"gas_limit": gas_limit})
    tester = EthereumTester(PyEVMBackend(genesis_parameters=params))
    w3 = Web3(EthereumTesterProvider(tester))
    chain = Chain(w3=w3, kind="eth_tester", label="eth-tester (py-evm)", chain_id=w3.eth.chain_id)
    chain.accounts = dev_accounts()
    for account in chain.accounts:
        chain.set_balance(account.address, DEV_ACCOUNT_BALANCE_WEI)
    return chain


def connect_anvil(*, extra_args: tuple[str, ...] = ()) -> Chain:
    """Spawn anvil on a free port; closing the chain terminates it."""
    process = AnvilProcess(extra_args=extra_args)
    try:
        chain = connect_rpc(process.url, kind="anvil")
    except BaseException:
        process.stop()
        raise
    chain._on_close.append(process.stop)
    chain.accounts = dev_accounts()
    for account in chain.accounts:
        chain.set_balance(account.address, DEV_ACCOUNT_BALANCE_WEI)
    return chain


def connect_rpc(
    url: str,
    *,
    expected_chain_id: int | None = None,
    kind: ChainKind = "rpc",
    timeout_s: float | None = None,
) -> Chain:
    """Any JSON-RPC node. Fails plainly when it does not answer or is another chain.
    `timeout_s`: per request (default `rpc_timeout_s()`); web3 retries reads, never sends
    (`chain.transport`)."""
    provider = Web3.HTTPProvider(
        url,
        request_kwargs={"timeout": rpc_timeout_s() if timeout_s is None else timeout_s},
        exception_retry_configuration=ExceptionRetryConfiguration(
            errors=RETRIED_ERRORS, method_allowlist=list(RETRIED_METHODS)
        ),
    )
    w3 = Web3(provider)
    # web3's validation middleware asks eth_chainId twice per eth_call/estimate (~40% of a
    # keeper cycle's requests); the chain id is checked once below and signed into every tx
    w3.middleware_onion.remove("validation")
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as error:  # requests' connection errors, timeouts, bad JSON
        raise RpcUnavailable(
            f"the node at {url} did not answer eth_chainId: {transport_words(error)}"
        ) from error
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise WrongChain(expected=expected_chain_id, actual=chain_id, url=url)
    return Chain(w3=w3, kind=kind, label=url, chain_id=chain_id)


def connect(target: str, *, expected_chain_id: int | None = None) -> Chain:
    """`eth_tester` (default embedded), `anvil` (spawned), or an http(s) RPC URL."""
    if target in ("eth_tester", "eth-tester", "local"):
        return connect_eth_tester()
    if target == "anvil":
        return connect_anvil()
    if target.startswith(("http://", "https://")):
        return connect_rpc(target, expected_chain_id=expected_chain_id)
    raise ConfigError(
        f"unknown chain {target!r}",
        hint="Use `eth_tester` (embedded), `anvil`, or an http(s):// RPC URL.",
    )


def __dir__() -> list[str]:  # keep `dir()` tidy for interactive use
    return __all__
