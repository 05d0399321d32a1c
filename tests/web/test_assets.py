"""The page's files: built from npm at setup (no CDN reference anywhere), within budget."""

from __future__ import annotations

import re

from orchestrator.web import STATIC_DIR
from orchestrator.web.assets_budget import ASSETS_BUDGET_KB, assets_kb


def test_the_vendor_bundle_is_built_and_the_page_is_within_budget() -> None:
    sizes = assets_kb()
    assert "vendor/vendor.js" in sizes, "run `make setup`: it bundles static/vendor/"
    assert sum(sizes.values()) <= ASSETS_BUDGET_KB


def test_the_page_loads_nothing_from_elsewhere() -> None:
    for name in ("index.html", "page.js", "page.css"):
        text = (STATIC_DIR / name).read_text()
        assert not re.search(r"(src|href)=[\"']https?://", text), name
        assert "cdn" not in text.lower(), name
