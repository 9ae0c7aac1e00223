"""Inline SVG charts drawn in Python (no JavaScript, no external assets): line charts and stacked bars."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777")
MUTED = "#6b7280"
WIDTH, HEIGHT = 392, 260
LEFT, RIGHT, BOTTOM = 56, 12, 40
LEGEND_Y, LEGEND_ROW = 34, 15


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    color: str
    dashed: bool = False


@dataclass(frozen=True)
class Stack:
    label: str
    values: Sequence[float]
    color: str


def compact(value: float) -> str:
    """Axis label: 1234 → 1.2k, 2500000 → 2.5M."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


def nice_ticks(lo: float, hi: float, count: int = 5, *, min_step: float = 0.0) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 × 10ⁿ, at least `min_step`) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(min_step, next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))
    first, last = math.floor(lo / step), math.ceil(hi / step)
    return [i * step for i in range(first, last + 1)]


@dataclass(frozen=True)
class _Frame:
    """Maps data coordinates into the plot area."""

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    top: float

    def x(self, value: float) -> float:
        span = (self.x_hi - self.x_lo) or 1
        return LEFT + (value - self.x_lo) / span * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        span = (self.y_hi - self.y_lo) or 1
        return HEIGHT - BOTTOM - (value - self.y_lo) / span * (HEIGHT - self.top - BOTTOM)


def _open(title: str) -> list[str]:
    label = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{label}" class="chart" font-family="system-ui, sans-serif" font-size="11" '
        'fill="#374151">',
        f"<title>{label}</title>",
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="600" fill="#111827">{label}</text>',
    ]


def _legend(items: Sequence[tuple[str, str, bool]]) -> tuple[list[str], float]:
    """Legend entries in rows under the title; returns them and where the plot area may start."""
    parts: list[str] = []
    x, y = float(LEFT), float(LEGEND_Y)
    for label, color, dashed in items:
        width = 30 + 6.5 * len(label)
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, y = float(LEFT), y + LEGEND_ROW
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        parts.append(f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{color}" stroke-width="3"{dash}/>')
        parts.append(f'<text x="{x + 22}" y="{y + 4}">{escape(label)}</text>')
        x += width
    return parts, y + 18


def _axes(
    frame: _Frame, x_ticks: Sequence[float], y_ticks: Sequence[float], *, x_label: str, y_label: str
) -> list[str]:
    parts: list[str] = []
    for tick in y_ticks:
        y = frame.y(tick)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{compact(tick)}</text>')
    for tick in x_ticks:
        x = frame.x(tick)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{tick:g}</text>')
    parts.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#9ca3af"/>'
    )
    middle = (LEFT + WIDTH - RIGHT) / 2
    parts.append(f'<text x="{middle}" y="{HEIGHT - 6}" text-anchor="middle">{escape(x_label)}</text>')
    parts.append(
        f'<text transform="translate(14 {(frame.top + HEIGHT - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    return parts


def _empty(title: str) -> str:
    note = f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no data</text>'
    return "\n".join([*_open(title), note, "</svg>"])


def line_chart(series: Sequence[Series], *, title: str, y_label: str, x_label: str = "day") -> str:
    """Lines over a shared x axis; dashed series for references such as a baseline."""
    points = [p for s in series for p in s.points]
    if not points:
        return _empty(title)
    y_ticks = nice_ticks(min(0.0, *(y for _, y in points)), max(y for _, y in points))
    x_ticks = nice_ticks(min(x for x, _ in points), max(x for x, _ in points), count=8, min_step=1)
    legend, top = _legend([(s.label, s.color, s.dashed) for s in series])
    frame = _Frame(x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1], top)
    parts = [*_open(title), *legend]
    parts += _axes(frame, x_ticks, y_ticks, x_label=x_label, y_label=y_label)
    for s in series:
        if not s.points:
            continue
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{frame.x(x):.1f},{frame.y(y):.1f}" for i, (x, y) in enumerate(s.points)
        )
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        parts.append(f'<path d="{path}" fill="none" stroke="{s.color}" stroke-width="2"{dash}>')
        parts.append(f"<title>{escape(s.label)}</title></path>")
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_bars(
    labels: Sequence[str], stacks: Sequence[Stack], *, title: str, y_label: str, fmt: Callable[[float], str] = compact
) -> str:
    """One bar per label, stacked in the order given; each segment carries a tooltip with its value."""
    totals = [sum(s.values[i] for s in stacks) for i in range(len(labels))]
    if not labels or not stacks:
        return _empty(title)
    y_ticks = nice_ticks(0.0, max(totals))
    legend, top = _legend([(s.label, s.color, False) for s in stacks])
    frame = _Frame(0, len(labels), y_ticks[0], y_ticks[-1], top)
    parts = [*_open(title), *legend]
    every = max(1, math.ceil(len(labels) / 10))
    parts += _axes(frame, [], y_ticks, x_label="day", y_label=y_label)
    slot = frame.x(1) - frame.x(0)
    for i, label in enumerate(labels):
        base = 0.0
        x = frame.x(i) + slot * 0.1
        for stack in stacks:
            value = stack.values[i]
            if value > 0:
                top, bottom = frame.y(base + value), frame.y(base)
                tip = escape(f"{label} · {stack.label}: {fmt(value)}")
                parts.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.8:.1f}" height="{bottom - top:.1f}" '
                    f'fill="{stack.color}"><title>{tip}</title></rect>'
                )
            base += value
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot * 0.4:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)
