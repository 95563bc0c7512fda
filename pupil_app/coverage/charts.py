"""A pupil's quiz scores over time, laid out for an inline SVG (the template draws it; no script)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_date

from .service import PASS_PERCENT, AttemptRow

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
                  f"{format_date(a.finished_at, 'd MMM yyyy')}: {a.score}/{a.total}")
        points.append(p)
        per_module.setdefault(a.module_id, (colour, []))[1].append(p)
    lines = [Line(colour, " ".join(f"{p.x},{p.y}" for p in pts)) for colour, pts in per_module.values() if len(pts) > 1]
    x_ticks = [(x_of(first), format_date(first, "d MMM yyyy"))]
    if len(attempts) > 1 and span > 86400:
        x_ticks.append((x_of(last), format_date(last, "d MMM yyyy")))
    return ScoreChart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, y_of(PASS_PERCENT),
                      [(y_of(v), f"{v}%") for v in (0, 50, 100)], x_ticks, lines, points)
