"""slither-mutate, with forge compiling each mutant.

slither-mutate checks that a mutant compiles by handing the single file to crytic-compile's
plain-solc path (`solc --combined-json`), which our npm solc driver (`deploy/solc`, standard
JSON only) cannot serve. This wrapper swaps that one check for `forge build` in the project
directory (the native forge, through deploy/solc); everything else is slither-mutate as shipped.
Run it through run_mutation.sh, which works in a scratch copy of the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys

from slither.tools.mutator import __main__ as mutate_main
from slither.tools.mutator.utils import testing_generated_mutant

FORGE = os.environ.get("FORGE", "forge")


def _forge_build(file_path: str, mappings: str | None) -> bool:
    """True when the project, with the mutant in place, compiles."""
    del file_path, mappings  # forge builds the whole project from foundry.toml
    return subprocess.run([FORGE, "build"], capture_output=True, check=False).returncode == 0


testing_generated_mutant.compile_generated_mutant = _forge_build

if __name__ == "__main__":
    sys.exit(mutate_main.main())
