"""EIP-1559 fee suggestion from `eth_feeHistory`."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from web3 import Web3

__all__ = ["Fees", "suggest_fees"]


@dataclass(frozen=True)
class Fees:
    """Fee caps in wei per gas. `likely_fee_per_gas` is what a tx should pay next block."""

    base_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int

    @property
    def likely_fee_per_gas(self) -> int:
        return self.base_fee_per_gas + self.max_priority_fee_per_gas


def suggest_fees(
    w3: Web3, *, blocks: int = 10, percentile: int = 50, min_priority_wei: int = 0
) -> Fees:
    """Next block's base fee from the history's last entry; the tip is the median of the
    `percentile`-th tips of recent blocks. `max_fee` = 2 x base + tip, so the tx stays
    valid through several full blocks (each may raise the base fee by 12.5%)."""
    history = w3.eth.fee_history(blocks, "latest", [percentile])
    base_fees = list(history["baseFeePerGas"])
    next_base = int(base_fees[-1]) if base_fees else 0
    rewards = [int(r[0]) for r in history.get("reward") or [] if r]
    tip = max(int(median(rewards)) if rewards else 0, min_priority_wei)
    return Fees(
        base_fee_per_gas=next_base,
        max_priority_fee_per_gas=tip,
        max_fee_per_gas=2 * next_base + tip,
    )
