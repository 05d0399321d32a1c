"""Holdings treemap: a squarified layout (pure) and a PNG renderer (matplotlib, Agg).

    rects = squarify([500, 300, 200], width=600.0, height=400.0)      # pure geometry
    render_treemap(holdings_tiles(report, symbols), Path("holdings.png"))

Layout: Bruls, Huizing & van Wijk, "Squarified Treemaps" (2000). Values are integers
(USDC base units); each positive value gets a rectangle whose area is its share of the
canvas; rows are laid along the shorter side of what remains, and a row grows while that
does not worsen its worst aspect ratio. Floats are used for geometry only; shares shown
on the tiles are computed in integers (basis points, rounded down).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import InputError
from orchestrator.ledger.pnl import PnL

__all__ = [
    "Rect",
    "Tile",
    "contrast",
    "holdings_tiles",
    "render_treemap",
    "share_bps",
    "squarify",
    "text_color",
]

FULL_MIN_WIDTH_PX = 80  # symbol, value and share
FULL_MIN_HEIGHT_PX = 46
LABEL_MIN_WIDTH_PX = 56  # symbol + share
LABEL_MIN_HEIGHT_PX = 30
SYMBOL_MIN_WIDTH_PX = 30  # symbol only
SYMBOL_MIN_HEIGHT_PX = 14


@dataclass(frozen=True)
class Rect:
    index: int  # position of its value in the input
    x: float
    y: float  # top edge (y grows downwards, as on screen)
    width: float
    height: float

    @property
    def area(self) -> float:
        return self.width * self.height


@dataclass(frozen=True)
class Tile:
    label: str
    value_usdc: int


def squarify(
    values: Sequence[int], *, width: float, height: float, x: float = 0.0, y: float = 0.0
) -> list[Rect]:
    """Rectangles tiling the canvas, one per positive value (zeros get none), largest
    first. Raises InputError for a negative value or an empty canvas."""
    negative = [(i, v) for i, v in enumerate(values) if v < 0]
    if negative:
        raise InputError(f"treemap values must be >= 0, got {negative[:5]}")
    if width <= 0 or height <= 0:
        raise InputError(f"the canvas must have a positive size, got {width} x {height}")
    order = sorted((i for i, v in enumerate(values) if v > 0), key=lambda i: (-values[i], i))
    total = sum(values[i] for i in order)
    if not order:
        return []
    scale = width * height / total
    areas = [(i, values[i] * scale) for i in order]
    rects: list[Rect] = []
    box = (x, y, width, height)
    start = 0
    while start < len(areas):
        side = min(box[2], box[3])
        end = start + 1  # the row is areas[start:end]; grow it while it gets squarer
        while end < len(areas) and _worst(areas[start : end + 1], side) <= _worst(
            areas[start:end], side
        ):
            end += 1
        placed, box = _lay_row(areas[start:end], box, last=end == len(areas))
        rects += placed
        start = end
    return rects


def _worst(row: Sequence[tuple[int, float]], side: float) -> float:
    """The worst aspect ratio (>= 1) of `row` laid along a side of length `side`."""
    total = sum(a for _, a in row)
    return max(
        max(side * side * a / (total * total), total * total / (side * side * a)) for _, a in row
    )


def _lay_row(
    row: Sequence[tuple[int, float]], box: tuple[float, float, float, float], *, last: bool
) -> tuple[list[Rect], tuple[float, float, float, float]]:
    """Place `row` along the shorter side of `box`; return it and the box left over."""
    x, y, w, h = box
    total = sum(a for _, a in row)
    placed: list[Rect] = []
    if w >= h:  # a column on the left, items stacked downwards
        thickness = w if last else total / h
        offset = y
        for k, (index, area) in enumerate(row):
            length = (y + h - offset) if k == len(row) - 1 else area / thickness
            placed.append(Rect(index, x, offset, thickness, length))
            offset += length
        return placed, (x + thickness, y, w - thickness, h)
    thickness = h if last else total / w  # a row on top, items left to right
    offset = x
    for k, (index, area) in enumerate(row):
        length = (x + w - offset) if k == len(row) - 1 else area / thickness
        placed.append(Rect(index, offset, y, length, thickness))
        offset += length
    return placed, (x, y + thickness, w, h - thickness)


def share_bps(value: int, total: int) -> int:
    """`value` as basis points of `total`, rounded down (0 when total is 0)."""
    return value * 10_000 // total if total > 0 else 0


def _percent(bps: int) -> str:
    return f"{bps // 100}.{bps % 100:02d}%"


def holdings_tiles(
    report: PnL, symbols: Mapping[str, str], *, cash_label: str = "USDC"
) -> list[Tile]:
    """One tile per open position at its value (labelled by `symbols`, else the address),
    and one for cash."""
    tiles = [Tile(symbols.get(p.token, p.token), p.value_usdc) for p in report.positions]
    return [*tiles, Tile(cash_label, report.cash_usdc)]


def render_treemap(
    tiles: Sequence[Tile],
    path: Path,
    *,
    width_px: int = 1200,
    height_px: int = 800,
    title: str | None = None,
) -> Path:
    """Write the treemap as a PNG. Tiles large enough show their label, value and share of
    the total; smaller ones the label and share, or the label only; the smallest nothing.
    Text is black or white, whichever contrasts more with the tile (WCAG luminance)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    values = [t.value_usdc for t in tiles]
    total = sum(values)
    dpi = 100
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    top = 1.0 if not title else 0.94 - 0.04 * title.count("\n")  # room for each title line
    axes = figure.add_axes((0.0, 0.0, 1.0, top))
    axes.set_xlim(0, width_px)
    axes.set_ylim(height_px, 0)
    axes.set_axis_off()
    if title:
        figure.suptitle(title, fontsize=13, y=0.985)
    palette = [to_hex(c) for c in _palette()]
    for rank, rect in enumerate(squarify(values, width=float(width_px), height=float(height_px))):
        axes.add_patch(
            Rectangle(
                (rect.x, rect.y), rect.width, rect.height,
                facecolor=palette[rank % len(palette)], edgecolor="white", linewidth=2,
            )
        )  # fmt: skip
        face = palette[rank % len(palette)]
        tile = tiles[rect.index]
        label = _tile_text(tile.label, tile.value_usdc, share_bps(values[rect.index], total), rect)
        if label:
            axes.text(
                rect.x + rect.width / 2, rect.y + rect.height / 2, label,
                ha="center", va="center", fontsize=11, color=text_color(face), clip_on=True,
            )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    # the title and the tiles in words too, in the PNG's text chunks (readers, tests)
    described = "; ".join(
        f"{t.label} {_usd(t.value_usdc)} {_percent(share_bps(t.value_usdc, total))}"
        for t in tiles
        if t.value_usdc > 0
    )
    figure.savefig(path, format="png", metadata={"Title": title or "", "Description": described})
    return path


