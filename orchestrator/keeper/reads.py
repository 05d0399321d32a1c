"""The keeper's chain reads: vault discovery from factory events, and every vault's
mandate, holdings and allowlist in a few batched `eth_call`s (Multicall3).

Two phases keep opted-out vaults cheap: phase 1 reads `mandate()` and `lossUsed()` of
every vault (2 sub-calls each); phase 2 reads balances and the allowlist only of the vaults
whose keeper is us (2 sub-calls per token each). Sub-calls are chunked so that no single
`eth_call` grows past what a node serves comfortably."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from orchestrator.chain.abi import decode as abi_decode
from orchestrator.chain.abi import encode as abi_encode
from orchestrator.chain.multicall import aggregate_raw, selector
from orchestrator.chain.reverts import decode_revert_data
from orchestrator.chain.vault_binding import (
    LOSS_USED_CALL,
    MANDATE_CALL,
    Mandate,
    allowed_pool_call,
    decode_allowed_pool,
    decode_loss_used,
    decode_mandate,
)
from orchestrator.domain.legs import Direction, TokenRef
from orchestrator.localmarket.addressbook import AddressBook

__all__ = [
    "VaultState",
    "discover_vaults",
    "oracle_floors",
    "read_vault_states",
]

VAULT_CREATED = keccak(text="VaultCreated(address,address,bytes32)")
CALLS_PER_BATCH = 800  # sub-calls per eth_call
LOG_RANGE_BLOCKS = 10_000  # blocks per eth_getLogs (public RPCs cap the range)

_BALANCE_OF = selector("balanceOf(address)")
_ORACLE_QUOTE = selector("oracleQuote(address,uint24,uint256,bool)")


@dataclass(frozen=True)
class VaultState:
    vault: str
    owner: str
    mandate: Mandate | None  # None: never set, or the keeper was revoked
    loss_used_usdc: int  # after leaking, as of the block read
    last_rebalance_s: int  # 0: never
    loss_spent_usdc: int  # total loss under the current mandate (vs mandate.loss_cap_usdc)
    balances: dict[str, int]  # symbol -> base units (opted-in vaults only)
    cash_usdc: int
    allowed: dict[str, int]  # symbol -> the only fee tier the keeper may use

    def opted_in(self, keeper: str) -> bool:
        return self.mandate is not None and self.mandate.keeper.lower() == keeper.lower()


def discover_vaults(
    w3: Web3, factory: str, *, from_block: int, to_block: int
) -> list[tuple[str, str, int]]:
    """(vault, owner, block) of every `VaultCreated` in [from_block, to_block]."""
    found: list[tuple[str, str, int]] = []
    start = from_block
    while start <= to_block:
        end = min(to_block, start + LOG_RANGE_BLOCKS - 1)
        logs = w3.eth.get_logs(
            {
                "address": to_checksum_address(factory),
                "topics": ["0x" + VAULT_CREATED.hex()],
                "fromBlock": start,
                "toBlock": end,
            }
        )
        for log in logs:
            owner = to_checksum_address(bytes(log["topics"][1])[-20:])
            vault = to_checksum_address(bytes(log["topics"][2])[-20:])
            found.append((vault, owner, int(log["blockNumber"])))
        start = end + 1
    return found


def _batched(
    w3: Web3, aggregator: str, calls: Sequence[tuple[str, bytes]]
) -> list[tuple[bool, bytes]]:
    out: list[tuple[bool, bytes]] = []
    for i in range(0, len(calls), CALLS_PER_BATCH):
        out += aggregate_raw(w3, aggregator, calls[i : i + CALLS_PER_BATCH])
    return out


def read_vault_states(
    w3: Web3, book: AddressBook, vaults: Sequence[tuple[str, str]], *, keeper: str
) -> list[VaultState]:
    """Every vault's mandate; balances and allowlist for the vaults that opted in to
    `keeper`. A vault whose reads fail (not a vault) reads as not opted in."""
    mc = book.contracts.multicall3
    phase1 = _batched(
        w3, mc, [c for v, _ in vaults for c in ((v, MANDATE_CALL), (v, LOSS_USED_CALL))]
    )
    mandates: list[tuple[Mandate | None, tuple[int, int, int]]] = []
    for i in range(len(vaults)):
        (ok_m, m_data), (ok_l, l_data) = phase1[2 * i], phase1[2 * i + 1]
        loss = decode_loss_used(l_data) if ok_l else (0, 0, 0)
        mandates.append((decode_mandate(m_data) if ok_m else None, loss))
    ours = [i for i, (m, _) in enumerate(mandates)
            if m is not None and m.keeper.lower() == keeper.lower()]  # fmt: skip
    tokens = book.tokens
    per_vault = 2 * len(tokens) + 1
    calls: list[tuple[str, bytes]] = []
    for i in ours:
        vault = vaults[i][0]
        holder = abi_encode(["address"], [vault])
        calls += [(t.address, _BALANCE_OF + holder) for t in tokens]
        calls.append((book.contracts.usdc, _BALANCE_OF + holder))
        calls += [(vault, allowed_pool_call(t.address)) for t in tokens]
    phase2 = _batched(w3, mc, calls)
    details: dict[int, tuple[dict[str, int], int, dict[str, int]]] = {}
    for n, i in enumerate(ours):
        chunk = phase2[n * per_vault : (n + 1) * per_vault]
        balances = {t.symbol: int.from_bytes(chunk[k][1], "big") if chunk[k][0] else 0
                    for k, t in enumerate(tokens)}  # fmt: skip
        cash = int.from_bytes(chunk[len(tokens)][1], "big")
        allowed: dict[str, int] = {}
        for k, t in enumerate(tokens):
            ok, data = chunk[len(tokens) + 1 + k]
            fee = decode_allowed_pool(data) if ok else None
            if fee is not None:
                allowed[t.symbol] = fee
        details[i] = (balances, cash, allowed)
    states = []
    for i, ((vault, owner), (mandate, (used, last, spent))) in enumerate(
        zip(vaults, mandates, strict=True)
    ):
        balances, cash, allowed = details.get(i, ({}, 0, {}))
        states.append(VaultState(vault, owner, mandate, used, last, spent, balances, cash, allowed))
    return states


def oracle_floors(
    w3: Web3, book: AddressBook, vault: str, legs: Sequence[tuple[TokenRef, Direction, int]]
) -> list[tuple[int, int] | str]:
    """(reference output, least min-out the vault accepts) per leg, from `vault.oracleQuote`
    under its current mandate, in one call. Where the vault's price guard would refuse the
    leg, its reason in words instead (the decoded error `rebalance` would raise: the pool's
    history is shorter than the window, its oracle ring is too small, or its price moved more
    than the max slippage within the window)."""
    calls = [
        (vault, _ORACLE_QUOTE + abi_encode(
            ["address", "uint24", "uint256", "bool"],
            [token.address, token.fee, amount_in, direction is Direction.SELL],
        ))
        for token, direction, amount_in in legs
    ]  # fmt: skip
    out: list[tuple[int, int] | str] = []
    for ok, data in _batched(w3, book.contracts.multicall3, calls):
        out.append(tuple(abi_decode(["uint256", "uint256"], data)) if ok else guard_reason(data))
    return out


NO_TWAP = "no TWAP for the mandate's window yet"
UNSETTLED = "price moved more than the mandate's max slippage within its window"


def guard_reason(revert_data: bytes) -> str:
    """Why the vault's price guard refuses a leg, in words, from `oracleQuote`'s revert."""
    error = decode_revert_data(revert_data)
    args = error.error_args
    if error.error_name == "OracleTooShort":
        return NO_TWAP
    if error.error_name == "PriceUnsettled":
        return f"{UNSETTLED} (spot tick {args[1]}, window halves {args[2]} and {args[3]})"
    if error.error_name == "CardinalityTooLow":
        return (
            f"the pool's oracle holds {args[1]} observations and the window needs {args[2]}: "
            "anyone can raise it with increaseObservationCardinalityNext"
        )
    return f"the vault refuses the leg: {error}"
