"""One local chain that plays Sepolia per test module (anvil --chain-id 11155111, the
externals deployed once, alto beside it), always stopped; and fresh $INDEXVAULT_HOMEs
whose network file is shaped exactly like deploy/networks/sepolia.json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.deployment.rehearsal import (
    PublicChain,
    network_file,
    start_public_chain,
    stop_public_chain,
)
from tests.local_network import gone

PASSWORD = "rehearsal password"


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicChain]:
    folder = tmp_path_factory.mktemp("public-chain")
    chain = start_public_chain(folder)
    try:
        yield chain
    finally:
        from orchestrator.chain.daemon import read_record

        pids = [r.pid for r in (read_record(folder, n) for n in ("alto", "anvil")) if r]
        stop_public_chain(folder)
        assert all(gone(pid) for pid in pids), f"processes left running: {pids}"


HomeFactory = Callable[..., Path]


@pytest.fixture
def fresh_home(public: PublicChain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HomeFactory:
    """`fresh_home(**overrides)`: a new $INDEXVAULT_HOME (and deployments folder) whose
    networks/sepolia.json is the rehearsal chain's, with `overrides` applied on top."""
    counter = iter(range(1000))

    def make(**overrides: Any) -> Path:
        home = tmp_path / f"home{next(counter)}"
        (home / "networks").mkdir(parents=True)
        data = network_file(public)
        for key, value in overrides.items():
            if key == "contracts":
                for name, address in value.items():
                    data["contracts"][name]["address"] = address
            else:
                data[key] = value
        (home / "networks" / "sepolia.json").write_text(json.dumps(data, indent=2))
        monkeypatch.setenv("INDEXVAULT_HOME", str(home))
        monkeypatch.setenv("INDEXVAULT_DEPLOYMENTS", str(home / "deployments"))
        monkeypatch.setenv("INDEXVAULT_PASSWORD", PASSWORD)
        monkeypatch.delenv("INDEXVAULT_SEPOLIA_RPC_URL", raising=False)
        monkeypatch.delenv("INDEXVAULT_SEPOLIA_BUNDLER_URL", raising=False)
        return home

    return make
