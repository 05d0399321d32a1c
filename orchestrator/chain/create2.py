"""CREATE and CREATE2 addresses, and deployments through the deterministic deployment proxy.

The proxy (`DETERMINISTIC_DEPLOYER`, github.com/Arachnid/deterministic-deployment-proxy)
takes calldata `salt (32 bytes) ‖ init code` and runs `CREATE2(salt, init code)`; the new
contract's address depends only on the proxy's address, the salt and the init code, so
the same bytes land at the same address on every chain that has the proxy (Sepolia, Base
Sepolia and nearly every public chain do).

On a local chain the proxy is installed from its published pre-signed transaction: a
pre-EIP-155 (chain-id-free) legacy transaction from a one-time key nobody holds, at nonce
0, whose CREATE address is the proxy's. `ensure_deterministic_deployer` funds that signer
and broadcasts the bytes. Measured: eth-tester (py-evm) and anvil 1.7.1 both accept it
(68,137 gas); anvil also pre-installs the same runtime code at start unless run with
`--disable-default-create2-deployer`. A node that refuses unprotected transactions gets
the runtime code through `anvil_setCode` instead (anvil only; elsewhere a clear error).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3.types import TxParams

from orchestrator.chain.backends import Chain
from orchestrator.chain.transactor import Transactor
from orchestrator.errors import ConfigError, InternalError, InvalidValue, SetupError

__all__ = [
    "DETERMINISTIC_DEPLOYER",
    "Create2Deployment",
    "PresignedDeployment",
    "create2_address",
    "create2_calldata",
    "create_address",
    "deploy_create2",
    "ensure_deterministic_deployer",
    "install_presigned",
    "predict_create2",
    "presigned",
    "salt_bytes",
]

DETERMINISTIC_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
# What the proxy's constructor leaves on chain (its whole runtime: 69 bytes of assembly).
DETERMINISTIC_DEPLOYER_RUNTIME = bytes.fromhex(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe036016000816020823780"
    "35828234f58015156039578182fd5b8082525050506014600cf3"
)
# Gas the proxy adds on top of the init code's own CREATE2 (calldata, hashing, the call).
PROXY_OVERHEAD_GAS = 100_000
_PRESIGNED_FILE = Path(__file__).with_name("presigned_deployments.json")


def salt_bytes(salt: bytes | int) -> bytes:
    """A CREATE2 salt as its 32 bytes (an int is big-endian)."""
    if isinstance(salt, int):
        if not 0 <= salt < 2**256:
            raise InvalidValue(f"a salt is a uint256, got {salt}", name="salt", value=salt)
        return salt.to_bytes(32, "big")
    if len(salt) != 32:
        raise InvalidValue(f"a salt is 32 bytes, got {len(salt)}", name="salt", value=salt)
    return bytes(salt)


def create_address(deployer: str, nonce: int) -> str:
    """The CREATE address of `deployer`'s transaction or creation number `nonce` (0..127:
    a key's first transactions, a contract's first creations)."""
    if not 0 <= nonce < 0x80:
        raise InvalidValue(
            f"create_address supports nonces 0..127, got {nonce}", name="nonce", value=nonce
        )
    rlp_nonce = bytes([nonce]) if nonce else b"\x80"  # RLP: zero is the empty string
    encoded = bytes([0xD6, 0x94]) + bytes.fromhex(deployer[2:]) + rlp_nonce
    return to_checksum_address(keccak(encoded)[12:])


def create2_address(deployer: str, salt: bytes | int, init_code_hash: bytes) -> str:
    """keccak256(0xff ‖ deployer ‖ salt ‖ keccak256(init code))[12:]."""
    preimage = b"\xff" + bytes.fromhex(deployer[2:]) + salt_bytes(salt) + init_code_hash
    return to_checksum_address(keccak(preimage)[12:])


def predict_create2(init_code: bytes, salt: bytes | int) -> str:
    """Where the deterministic deployment proxy puts `init_code` with `salt`, on any chain."""
    return create2_address(DETERMINISTIC_DEPLOYER, salt, keccak(init_code))


def create2_calldata(init_code: bytes, salt: bytes | int) -> bytes:
    """The proxy's calldata: the salt, then the init code (constructor arguments included)."""
    return salt_bytes(salt) + bytes(init_code)


@dataclass(frozen=True)
class Create2Deployment:
    """One contract at its CREATE2 address. `tx_hash` is None when it was there already."""

    address: str
    tx_hash: str | None
    gas_used: int

    @property
    def sent(self) -> bool:
        return self.tx_hash is not None


def _has_code(chain: Chain, address: str) -> bool:
    return bool(chain.w3.eth.get_code(to_checksum_address(address)))


def deploy_create2(
    tx: Transactor,
    init_code: bytes,
    salt: bytes | int,
    *,
    gas: int | None = None,
    name: str = "contract",
) -> Create2Deployment:
    """Deploy `init_code` through the proxy; idempotent: code already at the predicted
    address means it was deployed before (by anyone), and nothing is sent. `gas` None:
    estimated (slow on eth-tester: pass it there)."""
    address = predict_create2(init_code, salt)
    if _has_code(tx.chain, address):
        return Create2Deployment(address, None, 0)
    if not _has_code(tx.chain, DETERMINISTIC_DEPLOYER):
        raise ConfigError(
            f"the deterministic deployment proxy {DETERMINISTIC_DEPLOYER} has no code on "
            f"{tx.chain.label}, so {name} cannot be deployed at {address}",
            hint="On a local chain, install it first (ensure_deterministic_deployer); on a "
            "public chain, broadcast its published pre-signed transaction.",
        )
    call = {"to": DETERMINISTIC_DEPLOYER, "data": HexBytes(create2_calldata(init_code, salt))}
    receipt = tx.send(cast(TxParams, call), gas=gas)
    if not _has_code(tx.chain, address):
        raise InternalError(
            f"deploying {name} through the proxy succeeded but left no code at {address}",
            hint="Its constructor probably ran out of gas: give it a higher gas limit.",
        )
    return Create2Deployment(
        address, HexBytes(receipt["transactionHash"]).to_0x_hex(), int(receipt["gasUsed"])
    )


