"""Dry-run a user operation with EntryPoint v0.8's `EntryPointSimulations`, no key needed.

`simulateHandleOp` runs validation and execution exactly like `handleOps` but ignores a
signature failure (it reports it in `accountValidationData` instead), so an operation can
be measured before its owner signs it. The simulation code is never deployed: it replaces
the EntryPoint's code for one `eth_call` (a state override), at the EntryPoint's own
address, so the account sees the real EntryPoint as caller and the EIP-712 domain is the
real one.

The override goes through `orchestrator.chain.calls` (standard on anvil and real nodes,
applied to a throwaway py-evm state on eth-tester). The sender's balance is raised in the
override too, so a not-yet-funded account can be estimated (funds are checked separately,
see `orchestrator.wallet.gas`). `simulation_call` builds the `eth_call` without sending
it, so callers can batch it with other reads; `decode_execution_result` reads its answer.

(`EntryPoint.delegateAndRevert` cannot run the shipped simulation contract: its
`this.validateSenderAndPaymaster` self-call hits the real EntryPoint, which has no such
function, and the empty revert escapes its `catch Error(string)`.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from orchestrator.artifacts.load import Artifact, repo_root
from orchestrator.chain.calls import ZERO_ADDRESS, EthCall
from orchestrator.chain.vault_binding import SIMULATE_HANDLE_OP
from orchestrator.errors import ContractReverted, SetupError
from orchestrator.wallet.userop import UserOperation

__all__ = [
    "SIMULATION_GAS",
    "ExecutionResult",
    "decode_execution_result",
    "simulation_call",
    "simulations_artifact",
]

SIMULATION_GAS = 29_000_000  # eth_call gas: room for generous user-op limits (< 30M blocks)
SIMULATION_SENDER_BALANCE_WEI = 10**24  # the override: enough for any simulated prefund
_SIMULATIONS_PATH = "@account-abstraction/contracts/artifacts/EntryPointSimulations.json"


@cache
def simulations_artifact() -> Artifact:
    """EntryPointSimulations from the npm package (not in NPM_ARTIFACTS: never deployed)."""
    path = repo_root() / "node_modules" / _SIMULATIONS_PATH
    if not path.is_file():
        raise SetupError(f"node_modules/{_SIMULATIONS_PATH} is missing", hint="Run `npm ci`.")
    data = json.loads(path.read_text())
    return Artifact(
        name="EntryPointSimulations",
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        source=f"node_modules/{_SIMULATIONS_PATH}",
    )


@dataclass(frozen=True)
class ExecutionResult:
    """`IEntryPointSimulations.ExecutionResult`. `paid_wei` = actualGasUsed × the gas price
    the EntryPoint charged, min(maxFeePerGas, maxPriorityFeePerGas + basefee)."""

    pre_op_gas: int  # validation (with account creation) + preVerificationGas
    paid_wei: int
    account_validation_data: int  # 1 = signature failure (expected for an unsigned op)
    paymaster_validation_data: int
    target_success: bool
    target_result: bytes


def simulation_call(
    entry_point: str,
    op: UserOperation,
    *,
    target: str | None = None,
    target_call_data: bytes = b"",
    gas: int = SIMULATION_GAS,
) -> EthCall:
    """The `eth_call` of `EntryPointSimulations.simulateHandleOp(op, target, targetCallData)`
    at the EntryPoint's address (its code replaced for the call), not yet sent."""
    data = SIMULATE_HANDLE_OP.call(
        op.packed().as_abi_tuple(), target or ZERO_ADDRESS, target_call_data
    )
    state: dict[str, dict[str, Any]] = {
        entry_point: {"code": simulations_artifact().deployed_bytecode},
        op.sender: {"balance": SIMULATION_SENDER_BALANCE_WEI},
    }
    return EthCall(to=entry_point, data=data, gas=gas, state=state, block="pending")


def decode_execution_result(output: bytes | ContractReverted) -> ExecutionResult:
    """The simulation's answer; a revert (validation failed: `FailedOp` with its "AAnn"
    reason) is raised."""
    if isinstance(output, ContractReverted):
        raise output
    (result,) = SIMULATE_HANDLE_OP.decode(output)
    pre_op_gas, paid, account_vd, paymaster_vd, target_success, target_result = result
    return ExecutionResult(
        pre_op_gas=int(pre_op_gas),
        paid_wei=int(paid),
        account_validation_data=int(account_vd),
        paymaster_validation_data=int(paymaster_vd),
        target_success=bool(target_success),
        target_result=bytes(target_result),
    )
