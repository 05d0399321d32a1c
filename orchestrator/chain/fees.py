"""EIP-1559 fee suggestion: the next base fee from the latest header, tips from
`eth_feeHistory`.

The next block's base fee is computed with the EIP-1559 update rule from the latest
header rather than read from `eth_feeHistory`'s extra entry: eth-tester's fee history
lists blocks newest-first and its extra entry is not the next block's base fee, while the
header arithmetic is exact on every backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

from orchestrator.chain.backends import Chain

__all__ = [
    "FEE_HISTORY_BLOCKS",
    "FEE_PERCENTILE",
    "Fees",
    "fees_from",
    "next_base_fee",
    "suggest_fees",
]

ELASTICITY_MULTIPLIER = 2
BASE_FEE_MAX_CHANGE_DENOMINATOR = 8


@dataclass(frozen=True)
class Fees:
    """Fee caps in wei per gas. `likely_fee_per_gas` is what a tx should pay next block."""

    base_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int

    @property
    def likely_fee_per_gas(self) -> int:
        return self.base_fee_per_gas + self.max_priority_fee_per_gas


def next_base_fee(block: Mapping[str, Any]) -> int:
    """EIP-1559: the base fee of the block after `block` (integer arithmetic, as specified)."""
    base = int(block["baseFeePerGas"])
    used = int(block["gasUsed"])
    target = int(block["gasLimit"]) // ELASTICITY_MULTIPLIER
    if used == target:
        return base
    if used > target:
        delta = max(base * (used - target) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR, 1)
        return base + delta
    return base - base * (target - used) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR


FEE_HISTORY_BLOCKS = 10
FEE_PERCENTILE = 50


def suggest_fees(
    chain: Chain,
    *,
    blocks: int = FEE_HISTORY_BLOCKS,
    percentile: int = FEE_PERCENTILE,
    min_priority_wei: int = 0,
) -> Fees:
    """The tip is the median of recent blocks' `percentile`-th tips (from eth_feeHistory);
    `max_fee` = 2 x next base fee + tip, so the tx stays valid through several full blocks
    (each can raise the base fee by 12.5%)."""
    latest = chain.w3.eth.get_block("latest")
    history = chain.w3.eth.fee_history(blocks, "latest", [percentile])
    rewards = [int(r[0]) for r in history.get("reward") or [] if r]
    return fees_from(latest, rewards, min_priority_wei=min_priority_wei)


def fees_from(
    latest: Mapping[str, Any], tips_wei: Sequence[int], *, min_priority_wei: int = 0
) -> Fees:
    """Pure: the fees for the block after `latest`, the tip the median of recent `tips_wei`
    (a fee history's percentile per block)."""
    base = next_base_fee(latest)
    tip = max(int(median(tips_wei)) if tips_wei else 0, min_priority_wei)
    return Fees(base_fee_per_gas=base, max_priority_fee_per_gas=tip, max_fee_per_gas=2 * base + tip)
