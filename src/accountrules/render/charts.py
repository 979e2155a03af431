"""The geometry of the HTML report's bar charts: where each bar, gridline and label goes, in SVG units.

A count axis has whole-number ticks at a round step (1, 2, 5, 10, 20, 50 …) from 0 up to the first tick at or
above the largest count; the gridlines are drawn at those ticks and every bar is measured on the same scale, so
a bar of 3 reaches the gridline labelled 3. The templates only draw what is computed here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from accountrules.batch.check import Group, Tally
from accountrules.render.common import VERDICT_LABELS, group_line

#: Colours of the verdicts, shared by the charts, the legend and the badges.
COLOURS = {
    "within": "#3a7d44",
    "too_lenient": "#d08c12",
    "too_harsh": "#b3261e",
    "omitted": "#6a4c93",
    "undetermined": "#7d7d7d",
}
#: Verdicts stacked in the chart of years, bottom first.
STACKED = ("within", "too_lenient", "too_harsh", "omitted")
#: Most intervals between ticks on a count axis.
MOST_INTERVALS = 5
#: Groups of like cases drawn in their chart (the largest spread first).
GROUPS_DRAWN = 10
#: The largest difference of forms (0 … 4): the scale of the groups chart.
MOST_SPREAD = 4


def count_ticks(peak: int) -> tuple[int, ...]:
    """Whole-number ticks from 0 for counts up to ``peak``: the smallest round step that needs at most
    `MOST_INTERVALS` intervals, ending at the first multiple of the step at or above ``peak`` (at least one step)."""
    step = next(s for s in _round_steps() if -(-peak // s) <= MOST_INTERVALS)
    top = max(-(-peak // step) * step, step)
    return tuple(range(0, top + 1, step))


def _round_steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 50, 100 …"""
    scale = 1
    while True:
        yield from (scale, 2 * scale, 5 * scale)
        scale *= 10


