"""The squarified treemap: layout properties on random values, and a rendered PNG."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import InputError
from orchestrator.ledger import Tile, holdings_tiles, render_treemap, squarify
from orchestrator.ledger.pnl import PnL, PositionValue
from orchestrator.ledger.treemap import share_bps

EPS = 1e-6


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(0, 10**15), min_size=1, max_size=60),
    width=st.floats(1.0, 4_000.0),
    height=st.floats(1.0, 4_000.0),
)
def test_rectangles_tile_the_canvas_in_proportion_without_overlap(
    values: list[int], width: float, height: float
) -> None:
    rects = squarify(values, width=width, height=height, x=10.0, y=20.0)
    total = sum(values)
    assert sorted(r.index for r in rects) == [i for i, v in enumerate(values) if v > 0]
    canvas = width * height
    for r in rects:
        assert min(r.width, r.height) >= -EPS
        assert r.x >= 10.0 - EPS
        assert r.y >= 20.0 - EPS
        assert r.x + r.width <= 10.0 + width + EPS * width
        assert r.y + r.height <= 20.0 + height + EPS * height
        assert abs(r.area - canvas * values[r.index] / total) <= 1e-6 * canvas
    if rects:
        assert abs(sum(r.area for r in rects) - canvas) <= 1e-6 * canvas
    for p, q in itertools.combinations(rects, 2):
        overlap_w = min(p.x + p.width, q.x + q.width) - max(p.x, q.x)
        overlap_h = min(p.y + p.height, q.y + q.height) - max(p.y, q.y)
        assert overlap_w <= 1e-6 * width or overlap_h <= 1e-6 * height


def test_a_known_layout_is_squarified() -> None:
    # the paper's example: 6, 6, 4, 3, 2, 2, 1 on a 6 x 4 canvas
    rects = squarify([6, 6, 4, 3, 2, 2, 1], width=6.0, height=4.0)
    first_two = sorted((r.x, r.y, r.width, r.height) for r in rects[:2])
    assert first_two == [(0.0, 0.0, 3.0, 2.0), (0.0, 2.0, 3.0, 2.0)]
    worst = max(max(r.width / r.height, r.height / r.width) for r in rects)
    assert worst < 3.0  # a slice-and-dice layout of the same values reaches 6


def test_bad_values_and_empty_input() -> None:
    with pytest.raises(InputError, match=r"treemap values must be >= 0, got \[\(1, -5\)\]"):
        squarify([3, -5], width=1.0, height=1.0)
    with pytest.raises(InputError, match="positive size"):
        squarify([1], width=0.0, height=1.0)
    assert squarify([0, 0], width=1.0, height=1.0) == []
    assert share_bps(1, 3) == 3_333
    assert share_bps(5, 0) == 0


def test_render_writes_a_png_with_labels(tmp_path: Path) -> None:
    report = PnL(
        cash_usdc=50, positions=(PositionValue("0xA", 5, 1, 700, 699),
                                 PositionValue("0xB", 5, 1, 250, 249)),
        market_value_usdc=950, cost_basis_usdc=2, equity_usdc=1_000, deposits_usdc=2,
        withdrawals_usdc=0, fees_usdc=0, realised_pnl_usdc=0, unrealised_pnl_usdc=948,
        net_pnl_usdc=948, gas_paid_wei=0,
    )  # fmt: skip
    tiles = holdings_tiles(report, {"0xA": "AAA"})
    assert tiles == [Tile("AAA", 700), Tile("0xB", 250), Tile("USDC", 50)]
    tiles += [Tile(f"T{i}", 1) for i in range(30)]  # tiny tiles: no label
    path = render_treemap(tiles, tmp_path / "out" / "holdings.png", width_px=600,
                          height_px=400, title="Holdings")  # fmt: skip
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (600, 400)


def test_tile_text_reads_on_every_tile_colour() -> None:
    from matplotlib.colors import to_hex

    from orchestrator.ledger.treemap import _palette, contrast, text_color

    faces = [to_hex(c) for c in _palette()]
    assert min(contrast(face, text_color(face)) for face in faces) >= 4.5  # WCAG AA
    assert text_color("#aec7e8") == "#000000"  # pale blue: black, not white (1.7:1)
