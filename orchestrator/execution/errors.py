"""Errors of submitting user operations.

ContractReverted (orchestrator.errors)
└── UserOpRejected       the EntryPoint refused the op (FailedOp / FailedOpWithRevert,
                         "AAnn reason"), or a bundler did (JSON-RPC error); nothing ran
ChainError (orchestrator.errors)
├── UserOpNotIncluded    the bundler took it, no receipt within the wait: outcome unknown
└── RpcUnavailable
    └── UserOpNotSent    the bundler could not be reached before sending: nothing was sent
"""

from __future__ import annotations

from orchestrator.chain.reverts import decode_revert_data
from orchestrator.errors import ChainError, ContractReverted, RpcUnavailable
from orchestrator.execution.rejections import (
    aa_code,
    explain_aa,
    explain_bundler_error,
    inner_revert_data,
)

__all__ = ["MAYBE_ALREADY_INCLUDED", "UserOpNotIncluded", "UserOpNotSent", "UserOpRejected"]

# Rejections an op gets when it was already included: its nonce is spent (AA25), or, for
# the op that deployed the account, its initCode now meets an existing account (AA10).
MAYBE_ALREADY_INCLUDED = frozenset({"AA10", "AA25"})


class UserOpRejected(ContractReverted):
    """The op was refused before execution: nothing ran, nothing was paid. `reason` is the
    EntryPoint's (or bundler's) text (e.g. "AA25 invalid account nonce"), `code` its "AAnn",
    `inner` the decoded revert for FailedOpWithRevert (e.g. the account's own revert in
    AA23). The message says it in plain words (orchestrator.execution.rejections)."""

    def __init__(
        self,
        reason: str,
        *,
        user_op_hash: str,
        inner: ContractReverted | None = None,
        raw: str = "",
        tx_hash: str | None = None,
        source: str = "EntryPoint",
        rpc_code: int | None = None,
    ) -> None:
        data = inner_revert_data(reason) if inner is None else None
        if data is not None:  # a bundler's "AA23 reverted 0x…": the account's own error
            inner = decode_revert_data(data)
        explained = explain_aa(reason)
        if explained is None and rpc_code is not None:
            explained = explain_bundler_error(rpc_code, reason)
        args: tuple[object, ...] = (reason,) if inner is None else (reason, str(inner))
        super().__init__(
            "FailedOp" if inner is None else "FailedOpWithRevert",
            args,
            raw=raw,
            tx_hash=tx_hash,
            hint=explained.action if explained else "See the reason; nothing was executed.",
        )
        what = explained.what if explained else "it was refused"
        detail = reason if inner is None else f"{reason}; inner error: {inner}"
        self.args = (f"the operation was not executed: {what} ({source}: {detail})",)
        self.reason = reason
        self.code = aa_code(reason)
        self.inner = inner
        self.user_op_hash = user_op_hash
        self.source = source
        self.rpc_code = rpc_code


class UserOpNotSent(RpcUnavailable):
    """The submitter could not reach the bundler before sending: the op was not sent (a
    new preview can be confirmed once the bundler is back)."""

    def __init__(self, user_op_hash: str, cause: str) -> None:
        super().__init__(
            f"the operation was not sent: {cause}",
            hint="Start the bundler (local network: `indexvault local up`) or check its URL, "
            "then preview again.",
        )
        self.user_op_hash = user_op_hash


class UserOpNotIncluded(ChainError):
    """The bundler took the op but no receipt came within the wait. Its outcome is
    unknown: the journal keeps the submission open, and the next run settles it from the
    chain (included, or dropped once its nonce is used or it is old enough)."""

    def __init__(self, user_op_hash: str, *, timeout_s: float, bundler: str) -> None:
        super().__init__(
            f"user operation {user_op_hash} was not included within {timeout_s:.0f} s by "
            f"bundler {bundler}; its outcome is not known yet, and it will not be sent again",
            hint="Run `indexvault log` later: it is settled from the chain (included, or "
            "dropped so you can preview again). Check the bundler: `indexvault local status`.",
        )
        self.user_op_hash = user_op_hash
        self.timeout_s = timeout_s
