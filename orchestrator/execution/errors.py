"""Errors of submitting user operations.

ContractReverted (orchestrator.errors)
└── UserOpRejected       the EntryPoint refused the op (FailedOp / FailedOpWithRevert,
                         "AAnn reason"), or a bundler did (JSON-RPC error); nothing ran
"""

from __future__ import annotations

from orchestrator.errors import ContractReverted

__all__ = ["AA_HINTS", "MAYBE_ALREADY_INCLUDED", "UserOpRejected"]

# Rejections an op gets when it was already included: its nonce is spent (AA25), or, for
# the op that deployed the account, its initCode now meets an existing account (AA10).
MAYBE_ALREADY_INCLUDED = frozenset({"AA10", "AA25"})

# What to do about each EntryPoint rejection code ("AA" + entity digit + number).
AA_HINTS: dict[str, str] = {
    "AA10": (
        "The account already exists: the op may already be included (look it up by its "
        "hash), or build the op again without initCode."
    ),
    "AA13": "Account creation failed or ran out of gas: raise verificationGasLimit.",
    "AA14": "initCode creates another address than `sender`: rebuild the op for this owner.",
    "AA20": "The account is not deployed and the op carries no initCode: rebuild the op.",
    "AA21": "The smart account cannot pay the prefund: send it ETH (or deposit for it).",
    "AA22": "The op is outside its validity window.",
    "AA23": "The account's validateUserOp reverted (see the inner error).",
    "AA24": "Bad signature: sign with the owner key, for this chain id and EntryPoint.",
    "AA25": (
        "The nonce is already used: the op may already be included (look it up by its "
        "hash), or another op took this nonce; build the op again."
    ),
    "AA26": "Validation used more than verificationGasLimit: estimate the op again.",
    "AA95": "The bundle transaction ran out of gas: give handleOps a higher gas limit.",
}


class UserOpRejected(ContractReverted):
    """The op was refused before execution. `reason` is the EntryPoint's text (e.g.
    "AA25 invalid account nonce"), `code` its "AAnn" prefix, `inner` the decoded revert
    for FailedOpWithRevert (e.g. the account's own revert in AA23)."""

    def __init__(
        self,
        reason: str,
        *,
        user_op_hash: str,
        inner: ContractReverted | None = None,
        raw: str = "",
        tx_hash: str | None = None,
        source: str = "EntryPoint",
    ) -> None:
        code = reason.split(" ", 1)[0] if reason.startswith("AA") else ""
        hint = AA_HINTS.get(code, "See the reason; the operation was not executed.")
        args: tuple[object, ...] = (reason,) if inner is None else (reason, str(inner))
        super().__init__(
            "FailedOp" if inner is None else "FailedOpWithRevert",
            args,
            raw=raw,
            tx_hash=tx_hash,
            hint=hint,
        )
        self.reason = reason
        self.code = code
        self.inner = inner
        self.user_op_hash = user_op_hash
        self.source = source
