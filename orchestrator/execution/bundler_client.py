"""An ERC-4337 bundler over JSON-RPC (v0.7+ unpacked user-operation fields; EntryPoint v0.8).

Methods used: `eth_supportedEntryPoints`, `eth_estimateUserOperationGas`,
`eth_sendUserOperation`, `eth_getUserOperationReceipt`. The HTTP transport is injectable
(`httpx.MockTransport` in tests), so no network is needed to test it.

`submit` is idempotent per op hash: it looks the hash up first, checks the hash the bundler
returns against our own (a mismatch means another EntryPoint or chain), and answers a
"nonce already used" rejection with the existing receipt when there is one.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from eth_utils.address import to_checksum_address

from orchestrator.crashpoints import crash_point
from orchestrator.errors import (
    MAYBE_ALREADY_INCLUDED,
    BundlerError,
    BundlerUnreachable,
    ConfigError,
    RpcUnavailable,
    UnexpectedAnswer,
    UserOpNotIncluded,
    UserOpNotSent,
    UserOpRejected,
)
from orchestrator.execution.rejections import aa_code
from orchestrator.execution.userop_result import UserOpResult
from orchestrator.wallet.gas import dummy_signature
from orchestrator.wallet.userop import UserOperation
from orchestrator.wallet.userop_signing import user_op_hash

__all__ = ["BundlerClient", "BundlerGasEstimate"]

BUNDLER_DOWN_HINT = (
    "Check that the bundler is running and its URL is right (local network: `indexvault "
    "local status`; `indexvault local up` restarts it), then try again."
)


@dataclass(frozen=True)
class BundlerGasEstimate:
    pre_verification_gas: int
    verification_gas_limit: int
    call_gas_limit: int

    def apply(self, op: UserOperation) -> UserOperation:
        return op.replace(
            pre_verification_gas=self.pre_verification_gas,
            verification_gas_limit=self.verification_gas_limit,
            call_gas_limit=self.call_gas_limit,
            signature=b"",
        )


class BundlerClient:
    def __init__(
        self,
        url: str,
        *,
        entry_point: str,
        chain_id: int,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 30.0,
        poll_interval_s: float = 1.0,
        inclusion_timeout_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self._entry_point = to_checksum_address(entry_point)
        self.chain_id = chain_id
        self.poll_interval_s = poll_interval_s
        self.inclusion_timeout_s = inclusion_timeout_s  # how long `submit` waits for a receipt
        self._sleep = sleep
        self._ids = itertools.count(1)
        self._http = httpx.Client(transport=transport, timeout=timeout_s)

    @property
    def entry_point(self) -> str:
        return self._entry_point

    def close(self) -> None:
        self._http.close()

    # -- JSON-RPC ---------------------------------------------------------------------------
    def _rpc(self, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            response = self._http.post(self.url, json=body)
            response.raise_for_status()
            payload = response.json()
        except httpx.HTTPStatusError as error:
            retry = error.response.headers.get("Retry-After")
            later = f"; it asks to retry after {retry} s" if retry else ""
            raise RpcUnavailable(
                f"the bundler at {self.url} did not answer {method}: it answered HTTP "
                f"{error.response.status_code}{later}",
                hint=BUNDLER_DOWN_HINT,
            ) from error
        except httpx.ConnectError as error:  # no connection: the request never left
            raise BundlerUnreachable(
                f"the bundler at {self.url} did not answer {method}: it refused the "
                "connection (is it running, and is the URL right?)",
                url=self.url,
                hint=BUNDLER_DOWN_HINT,
            ) from error
        except httpx.TimeoutException as error:
            raise RpcUnavailable(
                f"the bundler at {self.url} did not answer {method} in time (timed out)",
                hint=BUNDLER_DOWN_HINT,
            ) from error
        except httpx.HTTPError as error:
            raise RpcUnavailable(
                f"the bundler at {self.url} did not answer {method}: it closed the connection "
                f"or could not be reached ({type(error).__name__})",
                hint=BUNDLER_DOWN_HINT,
            ) from error
        except ValueError as error:
            raise RpcUnavailable(
                f"the bundler at {self.url} did not answer {method}: its answer was not valid "
                "JSON (malformed or cut short)",
                hint=BUNDLER_DOWN_HINT,
            ) from error
        if not isinstance(payload, dict):
            raise RpcUnavailable(
                f"bundler {self.url} sent a non-object reply to {method}", hint=BUNDLER_DOWN_HINT
            )
        if payload.get("error") is not None:
            details = payload["error"]
            raise BundlerError(
                method, int(details.get("code", 0)), str(details.get("message", "")), url=self.url
            )
        return payload.get("result")

    def user_op_hash(self, op: UserOperation) -> str:
        return "0x" + user_op_hash(op, entry_point=self._entry_point, chain_id=self.chain_id).hex()

    def supported_entry_points(self) -> list[str]:
        return [to_checksum_address(a) for a in self._rpc("eth_supportedEntryPoints", [])]

    def _refusal(self, error: BundlerError, op_hash: str) -> UserOpRejected:
        return UserOpRejected(
            error.rpc_message,
            user_op_hash=op_hash,
            source=f"bundler {self.url}",
            rpc_code=error.code,
        )

    def estimate(self, op: UserOperation) -> BundlerGasEstimate:
        """The bundler's gas limits for `op` (signed with a placeholder is fine). An
        EntryPoint rejection ("AAnn") comes back as UserOpRejected."""
        try:
            result = self._rpc("eth_estimateUserOperationGas", [op.to_rpc(), self._entry_point])
        except BundlerError as error:
            if aa_code(error.rpc_message):
                raise self._refusal(error, self.user_op_hash(op)) from error
            raise
        try:
            return BundlerGasEstimate(
                pre_verification_gas=int(result["preVerificationGas"], 16),
                verification_gas_limit=int(result["verificationGasLimit"], 16),
                call_gas_limit=int(result["callGasLimit"], 16),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UnexpectedAnswer(
                f"bundler {self.url}",
                "malformed eth_estimateUserOperationGas result",
                answer=result,
            ) from error

    def fit(self, op: UserOperation) -> UserOperation:
        """`op` with a preVerificationGas this bundler accepts: at least its estimate (a
        bundler prices the bundle's calldata and overhead its own way, on an L2 the L1
        data fee too). The other limits stay as measured by simulation: a larger
        callGasLimit would only add to the EntryPoint's 10 % charge on unused call gas."""
        probe = op if op.signature else op.replace(signature=dummy_signature())
        estimate = self.estimate(probe)
        if estimate.pre_verification_gas <= op.pre_verification_gas:
            return op
        return op.replace(pre_verification_gas=estimate.pre_verification_gas, signature=b"")

    def send(self, op: UserOperation) -> str:
        """`eth_sendUserOperation`; returns the op hash after checking it is ours. Any
        JSON-RPC error means the bundler did not take the op: UserOpRejected."""
        wanted = self.user_op_hash(op)
        try:
            returned = self._rpc("eth_sendUserOperation", [op.to_rpc(), self._entry_point])
        except BundlerError as error:
            raise self._refusal(error, wanted) from error
        if not isinstance(returned, str) or returned.lower() != wanted:
            raise ConfigError(
                f"bundler returned op hash {returned!r}, expected {wanted}",
                hint="The bundler uses another EntryPoint or chain id than configured.",
            )
        return wanted

    def receipt(self, user_op_hash: bytes | str) -> UserOpResult | None:
        wanted = "0x" + user_op_hash.hex() if isinstance(user_op_hash, bytes) else user_op_hash
        result = self._rpc("eth_getUserOperationReceipt", [wanted])
        if result is None:
            return None
        return UserOpResult.from_rpc(result, entry_point=self._entry_point)

    def wait(self, user_op_hash: str, *, timeout_s: float | None = None) -> UserOpResult:
        timeout_s = self.inclusion_timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.receipt(user_op_hash)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise UserOpNotIncluded(user_op_hash, timeout_s=timeout_s, bundler=self.url)
            self._sleep(self.poll_interval_s)

    def submit(self, op: UserOperation, *, timeout_s: float | None = None) -> UserOpResult:
        """Send `op` and wait for its receipt (`timeout_s`, default `inclusion_timeout_s`);
        an op already included is answered with its receipt and not sent again."""
        wanted = self.user_op_hash(op)
        try:
            existing = self.receipt(wanted)
            if existing is not None:
                return existing.as_already_included()
            self.send(op)
            crash_point("confirm.broadcast")
        except BundlerUnreachable as error:  # refused the connection: the op was not sent
            raise UserOpNotSent(wanted, str(error)) from error
        except UserOpRejected as rejection:
            if rejection.code in MAYBE_ALREADY_INCLUDED:
                included = self.receipt(wanted)
                if included is not None:
                    return included.as_already_included()
                raise
            if not rejection.already_known:
                raise
            # this very op is in the bundler's mempool already: wait for it
        return self.wait(wanted, timeout_s=timeout_s)
