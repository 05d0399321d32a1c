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

from orchestrator.chain.backends import Chain
from orchestrator.chain.multicall import aggregate_raw
from orchestrator.chain.reverts import decode_revert_data
from orchestrator.chain.vault_binding import (
    ALLOWED_POOL,
    BALANCE_OF,
    LOSS_USED,
    MANDATE_OF,
    ORACLE_QUOTE,
    VAULT_CREATED,
    decode_allowed_pool,
    decode_mandate,
)
from orchestrator.domain.legs import Direction, TokenRef
from orchestrator.domain.mandate import Mandate
from orchestrator.domain.units import Pips, TokenUnits, UsdcUnits, usdc_units
from orchestrator.localmarket.addressbook import AddressBook

__all__ = [
    "VaultState",
    "discover_vaults",
    "oracle_floors",
    "read_vault_states",
]

CALLS_PER_BATCH = 800  # sub-calls per eth_call
LOG_RANGE_BLOCKS = 10_000  # blocks per eth_getLogs (public RPCs cap the range)


@dataclass(frozen=True)
class VaultState:
    vault: str
    owner: str
    mandate: Mandate | None  # None: never set, or the keeper was revoked
    loss_used_usdc: UsdcUnits  # after leaking, as of the block read
    last_rebalance_s: int  # 0: never
    loss_spent_usdc: UsdcUnits  # total loss under the current mandate (vs its loss cap)
    balances: dict[str, TokenUnits]  # symbol -> base units (opted-in vaults only)
    cash_usdc: UsdcUnits
    allowed: dict[str, Pips]  # symbol -> the only fee tier the keeper may use

    def opted_in(self, keeper: str) -> bool:
        return self.mandate is not None and self.mandate.keeper.lower() == keeper.lower()


def discover_vaults(
    chain: Chain, factory: str, *, from_block: int, to_block: int
) -> list[tuple[str, str, int]]:
    """(vault, owner, block) of every `VaultCreated` in [from_block, to_block]."""
    found: list[tuple[str, str, int]] = []
    start = from_block
    while start <= to_block:
        end = min(to_block, start + LOG_RANGE_BLOCKS - 1)
        logs = chain.logs(factory, [VAULT_CREATED.topic_hex], from_block=start, to_block=end)
        for log in logs:
            owner = to_checksum_address(bytes(log["topics"][1])[-20:])
            vault = to_checksum_address(bytes(log["topics"][2])[-20:])
            found.append((vault, owner, int(log["blockNumber"])))
        start = end + 1
    return found


def _batched(
    chain: Chain, aggregator: str, calls: Sequence[tuple[str, bytes]]
) -> list[tuple[bool, bytes]]:
    out: list[tuple[bool, bytes]] = []
    for i in range(0, len(calls), CALLS_PER_BATCH):
        out += aggregate_raw(chain, aggregator, calls[i : i + CALLS_PER_BATCH])
    return out


def read_vault_states(
    chain: Chain, book: AddressBook, vaults: Sequence[tuple[str, str]], *, keeper: str
) -> list[VaultState]:
    """Every vault's mandate; balances and allowlist for the vaults that opted in to
    `keeper`. A vault whose reads fail (not a vault) reads as not opted in."""
    mc = book.contracts.multicall3
    reads = (MANDATE_OF.call(), LOSS_USED.call())
    phase1 = _batched(chain, mc, [(v, data) for v, _ in vaults for data in reads])
    mandates: list[tuple[Mandate | None, tuple[UsdcUnits, int, UsdcUnits]]] = []
    for i in range(len(vaults)):
        (ok_m, m_data), (ok_l, l_data) = phase1[2 * i], phase1[2 * i + 1]
        used, last, spent = LOSS_USED.decode(l_data) if ok_l else (0, 0, 0)
        mandate = decode_mandate(m_data) if ok_m else None
        mandates.append((mandate, (usdc_units(int(used)), int(last), usdc_units(int(spent)))))
    ours = [i for i, (m, _) in enumerate(mandates)
            if m is not None and m.keeper.lower() == keeper.lower()]  # fmt: skip
    tokens = book.tokens
    per_vault = 2 * len(tokens) + 1
    calls: list[tuple[str, bytes]] = []
    for i in ours:
        vault = vaults[i][0]
        balance_of = BALANCE_OF.call(vault)
        calls += [(t.address, balance_of) for t in tokens]
        calls.append((book.contracts.usdc, balance_of))
        calls += [(vault, ALLOWED_POOL.call(t.address)) for t in tokens]
    phase2 = _batched(chain, mc, calls)
    details: dict[int, tuple[dict[str, TokenUnits], UsdcUnits, dict[str, Pips]]] = {}
    for n, i in enumerate(ours):
        chunk = phase2[n * per_vault : (n + 1) * per_vault]
        balances = {
            t.symbol: TokenUnits(int.from_bytes(chunk[k][1], "big") if chunk[k][0] else 0)
            for k, t in enumerate(tokens)
        }
        cash = usdc_units(int.from_bytes(chunk[len(tokens)][1], "big"))
        allowed: dict[str, Pips] = {}
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
        balances, cash, allowed = details.get(i, ({}, usdc_units(0), {}))
        states.append(VaultState(vault, owner, mandate, used, last, spent, balances, cash, allowed))
    return states


def oracle_floors(
    chain: Chain, book: AddressBook, vault: str, legs: Sequence[tuple[TokenRef, Direction, int]]
) -> list[tuple[int, int] | str]:
    """(reference output, least min-out the vault accepts) per leg, from `vault.oracleQuote`
    under its current mandate, in one call. Where the vault's price guard would refuse the
    leg, its reason in words instead (the decoded error `rebalance` would raise: the pool's
    history is shorter than the window, its oracle ring is too small, or its price moved more
    than the max slippage within the window)."""
    calls = [
        (vault, ORACLE_QUOTE.call(token.address, token.fee, amount_in, direction is Direction.SELL))
        for token, direction, amount_in in legs
    ]
    out: list[tuple[int, int] | str] = []
    for ok, data in _batched(chain, book.contracts.multicall3, calls):
        if ok:
            reference_out, least = ORACLE_QUOTE.decode(data)
            out.append((int(reference_out), int(least)))
        else:
            out.append(guard_reason(data))
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
