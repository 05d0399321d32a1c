"""The page's size budget: everything under static/ (the page, its script and styles, the
bundled vendor code), uncompressed. `python -m orchestrator.web.assets_budget KB` fails
when it is over KB; `make setup` runs it after bundling."""

from __future__ import annotations

import sys

from orchestrator.web.app import STATIC_DIR

__all__ = ["ASSETS_BUDGET_KB", "assets_kb"]

ASSETS_BUDGET_KB = 800


def assets_kb() -> dict[str, int]:
    """Size in KB (1024 bytes, rounded up) of every file the page loads."""
    return {
        str(path.relative_to(STATIC_DIR)): -(-path.stat().st_size // 1024)
        for path in sorted(STATIC_DIR.rglob("*"))
        if path.is_file()
    }


def main() -> None:
    budget = int(sys.argv[1]) if len(sys.argv) > 1 else ASSETS_BUDGET_KB
    sizes = assets_kb()
    total = sum(sizes.values())
    print(f"web assets: {total} KB of {budget} KB budget ({len(sizes)} files)")
    if total > budget:
        for name, kb in sizes.items():
            print(f"  {kb:>6} KB  {name}")
        sys.exit(f"web assets over budget: {total} KB > {budget} KB")


if __name__ == "__main__":
    main()
