"""What the coverage templates draw as inline SVG (no script, no library): a pupil's quiz scores over
time, and the heat maps' shades and geometry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..timeutil import format_day
from .classes import AttemptRow
from .overviews import HeatRow, Tally, suppressed
from .service import PASS_PERCENT

# One colour and one marker shape per risk category, so the lines read without colour too.
# Dark enough for 3:1 contrast on white (graphical objects, WCAG 1.4.11).
CATEGORY_STYLE = {
    "content": ("#0b5a8f", "circle"),
    "contact": ("#a84300", "square"),
    "conduct": ("#00704f", "diamond"),
    "commerce": ("#9a3f7e", "triangle"),
}
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    shape: str
    colour: str
    title: str


@dataclass(frozen=True)
class Line:
    colour: str
    points: str  # "x,y x,y ..." for <polyline>


@dataclass(frozen=True)
class ScoreChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    pass_y: float
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    lines: list[Line]
    points: list[Point]


def score_chart(attempts: list[AttemptRow]) -> ScoreChart | None:
    """Each finished quiz as a point (time across, score up), joined per module; None if no quizzes."""
    if not attempts:
        return None
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    first, last = attempts[0].finished_at, attempts[-1].finished_at
    span = max((last - first).total_seconds(), 1.0)

    def x_of(when) -> float:
        if len(attempts) == 1:
            return LEFT + inner_w / 2
        return round(LEFT + (when - first).total_seconds() / span * inner_w, 1)

    def y_of(pct: float) -> float:
        return round(TOP + (100 - pct) / 100 * inner_h, 1)

    points, per_module = [], {}
    for a in attempts:
        category = a.module.category if a.module else "content"
        colour, shape = CATEGORY_STYLE[category]
        p = Point(x_of(a.finished_at), y_of(a.percent), shape, colour,
                  f"{format_day(a.finished_at, 'd MMM yyyy')}: {a.score}/{a.total}")
        points.append(p)
        per_module.setdefault(a.module_id, (colour, []))[1].append(p)
    lines = [Line(colour, " ".join(f"{p.x},{p.y}" for p in pts)) for colour, pts in per_module.values() if len(pts) > 1]
    x_ticks = [(x_of(first), format_day(first, "d MMM yyyy"))]
    if len(attempts) > 1 and span > 86400:
        x_ticks.append((x_of(last), format_day(last, "d MMM yyyy")))
    return ScoreChart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, y_of(PASS_PERCENT),
                      [(y_of(v), f"{v}%") for v in (0, 50, 100)], x_ticks, lines, points)


# ---------------------------------------------------------------------------------------------
# Heat map drawing: the shades and the geometry the SVG template draws (no script, no library)

# Low is strong: dark red for 0-19%, fading to pale green at 80% and over; each with a text colour of at
# least 4.5:1 contrast on it.
SHADES = (
    (0, "#8f1d1d", "#ffffff"),   # the weakest results are the strongest colour: they are what to act on
    (20, "#b4471a", "#ffffff"),
    (40, "#f3c26b", "#1d2433"),
    (60, "#cfe6d2", "#1d2433"),
    (80, "#eef6ef", "#1d2433"),
)
NO_DATA = ("#eceef2", "#1d2433")


def shade(value: int | None) -> tuple[str, str]:
    """(fill, text colour) for a percentage; grey for no data."""
    if value is None:
        return NO_DATA
    fill, ink = SHADES[0][1], SHADES[0][2]
    for floor, f, i in SHADES:
        if value >= floor:
            fill, ink = f, i
    return fill, ink


@dataclass(frozen=True)
class HeatCell:
    x: int
    y: int
    fill: str
    ink: str
    text: str
    title: str


@dataclass(frozen=True)
class HeatMap:
    width: int
    height: int
    label_width: int
    cell_width: int
    cell_height: int
    columns: list[tuple[int, str]]
    rows: list[tuple[int, str]]
    cells: list[HeatCell]
    legend: list[tuple[int, str, str, str]]


def heat_map(rows: list[HeatRow], columns: list[tuple[str, str]], *, hide_small: bool = False,
             cell_title: Callable[[HeatRow, str, Tally], str], suppressed_text: str = "<5",
             label_width: int = 170) -> HeatMap:
    """Lay out rows x columns (key, heading) as coloured cells with their percentage written in."""
    cw, ch, top = 104, 40, 34
    cells = []
    for r, row in enumerate(rows):
        for c, (key, _heading) in enumerate(columns):
            tally = row.total if key == "all" else row.cells.get(key)
            x, y = label_width + c * cw, top + r * ch
            if tally is None or not tally.possible:
                fill, ink = NO_DATA
                cells.append(HeatCell(x, y, fill, ink, "–", cell_title(row, key, Tally())))
                continue
            if suppressed(tally, hide_small):
                fill, ink = NO_DATA
                cells.append(HeatCell(x, y, fill, ink, suppressed_text, cell_title(row, key, tally)))
                continue
            value = tally.percent
            fill, ink = shade(value)
            cells.append(HeatCell(x, y, fill, ink, f"{value}%", cell_title(row, key, tally)))
    legend_y = top + len(rows) * ch + 14
    legend = []
    for i, (floor, fill, ink) in enumerate(SHADES):
        upper = SHADES[i + 1][0] - 1 if i + 1 < len(SHADES) else 100
        legend.append((label_width + i * 78, fill, ink, f"{floor}–{upper}%"))
    return HeatMap(width=label_width + len(columns) * cw + 4, height=legend_y + 30, label_width=label_width,
                   cell_width=cw, cell_height=ch,
                   columns=[(label_width + i * cw, heading) for i, (_k, heading) in enumerate(columns)],
                   rows=[(top + i * ch, row.label) for i, row in enumerate(rows)], cells=cells,
                   legend=[(x, fill, ink, text) for x, fill, ink, text in legend])
