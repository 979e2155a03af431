"""Markdown reports a case handler can paste into a document: a determination, a consistency report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from accountrules.batch.check import ConsistencyReport
from accountrules.models import Case, Determination
from accountrules.render.common import (
    HEADERS,
    NOTICE,
    REVIEW_HEADERS,
    SUMMARY_ROWS,
    band_text,
    dual_line,
    facts_text,
    group_line,
    in_force_line,
    key_label,
    names_of,
    note_lines,
    organization_line,
    person_row,
    publicize_line,
    sanctions_line,
    step_target,
    summary_cell,
    verdict_label,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _text(text: str) -> str:
    """Text from a case, shown as written in Markdown: no character of it starts markup or HTML, and a line
    break in it cannot start a heading (a table cell's ``|`` is `_cell`'s)."""
    return "".join(f"\\{c}" if c in "\\`*_[]<>#&" else " " if c in "\r\n" else c for c in text)


def determination_markdown(d: Determination, case: Case | None = None) -> str:
    title = f" {_text(case.title)}" if case and case.title else ""
    out = [f"# 问责建议 Accountability recommendation: {_text(d.case_id)}{title}", ""]
    if case is not None:
        decided = f"; 决定日期 decided on {case.decided_on.isoformat()}" if case.decided_on else ""
        out += [f"单位 Unit: {_text(case.unit.name)}{decided}", ""]
    out += [
        "## 人员 People",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    out += [
        "| " + " | ".join(_cell(c) for c in person_row(p.model_copy(update={"name": _text(p.name)}))) + " |"
        for p in d.people
    ]
    out += [
        "",
        f"- 组织 Organization: {organization_line(d)}",
        f"- 公开曝光 Publicize: {publicize_line(d)}",
        f"- 一案双查 Dual investigation: {dual_line(d)}",
        f"- 政务处分、影响期 Government sanction, bar on promotion: {sanctions_line(d)}",
        f"- 适用规定 Rules in force: {in_force_line(d)}",
        *(f"- 提示 Note: {line}" for line in note_lines(d)),
        f"- 规则包 Rule pack: {d.rulepack.name} {d.rulepack.version} (`{d.rulepack.digest}`)",
        "",
        "## 推理过程 Reasoning trace",
        "",
    ]
    names = {person: _text(name) for person, name in names_of(d).items()}
    for i, step in enumerate(d.trace, 1):
        facts = facts_text(step.facts)
        out.append(
            f"{i}. **{step.rule}** {step.title}: {step_target(step, names)}"
            f"{', `' + facts + '`' if facts else ''} → {step.effect} ({', '.join(step.cites)}; {step.version})"
        )
    out += ["", f"> {NOTICE}", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# A consistency report

#: People listed in the Markdown view of a consistency report; the JSON has them all.
MAX_PEOPLE = 200


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], right: int = 0) -> list[str]:
    """A Markdown table; the last ``right`` columns are aligned right."""
    align = ["---"] * (len(headers) - right) + ["--:"] * right
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def consistency_markdown(report: ConsistencyReport, source: str = "") -> str:
    """A consistency report to paste into a document: the figures, the tallies, the groups of like cases treated
    unlike and the people to review."""
    values = report.summary.model_dump()
    pack = report.rulepack
    out = [
        "# 问责一致性检查报告 Accountability consistency report",
        "",
        f"档案 Archive: {_cell(source or '—')}; 规则包 Rule pack: {pack.name} {pack.version} (`{pack.digest}`)",
        "",
        *_table(
            ("项目 Item", "数量 Count"),
            [(f"{zh} {en}", summary_cell(values, key)) for key, zh, en in SUMMARY_ROWS],
            right=1,
        ),
    ]
    headers = ("案件 Cases", "人员 People", "在档内 Within band", "偏轻 Lenient", "偏重 Harsh", "遗漏 Omitted")
    for title, key, tallies in (
        ("按年度 By year of decision", "年度 Year", report.by_year),
        ("按单位层级 By unit level", "层级 Level", report.by_unit_level),
        ("按违纪类型 By kind of violation", "类型 Kind", report.by_violation_kind),
    ):
        rows = [
            (
                key_label(t.key),
                *(f"{n:,}" for n in (t.cases, t.people, t.within, t.too_lenient, t.too_harsh, t.omitted)),
            )
            for t in tallies
        ]
        out += ["", f"## {title}", "", *_table((key, *headers), rows, right=len(headers))]
    out += ["", "## 同案不同处理 Like cases treated unlike", ""]
    if not report.groups:
        out.append("没有。 None.")
    for group in report.groups:
        out.append(f"- {group.pattern}: {group.cases:,} 件 cases, 差距 spread {group.spread}; {group_line(group)}")
    people = [
        (
            p.case_id,
            f"{p.name} {p.person}".strip(),
            verdict_label(p.verdict),
            str(p.recorded_form),
            f"{p.recommended_form} {band_text(p.band)}" if p.band else "—",
            ", ".join(p.rules),
        )
        for p in report.flagged
    ] + [
        (
            o.case_id,
            f"{o.name} {o.person}".strip(),
            verdict_label("omitted"),
            "—",
            str(o.recommended_form),
            ", ".join(o.rules),
        )
        for o in report.omitted_leaders
    ]
    out += ["", "## 需复核的人员 People to review", ""]
    if people:
        out += _table(REVIEW_HEADERS, people[:MAX_PEOPLE])
        if len(people) > MAX_PEOPLE:
            out += [
                "",
                f"前 {MAX_PEOPLE} 人，共 {len(people)} 人 first {MAX_PEOPLE} of {len(people)}; --format json for all",
            ]
    else:
        out.append("没有需复核的人员。 Nobody to review.")
    if report.bad_records:
        out += ["", "## 错误记录 Bad records", ""]
        out += _table(
            ("位置 Where", "案件 Case", "错误 Error"),
            [
                (f"line {b.line}" if b.line is not None else f"index {b.index}", b.case_id or "", b.error)
                for b in report.bad_records
            ],
        )
    return "\n".join(out) + "\n"
