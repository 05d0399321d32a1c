"""Read one vault's history from the chain into typed records (`ledger.event_records`).

    events = read_vault_events(chain, vault_address)     # eth_getLogs + block timestamps
    actions = group_actions(events)                      # pure (event_records)

Reads the vault's own logs and the factory's `VaultCreated` for it (filtered on the
vault's indexed topic), decoded with the ABIs in `abi/`, ordered by (block, log index).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from eth_utils.address import to_checksum_address

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.chain.logs import DecodedLog, EventSource, address_topic, read_events
from orchestrator.chain.vault_binding import VAULT_CREATED, VAULT_FACTORY, mandate_from_struct
from orchestrator.domain.mandate import Mandate
from orchestrator.errors import MissingContract
from orchestrator.ledger.event_records import (
    Bought,
    KeeperRevoked,
    MandateSet,
    Rebalanced,
    Sold,
    Swapped,
    VaultCreated,
    VaultEvent,
    WithdrawnInKind,
)

__all__ = ["read_vault_events"]


# -- records from decoded events (pure) ----------------------------------------------------
def _mandate(raw: Any) -> Mandate:
    return mandate_from_struct(list(raw.values()) if isinstance(raw, Mapping) else raw)


def _pool(raw: Any) -> tuple[str, int]:
    token, fee = raw.values() if isinstance(raw, Mapping) else raw
    return str(token), int(fee)


class _At(TypedDict):
    block_number: int
    log_index: int
    tx_hash: str
    timestamp_s: int


def _record(name: str, at: _At, a: Mapping[str, Any]) -> VaultEvent | None:
    if name == "Swapped":
        return Swapped(
            **at, token_in=a["tokenIn"], token_out=a["tokenOut"],
            amount_in=int(a["amountIn"]), amount_out=int(a["amountOut"]),
        )  # fmt: skip
    if name == "Bought":
        return Bought(
            **at, usdc_in=int(a["usdcIn"]), fee_usdc=int(a["fee"]),
            usdc_swapped=int(a["usdcSwapped"]),
        )  # fmt: skip
    if name == "Sold":
        return Sold(
            **at, proceeds_usdc=int(a["proceeds"]), cash_usdc=int(a["cash"]),
            fee_usdc=int(a["fee"]), paid_usdc=int(a["paid"]),
        )  # fmt: skip
    if name == "Rebalanced":
        return Rebalanced(
            **at, keeper=a["keeper"], loss_usdc=int(a["loss"]), loss_used_usdc=int(a["lossUsed"])
        )
    if name == "WithdrawnInKind":
        return WithdrawnInKind(
            **at, tokens=tuple(a["tokens"]), amounts=tuple(int(x) for x in a["amounts"])
        )
    if name == "MandateSet":
        return MandateSet(
            **at, mandate=_mandate(a["mandate"]), pools=tuple(_pool(p) for p in a["pools"]),
            epoch=int(a["epoch"]),
        )  # fmt: skip
    if name == "KeeperRevoked":
        return KeeperRevoked(**at, keeper=a["keeper"])
    if name == "VaultCreated":
        return VaultCreated(
            **at, owner=a["owner"], vault=a["vault"], salt="0x" + bytes(a["salt"]).hex()
        )
    return None  # the factory's fee, pause and admin events


# -- reading (I/O) --------------------------------------------------------------------------
def read_vault_events(
    chain: Chain,
    vault: str,
    *,
    factory: str | None = None,
    from_block: int = 0,
    to_block: int | None = None,
    max_block_range: int | None = None,
) -> list[VaultEvent]:
    """Every event of `vault` in the block range (to the latest block by default), with the
    factory's `VaultCreated` for it (`factory` defaults to the vault's own `factory()`).
    `max_block_range` splits the eth_getLogs calls for providers that cap the range."""
    vault = to_checksum_address(vault)
    if not chain.code(vault):
        raise MissingContract(name="IndexVault", address=vault)
    if factory is None:
        (factory,) = VAULT_FACTORY.decode(call_raw(chain, vault, VAULT_FACTORY.call()))
    sources = [
        EventSource("IndexVault", vault),
        EventSource("VaultFactory", factory, (VAULT_CREATED.topic_hex, None, address_topic(vault))),
    ]
    last = chain.block_number() if to_block is None else to_block
    logs = read_events(
        chain, sources, from_block=from_block, to_block=last, max_block_range=max_block_range
    )
    events = (_record(log.event, _at(log), log.args) for log in logs)
    return [e for e in events if e is not None]


def _at(log: DecodedLog) -> _At:
    return _At(
        block_number=log.block_number,
        log_index=log.log_index,
        tx_hash=log.tx_hash,
        timestamp_s=log.timestamp_s,
    )
