"""Bar charts drawn on the server as SVG geometry: no JavaScript, no CDN, text a reader
(and a screen reader) can read.

A chart is plain numbers here; ``templates/admin/_charts.html`` turns it into ``<svg>``
with a title, a description, axis labels, a legend, a ``<title>`` on every bar, and the
same figures as a table beside it.
"""
import math
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: tuple


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class BarChart:
    id: str
    title: str
    description: str
    labels: list
    series: list
    bars: list
    y_ticks: list  # (y, text)
    x_ticks: list  # (x, text)
    limit: tuple | None  # (y, text): a threshold line
    percent: bool
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_bottom: int = HEIGHT - BOTTOM
    plot_right: int = WIDTH - RIGHT

    def format(self, value):
        return format_value(value, self.percent)


def format_value(value, percent=False):
    return f"{value:.2%}" if percent else f"{value:,}"


def _nice_step(value):
    """A round tick step at or above ``value``: 1, 2 or 5 times a power of ten."""
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_chart(chart_id, title, description, labels, series, percent=False, limit=None):
    """Grouped bars: one group per label, one bar per series in it."""
    highest = max([*(v for s in series for v in s.values), limit[0] if limit else 0])
    # Four ticks above zero, each a round number (whole ones for counts).
    step = _nice_step(max(highest / 4, 0.00025 if percent else 1))
    top = 4 * step
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_width / max(len(labels), 1)
    bar_width = max(group * 0.8 / max(len(series), 1), 1)

    def y_of(value):
        return TOP + plot_height * (1 - value / top)

    bars = []
    for index, label in enumerate(labels):
        for number, one in enumerate(series):
            value = one.values[index]
            y = y_of(value)
            bars.append(Bar(x=LEFT + index * group + group * 0.1 + number * bar_width, y=y,
                            width=bar_width, height=TOP + plot_height - y, colour=one.colour,
                            title=f"{label}: {format_value(value, percent)} {one.name}"))
    y_ticks = [(y_of(step * n), format_value(step * n if percent else int(step * n), percent))
               for n in range(5)]
    every = max(1, math.ceil(len(labels) / 8))
    x_ticks = [(LEFT + index * group + group / 2, labels[index][5:])
               for index in range(0, len(labels), every)]
    line = (y_of(limit[0]), limit[1]) if limit else None
    return BarChart(id=chart_id, title=title, description=description, labels=labels,
                    series=series, bars=bars, y_ticks=y_ticks, x_ticks=x_ticks, limit=line,
                    percent=percent)
