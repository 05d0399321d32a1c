"""The import contract, checked over the package's import graph (`make lint` runs this file):

- the front ends (cli/, demo/, text/, web/) import from the library only the facade
  (`orchestrator.service` and its models) and `orchestrator.errors`;
- nothing in the library imports a front end;
- web3 is imported, and a node is spoken to (`.w3`), only inside `orchestrator/chain/`.

An allowlist, which is why this is a test over the graph rather than import-linter's
forbidden-module contracts: a new package is covered without anyone listing it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import orchestrator

PACKAGE = Path(orchestrator.__file__).parent
FRONT_ENDS = ("orchestrator.cli", "orchestrator.demo", "orchestrator.text", "orchestrator.web")
FACADE = ("orchestrator.service", "orchestrator.errors")
NODE_LIBRARIES = ("web3", "eth_tester")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield _module(path), ast.parse(path.read_text(), filename=str(path))


def _imports(module: str, tree: ast.Module) -> Iterator[str]:
    """Every name imported, dotted in full (`from a import b` imports `a.b`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = ".".join([*module.split(".")[: -node.level], *base.split(".")]).strip(".")
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_front_ends_reach_the_library_only_through_the_facade() -> None:
    reached_past = [
        f"{module} imports {name}"
        for module, tree in _modules()
        if _within(module, FRONT_ENDS)
        for name in _imports(module, tree)
        if _within(name, ("orchestrator",)) and not _within(name, FRONT_ENDS + FACADE)
    ]
    assert reached_past == []


def test_nothing_in_the_library_imports_a_front_end() -> None:
    upwards = [
        f"{module} imports {name}"
        for module, tree in _modules()
        if not _within(module, FRONT_ENDS)
        for name in _imports(module, tree)
        if _within(name, FRONT_ENDS)
    ]
    assert upwards == []


def test_only_chain_speaks_to_a_node() -> None:
    outside = [
        f"{module} imports {name}"
        for module, tree in _modules()
        if not _within(module, ("orchestrator.chain",))
        for name in _imports(module, tree)
        if _within(name, NODE_LIBRARIES)
    ]
    outside += [
        f"{module} uses .w3 (line {node.lineno})"
        for module, tree in _modules()
        if not _within(module, ("orchestrator.chain",))
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "w3"
    ]
    assert outside == []
