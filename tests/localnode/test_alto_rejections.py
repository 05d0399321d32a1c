"""The EntryPoint's AAxx refusals, as the real bundler (alto on the local node) returns
them, come back in plain words with what to do, and nothing was included: the account's
nonce did not move and no bundle was sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from orchestrator.chain.backends import Chain, dev_accounts
from orchestrator.chain.canonical import ENTRY_POINT_V08, SIMPLE_ACCOUNT_FACTORY_V08
from orchestrator.chain.fees import suggest_fees
from orchestrator.chain.localnode import connect_node
from orchestrator.errors import RpcUnavailable
from orchestrator.execution import BundlerClient, UserOpNotSent, UserOpRejected
from orchestrator.localmarket.localnet import BUNDLER_EXECUTOR_ACCOUNT
from orchestrator.networks import local_dir, resolve_network
from orchestrator.wallet import (
    AAContracts,
    Call,
    SmartAccount,
    UserOperation,
    encode_calls,
    sign_user_op,
    smart_account,
)

pytestmark = pytest.mark.anvil

AA = AAContracts(ENTRY_POINT_V08, SIMPLE_ACCOUNT_FACTORY_V08)


@dataclass
class Env:
    chain: Chain
    bundler: BundlerClient

    def account(self, owner: LocalAccount) -> SmartAccount:
        return smart_account(self.chain, AA, owner.address)

    def op(self, owner: LocalAccount, **changes: object) -> UserOperation:
        """A no-op call from `owner`'s account; creates it when not deployed yet."""
        account = self.account(owner)
        fees = suggest_fees(self.chain)
        create = not account.is_deployed(self.chain)
        op = UserOperation(
            sender=account.address, nonce=account.nonce(self.chain),
            call_data=encode_calls([Call(account.address, 0, b"")]),
            call_gas_limit=100_000, verification_gas_limit=400_000, pre_verification_gas=60_000,
            max_fee_per_gas_wei=fees.max_fee_per_gas,
            max_priority_fee_per_gas_wei=fees.max_priority_fee_per_gas,
            factory=AA.simple_account_factory if create else None,
            factory_data=account.factory_data if create else b"",
        )  # fmt: skip
        return op.replace(**changes)

    def sign(self, op: UserOperation, key: LocalAccount) -> UserOperation:
        return sign_user_op(op, key, entry_point=AA.entry_point, chain_id=self.chain.chain_id)

    def account_nonce(self, op: UserOperation) -> int:
        return SmartAccount(op.sender, 0, op.sender, AA).nonce(self.chain)

    def executor_sent(self) -> int:
        executor = dev_accounts()[BUNDLER_EXECUTOR_ACCOUNT].address
        return int(self.chain.w3.eth.get_transaction_count(executor))


@pytest.fixture(scope="module")
def env(node_home: Path) -> Iterator[Env]:
    chain = connect_node(local_dir())
    url = resolve_network("local").bundler_url
    assert url is not None
    bundler = BundlerClient(url, entry_point=AA.entry_point, chain_id=chain.chain_id,
                            poll_interval_s=0.05)  # fmt: skip
    try:
        yield Env(chain, bundler)
    finally:
        bundler.close()
        chain.close()


def _owner(name: str) -> LocalAccount:
    return Account.from_key(keccak(text=f"alto rejection {name}"))


def _refused(env: Env, op: UserOperation, code: str, words: str, action: str) -> None:
    nonce = env.account_nonce(op)
    sent = env.executor_sent()
    with pytest.raises(UserOpRejected) as caught:
        env.bundler.submit(op, timeout_s=30)
    error = caught.value
    assert error.code == code
    assert error.source.startswith("bundler http://127.0.0.1:")
    assert words in str(error), str(error)
    assert action in error.hint, error.hint
    assert env.account_nonce(op) == nonce  # not included
    assert env.executor_sent() == sent  # no bundle was sent


def test_aa21_an_account_without_eth_cannot_pay_for_gas(env: Env) -> None:
    owner = _owner("aa21")
    _refused(env, env.sign(env.op(owner), owner), "AA21",
             "the smart account cannot pay for gas", "Fund it with ETH")  # fmt: skip


def test_aa24_a_signature_by_another_key(env: Env) -> None:
    owner = _owner("aa24")
    env.chain.set_balance(env.account(owner).address, 10**18)
    _refused(env, env.sign(env.op(owner), _owner("intruder")), "AA24",
             "the signature is not the smart account owner's", "owner's key")  # fmt: skip


def test_aa20_and_aa13_account_creation(env: Env) -> None:
    owner = _owner("aa20")
    env.chain.set_balance(env.account(owner).address, 10**18)
    no_init = env.op(owner, factory=None, factory_data=b"")
    _refused(env, env.sign(no_init, owner), "AA20",
             "the smart account is not deployed and the operation does not create it",
             "Preview again")  # fmt: skip
    starved = env.op(owner, verification_gas_limit=60_000)  # too little to create it
    _refused(env, env.sign(starved, owner), "AA13",
             "creating the smart account failed or ran out of gas", "Preview again")  # fmt: skip


def test_aa23_the_accounts_own_revert_is_decoded(env: Env) -> None:
    owner = _owner("aa23")
    env.chain.set_balance(env.account(owner).address, 10**18)
    malformed = env.op(owner).replace(signature=b"\x01" * 10)
    _refused(env, malformed, "AA23",
             "the smart account refused to validate the operation", "inner error")  # fmt: skip
    with pytest.raises(UserOpRejected) as caught:
        env.bundler.send(malformed)
    inner = caught.value.inner
    assert inner is not None
    assert (inner.error_name, inner.error_args) == ("ECDSAInvalidSignatureLength", (10,))


def test_aa25_and_aa10_after_an_included_op(env: Env) -> None:
    owner = _owner("aa25")
    env.chain.set_balance(env.account(owner).address, 10**18)
    first = env.sign(env.op(owner), owner)
    assert env.bundler.submit(first, timeout_s=30).success
    reused = env.op(owner, nonce=first.nonce, factory=None, factory_data=b"",
                    call_data=encode_calls([Call(first.sender, 0, b"\x00")]))  # fmt: skip
    _refused(env, env.sign(reused, owner), "AA25", "nonce already used",
             "preview again")  # fmt: skip
    again = env.op(owner, factory=AA.simple_account_factory,
                   factory_data=env.account(owner).factory_data)  # fmt: skip
    _refused(env, env.sign(again, owner), "AA10",
             "the smart account already exists", "preview again")  # fmt: skip
    # the included op itself, submitted again, is answered with its receipt: not resent
    sent = env.executor_sent()
    assert env.bundler.submit(first, timeout_s=30).already_included
    assert env.executor_sent() == sent


def test_a_bundler_that_is_down_says_so_and_nothing_is_sent(env: Env) -> None:
    down = BundlerClient("http://127.0.0.1:9", entry_point=AA.entry_point,
                         chain_id=env.chain.chain_id)  # fmt: skip
    owner = _owner("down")
    with pytest.raises(
        UserOpNotSent,
        match=r"the operation was not sent: the bundler at http://127\.0\.0\.1:9 did not answer",
    ) as caught:
        down.submit(env.sign(env.op(owner), owner))
    assert "Start the bundler" in caught.value.hint
    with pytest.raises(RpcUnavailable, match="did not answer eth_estimateUserOperationGas") as c:
        down.estimate(env.op(owner))
    assert "bundler is running" in c.value.hint
