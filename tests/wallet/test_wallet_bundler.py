"""BundlerClient against an in-process fake ERC-4337 bundler (httpx.MockTransport): the
request shape is checked on every call; one fake executes ops for real on eth-tester
(through SelfBundler), the others script replies to reach the error paths."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_utils.abi import function_signature_to_4byte_selector as selector
from eth_utils.crypto import keccak

from orchestrator.artifacts.load import load_artifact
from orchestrator.chain import Chain, Transactor, connect_eth_tester
from orchestrator.errors import (
    BundlerError,
    ConfigError,
    InputError,
    RpcUnavailable,
    UserOpRejected,
)
from orchestrator.execution import (
    BundlerClient,
    SelfBundler,
    UserOpNotIncluded,
    UserOpSubmitter,
    submitter_for,
)
from orchestrator.wallet import (
    AAContracts,
    Call,
    SmartAccount,
    UserOperation,
    deploy_account_abstraction,
    prepare_user_op,
    sign_user_op,
    smart_account,
    user_op_hash,
)

URL = "http://bundler.invalid/rpc"
CHAIN_ID = 11155111
ENTRY_POINT = "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"
V07_FIELDS = {
    "sender", "nonce", "factory", "factoryData", "callData", "callGasLimit",
    "verificationGasLimit", "preVerificationGas", "maxFeePerGas", "maxPriorityFeePerGas",
    "paymaster", "paymasterVerificationGasLimit", "paymasterPostOpGasLimit", "paymasterData",
    "signature",
}  # fmt: skip
QUANTITY_FIELDS = {
    "nonce", "callGasLimit", "verificationGasLimit", "preVerificationGas", "maxFeePerGas",
    "maxPriorityFeePerGas", "paymasterVerificationGasLimit", "paymasterPostOpGasLimit",
}  # fmt: skip
QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
DATA = re.compile(r"^0x([0-9a-f]{2})*$")
OWNER = Account.from_key(keccak(text="bundler test owner"))


def check_user_op_json(op: dict[str, Any]) -> None:
    """What an ERC-4337 v0.7+ bundler requires of the userOp object."""
    assert set(op) <= V07_FIELDS, set(op) - V07_FIELDS
    assert {"sender", "nonce", "callData", "signature"} <= set(op)
    assert ("factory" in op) == ("factoryData" in op)
    for key, value in op.items():
        if key in QUANTITY_FIELDS:
            assert QUANTITY.match(value), (key, value)
        elif key in ("sender", "factory", "paymaster"):
            assert re.match(r"^0x[0-9a-fA-F]{40}$", value), (key, value)
        else:
            assert DATA.match(value), (key, value)


@dataclass
class FakeBundler:
    """Answers the four methods; `execute` (if set) really runs sent ops."""

    entry_point: str
    chain_id: int
    execute: Callable[[UserOperation], dict[str, Any]] | None = None
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    misses_before_receipt: int = 0  # receipt look-ups after sending that still say null
    send_error: dict[str, Any] | None = None
    estimate_error: dict[str, Any] | None = None
    wrong_hash: bool = False
    http_status: int = 200

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert str(request.url) == URL
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.content)
        assert body["jsonrpc"] == "2.0"
        assert isinstance(body["id"], int)
        method, params = body["method"], body["params"]
        self.calls.append(method)
        if self.http_status != 200:
            return httpx.Response(self.http_status, text="upstream down")
        result: Any
        if method == "eth_supportedEntryPoints":
            assert params == []
            result = [self.entry_point]
        elif method == "eth_estimateUserOperationGas":
            op_json, entry_point = params
            check_user_op_json(op_json)
            assert entry_point == self.entry_point
            if self.estimate_error is not None:
                return httpx.Response(
                    200, json={"jsonrpc": "2.0", "id": body["id"], "error": self.estimate_error}
                )
            result = {"preVerificationGas": "0xc350", "verificationGasLimit": "0x30d40",
                      "callGasLimit": "0x186a0"}  # fmt: skip
        elif method == "eth_sendUserOperation":
            op_json, entry_point = params
            check_user_op_json(op_json)
            assert entry_point == self.entry_point
            if self.send_error is not None:
                return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"],
                                                 "error": self.send_error})  # fmt: skip
            op = UserOperation.from_rpc(op_json)
            digest = "0x" + user_op_hash(op, entry_point=entry_point, chain_id=self.chain_id).hex()
            self.receipts[digest] = (
                self.execute(op) if self.execute else _synthetic_receipt(digest, op)
            )
            result = "0x" + "00" * 32 if self.wrong_hash else digest
        elif method == "eth_getUserOperationReceipt":
            (digest,) = params
            assert re.match(r"^0x[0-9a-f]{64}$", digest)
            result = self.receipts.get(digest)
            if result is not None and self.misses_before_receipt > 0:
                self.misses_before_receipt -= 1
                result = None
        else:
            raise AssertionError(f"unexpected method {method}")
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})

    def client(self, **kwargs: Any) -> BundlerClient:
        return BundlerClient(
            URL,
            entry_point=self.entry_point,
            chain_id=self.chain_id,
            transport=httpx.MockTransport(self.handler),
            **kwargs,
        )


def _synthetic_receipt(digest: str, op: UserOperation, *, success: bool = True,
                       reason: str = "0x") -> dict[str, Any]:  # fmt: skip
    return {
        "userOpHash": digest, "entryPoint": ENTRY_POINT, "sender": op.sender,
        "nonce": hex(op.nonce), "paymaster": "0x" + "00" * 20, "actualGasCost": "0x2540be400",
        "actualGasUsed": "0x186a0", "success": success, "reason": reason, "logs": [],
        "receipt": {"transactionHash": "0x" + "ab" * 32, "blockNumber": "0x7",
                    "gasUsed": "0x15f90", "logs": []},
    }  # fmt: skip


def _op(nonce: int = 0) -> UserOperation:
    account = SmartAccount.counterfactual(
        AAContracts(ENTRY_POINT, "0x13E9ed32155810FDbd067D4522C492D6f68E5944"), OWNER.address
    )
    op = UserOperation(
        sender=account.address, nonce=nonce, call_data=b"\xb6\x1d\x27\xf6",
        call_gas_limit=100_000, verification_gas_limit=300_000, pre_verification_gas=50_000,
        max_fee_per_gas_wei=2 * 10**9, max_priority_fee_per_gas_wei=10**8,
        factory=account.aa.simple_account_factory, factory_data=account.factory_data,
    )  # fmt: skip
    return sign_user_op(op, OWNER, entry_point=ENTRY_POINT, chain_id=CHAIN_ID)


def _no_sleep(record: list[float]) -> Callable[[float], None]:
    return record.append


# -- against a real chain -------------------------------------------------------------------
@dataclass
class Env:
    chain: Chain
    aa: AAContracts
    usdc: Any
    self_bundler: SelfBundler


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    chain = connect_eth_tester()
    try:
        deployer = Transactor(chain, chain.accounts[0])
        aa = deploy_account_abstraction(deployer)
        usdc = deployer.deploy(load_artifact("TestToken"), "USD Coin", "USDC", 6,
                               deployer.address, gas=1_500_000)  # fmt: skip
        account = smart_account(chain, aa, OWNER.address)
        deployer.send(usdc.functions.mint(account.address, 100 * 10**6), gas=100_000)
        chain.set_balance(account.address, 10**18)
        bundler = SelfBundler(chain, aa.entry_point, Transactor(chain, chain.accounts[1]))
        yield Env(chain, aa, usdc, bundler)
    finally:
        chain.close()


def test_submit_through_a_bundler_that_really_executes(env: Env) -> None:
    fake = FakeBundler(env.aa.entry_point, env.chain.chain_id,
                       execute=lambda op: env.self_bundler.submit(op).to_rpc())  # fmt: skip
    client = fake.client(sleep=_no_sleep([]))
    assert isinstance(client, UserOpSubmitter)
    assert client.supported_entry_points() == [env.aa.entry_point]
    account = smart_account(env.chain, env.aa, OWNER.address)
    recipient = env.chain.accounts[4].address
    data = selector("transfer(address,uint256)") + abi_encode(
        ["address", "uint256"], [recipient, 7 * 10**6]
    )
    prepared = prepare_user_op(env.chain, account, [Call(env.usdc.address, 0, data)])
    signed = sign_user_op(prepared.op, OWNER, entry_point=env.aa.entry_point,
                          chain_id=env.chain.chain_id)  # fmt: skip

    result = client.submit(signed)
    assert fake.calls == ["eth_supportedEntryPoints", "eth_getUserOperationReceipt",
                          "eth_sendUserOperation", "eth_getUserOperationReceipt"]  # fmt: skip
    assert result.success
    assert result.account_deployed
    assert result.user_op_hash == prepared.user_op_hash_hex
    assert result.sender == account.address
    assert int(env.usdc.functions.balanceOf(recipient).call()) == 7 * 10**6
    assert [log.address for log in result.logs] == [env.usdc.address]  # the Transfer
    assert result == env.self_bundler.receipt(result.user_op_hash)  # JSON round trip is exact

    again = client.submit(signed)
    assert again.already_included
    assert fake.calls.count("eth_sendUserOperation") == 1
    assert int(env.usdc.functions.balanceOf(recipient).call()) == 7 * 10**6


# -- scripted replies -----------------------------------------------------------------------
def test_waits_for_inclusion_by_polling() -> None:
    fake = FakeBundler(ENTRY_POINT, CHAIN_ID, misses_before_receipt=3)
    slept: list[float] = []
    result = fake.client(poll_interval_s=0.5, sleep=_no_sleep(slept)).submit(_op())
    assert result.success
    assert result.actual_gas_used == 100_000
    assert result.actual_gas_cost_wei == 10**10
    assert slept == [0.5, 0.5, 0.5]
    assert fake.calls.count("eth_getUserOperationReceipt") == 5  # before + 3 misses + hit


def test_never_included_times_out_with_a_hint_not_to_resend() -> None:
    fake = FakeBundler(ENTRY_POINT, CHAIN_ID, misses_before_receipt=10**6)
    with pytest.raises(UserOpNotIncluded, match="not included") as caught:
        fake.client(sleep=_no_sleep([])).submit(_op(), timeout_s=0)
    assert "will not be sent again" in str(caught.value)
    assert "settled from the chain" in caught.value.hint


def test_entry_point_rejection_becomes_user_op_rejected() -> None:
    fake = FakeBundler(ENTRY_POINT, CHAIN_ID,
                       send_error={"code": -32500, "message": "AA24 signature error"})  # fmt: skip
    with pytest.raises(UserOpRejected) as caught:
        fake.client().submit(_op())
    assert caught.value.code == "AA24"
    assert caught.value.source == f"bundler {URL}"
    assert "owner's key" in caught.value.hint
    assert "the signature is not the smart account owner's" in str(caught.value)


def test_nonce_rejection_for_an_included_op_returns_its_receipt() -> None:
    """The op landed between our look-up and our send (another client, a retry)."""
    op = _op()
    digest = "0x" + user_op_hash(op, entry_point=ENTRY_POINT, chain_id=CHAIN_ID).hex()
    nonce_used = {"code": -32500, "message": "AA25 invalid account nonce"}
    fake = FakeBundler(ENTRY_POINT, CHAIN_ID, send_error=nonce_used)
    fake.receipts[digest] = _synthetic_receipt(digest, op)
    fake.misses_before_receipt = 1  # the first look-up does not see it yet
    result = fake.client().submit(op)
    assert result.already_included
    assert result.user_op_hash == digest


def test_a_different_op_hash_from_the_bundler_is_refused() -> None:
    fake = FakeBundler(ENTRY_POINT, CHAIN_ID, wrong_hash=True)
    with pytest.raises(ConfigError, match="bundler returned op hash") as caught:
        fake.client().send(_op())
    assert "another EntryPoint or chain id" in caught.value.hint


def test_other_json_rpc_errors_and_http_failures() -> None:
    fake = FakeBundler(ENTRY_POINT, CHAIN_ID,
                       send_error={"code": -32602, "message": "invalid userOp"})  # fmt: skip
    with pytest.raises(UserOpRejected) as caught:  # refused: the bundler did not take it
        fake.client().submit(_op())
    assert (caught.value.rpc_code, caught.value.code) == (-32602, "")
    assert "refused the operation's fields" in str(caught.value)
    supported = FakeBundler(
        ENTRY_POINT, CHAIN_ID, estimate_error={"code": -32603, "message": "boom"}
    )
    with pytest.raises(BundlerError) as failed:
        supported.client().estimate(_op())
    assert failed.value.code == -32603
    assert "failed internally" in str(failed.value)
    with pytest.raises(RpcUnavailable, match="HTTP 503"):
        FakeBundler(ENTRY_POINT, CHAIN_ID, http_status=503).client().receipt("0x" + "00" * 32)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = BundlerClient(URL, entry_point=ENTRY_POINT, chain_id=CHAIN_ID,
                           transport=httpx.MockTransport(unreachable))  # fmt: skip
    with pytest.raises(RpcUnavailable, match="did not answer"):
        client.receipt("0x" + "00" * 32)


def test_failed_op_receipt_decodes_the_batch_revert() -> None:
    op = _op()
    digest = "0x" + user_op_hash(op, entry_point=ENTRY_POINT, chain_id=CHAIN_ID).hex()
    inner = selector("Error(string)") + abi_encode(["string"], ["nope"])
    reason = selector("ExecuteError(uint256,bytes)") + abi_encode(["uint256", "bytes"], [1, inner])
    fake = FakeBundler(ENTRY_POINT, CHAIN_ID)
    fake.receipts[digest] = _synthetic_receipt(digest, op, success=False,
                                               reason="0x" + reason.hex())  # fmt: skip
    result = fake.client().receipt(digest)
    assert result is not None
    assert not result.success
    assert result.revert_call_index == 1
    assert result.revert is not None
    assert (result.revert.error_name, result.revert.error_args) == ("Error", ("nope",))


def test_estimate_reads_the_three_limits() -> None:
    estimate = FakeBundler(ENTRY_POINT, CHAIN_ID).client().estimate(_op())
    assert (estimate.pre_verification_gas, estimate.verification_gas_limit,
            estimate.call_gas_limit) == (50_000, 200_000, 100_000)  # fmt: skip
    assert estimate.apply(_op()).signature == b""  # limits changed: the signature is stale


def test_submitter_for_picks_the_bundler_only_when_configured(env: Env) -> None:
    via_bundler = submitter_for(env.chain, env.aa.entry_point, bundler_url=URL)
    assert isinstance(via_bundler, BundlerClient)
    key = Transactor(env.chain, env.chain.accounts[2])
    assert isinstance(submitter_for(env.chain, env.aa.entry_point, bundler_key=key), SelfBundler)
    with pytest.raises(InputError, match="no bundler URL"):
        submitter_for(env.chain, env.aa.entry_point)
