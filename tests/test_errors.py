"""The error tree drawn in `orchestrator/errors.py` is the code's: every class is drawn under
its real parent, every drawn name exists, and no module defines an exception of its own."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import orchestrator
from orchestrator import errors

PACKAGE = Path(orchestrator.__file__).parent
_ROW = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z]\w+)\b")


def _drawn_parents() -> dict[str, str | None]:
    """name -> parent name, from the tree in the module docstring (indentation = depth)."""
    doc = inspect.getdoc(errors) or ""
    tree = doc.split("\n\n")[1]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in tree.splitlines():
        match = _ROW.match(line.strip("\n"))
        if match is None:
            continue  # a continuation line of a description
        depth = len(match["indent"]) // 4
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match["name"]] = stack[-1][1] if stack else None
        stack.append((depth, match["name"]))
    return parents


def _real_parents() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name, value in vars(errors).items():
        if inspect.isclass(value) and issubclass(value, errors.IndexVaultError):
            ours = [b for b in value.__bases__ if issubclass(b, errors.IndexVaultError)]
            found[name] = ours[0].__name__ if ours else None
    return found


def test_the_drawn_tree_is_the_class_hierarchy() -> None:
    assert _drawn_parents() == _real_parents()


def test_every_error_class_is_exported_and_lives_in_errors_py() -> None:
    assert set(_real_parents()) <= set(errors.__all__)
    elsewhere = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                if any(b.endswith(("Error", "Exception")) or b in _real_parents() for b in bases):
                    elsewhere.append(f"{path.relative_to(PACKAGE)}: {node.name}")
    assert elsewhere == []


def test_branches_say_what_to_do() -> None:
    """Each branch is found by what the caller should do, and carries a hint."""
    for branch in (
        errors.InputError,
        errors.PreviewOutdated,
        errors.ContractReverted,
        errors.TransientError,
        errors.InternalError,
    ):
        assert branch.__bases__ == (errors.IndexVaultError,)
    assert errors.PreviewOutdated("x").hint.startswith("Preview again")
    assert errors.InternalError("x").hint.startswith("This is a bug")
    assert issubclass(errors.InvalidValue, ValueError)  # a bad argument, as Python expects
