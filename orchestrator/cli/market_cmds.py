"""Commands about the local market: `indexvault demo` (foundation version)."""

from __future__ import annotations
