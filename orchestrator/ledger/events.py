"""Read one vault's history from the chain into typed records (`ledger.event_records`).

    events = read_vault_events(w3, vault_address)        # eth_getLogs + block timestamps
    actions = group_actions(events)                      # pure (event_records)

Reads the vault's own logs and the factory's `VaultCreated` for it (filtered on the
vault's indexed topic), decoded with the ABIs in `abi/`, ordered by (block, log index).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, TypedDict, cast

from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3TypeError
from web3.types import BlockIdentifier, FilterParams, LogReceipt

from orchestrator.artifacts.load import load_artifact
from orchestrator.chain.bindings import bind_ours
from orchestrator.chain.vault_binding import Mandate
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

__all__ = ["block_timestamps", "decode_log", "read_vault_events"]

BLOCK_BATCH = 100  # blocks per JSON-RPC batch when fetching timestamps


# -- decoding (pure given the ABI) ----------------------------------------------------------
@cache
def _topics(name: str) -> dict[str, str]:
    """topic0 (0x hex) → event name, for one of our artifacts."""
    return {
        "0x" + event_abi_to_log_topic(cast(Any, entry)).hex(): str(entry["name"])
        for entry in load_artifact(name).abi
        if entry.get("type") == "event"
    }


def _topic_of(name: str, event: str) -> str:
    return next(topic for topic, found in _topics(name).items() if found == event)


def decode_log(
    contract: Contract, log: LogReceipt, timestamp_s: int, *, artifact: str = "IndexVault"
) -> VaultEvent | None:
    """A log of `contract` (whose ABI is `abi/<artifact>.json`) as its record; None for an
    event the ledger ignores (the factory's fee and admin events)."""
    name = _topics(artifact).get(log["topics"][0].to_0x_hex())
    if name is None:
        return None
    args = getattr(contract.events, name)().process_log(log)["args"]
    at = _At(
        block_number=int(log["blockNumber"]),
        log_index=int(log["logIndex"]),
        tx_hash=log["transactionHash"].to_0x_hex(),
        timestamp_s=timestamp_s,
    )
    return _record(name, at, args)


def _mandate(raw: Any) -> Mandate:
    fields = raw.values() if isinstance(raw, Mapping) else raw
    keeper, slippage, interval, window, budget, loss_window, cap = fields
    return Mandate(str(keeper), int(slippage), int(interval), int(window), int(budget),
                   int(loss_window), int(cap))  # fmt: skip


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
    w3: Web3,
    vault: str,
    *,
    factory: str | None = None,
    from_block: int = 0,
    to_block: BlockIdentifier = "latest",
    max_block_range: int | None = None,
) -> list[VaultEvent]:
    """Every event of `vault` in the block range, with the factory's `VaultCreated` for it
    (`factory` defaults to the vault's own `factory()`). `max_block_range` splits the
    eth_getLogs calls for providers that cap the range. Block timestamps are fetched once
    per block (JSON-RPC batches where the provider supports them)."""
    vault = to_checksum_address(vault)
    if not w3.eth.get_code(vault):
        raise MissingContract(name="IndexVault", address=vault)
    contract = bind_ours(w3, "IndexVault", vault)
    factory_contract = bind_ours(
        w3, "VaultFactory", factory or str(contract.functions.factory().call())
    )
    last = int(w3.eth.get_block(to_block)["number"])
    vault_topic = "0x" + "00" * 12 + vault[2:].lower()
    created_filter: FilterParams = {
        "address": factory_contract.address,
        "topics": [_topic_of("VaultFactory", "VaultCreated"), None, vault_topic],
    }
    vault_filter: FilterParams = {"address": contract.address}
    sources = (
        (contract, "IndexVault", vault_filter),
        (factory_contract, "VaultFactory", created_filter),
    )
    logs = [
        (bound, artifact, log)
        for bound, artifact, query in sources
        for log in _logs(w3, query, from_block, last, max_block_range)
    ]
    times = block_timestamps(w3, {int(log["blockNumber"]) for _, _, log in logs})
    events = (
        decode_log(bound, log, times[int(log["blockNumber"])], artifact=artifact)
        for bound, artifact, log in logs
    )
    return sorted((e for e in events if e is not None), key=lambda e: (e.block_number, e.log_index))


def _logs(
    w3: Web3, base: FilterParams, first: int, last: int, max_range: int | None
) -> list[LogReceipt]:
    step = max_range if max_range and max_range > 0 else max(last - first + 1, 1)
    found: list[LogReceipt] = []
    for start in range(first, last + 1, step):
        query: FilterParams = {**base, "fromBlock": start, "toBlock": min(start + step - 1, last)}
        found += [log for log in w3.eth.get_logs(query) if not log.get("removed", False)]
    return found


def block_timestamps(w3: Web3, blocks: Iterable[int]) -> dict[int, int]:
    """Each block's timestamp, each block fetched once."""
    wanted = sorted(set(blocks))
    times: dict[int, int] = {}
    for start in range(0, len(wanted), BLOCK_BATCH):
        chunk = wanted[start : start + BLOCK_BATCH]
        try:
            with w3.batch_requests() as batch:
                for number in chunk:
                    batch.add(w3.eth.get_block(number))
                headers: list[Any] = list(batch.execute())
        except Web3TypeError:  # the provider has no batching (eth-tester): one by one
            headers = [w3.eth.get_block(number) for number in chunk]
        for number, header in zip(chunk, headers, strict=True):
            times[number] = int(header["timestamp"])
    return times
