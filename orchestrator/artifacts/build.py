"""`make abi`: compile every contract under `contracts/` with the npm solc into `abi/`.

The compiler is the pinned npm `solc` behind `deploy/solc` (standard JSON in, standard JSON
out). Each contract becomes `abi/<Contract>.json` (abi, bytecode, deployed bytecode,
compiler version and settings, the sources hash); `abi/manifest.json` records the hash of
everything that determines the output, so a test can tell in milliseconds that `abi/` is
stale. Run `python -m orchestrator.artifacts.build [--check]`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.artifacts.load import repo_root
from orchestrator.errors import BuildError, IndexVaultError, SetupError

__all__ = [
    "COMPILER_SETTINGS",
    "build",
    "compile_sources",
    "sources_hash",
    "stale_reason",
]

COMPILER_VERSION_PREFIX = "0.8.37"
# Keep in step with foundry.toml (tests/test_build.py checks it): same optimizer, same EVM.
COMPILER_SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 10_000},
    "metadata": {"bytecodeHash": "none"},
    "remappings": [
        "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
        "@uniswap/v3-core/=node_modules/@uniswap/v3-core/",
        "@uniswap/v3-periphery/=node_modules/@uniswap/v3-periphery/",
        "@account-abstraction/contracts/=node_modules/@account-abstraction/contracts/",
    ],
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]},
    },
}


@dataclass(frozen=True)
class BuildResult:
    contracts: dict[str, dict[str, Any]]  # contract name -> artifact JSON
    warnings: list[str]
    compiler_version: str


def contract_sources(root: Path | None = None) -> dict[str, str]:
    """Every `.sol` file under contracts/, keyed by its path relative to the repo."""
    root = root or repo_root()
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted((root / "contracts").rglob("*.sol"))
    }


def _npm_pins(root: Path) -> dict[str, str]:
    package = json.loads((root / "package.json").read_text())
    return dict(sorted(package.get("dependencies", {}).items()))


def sources_hash(root: Path | None = None) -> str:
    """sha256 over what decides the build: our sources, npm pins (imports) and settings."""
    root = root or repo_root()
    digest = hashlib.sha256()
    payload = {
        "compiler": COMPILER_VERSION_PREFIX,
        "settings": COMPILER_SETTINGS,
        "npm": _npm_pins(root),
        "sources": {
            name: hashlib.sha256(text.encode()).hexdigest()
            for name, text in contract_sources(root).items()
        },
    }
    digest.update(json.dumps(payload, sort_keys=True).encode())
    return digest.hexdigest()


def _line_of(source_text: str, offset: int) -> int:
    return source_text.count("\n", 0, max(offset, 0)) + 1


def _format_problem(error: dict[str, Any], root: Path) -> str:
    location = error.get("sourceLocation") or {}
    file_name = location.get("file")
    message = error.get("message", "").strip()
    kind = error.get("type", "Error")
    if not file_name:
        return f"{kind}: {message}"
    try:
        text = (root / file_name).read_text()
        line = _line_of(text, int(location.get("start", 0)))
    except OSError:
        return f"{file_name}: {kind}: {message}"
    return f"{file_name}:{line}: {kind}: {message}"


def compile_sources(root: Path | None = None) -> BuildResult:
    """Run the npm solc over contracts/ and return the artifacts (nothing written)."""
    root = root or repo_root()
    driver = root / "deploy" / "solc"
    if not (root / "node_modules" / "solc").is_dir():
        raise SetupError("the npm solc package is not installed (node_modules/solc is missing)")
    sources = contract_sources(root)
    if not sources:
        return BuildResult(contracts={}, warnings=[], compiler_version="")
    version = (
        subprocess.run(
            ["node", str(driver), "--version"], capture_output=True, text=True, cwd=root, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
        .removeprefix("Version: ")
    )
    if not version.startswith(COMPILER_VERSION_PREFIX):
        raise SetupError(f"expected solc {COMPILER_VERSION_PREFIX}, node_modules has {version}")
    request = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": COMPILER_SETTINGS,
    }
    completed = subprocess.run(
        ["node", str(driver), "--standard-json"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    if completed.returncode != 0:
        raise SetupError(f"the solc driver failed: {completed.stderr.strip()}")
    output = json.loads(completed.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise BuildError([_format_problem(e, root) for e in errors])
    warnings = [
        _format_problem(e, root) for e in output.get("errors", []) if e.get("severity") != "error"
    ]
    digest = sources_hash(root)
    contracts: dict[str, dict[str, Any]] = {}
    for source_name in sources:
        for name, compiled in output.get("contracts", {}).get(source_name, {}).items():
            if name in contracts:
                raise BuildError([f"{source_name}: contract name {name} is defined twice"])
            contracts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "compiler": {"version": version, "settings": COMPILER_SETTINGS},
                "sourcesHash": digest,
            }
    return BuildResult(contracts=contracts, warnings=warnings, compiler_version=version)


def _dump(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def build(root: Path | None = None) -> BuildResult:
    """Compile and write `abi/`; removes artifacts of contracts that no longer exist."""
    root = root or repo_root()
    result = compile_sources(root)
    out = root / "abi"
    out.mkdir(exist_ok=True)
    for stale in out.glob("*.json"):
        if stale.stem not in result.contracts and stale.name != "manifest.json":
            stale.unlink()
    for name, artifact in result.contracts.items():
        (out / f"{name}.json").write_text(_dump(artifact))
    manifest = {
        "compilerVersion": result.compiler_version,
        "sourcesHash": sources_hash(root),
        "contracts": sorted(result.contracts),
    }
    (out / "manifest.json").write_text(_dump(manifest))
    return result


def stale_reason(root: Path | None = None) -> str | None:
    """Why `abi/` does not match `contracts/` (None when it is up to date)."""
    root = root or repo_root()
    manifest_path = root / "abi" / "manifest.json"
    if not manifest_path.is_file():
        return "abi/manifest.json is missing"
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("sourcesHash") != sources_hash(root):
        return "contracts/, the npm pins or the compiler settings changed since `make abi`"
    missing = [
        n for n in manifest.get("contracts", []) if not (root / "abi" / f"{n}.json").is_file()
    ]
    if missing:
        return f"artifacts missing from abi/: {', '.join(missing)}"
    return None


def main(argv: list[str]) -> int:
    if "--check" in argv:
        reason = stale_reason()
        if reason:
            print(f"abi/ is stale: {reason}. Run `make abi`.", file=sys.stderr)
            return 1
        print("abi/ is up to date")
        return 0
    try:
        result = build()
    except IndexVaultError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"compiled {len(result.contracts)} contracts with solc {result.compiler_version} into abi/"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
