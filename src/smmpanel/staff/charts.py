"""Chart geometry for server-rendered inline SVG (no JavaScript).

Functions here turn labelled numbers into coordinates; ``staff/reports/chart.html``
draws them. Every bar and point carries a ``title`` (its label and value) for tooltips
and screen readers, and each chart sits beside a table of the same numbers.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 80, 10, 12, 36
MAX_X_LABELS = 8
PALETTE = ("#1f3a5f", "#a40000", "#1e6b34", "#8a5a00")

Number = int | float
Formatter = Callable[[Number], str]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    color: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    name: str
    color: str
    points: list[Point]

    @property
    def path(self) -> str:
        """The ``points`` attribute of an SVG polyline."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    kind: str  # "bar" or "line"
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM
    zero_y: float = 0.0
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_labels: list[Tick] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.bars and not any(line.points for line in self.lines)


def nice_step(raw: float, minimum: float = 0) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) at least ``raw`` and ``minimum``."""
    raw = max(raw, minimum)
    if raw <= 0:
        return minimum or 1
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


class _Scale:
    """Maps values onto the plot's height between round limits; zero is always inside."""

    TICKS = 4

    def __init__(self, values: Sequence[Number], min_step: float = 0) -> None:
        lo, hi = min([0, *values]), max([0, *values])
        self.step = nice_step((hi - lo) / self.TICKS, min_step)
        self.lo = math.floor(lo / self.step) * self.step
        self.hi = math.ceil(hi / self.step) * self.step
        if self.hi == self.lo:
            self.hi = self.lo + self.step

    def y(self, value: Number) -> float:
        plot = HEIGHT - BOTTOM - TOP
        return TOP + (self.hi - value) / (self.hi - self.lo) * plot

    def ticks(self, fmt: Formatter) -> list[Tick]:
        count = round((self.hi - self.lo) / self.step)
        return [
            Tick(self.y(self.lo + i * self.step), fmt(self.lo + i * self.step))
            for i in range(count + 1)
        ]


def _x_labels(labels: Sequence[str], centre: Callable[[int], float]) -> list[Tick]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return [Tick(centre(i), label) for i, label in enumerate(labels) if i % every == 0]


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[Number],
    fmt: Formatter,
    min_step: float = 0,
) -> Chart:
    """One bar per label; negative values hang below the zero line. The axis steps by
    round numbers, never finer than ``min_step`` (1 for counts, a cent for money)."""
    scale = _Scale(values, min_step)
    plot_width = WIDTH - RIGHT - LEFT
    slot = plot_width / max(1, len(values))
    width = max(1.0, slot * 0.7)
    zero = scale.y(0)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        top = scale.y(value)
        bars.append(
            Bar(
                x=LEFT + i * slot + (slot - width) / 2,
                y=min(top, zero),
                width=width,
                height=abs(zero - top),
                title=f"{label}: {fmt(value)}",
                color=PALETTE[1] if value < 0 else PALETTE[0],
            )
        )
    return Chart(
        kind="bar",
        title=title,
        zero_y=zero,
        bars=bars,
        y_ticks=scale.ticks(fmt),
        x_labels=_x_labels(labels, lambda i: LEFT + i * slot + slot / 2),
    )


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    fmt: Formatter,
    min_step: float = 0,
) -> Chart:
    """One line per named series over the same labels (e.g. periods)."""
    scale = _Scale([v for _, values in series for v in values], min_step)
    plot_width = WIDTH - RIGHT - LEFT
    step = plot_width / max(1, len(labels) - 1)

    def x(i: int) -> float:
        return LEFT + (i * step if len(labels) > 1 else plot_width / 2)

    lines = [
        Line(
            name=name,
            color=PALETTE[n % len(PALETTE)],
            points=[
                Point(x(i), scale.y(v), f"{name}, {labels[i]}: {fmt(v)}")
                for i, v in enumerate(values)
            ],
        )
        for n, (name, values) in enumerate(series)
    ]
    return Chart(
        kind="line",
        title=title,
        zero_y=scale.y(0),
        lines=lines,
        y_ticks=scale.ticks(fmt),
        x_labels=_x_labels(labels, x),
    )
