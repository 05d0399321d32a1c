"""The one table of refusals: every AA code the installed EntryPoint v0.8 can raise has
plain words and an action; a bundler's JSON-RPC codes too; the most specific explanation
wins; a bundler's "AA23 reverted 0x…" yields the account's own decoded error."""

from __future__ import annotations

import re

import pytest

from orchestrator.artifacts.load import repo_root
from orchestrator.execution import BundlerError, UserOpRejected
from orchestrator.execution.rejections import (
    AA_REJECTIONS,
    BUNDLER_RPC_ERRORS,
    aa_code,
    explain_bundler_error,
    inner_revert_data,
)

HASH = "0x" + "00" * 32


def _codes_in_the_npm_entry_point() -> set[str]:
    sources = repo_root() / "node_modules" / "@account-abstraction" / "contracts"
    found: set[str] = set()
    for path in sources.rglob("*.sol"):
        found |= set(re.findall(r'"(AA\d\d) ', path.read_text()))
    return found


def test_every_aa_code_of_the_installed_entry_point_is_explained() -> None:
    codes = _codes_in_the_npm_entry_point()
    assert {"AA10", "AA21", "AA25", "AA95"} <= codes  # the scan found the sources
    assert codes <= set(AA_REJECTIONS), sorted(codes - set(AA_REJECTIONS))
    # and the codes the issue names that older EntryPoints and bundlers' own checks use
    assert {"AA13", "AA23", "AA24", "AA31", "AA33", "AA40", "AA51"} <= set(AA_REJECTIONS)
    for code, explained in AA_REJECTIONS.items():
        assert explained.what, code
        assert not explained.what[0].isupper(), code  # reads inside a sentence
        assert explained.action[0].isupper(), code
        assert explained.action.endswith("."), code


@pytest.mark.parametrize(
    ("reason", "code", "words", "action"),
    [
        ("AA21 didn't pay prefund", "AA21", "the smart account cannot pay for gas",
         "Fund it with ETH"),
        ("UserOperation reverted with reason: AA25 invalid account nonce", "AA25",
         "nonce already used", "preview again"),
        ("AA31 paymaster deposit too low", "AA31", "paymaster's deposit", "fund it with ETH"),
        ("AA33 reverted 0x", "AA33", "the paymaster refused", "Use no paymaster"),
        ("AA40 over verificationGasLimit", "AA40", "verification gas limit", "Preview again"),
        ("AA51 prefund below actualGasCost", "AA51", "did not cover", "Preview again"),
        ("something new", "", "it was refused", "nothing was executed"),
    ],
)  # fmt: skip
def test_user_op_rejected_speaks_plainly(reason: str, code: str, words: str, action: str) -> None:
    error = UserOpRejected(reason, user_op_hash=HASH, source="bundler http://x")
    assert error.code == code
    assert str(error).startswith("the operation was not executed: ")
    assert words in str(error)
    assert reason in str(error)  # the bundler's own text stays, for a bug report
    assert action in error.hint


def test_json_rpc_codes_and_aa_codes_inside_them() -> None:
    assert set(BUNDLER_RPC_ERRORS) >= {-32500, -32501, -32502, -32503, -32504, -32505,
                                       -32506, -32507, -32508, -32521, -32602}  # fmt: skip
    # an AA code in the message is more specific than the JSON-RPC code
    assert explain_bundler_error(-32602, "AA25 invalid account nonce") == AA_REJECTIONS["AA25"]
    assert explain_bundler_error(-32521, "execution reverted") == BUNDLER_RPC_ERRORS[-32521]
    assert "JSON-RPC error -1" in explain_bundler_error(-1, "?").what
    refused = UserOpRejected("[-32503] expired", user_op_hash=HASH, rpc_code=-32503)
    assert "outside its validity time window" in str(refused)
    error = BundlerError("eth_estimateUserOperationGas", -32521, "reverted", url="http://b")
    assert "the operation's calls would revert" in str(error)
    assert error.hint.startswith("Nothing was sent")


def test_the_accounts_revert_inside_a_bundler_message_is_decoded() -> None:
    reason = "UserOperation reverted with reason: AA23 reverted 0xfce698f7" + "00" * 31 + "0a"
    assert aa_code(reason) == "AA23"
    assert inner_revert_data("AA23 reverted 0x") is None
    error = UserOpRejected(reason, user_op_hash=HASH)
    assert error.inner is not None
    assert (error.inner.error_name, error.inner.error_args) == (
        "ECDSAInvalidSignatureLength",
        (10,),
    )
    assert "ECDSAInvalidSignatureLength(10)" in str(error)
