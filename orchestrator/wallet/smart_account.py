"""The owner's ERC-4337 smart account: EntryPoint v0.8 + SimpleAccount, as shipped in
`@account-abstraction/contracts` 0.8.0.

`CANONICAL_V08` holds the published addresses, the same on every chain: on public chains
they are checked for code by `verify_account_abstraction`; on local chains
`deploy_account_abstraction` puts the npm artifacts there with CREATE2 through the
deterministic deployment proxy and the published salts (`orchestrator.chain.canonical`).

A smart account is counterfactual until its first user operation: its address is the
factory's CREATE2 address of an ERC1967Proxy over the factory's SimpleAccount
implementation, initialised with `initialize(owner)`. `counterfactual_address` computes it
off-chain (no RPC); `smart_account` computes it and checks it against
`SimpleAccountFactory.getAddress` on the chain, so a factory built from other sources can
never silently send funds to the wrong address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak

from orchestrator.artifacts.load import load_npm_artifact
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.chain.canonical import (
    ENTRY_POINT_V08,
    SIMPLE_ACCOUNT_FACTORY_V08,
    deploy_canonical,
)
from orchestrator.chain.create2 import create2_address, create_address
from orchestrator.chain.reverts import decode_revert_data
from orchestrator.chain.transactor import Transactor
from orchestrator.chain.vault_binding import (
    ACCOUNT_ADDRESS,
    CREATE_ACCOUNT,
    DEPOSIT_OF,
    EXECUTE,
    EXECUTE_BATCH,
    GET_NONCE,
    INITIALIZE_ACCOUNT,
    SENDER_CREATOR,
)
from orchestrator.errors import (
    ConfigError,
    ContractReverted,
    InputError,
    MissingContract,
    SetupError,
)

__all__ = [
    "CANONICAL_V08",
    "AAContracts",
    "Call",
    "SmartAccount",
    "counterfactual_address",
    "decode_account_revert",
    "deploy_account_abstraction",
    "encode_calls",
    "proxy_creation_code",
    "smart_account",
    "verify_account_abstraction",
]

MAX_SALT = 2**256 - 1


def _address(field: str, value: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise InputError(f"{field} {value!r} is not an address", hint="Give 0x + 40 hex digits.")
    return to_checksum_address(value)


@cache
def proxy_creation_code() -> bytes:
    """`type(ERC1967Proxy).creationCode` exactly as SimpleAccountFactory embeds it.

    The proxy's constructor starts `PUSH1 0x80 PUSH1 0x40 MSTORE PUSH2 <code length>` (it
    copies its constructor arguments from behind its own code), so the blob is found in
    the factory's runtime code by that prefix and its self-declared length, and must end
    with solc's CBOR metadata. Tests check the resulting addresses against the chain.
    """
    runtime = bytes.fromhex(load_npm_artifact("SimpleAccountFactory").deployed_bytecode[2:])
    prefix = bytes.fromhex("608060405261")
    start = runtime.find(prefix)
    while start != -1:
        length = int.from_bytes(runtime[start + 6 : start + 8], "big")
        blob = runtime[start : start + length]
        if len(blob) == length and blob.endswith(b"\x00\x33") and b"solcC" in blob[-16:]:
            return blob
        start = runtime.find(prefix, start + 1)
    raise SetupError(
        "could not find the ERC1967Proxy creation code inside SimpleAccountFactory",
        hint="The @account-abstraction/contracts version changed: check package-lock.json.",
    )


@dataclass(frozen=True)
class AAContracts:
    """Where the account-abstraction contracts live on one chain."""

    entry_point: str
    simple_account_factory: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "entry_point", _address("entry_point", self.entry_point))
        object.__setattr__(
            self,
            "simple_account_factory",
            _address("simple_account_factory", self.simple_account_factory),
        )

    @property
    def sender_creator(self) -> str:
        """The EntryPoint's SenderCreator: its constructor's first (and only) CREATE."""
        return create_address(self.entry_point, 1)

    @property
    def account_implementation(self) -> str:
        """The factory's SimpleAccount implementation: its constructor's CREATE."""
        return create_address(self.simple_account_factory, 1)


# Published deterministic deployments of v0.8 (the same address on every chain they are on).
CANONICAL_V08 = AAContracts(
    entry_point=ENTRY_POINT_V08, simple_account_factory=SIMPLE_ACCOUNT_FACTORY_V08
)


def deploy_account_abstraction(tx: Transactor) -> AAContracts:
    """EntryPoint v0.8 and SimpleAccountFactory at their canonical addresses on a local
    chain (with the deterministic deployer and Multicall3); idempotent."""
    deployed = deploy_canonical(tx.chain, tx)
    return AAContracts(deployed.entry_point, deployed.simple_account_factory)


def verify_account_abstraction(chain: Chain, aa: AAContracts) -> None:
    """Refuse clearly when an expected contract has no code, or the factory is not wired to
    this EntryPoint (its implementation and SenderCreator must be the derived ones)."""
    for name, address in (
        ("EntryPoint", aa.entry_point),
        ("SimpleAccountFactory", aa.simple_account_factory),
    ):
        if not chain.code(address):
            raise MissingContract(name=name, address=address)
    data = call_raw(chain, aa.simple_account_factory, SENDER_CREATOR.call())
    (wired_creator,) = SENDER_CREATOR.decode(data)
    if to_checksum_address(wired_creator) != aa.sender_creator:
        raise ConfigError(
            f"SimpleAccountFactory {aa.simple_account_factory} belongs to another EntryPoint "
            f"(its SenderCreator is {wired_creator}, expected {aa.sender_creator})",
            hint="Use the factory deployed for this EntryPoint version (v0.8).",
        )


@dataclass(frozen=True)
class Call:
    """One call the smart account makes: `target.call{value: value_wei}(data)`."""

    target: str
    value_wei: int = 0
    data: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", _address("call target", self.target))
        if self.value_wei < 0:
            raise InputError(f"call value must not be negative, got {self.value_wei} wei")
        object.__setattr__(self, "data", bytes(self.data))


def encode_calls(calls: Sequence[Call]) -> bytes:
    """The account's callData: `execute(target, value, data)` for one call (cheaper, and
    its revert is the call's own), `executeBatch(Call[])` for several (BaseAccount v0.8:
    reverts with `ExecuteError(index, error)` naming the failing call)."""
    if not calls:
        raise InputError("a user operation needs at least one call")
    if len(calls) == 1:
        only = calls[0]
        return EXECUTE.call(only.target, only.value_wei, only.data)
    encoded = [(c.target, c.value_wei, c.data) for c in calls]
    return EXECUTE_BATCH.call(encoded)


def decode_account_revert(data: bytes) -> tuple[int | None, ContractReverted]:
    """The revert of an account's callData: `(index, inner error)` for BaseAccount's
    `ExecuteError(index, error)` (a failing call in a batch), else `(None, error)`."""
    outer = decode_revert_data(data)
    if outer.error_name == "ExecuteError" and len(outer.error_args) == 2:
        index, inner = outer.error_args
        return int(index), decode_revert_data(bytes(inner))
    return None, outer


def _initializer(owner: str) -> bytes:
    return INITIALIZE_ACCOUNT.call(owner)


def counterfactual_address(aa: AAContracts, owner: str, salt: int = 0) -> str:
    """The SimpleAccount address for (owner, salt), computed off-chain."""
    owner = _address("owner", owner)
    if not 0 <= salt <= MAX_SALT:
        raise InputError(f"salt must be a uint256, got {salt}")
    args = abi_encode(["address", "bytes"], [aa.account_implementation, _initializer(owner)])
    init_code_hash = keccak(proxy_creation_code() + args)
    return create2_address(aa.simple_account_factory, salt, init_code_hash)


@dataclass(frozen=True)
class SmartAccount:
    """An owner's SimpleAccount (deployed or still counterfactual) on one set of contracts."""

    owner: str
    salt: int
    address: str
    aa: AAContracts

    @classmethod
    def counterfactual(cls, aa: AAContracts, owner: str, salt: int = 0) -> SmartAccount:
        """Off-chain only; prefer `smart_account()` when a chain is at hand."""
        owner = _address("owner", owner)
        return cls(owner, salt, counterfactual_address(aa, owner, salt), aa)

    @property
    def factory_data(self) -> bytes:
        """`createAccount(owner, salt)`: the initCode after the factory address."""
        return CREATE_ACCOUNT.call(self.owner, self.salt)

    def is_deployed(self, chain: Chain) -> bool:
        return bool(chain.code(self.address))

    def nonce(self, chain: Chain, key: int = 0) -> int:
        """`EntryPoint.getNonce(sender, key)`: key << 64 | next sequence number."""
        if not 0 <= key < 2**192:
            raise InputError(f"nonce key must be a uint192, got {key}")
        data = GET_NONCE.call(self.address, key)
        return int.from_bytes(call_raw(chain, self.aa.entry_point, data), "big")

    def balance_wei(self, chain: Chain) -> int:
        return chain.balance_wei(self.address)

    def deposit_wei(self, chain: Chain) -> int:
        """The account's EntryPoint deposit (spent before its ETH balance)."""
        data = DEPOSIT_OF.call(self.address)
        return int.from_bytes(call_raw(chain, self.aa.entry_point, data), "big")


def smart_account(chain: Chain, aa: AAContracts, owner: str, salt: int = 0) -> SmartAccount:
    """The owner's account, its off-chain address checked against `factory.getAddress`."""
    account = SmartAccount.counterfactual(aa, owner, salt)
    data = call_raw(chain, aa.simple_account_factory, ACCOUNT_ADDRESS.call(account.owner, salt))
    on_chain = to_checksum_address(ACCOUNT_ADDRESS.decode(data)[0])
    if on_chain != account.address:
        raise ConfigError(
            f"SimpleAccountFactory.getAddress({account.owner}, {salt}) is {on_chain}, but the "
            f"off-chain derivation gives {account.address}",
            hint="The factory was not built from @account-abstraction/contracts 0.8.0.",
        )
    return account
