"""Chain access: the only package that talks to web3.

Backends (`connect`), a signer (`Transactor`), batched reads (`multicall`), fee suggestion
(`suggest_fees`) and revert normalisation (`revert_from_exception`).
"""

from orchestrator.chain.backends import (
    Chain,
    connect,
    connect_anvil,
    connect_eth_tester,
    connect_rpc,
)
from orchestrator.chain.fees import Fees, suggest_fees
from orchestrator.chain.multicall import CallResult, multicall
from orchestrator.chain.reverts import decode_revert_data, is_revert, revert_from_exception
from orchestrator.chain.transactor import Transactor

__all__ = [
    "CallResult",
    "Chain",
    "Fees",
    "Transactor",
    "connect",
    "connect_anvil",
    "connect_eth_tester",
    "connect_rpc",
    "decode_revert_data",
    "is_revert",
    "multicall",
    "revert_from_exception",
    "suggest_fees",
]
