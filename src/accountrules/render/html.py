"""The HTML views of a determination and of a consistency report: each one self-contained file (inline CSS,
SVG and script; nothing is fetched when it is opened), bilingual. The consistency report has headline figures,
charts, a searchable table of the people to review and, for each of them, the case and the reasoning trace
behind the recommendation.

The pages are drawn by Jinja2 templates shipped in ``accountrules/render/templates`` with autoescaping on: every
name, id and title from a case or an archive is shown as text. This module prepares what the templates show.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from accountrules.batch.check import ConsistencyReport, OmittedLeader, PersonCheck, Step
from accountrules.models import Case, Determination
from accountrules.render.charts import COLOURS, STACKED, Chart, deviation_chart, groups_chart, years_chart
from accountrules.render.common import (
    HEADERS,
    NOTHING_CHECKED,
    NOTICE,
    SUMMARY_ROWS,
    VERDICT_LABELS,
    band_text,
    dual_line,
    facts_text,
    forms_label,
    in_force_line,
    key_label,
    names_of,
    note_lines,
    organization_line,
    person_row,
    publicize_line,
    sanctions_line,
    slot_labels,
    step_target,
    summary_cell,
)
from accountrules.vocabulary import form_label, label, measure_label

#: People listed with their reasoning trace; the JSON output has them all.
MAX_PEOPLE = 2000
#: Groups of like cases and bad records listed.
GROUPS_LISTED = 50
BAD_LISTED = 500


@cache
def environment() -> Environment:
    """The templates of the HTML views, autoescaped, failing on any name they do not get."""
    env = Environment(
        loader=PackageLoader("accountrules.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["svg"] = _svg_number
    env.globals.update(
        colours=COLOURS,
        verdicts=VERDICT_LABELS,
        stacked=STACKED,
        key_label=key_label,
        slot_labels=slot_labels,
        forms_label=forms_label,
        facts_text=facts_text,
    )
    return env


def _svg_number(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros: 12, 12.5, 12.25."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Card:
    key: str
    value: str
    zh: str
    en: str


@dataclass(frozen=True)
class Row:
    """One person to review in the table, linked to their case's section."""

    case_id: str
    person: str
    name: str
    roles: str
    verdict: str
    recorded: str
    recommended: str
    deviation: str
    rules: list[str]
    #: What the search box matches, lower case.
    search: str
    #: The id of the case's section.
    anchor: str = ""


@dataclass(frozen=True)
class Entry:
    """A person in a case's section: the verdict, what was recorded and recommended, and the trace."""

    verdict: str
    person: str
    name: str
    summary: str
    trace: list[Step]


@dataclass(frozen=True)
class CaseSection:
    case_id: str
    anchor: str
    entries: list[Entry]


@dataclass(frozen=True)
class Charts:
    years: Chart
    deviation: Chart
    groups: Chart


def report_html(report: ConsistencyReport, source: str = "") -> str:
    """The report as one HTML document (the same report gives the same bytes)."""
    rows = _rows(report)
    shown = rows[:MAX_PEOPLE]
    anchors: dict[str, str] = {}
    for row in shown:
        anchors.setdefault(row.case_id, f"case-{len(anchors) + 1}")
    shown = [replace(row, anchor=anchors[row.case_id]) for row in shown]
    return (
        environment()
        .get_template("consistency.html.j2")
        .render(
            report=report,
            source=source,
            cards=_cards(report),
            charts=Charts(
                years=years_chart(report.by_year),
                deviation=deviation_chart(report.deviations),
                groups=groups_chart(report.groups),
            ),
            rows=shown,
            total_rows=len(rows),
            cases=_sections(report, anchors),
            groups_listed=GROUPS_LISTED,
            bad_listed=BAD_LISTED,
            nothing_checked=NOTHING_CHECKED,
        )
    )


def _cards(report: ConsistencyReport) -> list[Card]:
    values = report.summary.model_dump()
    return [Card(key=key, value=summary_cell(values, key), zh=zh, en=en) for key, zh, en in SUMMARY_ROWS]


