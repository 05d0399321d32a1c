"""Dry-run a user operation with EntryPoint v0.8's `EntryPointSimulations`, no key needed.

`simulateHandleOp` runs validation and execution exactly like `handleOps` but ignores a
signature failure (it reports it in `accountValidationData` instead), so an operation can
be measured before its owner signs it. The simulation code is never deployed: it replaces
the EntryPoint's code for one `eth_call` (a state override), at the EntryPoint's own
address, so the account sees the real EntryPoint as caller and the EIP-712 domain is the
real one.

State overrides are standard `eth_call` parameters on anvil and on real nodes; the
embedded eth-tester has none, so for it the same override is applied to a throwaway
py-evm state (the way eth-tester runs `eth_call` itself). The sender's balance is raised
in the override too, so a not-yet-funded account can be estimated (funds are checked
separately, see `orchestrator.wallet.gas`).

(`EntryPoint.delegateAndRevert` cannot run the shipped simulation contract: its
`this.validateSenderAndPaymaster` self-call hits the real EntryPoint, which has no such
function, and the empty revert escapes its `catch Error(string)`.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from orchestrator.artifacts.load import Artifact, repo_root
from orchestrator.chain.backends import Chain
from orchestrator.chain.reverts import decode_revert_data, is_revert, revert_from_exception
from orchestrator.errors import ChainError, ConfigError, SetupError
from orchestrator.wallet.userop import UserOperation

__all__ = [
    "SIMULATION_GAS",
    "ExecutionResult",
    "call_with_overrides",
    "simulate_handle_op",
    "simulations_artifact",
]

SIMULATION_GAS = 29_000_000  # eth_call gas: room for generous user-op limits (< 30M blocks)
SIMULATION_SENDER_BALANCE_WEI = 10**24  # the override: enough for any simulated prefund
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
_SIMULATE_HANDLE_OP = function_signature_to_4byte_selector(
    "simulateHandleOp((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes),"
    "address,bytes)"
)
_EXECUTION_RESULT = "(uint256,uint256,uint256,uint256,bool,bytes)"
_PACKED_USEROP = "(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)"
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


def _eth_tester_call(chain: Chain, tx: dict[str, Any], state: dict[str, dict[str, Any]]) -> bytes:
    """eth_call on a py-evm state with code/balance overrides, then thrown away (the same
    steps as eth-tester's own `call`)."""
    from eth.vm.spoof import SpoofTransaction
    from eth_tester.backends.pyevm.main import _get_vm_for_block_number

    tester = chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    backend = tester.backend
    raw = tester.normalizer.normalize_inbound_transaction(tx)
    unsigned = backend._get_normalized_and_unsigned_evm_transaction(raw, "latest")
    spoofed = SpoofTransaction(unsigned, from_=raw["from"])
    vm_state = _get_vm_for_block_number(backend.chain, "latest").state
    snapshot = vm_state.snapshot()
    try:
        # eth_call semantics: the caller is not charged, so let it afford the gas.
        vm_state.set_balance(raw["from"], SIMULATION_SENDER_BALANCE_WEI)
        for address, override in state.items():
            canonical = bytes.fromhex(address[2:])
            if "code" in override:
                vm_state.set_code(canonical, bytes.fromhex(str(override["code"])[2:]))
            if "balance" in override:
                vm_state.set_balance(canonical, int(override["balance"]))
        computation = vm_state.apply_transaction(spoofed)
    finally:
        vm_state.revert(snapshot)
    if computation.is_error:
        error = computation.error
        data = error.args[0] if error.args and isinstance(error.args[0], bytes) else None
        if type(error).__name__ == "Revert" and data is not None:
            raise decode_revert_data(data)
        raise ChainError(f"simulation failed in py-evm: {type(error).__name__}: {error}")
    return bytes(computation.output)


def call_with_overrides(
    chain: Chain, tx: dict[str, Any], state: dict[str, dict[str, Any]]
) -> bytes:
    """`eth_call` of `tx` (from, to, data, gas) on the latest block with per-address
    `{"code": 0x..., "balance": int}` overrides. Reverts raise ContractReverted (decoded)."""
    if chain.kind == "eth_tester":
        return _eth_tester_call(chain, tx, state)
    params: dict[str, Any] = {k: v for k, v in tx.items()}
    params["to"] = to_checksum_address(params["to"])
    params["from"] = to_checksum_address(params["from"])
    try:
        return bytes(chain.w3.eth.call(params, "latest", state))  # type: ignore[arg-type]
    except Exception as error:
        if is_revert(error):
            raise revert_from_exception(error) from error
        message = str(error)
        if "override" in message.lower() or "-32602" in message:
            raise ConfigError(
                f"{chain.label} does not support eth_call state overrides: {message}",
                hint="Configure a bundler URL, or use a node that supports state overrides.",
            ) from error
        raise ChainError(f"simulation eth_call failed on {chain.label}: {message}") from error


def simulate_handle_op(
    chain: Chain,
    entry_point: str,
    op: UserOperation,
    *,
    target: str | None = None,
    target_call_data: bytes = b"",
    gas: int = SIMULATION_GAS,
) -> ExecutionResult:
    """`EntryPointSimulations.simulateHandleOp(op, target, targetCallData)` at the
    EntryPoint's address. A validation failure raises ContractReverted (`FailedOp` with
    its "AAnn" reason); the op's own execution result is not reported (only events carry
    it), which is why callers probe execution through `target`."""
    data = _SIMULATE_HANDLE_OP + _encode_args(op, target or ZERO_ADDRESS, target_call_data)
    state: dict[str, dict[str, Any]] = {
        entry_point: {"code": simulations_artifact().deployed_bytecode},
        op.sender: {"balance": SIMULATION_SENDER_BALANCE_WEI},
    }
    tx = {"from": ZERO_ADDRESS, "to": entry_point, "data": "0x" + data.hex(), "gas": gas}
    output = call_with_overrides(chain, tx, state)
    (result,) = abi_decode([_EXECUTION_RESULT], output)
    pre_op_gas, paid, account_vd, paymaster_vd, target_success, target_result = result
    return ExecutionResult(
        pre_op_gas=int(pre_op_gas),
        paid_wei=int(paid),
        account_validation_data=int(account_vd),
        paymaster_validation_data=int(paymaster_vd),
        target_success=bool(target_success),
        target_result=bytes(target_result),
    )


def _encode_args(op: UserOperation, target: str, target_call_data: bytes) -> bytes:
    from eth_abi.abi import encode as abi_encode

    return abi_encode(
        [_PACKED_USEROP, "address", "bytes"],
        [op.packed().as_abi_tuple(), target, target_call_data],
    )