@dataclass(frozen=True)
class Bar:
    """One drawn rectangle (a bar, or one segment of a stacked bar) and the count it stands for."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    value: int
    title: str
    #: The count written above the bar, when the chart labels its bars.
    caption: str = ""


@dataclass(frozen=True)
class Tick:
    """A gridline at a tick value, with its label; ``position`` is its y (vertical axis) or x (horizontal)."""

    value: int
    position: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    muted: bool = False


@dataclass(frozen=True)
class Chart:
    """A bar chart ready to draw. ``vertical``: ticks are horizontal gridlines across [left, right]; otherwise
    vertical gridlines across [top, bottom]."""

    id: str
    width: int
    height: int
    vertical: bool
    left: float
    right: float
    top: float
    bottom: float
    ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]
    #: Shown instead of bars when there is nothing to draw.
    empty: str = ""


def _vertical_ticks(ticks: tuple[int, ...], top: float, plot: float) -> tuple[Tick, ...]:
    return tuple(Tick(value=t, position=round(top + plot - plot * t / ticks[-1], 2), label=f"{t:,}") for t in ticks)


def _empty(chart_id: str, message: str) -> Chart:
    return Chart(chart_id, 420, 60, True, 0, 420, 0, 60, (), (), (), empty=message)


def years_chart(tallies: Sequence[Tally]) -> Chart:
    """Stacked bars per year: within, too lenient, too harsh and omitted."""
    if not tallies:
        return _empty("chart-years", "无数据 no data")
    width, height, left, right, bottom, top = 420, 240, 44, 416, 28, 10
    ticks = count_ticks(max(sum(getattr(t, k) for k in STACKED) for t in tallies))
    plot = height - bottom - top
    slot = (right - left) / len(tallies)
    bar = max(min(slot * 0.7, 46), 4)
    bars: list[Bar] = []
    labels: list[Label] = []
    for i, tally in enumerate(tallies):
        x = round(left + i * slot + (slot - bar) / 2, 2)
        below = 0
        for key in STACKED:
            n = getattr(tally, key)
            if not n:
                continue
            zh, en = VERDICT_LABELS[key]
            y_top = top + plot - plot * (below + n) / ticks[-1]
            y_bottom = top + plot - plot * below / ticks[-1]
            bars.append(
                Bar(
                    x=x,
                    y=round(y_top, 2),
                    width=round(bar, 2),
                    height=round(y_bottom - y_top, 2),
                    colour=COLOURS[key],
                    value=n,
                    title=f"{tally.key} {zh} {en}: {n:,}",
                )
            )
            below += n
        labels.append(Label(x=round(x + bar / 2, 2), y=height - 10, text=tally.key))
    return Chart(
        "chart-years",
        width,
        height,
        True,
        left,
        right,
        top,
        top + plot,
        _vertical_ticks(ticks, top, plot),
        tuple(bars),
        tuple(labels),
    )


def deviation_chart(deviations: dict[str, int]) -> Chart:
    """Recorded people by how many forms they lie outside the band (0: within), −4 … +4."""
    if not deviations:
        return _empty("chart-deviation", "无记录 no recorded people")
    width, height, left, right, bottom, top = 420, 240, 44, 416, 40, 10
    steps = range(-4, 5)
    counts = {d: deviations.get(str(d), 0) for d in steps}
    ticks = count_ticks(max(counts.values()))
    plot = height - bottom - top
    slot = (right - left) / len(steps)
    bar = slot * 0.72
    bars: list[Bar] = []
    labels: list[Label] = []
    for i, d in enumerate(steps):
        n = counts[d]
        x = round(left + i * slot + (slot - bar) / 2, 2)
        h = plot * n / ticks[-1]
        if n:
            colour = COLOURS["within"] if d == 0 else COLOURS["too_lenient"] if d < 0 else COLOURS["too_harsh"]
            bars.append(
                Bar(
                    x=x,
                    y=round(top + plot - h, 2),
                    width=round(bar, 2),
                    height=round(h, 2),
                    colour=colour,
                    value=n,
                    title=f"{d:+d}: {n:,}",
                    caption=f"{n:,}",
                )
            )
        labels.append(Label(x=round(x + bar / 2, 2), y=height - 24, text=f"{d:+d}"))
    labels += [
        Label(x=left, y=height - 6, text="← 偏轻 too lenient", anchor="start", muted=True),
        Label(x=width - 8, y=height - 6, text="偏重 too harsh →", anchor="end", muted=True),
    ]
    return Chart(
        "chart-deviation",
        width,
        height,
        True,
        left,
        right,
        top,
        top + plot,
        _vertical_ticks(ticks, top, plot),
        tuple(bars),
        tuple(labels),
    )


def groups_chart(groups: Sequence[Group]) -> Chart:
    """The groups with the largest spread of recorded forms, as horizontal bars on a scale of 0 … 4 forms."""
    shown = list(groups[:GROUPS_DRAWN])
    if not shown:
        return _empty("chart-groups", "同类案件处理一致 like cases were treated alike")
    width, row, left, top = 420, 22, 150, 8
    right = width - 16
    bottom = top + row * len(shown)
    height = bottom + 40
    scale = (right - left) / MOST_SPREAD
    ticks = tuple(Tick(value=t, position=round(left + scale * t, 2), label=str(t)) for t in range(0, MOST_SPREAD + 1))
    bars: list[Bar] = []
    labels: list[Label] = []
    for i, group in enumerate(shown):
        y = top + i * row
        bars.append(
            Bar(
                x=left,
                y=y + 3,
                width=round(scale * group.spread, 2),
                height=row - 8,
                colour=COLOURS["too_harsh"],
                value=group.spread,
                title=f"{group.pattern}: {group_line(group)}",
            )
        )
        labels.append(Label(x=left - 6, y=y + 14, text=f"{_short(group.pattern)} · {group.cases:,} 案", anchor="end"))
    labels.append(
        Label(
            x=left, y=height - 6, text="原处理形态最大差距 largest spread of recorded forms", anchor="start", muted=True
        )
    )
    return Chart("chart-groups", width, height, False, left, right, top, bottom, ticks, tuple(bars), tuple(labels))


def _short(pattern: str, most: int = 12) -> str:
    """The start of a group's violations in words, short enough for a chart's label (the whole in its title)."""
    first = pattern.split(",")[0]
    return first if len(first) <= most else first[: most - 1] + "…"