def _rows(report: ConsistencyReport) -> list[Row]:
    """Every flagged person and omitted leader, grouped by case in the order cases first appear."""
    rows: list[Row] = []
    for p in report.flagged:
        band = f" {band_text(p.band)}" if p.band else ""
        recorded = (
            form_label(p.recorded_form) + _measure(p.recorded_measure) + _sanction(p.recorded_government_sanction)
        )
        recommended = (
            form_label(p.recommended_form)
            + band
            + _measure(p.recommended_measure)
            + _sanction(p.recommended_government_sanction)
        )
        rows.append(
            _row(p.case_id, p.person, p.name, p.roles, p.verdict, recorded, recommended, f"{p.deviation:+d}", p.rules)
        )
    for o in report.omitted_leaders:
        recommended = (
            form_label(o.recommended_form)
            + _measure(o.recommended_measure)
            + _sanction(o.recommended_government_sanction)
        )
        rows.append(
            _row(o.case_id, o.person, o.name, o.roles, "omitted", "未记录 not recorded", recommended, "", o.rules)
        )
    order = {case_id: i for i, case_id in enumerate(dict.fromkeys(r.case_id for r in rows))}
    rows.sort(key=lambda r: (order[r.case_id], r.person))
    return rows


def _row(
    case_id: str,
    person: str,
    name: str,
    roles: list[str],
    verdict: str,
    recorded: str,
    recommended: str,
    off: str,
    rules: list[str],
) -> Row:
    role_text = "、".join(label(r).split(" ")[0] for r in roles)
    search = " ".join([case_id, person, name, role_text, *roles, verdict, *VERDICT_LABELS[verdict], *rules]).lower()
    return Row(case_id, person, name, role_text, verdict, recorded, recommended, off, rules, search)


def _measure(measure: str | None) -> str:
    """`` · measure`` beside a form, except for form 0 (whose one measure the form's label already says)."""
    return f" · {measure_label(measure)}" if measure and measure != "none" else ""


def _sanction(sanction: str | None) -> str:
    """`` · 政务处分 sanction`` beside a measure, when there is one."""
    return f" · 政务处分 {label(sanction)}" if sanction else ""


def _sections(report: ConsistencyReport, anchors: dict[str, str]) -> list[CaseSection]:
    """Each case with someone listed: who, and the reasoning trace behind the recommendation."""
    by_case: dict[str, list[PersonCheck | OmittedLeader]] = defaultdict(list)
    for p in report.flagged:
        by_case[p.case_id].append(p)
    for o in report.omitted_leaders:
        by_case[o.case_id].append(o)
    sections = []
    for case_id, anchor in anchors.items():
        entries = []
        for item in by_case.get(case_id, []):
            responsibility = label(item.responsibility)
            if isinstance(item, PersonCheck):
                band = f" {band_text(item.band)}" if item.band else ""
                summary = (
                    f"原处理 recorded {form_label(item.recorded_form)}; 建议 recommended "
                    f"{form_label(item.recommended_form)}{band} · {responsibility}"
                )
                entries.append(Entry(item.verdict, item.person, item.name, summary, item.trace))
            else:
                summary = f"建议 recommended {form_label(item.recommended_form)} · {responsibility}"
                entries.append(Entry("omitted", item.person, item.name, summary, item.trace))
        sections.append(CaseSection(case_id, anchor, entries))
    return sections


# ---------------------------------------------------------------------------------------------------------------
# A determination


@dataclass(frozen=True)
class TraceLine:
    rule: str
    title: str
    target: str
    facts: str
    effect: str
    cites: str


def determination_html(d: Determination, case: Case | None = None) -> str:
    """A determination as one HTML page: the table of people, the organisation, publicity, dual investigation
    and the cited trace (the case adds its title, unit and date)."""
    names = names_of(d)
    steps = [
        TraceLine(
            s.rule, s.title, step_target(s, names), facts_text(s.facts), s.effect, f"{', '.join(s.cites)}; {s.version}"
        )
        for s in d.trace
    ]
    return (
        environment()
        .get_template("determination.html.j2")
        .render(
            d=d,
            case=case,
            headers=HEADERS,
            rows=[person_row(p) for p in d.people],
            organization=organization_line(d),
            publicize=publicize_line(d),
            dual=dual_line(d),
            sanctions=sanctions_line(d),
            in_force=in_force_line(d),
            notes=note_lines(d),
            steps=steps,
            notice=NOTICE,
        )
    )
