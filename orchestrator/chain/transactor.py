"""Send transactions from a local key, on any backend, with reverts normalised.

Keys sign locally (`eth_sendRawTransaction`), the same on eth-tester, anvil and a testnet.
Nonces are tracked locally so a batch can be sent before waiting for receipts. A receipt
with status 0 is replayed as an `eth_call` on the block before it to recover the revert
reason, then raised as `ContractReverted` carrying the tx hash.

A node refusing a signed transaction says why only in words; `_rejection` is the one place
that reads them, into `TransactionRejected.reason` ("nonce_used", "already_known" or
"other"), which callers branch on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import TimeExhausted
from web3.types import Nonce, TxParams, TxReceipt, Wei

from orchestrator.artifacts.load import Artifact
from orchestrator.chain.backends import Chain
from orchestrator.chain.fees import Fees, suggest_fees
from orchestrator.chain.reverts import is_revert, revert_from_exception
from orchestrator.errors import (
    ContractReverted,
    IndexVaultError,
    NotIncludedYet,
    RejectionReason,
    TransactionRejected,
    UnexpectedAnswer,
)

__all__ = [
    "GAS_ESTIMATE_MARGIN_PCT",
    "Sendable",
    "SignedTx",
    "Transactor",
    "TxParams",
    "TxReceipt",
]

Sendable = ContractFunction | ContractConstructor | TxParams
GAS_ESTIMATE_MARGIN_PCT = 20


@dataclass(frozen=True)
class SignedTx:
    raw: HexBytes
    tx_hash: HexBytes
    nonce: int
    gas: int


class Transactor:
    """One signer on one chain. Not thread-safe (it owns the signer's nonce)."""

    def __init__(self, chain: Chain, account: LocalAccount) -> None:
        self.chain = chain
        self.account = account
        self.address = account.address
        self._nonce: int | None = None
        self._fees: Fees | None = None

    # -- building ----------------------------------------------------------------------
    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = int(self.chain.w3.eth.get_transaction_count(self.address, "pending"))
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def resync(self) -> None:
        """Forget the cached nonce and fees (after a chain snapshot was reverted)."""
        self._nonce = None
        self._fees = None

    def fees(self, *, refresh: bool = False) -> Fees:
        if self._fees is None or refresh:
            self._fees = suggest_fees(self.chain)
        return self._fees

    def _base_params(self, what: Sendable, value: int) -> TxParams:
        """from/to/data/value, encoded locally (web3's build_transaction costs an RPC)."""
        params: TxParams = {"from": self.address, "value": Wei(value)}
        if isinstance(what, ContractFunction):
            params["to"] = what.address
            params["data"] = what._encode_transaction_data()
        elif isinstance(what, ContractConstructor):
            params["data"] = what.data_in_transaction
        else:
            params.update(what)
        return params

    def estimate_gas(self, what: Sendable, *, value: int = 0) -> int:
        params = self._base_params(what, value)
        try:
            return int(self.chain.w3.eth.estimate_gas(params))
        except Exception as error:
            raise self._normalise(error) from error

    # -- sending -----------------------------------------------------------------------
    def sign(self, what: Sendable, *, gas: int | None = None, value: int = 0) -> SignedTx:
        """Build and sign with the next nonce, without sending: a caller that must journal
        a transaction before it exists on the network (crash safety) signs, records the
        hash, then `broadcast`s the same bytes (re-broadcasting them is harmless)."""
        params = self._base_params(what, value)
        if gas is None:
            gas = self.estimate_gas(params, value=value) * (100 + GAS_ESTIMATE_MARGIN_PCT) // 100
        fees = self.fees()
        nonce = self._next_nonce()
        params.update(
            {
                "gas": gas,
                "nonce": Nonce(nonce),
                "chainId": self.chain.chain_id,
                "maxFeePerGas": Wei(max(fees.max_fee_per_gas, 1)),
                "maxPriorityFeePerGas": Wei(fees.max_priority_fee_per_gas),
                "type": 2,
            }
        )
        signed = self.account.sign_transaction(dict(params))  # type: ignore[arg-type]
        return SignedTx(HexBytes(signed.raw_transaction), HexBytes(signed.hash), nonce, gas)

    def broadcast(self, raw: bytes) -> HexBytes:
        """Submit signed bytes; returns the tx hash."""
        try:
            return HexBytes(self.chain.w3.eth.send_raw_transaction(raw))
        except Exception as error:
            self._nonce = None  # re-read: the node may or may not have taken the nonce
            raise self._normalise(error) from error

    def send_nowait(self, what: Sendable, *, gas: int | None = None, value: int = 0) -> HexBytes:
        """Sign and submit; returns the tx hash without waiting for the receipt. A nonce
        the node rejects (another Transactor on the same key sent meanwhile) is re-read
        and the call signed once more: a rejected transaction was not taken, so this
        cannot send twice. Callers that journal signed bytes use `sign`/`broadcast`."""
        signed = self.sign(what, gas=gas, value=value)
        try:
            return self.broadcast(signed.raw)
        except TransactionRejected as error:
            if error.reason != "nonce_used":
                raise
            return self.broadcast(self.sign(what, gas=signed.gas, value=value).raw)

    def wait(self, tx_hash: HexBytes, *, timeout_s: float = 120.0) -> TxReceipt:
        try:
            receipt = self.chain.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=timeout_s, poll_latency=0.005 if self.chain.is_local else 0.5
            )  # a local node mines at once: polling every 100 ms (web3's default) wastes ~40%
        except TimeExhausted as error:
            raise NotIncludedYet(
                f"transaction {tx_hash.to_0x_hex()}", waited_s=timeout_s
            ) from error
        except Exception as error:
            raise self._normalise(error, tx_hash=tx_hash.to_0x_hex()) from error
        if receipt["status"] != 1:
            raise self._explain_failure(tx_hash, receipt)
        return receipt

    def send(self, what: Sendable, *, gas: int | None = None, value: int = 0) -> TxReceipt:
        """Sign, submit, wait; raises ContractReverted (decoded) if it reverted."""
        return self.wait(self.send_nowait(what, gas=gas, value=value))

    def send_all(self, batch: Sequence[tuple[Sendable, int]]) -> list[TxReceipt]:
        """Submit every (call, gas) back to back, then wait for all receipts in order."""
        hashes = [self.send_nowait(what, gas=gas) for what, gas in batch]
        return [self.wait(h) for h in hashes]

    def constructor(self, artifact: Artifact, *args: Any) -> ContractConstructor:
        """`artifact`'s constructor call with `args`, to send (or `send_all`)."""
        factory = self.chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        return factory.constructor(*args)

    def deploy(self, artifact: Artifact, *args: Any, gas: int | None = None) -> Contract:
        receipt = self.send(self.constructor(artifact, *args), gas=gas)
        address = receipt["contractAddress"]
        if address is None:
            raise UnexpectedAnswer(self.chain.label, f"deploying {artifact.name} gave no address")
        return self.chain.w3.eth.contract(address=address, abi=artifact.abi)

    # -- errors --------------------------------------------------------------------------
    def _explain_failure(self, tx_hash: HexBytes, receipt: TxReceipt) -> IndexVaultError:
        tx = self.chain.w3.eth.get_transaction(tx_hash)
        replay: TxParams = {"from": tx["from"], "to": tx["to"], "data": tx["input"],
                            "value": tx["value"], "gas": tx["gas"]}  # fmt: skip
        try:
            self.chain.w3.eth.call(replay, block_identifier=receipt["blockNumber"] - 1)
        except Exception as error:
            return self._normalise(error, tx_hash=tx_hash.to_0x_hex())
        used = receipt["gasUsed"]
        return ContractReverted(
            "out of gas" if used >= tx["gas"] else "reverted (no reason on replay)",
            (used, tx["gas"]),
            tx_hash=tx_hash.to_0x_hex(),
            hint="Raise the gas limit." if used >= tx["gas"] else None,
        )

    def _normalise(self, error: BaseException, *, tx_hash: str | None = None) -> IndexVaultError:
        """A revert (decoded), or the node's refusal of the transaction. Transport failures
        arrive here as RpcUnavailable already (the chain's middleware)."""
        if isinstance(error, IndexVaultError):
            return error
        if is_revert(error):
            return revert_from_exception(error, tx_hash=tx_hash)
        text = f"{type(error).__name__}: {error}"
        return TransactionRejected(text, reason=_rejection(text), node=self.chain.label)


def _rejection(text: str) -> RejectionReason:
    """Why a node refused a signed transaction, from its words (geth, anvil, py-evm)."""
    lowered = text.lower()
    if "known" in lowered:
        return "already_known"
    if "nonce" in lowered:
        return "nonce_used"
    return "other"
