"""The Solidity build: abi/ is fresh, reproducible, and errors point at file:line."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from orchestrator.artifacts import build as build_module
from orchestrator.artifacts import load as load_module
from orchestrator.artifacts.build import (
    COMPILER_SETTINGS,
    compile_sources,
    stale_reason,
)
from orchestrator.artifacts.load import repo_root
from orchestrator.errors import BuildError, SetupError

ROOT = repo_root()


def test_committed_abi_matches_the_sources() -> None:
    assert stale_reason() is None, "abi/ is stale: run `make abi` and commit abi/"


def test_foundry_and_make_abi_compile_with_the_same_settings() -> None:
    foundry = tomllib.loads((ROOT / "foundry.toml").read_text())["profile"]["default"]
    assert foundry["evm_version"] == COMPILER_SETTINGS["evmVersion"]
    assert foundry["optimizer"] is COMPILER_SETTINGS["optimizer"]["enabled"]
    assert foundry["optimizer_runs"] == COMPILER_SETTINGS["optimizer"]["runs"]


def test_a_source_change_makes_abi_stale(tmp_path: Path) -> None:
    root = _scratch_root(tmp_path)
    (root / "abi").mkdir()
    manifest = json.loads((ROOT / "abi" / "manifest.json").read_text())
    (root / "abi" / "manifest.json").write_text(json.dumps(manifest))
    for name in manifest["contracts"]:
        (root / "abi" / f"{name}.json").write_text("{}")
    assert stale_reason(root) is None
    source = root / "contracts" / "test" / "TestToken.sol"
    source.write_text(source.read_text() + "\n// changed\n")
    assert "changed since `make abi`" in str(stale_reason(root))


@pytest.mark.slow
def test_rebuilding_reproduces_the_committed_bytecode() -> None:
    result = compile_sources()
    committed = json.loads((ROOT / "abi" / "manifest.json").read_text())["contracts"]
    assert sorted(result.contracts) == committed
    for name, artifact in result.contracts.items():
        on_disk = json.loads((ROOT / "abi" / f"{name}.json").read_text())
        assert artifact["bytecode"] == on_disk["bytecode"], name
        assert artifact["deployedBytecode"] == on_disk["deployedBytecode"], name
        assert artifact["abi"] == on_disk["abi"], name


def _scratch_root(tmp_path: Path) -> Path:
    """A copy of the repo's build inputs: contracts/ copied, node_modules and deploy linked."""
    root = tmp_path / "repo"
    (root / "contracts").mkdir(parents=True)
    for source in (ROOT / "contracts").rglob("*.sol"):
        target = root / source.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    os.symlink(ROOT / "node_modules", root / "node_modules")
    os.symlink(ROOT / "deploy", root / "deploy")
    (root / "package.json").write_text((ROOT / "package.json").read_text())
    return root


def test_compiler_errors_are_reported_as_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "contracts").mkdir(parents=True)
    os.symlink(ROOT / "node_modules", root / "node_modules")
    os.symlink(ROOT / "deploy", root / "deploy")
    (root / "package.json").write_text((ROOT / "package.json").read_text())
    (root / "contracts" / "Broken.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.37;\n\ncontract Broken {\n"
        "    function f() external pure returns (uint256) {\n        return missing;\n    }\n}\n"
    )
    with pytest.raises(BuildError) as caught:
        compile_sources(root)
    assert any(
        p.startswith("contracts/Broken.sol:6: DeclarationError") for p in caught.value.problems
    )
    assert "Undeclared identifier" in str(caught.value)


def test_missing_npm_setup_says_run_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_module, "repo_root", lambda: tmp_path)
    load_module.load_npm_artifact.cache_clear()
    try:
        with pytest.raises(SetupError) as caught:
            load_module.load_npm_artifact("SwapRouter02")
        assert "npm packages are not installed" in str(caught.value)
        assert "make" in caught.value.hint
        with pytest.raises(SetupError, match="node_modules/solc is missing"):
            build_module.compile_sources(tmp_path)
    finally:
        load_module.load_npm_artifact.cache_clear()
