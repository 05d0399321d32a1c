"""Event logs: read (eth_getLogs, ranges split for providers that cap them), decoded against
one of our artifacts' ABI, with their blocks' timestamps fetched once per block (JSON-RPC
batches where the provider supports them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from web3.contract import Contract
from web3.exceptions import Web3TypeError
from web3.types import FilterParams, LogReceipt

from orchestrator.artifacts.load import load_artifact
from orchestrator.chain.backends import Chain
from orchestrator.chain.bindings import bind_ours

__all__ = ["DecodedLog", "EventSource", "address_topic", "block_timestamps", "read_events"]

BLOCK_BATCH = 100  # blocks per JSON-RPC batch when fetching timestamps


@dataclass(frozen=True)
class EventSource:
    """The events of `artifact` emitted by `address`, optionally filtered on topics."""

    artifact: str  # an ABI in abi/ (IndexVault, VaultFactory)
    address: str
    topics: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class DecodedLog:
    event: str
    args: Mapping[str, Any]
    block_number: int
    log_index: int
    tx_hash: str
    timestamp_s: int


@cache
def _names(artifact: str) -> dict[str, str]:
    """topic0 (0x hex) -> event name, for one of our artifacts."""
    return {
        "0x" + event_abi_to_log_topic(cast(Any, entry)).hex(): str(entry["name"])
        for entry in load_artifact(artifact).abi
        if entry.get("type") == "event"
    }


def _raw_logs(
    chain: Chain, base: FilterParams, first: int, last: int, max_range: int | None
) -> list[LogReceipt]:
    step = max_range if max_range and max_range > 0 else max(last - first + 1, 1)
    found: list[LogReceipt] = []
    for start in range(first, last + 1, step):
        query: FilterParams = {**base, "fromBlock": start, "toBlock": min(start + step - 1, last)}
        found += [log for log in chain.w3.eth.get_logs(query) if not log.get("removed", False)]
    return found


def read_events(
    chain: Chain,
    sources: Sequence[EventSource],
    *,
    from_block: int,
    to_block: int,
    max_block_range: int | None = None,
) -> list[DecodedLog]:
    """Every event of `sources` in [from_block, to_block] known to their ABIs, with the
    block's timestamp, in (block, log index) order."""
    found: list[tuple[Contract, str, LogReceipt]] = []
    for source in sources:
        bound = bind_ours(chain.w3, source.artifact, source.address)
        query: FilterParams = {"address": bound.address}
        if source.topics:
            query["topics"] = list(source.topics)
        for log in _raw_logs(chain, query, from_block, to_block, max_block_range):
            name = _names(source.artifact).get(log["topics"][0].to_0x_hex())
            if name is not None:
                found.append((bound, name, log))
    times = block_timestamps(chain, {int(log["blockNumber"]) for _, _, log in found})
    decoded = [
        DecodedLog(
            event=name,
            args=getattr(bound.events, name)().process_log(log)["args"],
            block_number=int(log["blockNumber"]),
            log_index=int(log["logIndex"]),
            tx_hash=log["transactionHash"].to_0x_hex(),
            timestamp_s=times[int(log["blockNumber"])],
        )
        for bound, name, log in found
    ]
    return sorted(decoded, key=lambda d: (d.block_number, d.log_index))


def block_timestamps(chain: Chain, blocks: Iterable[int]) -> dict[int, int]:
    """Each block's timestamp, each block fetched once."""
    w3 = chain.w3
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


def address_topic(address: str) -> str:
    """An address as an indexed topic (32 bytes, left-padded)."""
    return "0x" + "00" * 12 + to_checksum_address(address)[2:].lower()
