"""Submitting user operations: to a bundler (`BundlerClient`) or self-bundled through
`EntryPoint.handleOps` (`SelfBundler`), both behind `UserOpSubmitter`."""

from orchestrator.errors import BundlerError, UserOpNotIncluded, UserOpNotSent, UserOpRejected
from orchestrator.execution.bundler_client import BundlerClient, BundlerGasEstimate
from orchestrator.execution.userop_result import LogEntry, UserOpResult, decode_user_op_result
from orchestrator.execution.userop_submitter import (
    SelfBundler,
    UserOpSubmitter,
    handle_ops_gas_limit,
    submitter_for,
)

__all__ = [
    "BundlerClient",
    "BundlerError",
    "BundlerGasEstimate",
    "LogEntry",
    "SelfBundler",
    "UserOpNotIncluded",
    "UserOpNotSent",
    "UserOpRejected",
    "UserOpResult",
    "UserOpSubmitter",
    "decode_user_op_result",
    "handle_ops_gas_limit",
    "submitter_for",
]
