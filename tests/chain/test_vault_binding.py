"""The vault binding is the contracts' ABI: every function (name, inputs, outputs) and every
event it writes out exists exactly so in `abi/` or the npm artifact it names, and encoding
with it gives what web3 encodes from the ABI itself."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from eth_utils.abi import event_abi_to_log_topic
from web3 import Web3

from orchestrator.artifacts import load_artifact, load_npm_artifact
from orchestrator.artifacts.load import NPM_ARTIFACTS
from orchestrator.chain import vault_binding as vb
from orchestrator.wallet.simulation import simulations_artifact


def _type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + kind[5:]
    return kind


@cache
def _abi(contract: str) -> tuple[dict[str, Any], ...]:
    if contract == "EntryPointSimulations":
        return tuple(simulations_artifact().abi)
    if contract in NPM_ARTIFACTS:
        return tuple(load_npm_artifact(contract).abi)
    return tuple(load_artifact(contract).abi)


def _signatures(contract: str, kind: str) -> dict[str, tuple[str, ...]]:
    """signature -> output types, of every `kind` entry of the contract's ABI."""
    return {
        f"{e['name']}({','.join(_type(i) for i in e['inputs'])})": tuple(
            _type(o) for o in e.get("outputs", [])
        )
        for e in _abi(contract)
        if e.get("type") == kind
    }


@pytest.mark.parametrize("fn", vb.ALL_FUNCTIONS, ids=lambda f: f"{f.contract}.{f.name}")
def test_every_function_is_in_its_abi_with_these_outputs(fn: vb.Function) -> None:
    found = _signatures(fn.contract, "function")
    assert fn.signature in found, f"{fn.signature} is not a function of {fn.contract}"
    assert found[fn.signature] == fn.returns


@pytest.mark.parametrize("event", vb.ALL_EVENTS, ids=lambda e: f"{e.contract}.{e.name}")
def test_every_event_topic_is_in_its_abi(event: vb.Event) -> None:
    topics = {
        event_abi_to_log_topic(e): e["name"]  # type: ignore[arg-type]
        for e in _abi(event.contract)
        if e.get("type") == "event"
    }
    assert topics.get(event.topic) == event.name


def test_the_binding_covers_what_the_vault_and_factory_emit() -> None:
    ours = {e.name for e in vb.ALL_EVENTS if e.contract == "IndexVault"}
    assert ours == {e["name"] for e in _abi("IndexVault") if e.get("type") == "event"}
    assert "VaultCreated" in {e.name for e in vb.ALL_EVENTS if e.contract == "VaultFactory"}


def test_encoding_matches_web3s_encoder() -> None:
    vault = Web3().eth.contract(abi=load_artifact("IndexVault").abi)
    token, account = "0x" + "12" * 20, "0x" + "34" * 20
    legs = [vb.LegStruct(Web3.to_checksum_address(token), 3000, 10**6, 9 * 10**5)]
    assert vb.BUY.call(10**6, legs, 10, 1_700_000_000) == bytes.fromhex(
        vault.encode_abi("buy", [10**6, legs, 10, 1_700_000_000])[2:]
    )
    sells = vault.encode_abi("sell", [legs, 0, 5_000, 10, 7])
    assert vb.SELL.call(legs, 0, 5_000, 10, 7) == bytes.fromhex(sells[2:])
    mandate = (Web3.to_checksum_address(account), 100, 3_600, 1_800, 10**8, 86_400, 2 * 10**8, True)
    pools = [(Web3.to_checksum_address(token), 3000)]
    expected = vault.encode_abi("setMandate", [mandate, pools])
    assert vb.SET_MANDATE.call(mandate, pools) == bytes.fromhex(expected[2:])
