"""The user's keys and smart account: keystores, the ERC-4337 SimpleAccount (EntryPoint
v0.8), and user operations (build, hash, sign, estimate). Submitting them is
`orchestrator.execution`'s job."""

from orchestrator.wallet.builder import PreparedUserOp, prepare_user_op, unsigned_user_op
from orchestrator.wallet.gas import UserOpGasEstimate, check_prefund, finish_estimate
from orchestrator.wallet.keystore import Keystore, WalletInfo, default_keystore_dir
from orchestrator.wallet.smart_account import (
    CANONICAL_V08,
    AAContracts,
    Call,
    SmartAccount,
    counterfactual_address,
    deploy_account_abstraction,
    encode_calls,
    smart_account,
    verify_account_abstraction,
)
from orchestrator.wallet.userop import PackedUserOperation, UserOperation
from orchestrator.wallet.userop_signing import (
    recover_user_op_signer,
    sign_user_op,
    user_op_hash,
    user_op_typed_data,
)

__all__ = [
    "CANONICAL_V08",
    "AAContracts",
    "Call",
    "Keystore",
    "PackedUserOperation",
    "PreparedUserOp",
    "SmartAccount",
    "UserOpGasEstimate",
    "UserOperation",
    "WalletInfo",
    "check_prefund",
    "counterfactual_address",
    "default_keystore_dir",
    "deploy_account_abstraction",
    "encode_calls",
    "finish_estimate",
    "prepare_user_op",
    "recover_user_op_signer",
    "sign_user_op",
    "smart_account",
    "unsigned_user_op",
    "user_op_hash",
    "user_op_typed_data",
    "verify_account_abstraction",
]
