"""The terminal view of a consistency report (rich): headline figures, verdicts by year, the most inconsistent
groups of like cases and the first people to review."""

from __future__ import annotations

from rich.console import Group as Stack
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from accountrules.batch.check import ConsistencyReport, Tally
from accountrules.render.common import (
    REVIEW_HEADERS,
    SUMMARY_ROWS,
    band_text,
    group_line,
    key_label,
    summary_cell,
    verdict_label,
)

#: Most inconsistent groups and flagged people shown in the terminal.
SHOWN = 10


def summary_text(report: ConsistencyReport, source: str = "") -> RenderableType:
    """The headline figures, the verdicts by year, the most inconsistent groups and the first flagged people
    (the archive's name, ``source``, is the command line's to show)."""
    s = report.summary
    headline = Table(title=Text("一致性检查 Consistency check"), title_justify="left", show_header=False)
    headline.add_column(Text("项目 Item"))
    headline.add_column(Text("数量 Count"), justify="right")
    values = s.model_dump()
    for key, zh, en in SUMMARY_ROWS:
        headline.add_row(Text(f"{zh} {en}"), Text(summary_cell(values, key)))
    parts: list[RenderableType] = [headline, _tallies("按年度 By year of decision", "年度 Year", report.by_year)]
    if report.by_version:
        parts.append(_tallies("按适用版本 By version of the regulations", "版本 Version", report.by_version))
    if report.groups:
        groups = Table(
            title=Text("同案不同处理 Like cases treated unlike (largest spread first)"), title_justify="left"
        )
        for header in ("案情 Violations", "案件 Cases", "差距 Spread", "原处理形态 Recorded forms"):
            groups.add_column(Text(header), overflow="fold")
        for group in report.groups[:SHOWN]:
            groups.add_row(
                Text(group.pattern), Text(str(group.cases)), Text(str(group.spread)), Text(group_line(group))
            )
        parts.append(groups)
    flagged = report.flagged  # undetermined people too: the HTML report lists them, and so does the terminal
    if flagged or report.omitted_leaders:
        people = Table(title=Text("需复核的人员 People to review"), title_justify="left")
        for header in REVIEW_HEADERS:
            people.add_column(Text(header), overflow="fold")
        for p in flagged[:SHOWN]:
            band = band_text(p.band) or "—"
            people.add_row(
                Text(p.case_id),
                Text(f"{p.name} {p.person}".strip()),
                Text(verdict_label(p.verdict)),
                Text(str(p.recorded_form)),
                Text("—" if p.recommended_form is None else f"{p.recommended_form} {band}"),
                Text(", ".join(p.rules)),
            )
        for leader in report.omitted_leaders[: max(SHOWN - len(flagged[:SHOWN]), 0)]:
            people.add_row(
                Text(leader.case_id),
                Text(f"{leader.name} {leader.person}".strip()),
                Text(verdict_label("omitted")),
                Text("—"),
                Text(str(leader.recommended_form)),
                Text(", ".join(leader.rules)),
            )
        listed = min(len(flagged), SHOWN) + min(len(report.omitted_leaders), max(SHOWN - len(flagged), 0))
        total = len(flagged) + len(report.omitted_leaders)
        if total > listed:
            people.caption = Text(
                f"前 {listed} 人，共 {total} 人 first {listed} of {total}; --json or --report for all"
            )
        parts.append(people)
    return Stack(*parts)


def _tallies(title: str, key: str, tallies: list[Tally]) -> Table:
    table = Table(title=Text(title), title_justify="left")
    headers = (key, "案件 Cases", "人员 People", "在档内 Within band", "偏轻 Lenient", "偏重 Harsh", "遗漏 Omitted")
    for i, header in enumerate(headers):
        table.add_column(Text(header), justify="left" if i == 0 else "right")
    for t in tallies:
        table.add_row(
            Text(key_label(t.key)),
            *(Text(f"{n:,}") for n in (t.cases, t.people, t.within, t.too_lenient, t.too_harsh, t.omitted)),
        )
    return table
