"""A sampled mutation score for the lines a change touched (the full campaign needs ~2 days).

    .venv/bin/python tests/forge/mutation/sample_mutants.py --since REV [--count N] [--seed S]

Takes the lines of `contracts/IndexVault.sol` and `contracts/VaultFactory.sol` added or changed
since REV (`git diff -U0`), generates every single-token mutant of them with classic operators
(relational and equality flips, arithmetic swaps, boolean connectives, a deleted `revert`
condition or statement, a constant nudged by one), draws N at random with a fixed seed, and runs
each in a scratch copy: `forge build` (optimizer off) and, when it compiles, the forge suite
without the gas bench with `--fail-fast` and fewer fuzz runs. A mutant is caught when a test
fails. Prints one line per mutant and the score caught / compiled; `--json F` writes them.
Mutants are sampled uniformly, so the score estimates the campaign's on those lines (its 95%
interval is printed beside it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FORGE = REPO / "node_modules/@foundry-rs/forge-linux-amd64/bin/forge"
TARGETS = ("contracts/IndexVault.sol", "contracts/VaultFactory.sol")

# (pattern, replacement) pairs applied to one occurrence at a time
OPERATORS: tuple[tuple[str, str], ...] = (
    (r"(?<![<>=!])<(?![<=])", "<="),
    (r"<=", "<"),
    (r"(?<![<>=!-])>(?![>=])", ">="),
    (r">=", ">"),
    (r"==", "!="),
    (r"!=", "=="),
    (r"&&", "||"),
    (r"\|\|", "&&"),
    (r"(?<![+])\+(?![+=])", "-"),
    (r"(?<![-])-(?![-=>])", "+"),
    (r"\*(?![*=/])", "/"),
    (r"\btrue\b", "false"),
    (r"\bfalse\b", "true"),
    (r"\b(\d+)\b", "+1"),  # a constant nudged by one
)


@dataclass(frozen=True)
class Mutant:
    path: str
    line: int
    original: str
    mutated: str


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    status: str  # caught | survived | uncompiled | timeout (scored as survived)


def changed_lines(since: str, path: str) -> list[int]:
    diff = subprocess.run(
        ["git", "diff", "-U0", since, "--", path],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines: list[int] = []
    for m in re.finditer(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@", diff, re.M):
        start, count = int(m.group(1)), int(m.group(2) or "1")
        lines.extend(range(start, start + count))
    return lines


def _is_code(text: str) -> bool:
    s = text.strip()
    return bool(s) and not s.startswith(("//", "/*", "*", "import", "pragma", "event ", "error "))


def mutants_of(path: str, line_numbers: list[int]) -> list[Mutant]:
    source = (REPO / path).read_text().splitlines()
    found: list[Mutant] = []
    for n in line_numbers:
        text = source[n - 1]
        code = text.split("//", 1)[0]
        if not _is_code(code):
            continue
        for pattern, replacement in OPERATORS:
            for m in re.finditer(pattern, code):
                new = str(int(m.group(1)) + 1) if replacement == "+1" else replacement
                mutated = code[: m.start()] + new + code[m.end() :]
                found.append(Mutant(path, n, text, mutated))
        stripped = code.strip()
        guarded_revert = stripped.startswith("if (") and "revert" in stripped
        if guarded_revert or stripped.startswith(("revert ", "emit ")):
            found.append(Mutant(path, n, text, "// deleted: " + stripped))
    return found


def _run(cmd: list[str], cwd: Path, timeout_s: int) -> int | None:
    env = {
        **os.environ,
        "FOUNDRY_OPTIMIZER": "false",
        "FOUNDRY_FUZZ_RUNS": "32",
        "FOUNDRY_INVARIANT_RUNS": "8",
        "FOUNDRY_INVARIANT_DEPTH": "32",
    }
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    return done.returncode


def score(mutant: Mutant, work: Path, timeout_s: int) -> str:
    target = work / mutant.path
    original = target.read_text()
    lines = original.splitlines()
    lines[mutant.line - 1] = mutant.mutated
    target.write_text("\n".join(lines) + "\n")
    try:
        if _run([str(FORGE), "build"], work, timeout_s) != 0:
            return "uncompiled"
        code = _run(
            [str(FORGE), "test", "--fail-fast", "--no-match-contract", "Gas"], work, timeout_s
        )
        if code is None:
            return "timeout"
        return "caught" if code != 0 else "survived"
    finally:
        target.write_text(original)


def scratch_copy() -> Path:
    work = Path(tempfile.mkdtemp(prefix="indexvault-sampled-mutation."))
    for name in ("contracts", "foundry.toml", "package.json"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
    (work / "tests").mkdir()
    shutil.copytree(REPO / "tests/forge", work / "tests/forge")
    (work / "deploy").mkdir()
    shutil.copy(REPO / "deploy/solc", work / "deploy/solc")
    (work / "node_modules").symlink_to(REPO / "node_modules")
    return work


def wilson(caught: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    z, p = 1.96, caught / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", required=True)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--timeout-s", type=int, default=900)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--start", type=int, default=1, help="resume at this mutant (1-based)")
    args = parser.parse_args()
    population = [m for path in TARGETS for m in mutants_of(path, changed_lines(args.since, path))]
    sample = random.Random(args.seed).sample(population, min(args.count, len(population)))
    print(
        f"{len(population)} mutants of the lines changed since {args.since}; sampling {len(sample)}"
    )
    work = scratch_copy()
    outcomes: list[Outcome] = []
    for i, mutant in enumerate(sample, 1):
        if i < args.start:
            continue
        status = score(mutant, work, args.timeout_s)
        outcomes.append(Outcome(mutant, status))
        print(
            f"[{i}/{len(sample)}] {status:10} {mutant.path}:{mutant.line}:",
            mutant.mutated.strip(),
            flush=True,
        )
        if args.json:
            args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    # a timeout is counted as a survivor: the suite did not fail within the limit
    compiled = [o for o in outcomes if o.status in ("caught", "survived", "timeout")]
    caught = sum(o.status == "caught" for o in compiled)
    lo, hi = wilson(caught, len(compiled))
    pct = 100 * caught / max(1, len(compiled))
    print(
        f"caught {caught}/{len(compiled)} compiled mutants = {pct:.1f}% "
        f"(95% interval {100 * lo:.0f}-{100 * hi:.0f}%); "
        f"{len(outcomes) - len(compiled)} did not compile"
    )
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
