"""Why a user operation was refused, in plain words, and what to do: one table for the
EntryPoint's "AAnn" codes and one for a bundler's JSON-RPC error codes (ERC-7769).

The EntryPoint refuses an op during validation with `FailedOp(index, "AAnn reason")`;
the first digit names who failed: 1 the factory (account creation), 2 the account,
3 the paymaster, 4/5 the gas accounting, 9 the bundle itself. A bundler relays the same
text inside its JSON-RPC error (code -32500 for the EntryPoint's and the account's
refusals); `explain_bundler_error` finds the code there and otherwise falls back on the
JSON-RPC code's meaning. Every code the installed EntryPoint v0.8 can raise is in
`AA_REJECTIONS` (tests/wallet/test_rejections.py reads the npm sources to check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AA_REJECTIONS",
    "BUNDLER_RPC_ERRORS",
    "Explained",
    "aa_code",
    "explain_aa",
    "explain_bundler_error",
    "inner_revert_data",
]


@dataclass(frozen=True)
class Explained:
    what: str  # what happened, in plain words
    action: str  # what the user can do about it


_PREVIEW_AGAIN = "Preview again: a fresh preview builds a new operation."

AA_REJECTIONS: dict[str, Explained] = {
    # 1x: the factory creating the smart account (the op's initCode)
    "AA10": Explained(
        "the smart account already exists, but the operation tries to create it again",
        "It may already be included (look it up by its hash, or `indexvault log`); if not, "
        "preview again.",
    ),
    "AA13": Explained(
        "creating the smart account failed or ran out of gas",
        "Preview again (it measures the creation gas anew); if it repeats, the account "
        "factory address in the network's address book is wrong.",
    ),
    "AA14": Explained(
        "the account factory created another address than the operation's sender",
        "The wallet and the factory disagree: check the SimpleAccountFactory address.",
    ),
    "AA15": Explained(
        "the account factory did not create the smart account",
        "Check the SimpleAccountFactory address in the network's address book.",
    ),
    # 2x: the smart account
    "AA20": Explained(
        "the smart account is not deployed and the operation does not create it",
        _PREVIEW_AGAIN,
    ),
    "AA21": Explained(
        "the smart account cannot pay for gas",
        "Fund it with ETH (send ETH to your smart account's address), then try again.",
    ),
    "AA22": Explained(
        "the operation is outside its validity time window (expired or not yet valid)",
        _PREVIEW_AGAIN,
    ),
    "AA23": Explained(
        "the smart account refused to validate the operation (its validation reverted)",
        "Check that this wallet owns the smart account; see the inner error.",
    ),
    "AA24": Explained(
        "the signature is not the smart account owner's",
        "Sign with the owner's key, for this network's chain id and EntryPoint.",
    ),
    "AA25": Explained(
        "nonce already used: another operation from this smart account took this nonce first",
        "It may already be included (look it up by its hash, or `indexvault log`); if not, "
        "preview again: a fresh preview takes the next nonce.",
    ),
    "AA26": Explained(
        "validating the operation needs more gas than its verification gas limit",
        _PREVIEW_AGAIN,
    ),
    # 3x: the paymaster (indexvault sends none; a bundler's paymaster may)
    "AA30": Explained("the paymaster named in the operation has no code", "Use no paymaster."),
    "AA31": Explained(
        "the paymaster's deposit at the EntryPoint is too low to pay for the operation",
        "Pay gas from the smart account instead (fund it with ETH), or top up the paymaster.",
    ),
    "AA32": Explained("the paymaster's approval expired or is not yet valid", _PREVIEW_AGAIN),
    "AA33": Explained(
        "the paymaster refused the operation (its validation reverted)",
        "Use no paymaster, or ask its operator; see the inner error.",
    ),
    "AA34": Explained("the paymaster's signature is invalid", "Ask the paymaster's operator."),
    "AA36": Explained("the paymaster's validation needs more gas than its limit", _PREVIEW_AGAIN),
    # 4x/5x: gas accounting (EntryPoint v0.6/v0.7, and bundlers' own checks)
    "AA40": Explained(
        "validation used more gas than the operation's verification gas limit", _PREVIEW_AGAIN
    ),
    "AA41": Explained("too little verification gas for the account's validation", _PREVIEW_AGAIN),
    "AA50": Explained("the paymaster's post-operation step reverted", "Use no paymaster."),
    "AA51": Explained(
        "the prefund did not cover the operation's actual gas cost",
        "Preview again (gas limits are measured anew); fund the smart account with ETH.",
    ),
    # 9x: the bundle transaction itself (the bundler's problem, not the operation's)
    "AA90": Explained("the bundler named an invalid beneficiary", "Try another bundler."),
    "AA91": Explained("the EntryPoint could not pay the bundler", "Try again later."),
    "AA92": Explained("an internal EntryPoint call was made from outside", "Try again later."),
    "AA93": Explained("the operation's paymaster data is malformed", "Use no paymaster."),
    "AA94": Explained("a gas value of the operation is too large", _PREVIEW_AGAIN),
    "AA95": Explained(
        "the bundle transaction ran out of gas",
        "Try again; a bundle needs a gas limit above every limit of its operations.",
    ),
    "AA96": Explained("the signature aggregator is invalid", "Use no aggregator."),
    "AA97": Explained(
        "a call that only the EntryPoint may make came from elsewhere",
        "Try again; if it repeats, report it.",
    ),
    "AA98": Explained("the paymaster address is invalid", "Use no paymaster."),
    "AA99": Explained("the operation's initCode is too short to name a factory", _PREVIEW_AGAIN),
}

# ERC-7769 (ERC-4337 bundler JSON-RPC) error codes, plus the JSON-RPC standard ones.
BUNDLER_RPC_ERRORS: dict[int, Explained] = {
    -32500: Explained(
        "the EntryPoint or the smart account rejected the operation during validation",
        "See the reason; the operation was not executed and cost nothing.",
    ),
    -32501: Explained("the paymaster rejected the operation", "Use no paymaster."),
    -32502: Explained(
        "the operation uses an opcode or storage a bundler must refuse (ERC-7562)",
        "This smart account or factory is not accepted by this bundler.",
    ),
    -32503: Explained("the operation is outside its validity time window", _PREVIEW_AGAIN),
    -32504: Explained(
        "the bundler throttled or banned an entity of the operation (factory, paymaster)",
        "Try again later, or use another bundler.",
    ),
    -32505: Explained(
        "an entity of the operation has too little stake for this bundler",
        "Use another bundler.",
    ),
    -32506: Explained("the bundler does not support this signature aggregator", "Use none."),
    -32507: Explained("the signature check failed", "Sign with the owner's key."),
    -32508: Explained("the paymaster's balance cannot cover all its operations", "Try later."),
    -32521: Explained(
        "the operation's calls would revert",
        "Nothing was sent; preview again and read the failing call in the error.",
    ),
    -32602: Explained(
        "the bundler refused the operation's fields (gas limits, fees or format)",
        "Preview again; if it repeats, the bundler needs other gas values: see the message.",
    ),
    -32601: Explained(
        "the bundler does not know this method", "Check that the URL is an ERC-4337 bundler."
    ),
    -32603: Explained("the bundler failed internally", "Try again later."),
}

_AA = re.compile(r"\bAA\d\d\b")


def aa_code(text: str) -> str:
    """The first "AAnn" in `text`, or ""."""
    found = _AA.search(text)
    return found.group(0) if found else ""


_REVERT_DATA = re.compile(r"\bAA\d\d\b\D*?(0x[0-9a-fA-F]{8,})")


def inner_revert_data(reason: str) -> bytes | None:
    """The revert data a bundler appends to "AA23 reverted 0x…" / "AA33 reverted 0x…"."""
    found = _REVERT_DATA.search(reason)
    if found is None or len(found.group(1)) % 2:
        return None
    return bytes.fromhex(found.group(1)[2:])


def explain_aa(reason: str) -> Explained | None:
    return AA_REJECTIONS.get(aa_code(reason))


def explain_bundler_error(code: int, message: str) -> Explained:
    """An AA code in the message wins (it is the most specific); then the JSON-RPC code."""
    aa = explain_aa(message)
    if aa is not None:
        return aa
    known = BUNDLER_RPC_ERRORS.get(code)
    if known is not None:
        return known
    return Explained(f"the bundler refused it (JSON-RPC error {code})", "See the message.")
