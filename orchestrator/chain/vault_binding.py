"""Every selector, event topic and struct shape the Python side uses of our contracts
(IndexVault, VaultFactory, the local TestToken) and of ERC-4337 v0.8 (EntryPoint, its
simulations, SimpleAccount and its factory), in one place.

Signatures are written out (readable, greppable); selectors and topics are derived from
them, and tests/chain/test_vault_binding.py checks every one against `abi/` and the npm
artifacts, so a contract change that leaves this module stale fails a test. Encoding and
decoding use the fast codec in `orchestrator.chain.abi` (no contract objects: a 100-leg
buy is encoded twice per preview, and web3's contract encoder costs ~100 ms for that).

    calldata = BUY.call(usdc_amount, guarded_legs(legs), max_fee_bps, deadline_s)
    used, last, spent = LOSS_USED.decode(returndata)
    if log.topics[0] == SWAPPED.topic: ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from orchestrator.chain.abi import decode as abi_decode
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.domain.legs import GuardedLeg, PlannedLeg
from orchestrator.domain.mandate import Mandate
from orchestrator.domain.units import BPS, Bps, Pips, usdc_units
from orchestrator.errors import InvalidValue

__all__ = [
    "ALL_EVENTS",
    "ALL_FUNCTIONS",
    "LEG",
    "MANDATE",
    "PACKED_USEROP",
    "POOL",
    "Event",
    "Function",
    "LegStruct",
    "MandateStruct",
    "NetStruct",
    "OrderStruct",
    "decode_allowed_pool",
    "decode_mandate",
    "guarded_legs",
    "mandate_struct",
    "owner_salt",
    "unguarded_legs",
    "usdc_amount_for",
]


def _split_types(params: str) -> list[str]:
    """'uint256,(address,uint24)[],bytes' -> ['uint256', '(address,uint24)[]', 'bytes']."""
    types, depth, start = [], 0, 0
    for i, char in enumerate(params):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            types.append(params[start:i])
            start = i + 1
    if params:
        types.append(params[start:])
    return types


@dataclass(frozen=True)
class Function:
    """A function of `contract` (an artifact name in abi/ or of the npm artifacts)."""

    contract: str
    signature: str  # name(type,...) with tuples written out, as the selector hashes it
    returns: tuple[str, ...] = ()
    selector: bytes = field(init=False, repr=False)
    inputs: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "selector", function_signature_to_4byte_selector(self.signature))
        params = self.signature[self.signature.index("(") + 1 : -1]
        object.__setattr__(self, "inputs", tuple(_split_types(params)))

    @property
    def name(self) -> str:
        return self.signature[: self.signature.index("(")]

    def call(self, *args: Any) -> bytes:
        """The calldata: selector and ABI-encoded arguments."""
        return self.selector + abi_encode(list(self.inputs), list(args))

    def decode(self, data: bytes) -> tuple[Any, ...]:
        """The return data, as a tuple of the `returns` types."""
        return tuple(abi_decode(list(self.returns), data))


@dataclass(frozen=True)
class Event:
    contract: str
    signature: str
    topic: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "topic", keccak(text=self.signature))

    @property
    def name(self) -> str:
        return self.signature[: self.signature.index("(")]

    @property
    def topic_hex(self) -> str:
        return "0x" + self.topic.hex()


# --- struct shapes --------------------------------------------------------------------------

LEG = "(address,uint24,uint256,uint256)"  # IIndexVault.Leg: token, fee, amountIn, minAmountOut
MANDATE = "(address,uint16,uint24,uint24,uint96,uint32,uint96,bool)"  # IIndexVault.Mandate
POOL = "(address,uint24)"  # IIndexVault.Pool: token, fee
CALL = "(address,uint256,bytes)"  # BaseAccount.Call: target, value, data
PACKED_USEROP = "(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)"
EXECUTION_RESULT = "(uint256,uint256,uint256,uint256,bool,bytes)"  # IEntryPointSimulations


class LegStruct(NamedTuple):
    """IIndexVault.Leg as the ABI encodes it (a tuple): one swap between USDC and a token."""

    token: str
    fee: int
    amount_in: int
    min_out: int  # the struct's minAmountOut: checked on the vault's balance


MandateStruct = tuple[str, int, int, int, int, int, int, bool]

# --- IndexVault -----------------------------------------------------------------------------

_V = "IndexVault"
BUY = Function(_V, f"buy(uint256,{LEG}[],uint16,uint256)")  # amount, legs, maxFeeBps, deadline
SELL = Function(_V, f"sell({LEG}[],uint256,uint16,uint16,uint256)", ("uint256",))
WITHDRAW_IN_KIND = Function(_V, "withdrawInKind(address[])")
SET_MANDATE = Function(_V, f"setMandate({MANDATE},{POOL}[])")
REVOKE_KEEPER = Function(_V, "revokeKeeper()")
REBALANCE = Function(_V, f"rebalance({LEG}[],{LEG}[],uint256)", ("uint256",))
MANDATE_OF = Function(_V, "mandate()", (MANDATE,))
MANDATE_EPOCH = Function(_V, "mandateEpoch()", ("uint32",))
LOSS_USED = Function(_V, "lossUsed()", ("uint256", "uint32", "uint256"))  # used, last, spent
ALLOWED_POOL = Function(_V, "allowedPool(address)", ("bool", "uint24"))
ORACLE_QUOTE = Function(_V, "oracleQuote(address,uint24,uint256,bool)", ("uint256", "uint256"))
VAULT_USDC = Function(_V, "usdc()", ("address",))
VAULT_FACTORY = Function(_V, "factory()", ("address",))

SWAPPED = Event(_V, "Swapped(address,address,uint256,uint256)")
BOUGHT = Event(_V, "Bought(uint256,uint256,uint256)")
SOLD = Event(_V, "Sold(uint256,uint256,uint256,uint256)")
REBALANCED = Event(_V, "Rebalanced(address,uint256,uint256)")
WITHDRAWN_IN_KIND = Event(_V, "WithdrawnInKind(address[],uint256[])")
IN_KIND_TRANSFER_FAILED = Event(_V, "InKindTransferFailed(address)")  # a token skipped
MANDATE_SET = Event(_V, f"MandateSet({MANDATE},{POOL}[],uint32)")
KEEPER_REVOKED = Event(_V, "KeeperRevoked(address)")

# --- VaultFactory ---------------------------------------------------------------------------

_F = "VaultFactory"
CREATE_VAULT = Function(_F, "createVault(address,bytes32)", ("address",))
PREDICT_VAULT = Function(_F, "predictVault(address,bytes32)", ("address",))
FACTORY_CONFIG = Function(_F, "config()", ("address", "uint16", "bool"))

VAULT_CREATED = Event(_F, "VaultCreated(address,address,bytes32)")

# --- BatchSettlement (many vaults' rebalances in one transaction) ---------------------------

NET = "(address,uint24,bool,uint256)"  # IBatchSettlement.Net: token, fee, tokenToUsdc, amountIn
ORDER = f"(address,{LEG}[],{LEG}[],bytes)"  # IBatchSettlement.Order: vault, sells, buys, nets

_B = "BatchSettlement"
FACTORY_BATCH_SETTLEMENT = Function(_F, "batchSettlement()", ("address",))
SETTLE = Function(_B, f"settle({NET}[],{ORDER}[],uint256)")
CLEARED = Event(_B, "Cleared(address,bool,uint256,uint256,uint256,uint256)")


class NetStruct(NamedTuple):
    """IBatchSettlement.Net: the one pool swap of a token in a batch."""

    token: str
    fee: int
    token_to_usdc: bool
    amount_in: int


class OrderStruct(NamedTuple):
    """IBatchSettlement.Order: one vault's legs, and each leg's net index (one byte a leg)."""

    vault: str
    sells: list[LegStruct]
    buys: list[LegStruct]
    nets: bytes


# --- the local test ERC-20 (what we use of any ERC-20) --------------------------------------

_T = "TestToken"
BALANCE_OF = Function(_T, "balanceOf(address)", ("uint256",))
APPROVE = Function(_T, "approve(address,uint256)", ("bool",))
TRANSFER = Function(_T, "transfer(address,uint256)", ("bool",))
MINT = Function(_T, "mint(address,uint256)")

# --- ERC-4337 v0.8: EntryPoint, its simulations, SimpleAccount and its factory ---------------

_EP = "EntryPoint"
GET_NONCE = Function(_EP, "getNonce(address,uint192)", ("uint256",))
DEPOSIT_OF = Function(_EP, "balanceOf(address)", ("uint256",))
HANDLE_OPS = Function(_EP, f"handleOps({PACKED_USEROP}[],address)")
SIMULATE_HANDLE_OP = Function(
    "EntryPointSimulations",
    f"simulateHandleOp({PACKED_USEROP},address,bytes)",
    (EXECUTION_RESULT,),
)

USER_OPERATION_EVENT = Event(
    _EP, "UserOperationEvent(bytes32,address,address,uint256,bool,uint256,uint256)"
)
USER_OPERATION_REVERT_REASON = Event(
    _EP, "UserOperationRevertReason(bytes32,address,uint256,bytes)"
)
USER_OPERATION_PREFUND_TOO_LOW = Event(_EP, "UserOperationPrefundTooLow(bytes32,address,uint256)")
ACCOUNT_DEPLOYED = Event(_EP, "AccountDeployed(bytes32,address,address,address)")
BEFORE_EXECUTION = Event(_EP, "BeforeExecution()")

EXECUTE = Function("SimpleAccount", "execute(address,uint256,bytes)")
EXECUTE_BATCH = Function("SimpleAccount", f"executeBatch({CALL}[])")
INITIALIZE_ACCOUNT = Function("SimpleAccount", "initialize(address)")
CREATE_ACCOUNT = Function("SimpleAccountFactory", "createAccount(address,uint256)", ("address",))
ACCOUNT_ADDRESS = Function("SimpleAccountFactory", "getAddress(address,uint256)", ("address",))
SENDER_CREATOR = Function("SimpleAccountFactory", "senderCreator()", ("address",))

ALL_FUNCTIONS: tuple[Function, ...] = tuple(
    value for value in dict(globals()).values() if isinstance(value, Function)
)
ALL_EVENTS: tuple[Event, ...] = tuple(
    value for value in dict(globals()).values() if isinstance(value, Event)
)

# --- values to and from those shapes --------------------------------------------------------


def guarded_legs(legs: Sequence[GuardedLeg]) -> list[LegStruct]:
    return [LegStruct(g.token, g.pool_fee, g.amount_in, g.min_out) for g in legs]


def unguarded_legs(legs: Sequence[PlannedLeg]) -> list[LegStruct]:
    """The legs with min-out 0: what a gas simulation runs (gas does not depend on it)."""
    return [LegStruct(p.token.address, p.token.fee, p.amount_in, 0) for p in legs]


def mandate_struct(m: Mandate) -> MandateStruct:
    return (
        m.keeper,
        m.max_slippage_bps,
        m.min_interval_s,
        m.twap_window_s,
        m.loss_budget_usdc,
        m.loss_window_s,
        m.loss_cap_usdc,
        m.batchable,
    )


def mandate_from_struct(raw: Sequence[Any]) -> Mandate:
    keeper, slippage, interval, window, budget, loss_window, cap, batchable = raw
    return Mandate(
        to_checksum_address(keeper),
        Bps(int(slippage)),
        int(interval),
        int(window),
        usdc_units(int(budget)),
        int(loss_window),
        usdc_units(int(cap)),
        bool(batchable),
    )


def decode_mandate(data: bytes) -> Mandate | None:
    """`mandate()`'s return data; None when no keeper is set (never set, or revoked)."""
    (raw,) = MANDATE_OF.decode(data)
    return None if int(raw[0], 16) == 0 else mandate_from_struct(raw)


def decode_allowed_pool(data: bytes) -> Pips | None:
    """`allowedPool(token)`: the fee tier the keeper may use, or None if not allowed."""
    allowed, fee = ALLOWED_POOL.decode(data)
    return Pips(int(fee)) if allowed else None


def owner_salt(label: str = "indexvault") -> bytes:
    """A readable salt; the factory binds it to the owner, so it needs no secrecy."""
    return keccak(text=label)


def usdc_amount_for(spend: int, fee_bps: int) -> int:
    """The least USDC `amount` with `amount - floor(amount * fee_bps / 10_000) >= spend`:
    what the owner approves so that, after the vault's fee (rounded down), `spend` is left
    for the legs."""
    if spend < 0 or not 0 <= fee_bps < BPS:
        raise InvalidValue(
            f"bad spend {spend} or fee {fee_bps} bps", name="spend", value=(spend, fee_bps)
        )
    amount = -(-spend * BPS // (BPS - fee_bps))  # ceil(spend / (1 - fee))
    while amount - amount * fee_bps // BPS < spend:  # pragma: no cover - ceil is exact
        amount += 1
    while amount > 0 and (amount - 1) - (amount - 1) * fee_bps // BPS >= spend:
        amount -= 1
    return amount
