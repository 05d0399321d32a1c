"""`indexvault wallet create|import|list`: keystores and the smart accounts they own.

Passwords are prompted without echo (twice when a keystore is written); for automation
they can come from `INDEXVAULT_PASSWORD`. Private keys are never command-line arguments
(they would land in shell history): `import` prompts for one without echo, or reads
`--key-file`. Keystores live in `$INDEXVAULT_HOME/keystores` (default
`~/.indexvault/keystores`) unless `--keystore-dir` says otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.app import app
from orchestrator.cli.output import JsonOpt, emit
from orchestrator.errors import InputError, PasswordRejected
from orchestrator.service.wallets import (
    Keystore,
    WalletInfo,
    check_new_password,
    default_smart_account,
    smart_account_addresses,
)

__all__ = ["PASSWORD_ENV", "create", "import_key", "list_wallets", "wallet_app"]

PASSWORD_ENV = "INDEXVAULT_PASSWORD"  # noqa: S105 - the variable's name, not a password

wallet_app = typer.Typer(
    help="Keystores (Web3 Secret Storage v3) and the ERC-4337 smart accounts they own.",
    no_args_is_help=True,
)
app.add_typer(wallet_app, name="wallet")

KeystoreDir = Annotated[
    Path | None,
    typer.Option(
        "--keystore-dir",
        help="Keystore folder (default: $INDEXVAULT_HOME/keystores, ~/.indexvault/keystores).",
    ),
]
# Tests only: a light scrypt work factor. Hidden, and never a default.
ScryptN = Annotated[int | None, typer.Option("--scrypt-n", hidden=True)]


def _password(*, confirm: bool) -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        if from_env == "":
            raise PasswordRejected(f"{PASSWORD_ENV} is set but empty")
        return from_env
    if _no_terminal():
        raise PasswordRejected(
            "no terminal to ask for it",
            hint=f"Run it in a terminal, or set {PASSWORD_ENV} for automation.",
        )
    value: str = typer.prompt("Keystore password", hide_input=True, confirmation_prompt=confirm)
    return value


def _no_terminal() -> bool:
    """Would a hidden prompt fall back to echoing stdin (getpass's GetPassWarning)? Not when
    stdin was replaced (a test runner scripts the answers), nor with a controlling terminal."""
    if sys.stdin is not sys.__stdin__:
        return False
    try:
        with open("/dev/tty"):
            return False
    except OSError:
        return sys.stdin is None or not sys.stdin.isatty()


def _new_password() -> str:
    """A password for a new keystore, asked twice; MetaMask's minimum length."""
    password = _password(confirm=True)
    check_new_password(password)
    return password


def _created(verb: str, info: WalletInfo, *, command: str, as_json: bool) -> None:
    name, owner = info.name, info.owner
    account = default_smart_account(owner) if owner is not None else None
    if as_json:
        emit(command, {"wallet": info, "smart_account": account})
        return
    typer.echo(f"{verb} wallet {name}: owner {owner}")
    if owner is not None:
        typer.echo(
            f"  smart account {account} (where your funds go; the same on "
            "every chain with the canonical SimpleAccountFactory v0.8, salt 0)"
        )


@wallet_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for the wallet (its keystore's file name).")],
    keystore_dir: KeystoreDir = None,
    scrypt_n: ScryptN = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a new key, encrypted under a password you choose."""
    keystore = Keystore(keystore_dir)
    keystore.ensure_name_free(name)  # before any prompt
    info = keystore.create(name, _new_password(), scrypt_n=scrypt_n)
    _created("created", info, command="wallet create", as_json=as_json)
    if as_json:
        return
    typer.echo(f"keystore: {info.path} (back it up; the password cannot be recovered)")


@wallet_app.command("import")
def import_key(
    name: Annotated[str, typer.Argument(help="A name for the wallet (its keystore's file name).")],
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="Read the hex private key from this file."),
    ] = None,
    keystore_dir: KeystoreDir = None,
    scrypt_n: ScryptN = None,
    as_json: JsonOpt = False,
) -> None:
    """Import an existing private key (hex), encrypted under a password you choose."""
    keystore = Keystore(keystore_dir)
    keystore.ensure_name_free(name)  # before any prompt
    if key_file is not None:
        try:
            key_text = key_file.read_text()
        except OSError as error:
            raise InputError(f"cannot read --key-file {key_file}: {error.strerror}") from None
    else:
        key_text = typer.prompt("Private key (hex)", hide_input=True)
    info = keystore.import_key(name, key_text, _new_password(), scrypt_n=scrypt_n)
    _created("imported", info, command="wallet import", as_json=as_json)
    if as_json:
        return
    typer.echo(f"keystore: {info.path}")


@wallet_app.command("list")
def list_wallets(
    keystore_dir: KeystoreDir = None,
    factory: Annotated[
        str | None,
        typer.Option(
            "--factory",
            help="A SimpleAccountFactory (v0.8): also show each owner's smart account address.",
        ),
    ] = None,
    entry_point: Annotated[
        str | None,
        typer.Option("--entry-point", help="The EntryPoint v0.8 that factory belongs to."),
    ] = None,
    rpc_url: Annotated[
        str | None,
        typer.Option("--rpc-url", help="Check the addresses against the factory on this chain."),
    ] = None,
    salt: Annotated[int, typer.Option(min=0, help="The account salt.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List wallets: name, owner address, and (with --factory) the smart account address."""
    keystore = Keystore(keystore_dir)
    wallets = keystore.list()
    accounts: dict[str, str] = {}
    if factory is not None:
        accounts = smart_account_addresses(
            wallets, factory=factory, entry_point=entry_point, salt=salt, rpc_url=rpc_url
        )
    if as_json:
        rows = [
            {
                "name": info.name,
                "owner": info.owner,
                "keystore": str(info.path),
                "smart_account": accounts.get(info.name),
                "problem": info.problem,
            }
            for info in wallets
        ]
        emit("wallet list", {"keystore_dir": str(keystore.directory), "wallets": rows})
        return
    if not wallets:
        typer.echo(f"no wallets in {keystore.directory}")
        typer.echo("create one with `indexvault wallet create NAME`")
        return
    typer.echo(f"wallets in {keystore.directory}:")
    for info in wallets:
        if info.problem is not None:
            typer.echo(f"  {info.name:<20} UNREADABLE: {info.problem}")
            continue
        line = f"  {info.name:<20} owner {info.owner}"
        if info.name in accounts:
            line += f"  smart account {accounts[info.name]}"
        typer.echo(line)
    if factory is not None:
        how = "checked against the factory" if rpc_url else "computed off-chain; not checked"
        typer.echo(f"smart accounts: SimpleAccountFactory {factory}, salt {salt} ({how})")
