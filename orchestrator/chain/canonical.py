"""Contracts that live at the same published address on every chain, and how a local chain
gets them there too, so that local, rehearsal and testnet differ only in configuration
(and tools that recognise a contract by its address, like a bundler recognising the
EntryPoint version, work unpatched).

- deterministic deployment proxy, 0x4e59…956C: its pre-signed transaction (keyless signer,
  nonce 0), from the Arachnid/deterministic-deployment-proxy README;
- Multicall3, 0xcA11…CA11: its pre-signed transaction (keyless signer, nonce 0), from the
  mds1/multicall README;
- EntryPoint v0.8, 0x4337…F108: CREATE2 through the proxy with salt 0x0a59…35e9, from
  eth-infinitism/bundler `packages/utils/src/deployEntryPoint.ts` (`entryPointSalt`);
- SimpleAccountFactory v0.8, 0x13E9…5944: CREATE2 through the proxy with salt 0 and the
  EntryPoint as constructor argument, from eth-infinitism/account-abstraction
  `deploy/2_deploy_SimpleAccountFactory.ts` (hardhat-deploy's `deterministicDeployment:
  true` means salt 0).

The CREATE2 init code is the creation bytecode of `@account-abstraction/contracts` 0.8.0 as
shipped on npm (plus the ABI-encoded constructor argument for the factory);
`check_canonical_init_codes` recomputes both addresses from it before anything is sent,
so a changed npm package can never put an EntryPoint at a non-canonical address unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from orchestrator.artifacts.load import load_npm_artifact
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.backends import Chain
from orchestrator.chain.create2 import (
    DETERMINISTIC_DEPLOYER,
    PROXY_OVERHEAD_GAS,
    deploy_create2,
    ensure_deterministic_deployer,
    install_presigned,
    predict_create2,
    presigned,
)
from orchestrator.chain.transactor import Transactor
from orchestrator.errors import SetupError

__all__ = [
    "ENTRY_POINT_V08",
    "ENTRY_POINT_V08_SALT",
    "MULTICALL3",
    "SIMPLE_ACCOUNT_FACTORY_V08",
    "SIMPLE_ACCOUNT_FACTORY_V08_SALT",
    "CanonicalContracts",
    "check_canonical_init_codes",
    "deploy_canonical",
    "entry_point_init_code",
    "simple_account_factory_init_code",
]

ENTRY_POINT_V08 = "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"
ENTRY_POINT_V08_SALT = bytes.fromhex(
    "0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9"
)
SIMPLE_ACCOUNT_FACTORY_V08 = "0x13E9ed32155810FDbd067D4522C492D6f68E5944"
SIMPLE_ACCOUNT_FACTORY_V08_SALT = bytes(32)
MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"

# Explicit gas (py-evm estimates slowly): each constructor's measured use is well below.
GAS_ENTRY_POINT = 6_000_000 + PROXY_OVERHEAD_GAS
GAS_SIMPLE_ACCOUNT_FACTORY = 4_000_000 + PROXY_OVERHEAD_GAS


def entry_point_init_code() -> bytes:
    return bytes.fromhex(load_npm_artifact("EntryPoint").bytecode[2:])


def simple_account_factory_init_code(entry_point: str = ENTRY_POINT_V08) -> bytes:
    creation = bytes.fromhex(load_npm_artifact("SimpleAccountFactory").bytecode[2:])
    return creation + abi_encode(["address"], [entry_point])


@cache
def check_canonical_init_codes() -> None:
    """The npm bytecode + published salt reproduce each published address, or SetupError."""
    for name, init_code, salt, published in (
        ("EntryPoint v0.8", entry_point_init_code(), ENTRY_POINT_V08_SALT, ENTRY_POINT_V08),
        (
            "SimpleAccountFactory v0.8",
            simple_account_factory_init_code(),
            SIMPLE_ACCOUNT_FACTORY_V08_SALT,
            SIMPLE_ACCOUNT_FACTORY_V08,
        ),
    ):
        predicted = predict_create2(init_code, salt)
        if predicted != published:
            raise SetupError(
                f"{name} from node_modules would be deployed at {predicted}, not at its "
                f"canonical address {published}: the npm bytecode differs from the published",
                hint="Reinstall the pinned @account-abstraction/contracts (npm ci).",
            )


@dataclass(frozen=True)
class CanonicalContracts:
    """Where the canonical contracts are (always the same addresses) and what was sent."""

    deterministic_deployer: str
    multicall3: str
    entry_point: str
    simple_account_factory: str
    sent: tuple[str, ...]  # which ones this call deployed (empty: all were there)


def deploy_canonical(chain: Chain, funder: Transactor) -> CanonicalContracts:
    """Put the deterministic deployment proxy, Multicall3, EntryPoint v0.8 and its
    SimpleAccountFactory at their canonical addresses on a local chain. Idempotent: what
    is there already is skipped. `funder` pays the one-time signers and the CREATE2s."""
    check_canonical_init_codes()
    sent: list[str] = []
    if ensure_deterministic_deployer(chain, funder) != "present":
        sent.append("deterministic deployment proxy")
    if install_presigned(chain, funder, presigned("multicall3")):
        sent.append("Multicall3")
    entry_point = deploy_create2(
        funder,
        entry_point_init_code(),
        ENTRY_POINT_V08_SALT,
        gas=GAS_ENTRY_POINT,
        name="EntryPoint v0.8",
    )
    if entry_point.sent:
        sent.append("EntryPoint v0.8")
    factory = deploy_create2(
        funder,
        simple_account_factory_init_code(),
        SIMPLE_ACCOUNT_FACTORY_V08_SALT,
        gas=GAS_SIMPLE_ACCOUNT_FACTORY,
        name="SimpleAccountFactory v0.8",
    )
    if factory.sent:
        sent.append("SimpleAccountFactory v0.8")
    return CanonicalContracts(
        deterministic_deployer=DETERMINISTIC_DEPLOYER,
        multicall3=MULTICALL3,
        entry_point=entry_point.address,
        simple_account_factory=factory.address,
        sent=tuple(sent),
    )