def _usd(value_usdc: int) -> str:
    return f"${value_usdc // 10**6:,}.{value_usdc % 10**6 // 10**4:02d}"  # rounded down


def _tile_text(label: str, value_usdc: int, bps: int, rect: Rect) -> str:
    if rect.width >= FULL_MIN_WIDTH_PX and rect.height >= FULL_MIN_HEIGHT_PX:
        return f"{label}\n{_usd(value_usdc)}\n{_percent(bps)}"
    if rect.width >= LABEL_MIN_WIDTH_PX and rect.height >= LABEL_MIN_HEIGHT_PX:
        return f"{label}\n{_percent(bps)}"
    if rect.width >= SYMBOL_MIN_WIDTH_PX and rect.height >= SYMBOL_MIN_HEIGHT_PX:
        return label
    return ""


def _luminance(hex_color: str) -> float:
    """WCAG 2 relative luminance of '#rrggbb'."""
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two '#rrggbb' colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_color(face: str) -> str:
    """Black or white, whichever reads better on `face`."""
    return "#000000" if contrast(face, "#000000") >= contrast(face, "#ffffff") else "#ffffff"


def _palette() -> list[tuple[float, float, float, float]]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(i) for i in range(0, 20, 2)] + [cmap(i) for i in range(1, 20, 2)]
