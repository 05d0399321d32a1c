"""Keystores: round trip, wrong password, duplicates, malformed imports, permissions."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import (
    DuplicateWallet,
    InvalidWalletName,
    KeystoreCorrupt,
    MalformedKey,
    PasswordRejected,
    UnknownWallet,
    WrongPassword,
)
from orchestrator.wallet import keystore as keystore_module
from orchestrator.wallet.keystore import (
    SECP256K1_ORDER,
    Keystore,
    default_keystore_dir,
    parse_private_key,
)

FAST_SCRYPT_N = 2**4  # tests only: eth-account's default is 2**18 (about a second each)
PASSWORD = "correct horse battery staple"
KNOWN_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def test_create_then_unlock_gives_the_same_signing_key(keystore: Keystore) -> None:
    info = keystore.create("main", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    account = keystore.unlock("main", PASSWORD)
    assert account.address == info.owner
    signed = account.sign_message(encode_defunct(text="hello"))
    assert Account.recover_message(encode_defunct(text="hello"), signature=signed.signature) == (
        info.owner
    )
    assert [w.name for w in keystore.list()] == ["main"]
    assert keystore.list()[0].owner == info.owner


def test_two_created_wallets_have_different_keys(keystore: Keystore) -> None:
    a = keystore.create("a", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    b = keystore.create("b", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    assert a.owner != b.owner


def test_import_round_trips_the_exact_key(keystore: Keystore) -> None:
    info = keystore.import_key("imported", f"  {KNOWN_KEY}\n", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    expected = Account.from_key(KNOWN_KEY)
    assert info.owner == expected.address
    assert keystore.unlock("imported", PASSWORD).key == expected.key
    # the file is a standard v3 keystore eth-account can open on its own
    data = json.loads(info.path.read_text())
    assert data["version"] == 3
    assert data["crypto"]["kdf"] == "scrypt"
    assert data["crypto"]["kdfparams"]["n"] == FAST_SCRYPT_N
    assert bytes(Account.decrypt(data, PASSWORD)) == bytes(expected.key)


def test_wrong_password_names_the_wallet_and_not_the_password(keystore: Keystore) -> None:
    keystore.create("savings", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    with pytest.raises(WrongPassword) as caught:
        keystore.unlock("savings", "not the password")
    assert "savings" in str(caught.value)
    assert "not the password" not in str(caught.value)
    assert caught.value.hint


def test_password_is_not_stored_in_the_keystore(keystore: Keystore) -> None:
    info = keystore.create("main", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    text = info.path.read_text()
    assert PASSWORD not in text
    assert "battery" not in text
    assert PASSWORD not in repr(keystore)


def test_duplicate_name_is_refused_and_the_original_is_untouched(keystore: Keystore) -> None:
    first = keystore.create("main", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    before = first.path.read_bytes()
    with pytest.raises(DuplicateWallet):
        keystore.import_key("main", KNOWN_KEY, "other", scrypt_n=FAST_SCRYPT_N)
    with pytest.raises(DuplicateWallet):  # case-insensitive file systems would collide
        keystore.create("MAIN", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    assert first.path.read_bytes() == before
    assert keystore.unlock("main", PASSWORD).address == first.owner
    assert [p.name for p in keystore.directory.iterdir()] == ["main.json"]  # no temp files


def test_the_write_itself_refuses_an_existing_file(keystore: Keystore) -> None:
    """Even if the early check is raced past, the link into place never overwrites."""
    keystore.create("main", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    target = keystore.directory / "main.json"
    before = target.read_bytes()
    with pytest.raises(DuplicateWallet):
        keystore._write_new(target, "{}")
    assert target.read_bytes() == before
    assert sorted(p.name for p in keystore.directory.iterdir()) == ["main.json"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("0x", "empty"),
        ("0x1234", "4 characters"),
        (KNOWN_KEY + "00", "66 characters"),
        ("0x" + "zz" * 32, "not hex digits"),
        ("0x" + "00" * 32, "zero"),
        (hex(SECP256K1_ORDER), "group order"),
        ("correct horse battery staple", "characters"),
    ],
)
def test_malformed_keys_are_refused_without_echoing_them(
    keystore: Keystore, text: str, problem: str
) -> None:
    with pytest.raises(MalformedKey) as caught:
        keystore.import_key("bad", text, PASSWORD, scrypt_n=FAST_SCRYPT_N)
    assert problem in str(caught.value)
    if len(text) > 4:
        assert text not in str(caught.value)
    assert not keystore.directory.exists() or not list(keystore.directory.iterdir())


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=SECP256K1_ORDER - 1), st.booleans())
def test_every_valid_key_parses_back_to_itself(value: int, prefixed: bool) -> None:
    text = value.to_bytes(32, "big").hex()
    assert parse_private_key(("0x" if prefixed else "") + text.upper()) == value.to_bytes(32, "big")


def test_files_are_private(keystore: Keystore) -> None:
    info = keystore.create("main", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keystore.directory.stat().st_mode) == 0o700


def test_unknown_wallet_lists_the_known_ones(keystore: Keystore) -> None:
    keystore.create("alpha", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    keystore.create("beta", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    with pytest.raises(UnknownWallet) as caught:
        keystore.unlock("gamma", PASSWORD)
    assert caught.value.known == ("alpha", "beta")
    assert "alpha, beta" in str(caught.value)
    with pytest.raises(UnknownWallet):
        keystore.get("gamma")


@pytest.mark.parametrize("name", ["", "../evil", "a/b", ".hidden", "x" * 65, "sp ace"])
def test_names_that_are_not_plain_file_names_are_refused(keystore: Keystore, name: str) -> None:
    with pytest.raises(InvalidWalletName):
        keystore.create(name, PASSWORD, scrypt_n=FAST_SCRYPT_N)
    assert not keystore.directory.exists()


def test_empty_password_is_refused(keystore: Keystore) -> None:
    with pytest.raises(PasswordRejected):
        keystore.create("main", "", scrypt_n=FAST_SCRYPT_N)


def test_corrupt_keystore_is_listed_with_its_problem_and_refused(keystore: Keystore) -> None:
    keystore.create("good", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    (keystore.directory / "broken.json").write_text("{not json")
    listed = {w.name: w for w in keystore.list()}
    assert listed["good"].problem is None
    assert listed["broken"].owner is None
    assert "unreadable JSON" in (listed["broken"].problem or "")
    with pytest.raises(KeystoreCorrupt):
        keystore.unlock("broken", PASSWORD)


def test_tampered_ciphertext_is_a_wrong_password_not_a_wrong_key(keystore: Keystore) -> None:
    info = keystore.create("main", PASSWORD, scrypt_n=FAST_SCRYPT_N)
    data = json.loads(info.path.read_text())
    cipher = data["crypto"]["ciphertext"]
    data["crypto"]["ciphertext"] = ("0" if cipher[0] != "0" else "1") + cipher[1:]
    info.path.write_text(json.dumps(data))
    with pytest.raises(WrongPassword):  # the MAC covers the ciphertext
        keystore.unlock("main", PASSWORD)


def test_home_directory_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INDEXVAULT_HOME", str(tmp_path / "vaulthome"))
    assert default_keystore_dir() == tmp_path / "vaulthome" / "keystores"
    assert Keystore().directory == tmp_path / "vaulthome" / "keystores"
    monkeypatch.delenv("INDEXVAULT_HOME")
    assert default_keystore_dir() == Path.home() / ".indexvault" / "keystores"


def test_production_default_work_factor_is_eth_accounts(
    keystore: Keystore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an explicit scrypt_n, eth-account's default (n = 2**18) is asked for; the
    spy then encrypts lightly so the test stays fast."""
    seen: list[tuple[object, object]] = []
    real = keystore_module.Account.encrypt

    def spy(key: bytes, password: str, kdf: str | None = None, iterations: int | None = None):  # type: ignore[no-untyped-def]
        seen.append((kdf, iterations))
        return real(key, password, kdf=kdf, iterations=FAST_SCRYPT_N)  # type: ignore[arg-type]

    monkeypatch.setenv("ETH_ACCOUNT_KDF", "pbkdf2")  # must not weaken ours
    monkeypatch.setattr(keystore_module.Account, "encrypt", spy)
    keystore.create("main", PASSWORD)
    assert seen == [("scrypt", None)]
