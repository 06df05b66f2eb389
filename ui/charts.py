"""Line charts as plain SVG, for the "Watch it learn" curves (ui/learn.py): no chart library.

    svg = line_chart("loss", "Loss", "cross-entropy", [Line("test digits", "test", [(0, 2.3), ...])],
                     x_max=3, scale=loss_scale(2.3), caption="Lower is better.")

A chart is drawn whole from its points each time: every point is inside the plot area (the
y-axis runs from 0 to a round number at or above the largest value), and the SVG scales with
its box, so a window of any size shows all of it. Colours come from ui/learn.css.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

VIEW = (400, 230)  # the drawing's own units; it scales to the page
AREA = (46, 10, 390, 196)  # the plot area: left, top, right, bottom (room for numbers and titles)
LEGEND = "measured on"


@dataclass(frozen=True)
class Line:
    """One line of a chart: its name in the legend, its CSS class, its (x, y) points."""

    name: str
    kind: str
    points: list[tuple[float, float]]


def loss_scale(largest: float) -> tuple[float, float]:
    """An axis (top, step) for values from 0 to `largest`: at most five round steps."""
    for step in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0):
        if largest <= 5 * step:
            return step * max(1, math.ceil(largest / step - 1e-9)), step
    return largest, largest / 5  # a loss this large means a broken run: show it anyway


def line_chart(
    name: str,
    title: str,
    y_title: str,
    lines: list[Line],
    x_max: float,
    scale: tuple[float, float],
    caption: str,
    x_title: str = "epoch",
    legend: str = LEGEND,
) -> str:
    """A figure: the title, the SVG (x from 0 to `x_max`, y from 0 to scale's top), the legend
    and the caption. A dot marks each line's latest point."""
    left, upper, right, bottom = AREA
    top, step = scale
    x_max = x_max or 1.0

    def x_at(x: float) -> float:
        return left + (right - left) * min(max(x / x_max, 0.0), 1.0)

    def y_at(y: float) -> float:
        return bottom - (bottom - upper) * min(max(y / top, 0.0), 1.0) if math.isfinite(y) else bottom

    parts = [
        f'<rect class="plot-area" x="{left}" y="{upper}" width="{right - left}" height="{bottom - upper}"/>'
    ]
    for k in range(round(top / step) + 1):
        y = y_at(k * step)
        parts.append(f'<line class="grid" x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{k * step:.4g}</text>'
        )
    for x in range(math.floor(x_max) + 1):
        parts.append(
            f'<text class="tick" x="{x_at(x):.1f}" y="{bottom + 16}" text-anchor="middle">{x}</text>'
        )
    parts.append(
        f'<text class="axis" x="{(left + right) / 2}" y="{VIEW[1] - 2}" text-anchor="middle">'
        f"{html.escape(x_title)}</text>"
    )
    parts.append(
        f'<text class="axis" transform="rotate(-90)" x="{-(upper + bottom) / 2}" y="12" '
        f'text-anchor="middle">{html.escape(y_title)}</text>'
    )
    for line in lines:
        if not line.points:
            continue
        xy = " ".join(f"{x_at(x):.1f},{y_at(y):.1f}" for x, y in line.points)
        last_x, last_y = line.points[-1]
        parts.append(
            f'<polyline class="line {line.kind}" data-set="{html.escape(line.name)}" points="{xy}"/>'
        )
        parts.append(
            f'<circle class="dot {line.kind}" cx="{x_at(last_x):.1f}" cy="{y_at(last_y):.1f}" r="3"/>'
        )
    keys = "".join(f'<span class="key {line.kind}">{html.escape(line.name)}</span>' for line in lines)
    title = html.escape(title)
    svg = f'<svg viewBox="0 0 {VIEW[0]} {VIEW[1]}" role="img" aria-label="{title}">{"".join(parts)}</svg>'
    return (
        f'<figure class="learn-chart" data-testid="chart-{name}"><figcaption>{title}</figcaption>{svg}'
        f'<p class="legend">{html.escape(legend)}: {keys}</p>'
        f'<p class="caption">{html.escape(caption)}</p></figure>'
    )