# --- published pre-signed deployments ------------------------------------------------------


@dataclass(frozen=True)
class PresignedDeployment:
    """A contract whose canonical address comes from a published one-time transaction: a
    keyless signer's nonce-0 CREATE, valid on any chain id (pre-EIP-155)."""

    name: str
    address: str
    signer: str
    gas_price_wei: int
    gas_limit: int
    raw_transaction: bytes
    source: str

    @property
    def funding_wei(self) -> int:
        """What the signer must hold for the transaction to be valid."""
        return self.gas_price_wei * self.gas_limit

    def check(self) -> None:
        """The bytes are what they claim: signed by `signer`, creating `address`."""
        recovered = Account.recover_transaction(self.raw_transaction)
        created = create_address(recovered, 0)
        if recovered != self.signer or created != self.address:
            raise SetupError(
                f"the pre-signed transaction of {self.name} is signed by {recovered} and "
                f"creates {created}, not {self.signer} / {self.address}",
                hint=f"{_PRESIGNED_FILE.name} was edited: restore it from git.",
            )


@cache
def presigned(name: str) -> PresignedDeployment:
    """`deterministic_deployment_proxy` or `multicall3`, from presigned_deployments.json."""
    entries: dict[str, dict[str, Any]] = json.loads(_PRESIGNED_FILE.read_text())
    if name not in entries:
        raise SetupError(f"no pre-signed deployment named {name!r} in {_PRESIGNED_FILE.name}")
    e = entries[name]
    deployment = PresignedDeployment(
        name=name,
        address=to_checksum_address(e["address"]),
        signer=to_checksum_address(e["signer"]),
        gas_price_wei=int(e["gas_price_wei"]),
        gas_limit=int(e["gas_limit"]),
        raw_transaction=bytes.fromhex(e["raw_transaction"].removeprefix("0x")),
        source=str(e["source"]),
    )
    deployment.check()
    return deployment


def install_presigned(chain: Chain, funder: Transactor, deployment: PresignedDeployment) -> bool:
    """Put `deployment` at its canonical address by broadcasting its published bytes (after
    funding the one-time signer). False when code is there already; nothing is sent then."""
    if _has_code(chain, deployment.address):
        return False
    w3 = chain.w3
    signer_nonce = int(w3.eth.get_transaction_count(deployment.signer))  # type: ignore[arg-type]
    if signer_nonce != 0:
        raise ConfigError(
            f"{deployment.name}'s one-time signer {deployment.signer} has already sent "
            f"{signer_nonce} transaction(s) on {chain.label} without creating "
            f"{deployment.address}: the canonical address is lost on this chain",
            hint="Start a fresh local chain (`indexvault local up --reset`).",
        )
    balance = int(w3.eth.get_balance(deployment.signer))  # type: ignore[arg-type]
    if balance < deployment.funding_wei:
        if chain.is_local:  # not from the funder: its nonce, so what it creates, stays put
            chain.set_balance(deployment.signer, deployment.funding_wei)  # (at least) this
        else:
            payment = {"to": deployment.signer, "value": deployment.funding_wei - balance}
            funder.send(cast(TxParams, payment), gas=21_000)
    tx_hash = w3.eth.send_raw_transaction(deployment.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    if receipt["status"] != 1 or not _has_code(chain, deployment.address):
        raise ConfigError(
            f"the pre-signed deployment of {deployment.name} failed on {chain.label} "
            f"(gas used {receipt['gasUsed']:,} of {deployment.gas_limit:,})",
            hint="This chain's gas metering differs from the EVM's; the contract cannot be "
            "put at its canonical address by this transaction.",
        )
    return True


def ensure_deterministic_deployer(chain: Chain, funder: Transactor) -> str:
    """Make sure the deterministic deployment proxy is on a local chain; returns how:
    "present", "pre-signed transaction" or "set code"."""
    code = bytes(chain.w3.eth.get_code(to_checksum_address(DETERMINISTIC_DEPLOYER)))
    if code:
        if code != DETERMINISTIC_DEPLOYER_RUNTIME:
            raise ConfigError(
                f"{DETERMINISTIC_DEPLOYER} on {chain.label} holds other code than the "
                "deterministic deployment proxy",
                hint="This chain cannot use canonical CREATE2 addresses.",
            )
        return "present"
    if not chain.is_local:
        raise ConfigError(
            f"the deterministic deployment proxy is missing on {chain.label}",
            hint="Broadcast its published pre-signed transaction there (see "
            "github.com/Arachnid/deterministic-deployment-proxy), then run this again.",
        )
    proxy = presigned("deterministic_deployment_proxy")
    try:
        install_presigned(chain, funder, proxy)
        return "pre-signed transaction"
    except ValueError:  # web3 raises ValueError for a JSON-RPC error (e.g. "not EIP-155")
        if chain.kind != "anvil":
            raise
    chain.set_code(DETERMINISTIC_DEPLOYER, DETERMINISTIC_DEPLOYER_RUNTIME)
    return "set code"
