"""Typed access to VaultFactory and IndexVault (contracts/), for every network.

Amounts are integers in base units; fees and slippage in bps; pool fee tiers in hundredths
of a bip. Encoding follows the Solidity structs in contracts/interfaces/IIndexVault.sol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.types import TxReceipt

from orchestrator.artifacts.load import load_artifact
from orchestrator.chain.abi import decode as abi_decode
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.bindings import bind_ours
from orchestrator.chain.transactor import Transactor
from orchestrator.errors import InvalidValue

__all__ = [
    "Leg",
    "Mandate",
    "VaultPlatform",
    "deploy_vault_factory",
    "encode_legs",
    "owner_salt",
    "usdc_amount_for",
]

GAS_DEPLOY_FACTORY = 7_000_000
GAS_CREATE_VAULT = 400_000


@dataclass(frozen=True)
class Leg:
    """One swap between USDC and a constituent; `amount_out_min` is checked on the vault's
    balance, so it is what the vault is guaranteed to receive (min-out rounds down)."""

    token: str
    fee: int
    amount_in: int
    amount_out_min: int

    def encoded(self) -> tuple[str, int, int, int]:
        return (self.token, self.fee, self.amount_in, self.amount_out_min)


def encode_legs(legs: Sequence[Leg]) -> list[tuple[str, int, int, int]]:
    return [leg.encoded() for leg in legs]


@dataclass(frozen=True)
class Mandate:
    """The owner's limits on the keeper (see IIndexVault.Mandate)."""

    keeper: str
    max_slippage_bps: int
    min_interval_s: int
    twap_window_s: int
    loss_budget_usdc: int  # USDC base units per loss window
    loss_window_s: int
    loss_cap_usdc: int  # USDC base units in total under this mandate, however long it lasts

    def encoded(self) -> tuple[str, int, int, int, int, int, int]:
        return (
            self.keeper,
            self.max_slippage_bps,
            self.min_interval_s,
            self.twap_window_s,
            self.loss_budget_usdc,
            self.loss_window_s,
            self.loss_cap_usdc,
        )


MANDATE_TYPES = ["address", "uint16", "uint24", "uint24", "uint96", "uint32", "uint96"]


# --- raw vault views, for batched reads (Multicall3 `aggregate_raw`) -------------------------

MANDATE_CALL = function_signature_to_4byte_selector("mandate()")
MANDATE_EPOCH_CALL = function_signature_to_4byte_selector("mandateEpoch()")
LOSS_USED_CALL = function_signature_to_4byte_selector("lossUsed()")
_ALLOWED_POOL = function_signature_to_4byte_selector("allowedPool(address)")


def allowed_pool_call(token: str) -> bytes:
    return _ALLOWED_POOL + abi_encode(["address"], [token])


def decode_mandate(data: bytes) -> Mandate | None:
    """`mandate()`'s return data; None when no keeper is set (never set, or revoked)."""
    keeper, slippage, interval, window, budget, loss_window, cap = abi_decode(MANDATE_TYPES, data)
    if int(keeper, 16) == 0:
        return None
    return Mandate(
        to_checksum_address(keeper), slippage, interval, window, budget, loss_window, cap
    )


def decode_loss_used(data: bytes) -> tuple[int, int, int]:
    """`lossUsed()`: (used budget after leaking, USDC base units; last rebalance time; total
    loss under the current mandate, USDC base units)."""
    used, last, spent = abi_decode(["uint256", "uint32", "uint256"], data)
    return int(used), int(last), int(spent)


def decode_allowed_pool(data: bytes) -> int | None:
    """`allowedPool(token)`: the fee tier the keeper may use, or None if not allowed."""
    allowed, fee = abi_decode(["bool", "uint24"], data)
    return int(fee) if allowed else None


def owner_salt(label: str = "indexvault") -> bytes:
    """A readable salt; the factory binds it to the owner, so it needs no secrecy."""
    return keccak(text=label)


def deploy_vault_factory(
    tx: Transactor,
    *,
    admin: str,
    usdc: str,
    uniswap_v3_factory: str,
    fee_recipient: str,
    fee_bps: int,
    min_block_time_s: int,
) -> Contract:
    """One call deploys the factory and its IndexVault implementation. `min_block_time_s` is
    the chain's shortest time between blocks: every mandate's pools need an oracle ring of
    ceil(twap window / min_block_time_s) + 1 observations."""
    return tx.deploy(
        load_artifact("VaultFactory"),
        admin, usdc, uniswap_v3_factory, fee_recipient, fee_bps, min_block_time_s,
        gas=GAS_DEPLOY_FACTORY,
    )  # fmt: skip


@dataclass(frozen=True)
class VaultPlatform:
    """A deployed factory on one chain."""

    factory: Contract

    def predict_vault(self, owner: str, salt: bytes) -> str:
        return str(self.factory.functions.predictVault(owner, salt).call())

    def create_vault(self, tx: Transactor, owner: str, salt: bytes) -> tuple[Contract, TxReceipt]:
        receipt = tx.send(self.factory.functions.createVault(owner, salt), gas=GAS_CREATE_VAULT)
        return self.vault(self.predict_vault(owner, salt)), receipt

    def vault(self, address: str) -> Contract:
        return bind_ours(self.factory.w3, "IndexVault", address)


def usdc_amount_for(spend: int, fee_bps: int) -> int:
    """The least USDC `amount` with `amount - floor(amount * fee_bps / 10_000) >= spend`:
    what the owner approves so that, after the vault's fee (rounded down), `spend` is left
    for the legs."""
    if spend < 0 or not 0 <= fee_bps < 10_000:
        raise InvalidValue(
            f"bad spend {spend} or fee {fee_bps} bps", name="spend", value=(spend, fee_bps)
        )
    amount = -(-spend * 10_000 // (10_000 - fee_bps))  # ceil(spend / (1 - fee))
    while amount - amount * fee_bps // 10_000 < spend:  # pragma: no cover - ceil is exact
        amount += 1
    while amount > 0 and (amount - 1) - (amount - 1) * fee_bps // 10_000 >= spend:
        amount -= 1
    return amount
