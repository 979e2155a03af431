"""Labels shared by the views (text, Markdown, HTML), Chinese first and English beside."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from accountrules.batch.check import Group, PersonCheck, Slot
from accountrules.models import Determination, PersonResult, TraceStep
from accountrules.vocabulary import LABELS, label, label_zh, measure_label

NOTICE = "本结果为建议，由有权机关依规依纪作出决定。 This is a recommendation; the competent bodies decide."

#: Control characters, but for the line break and the tab that multi-line text of a report holds, and the
#: bidirectional controls (U+061C, U+200E–F, U+202A–E, U+2066–9), which reorder what a terminal shows after them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` safe to show on a terminal or in a document: every control character but line breaks and tabs
    (a terminal's escape sequences start with one) and every bidirectional control (an override makes a line read
    backwards) is shown as its escape, ``\\x1b`` or ``\\u202e``, never sent raw."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def displayable(value: Any) -> Any:
    """``value`` (a report, a case, or anything in them) with `printable` applied to every string in it."""
    if isinstance(value, str):
        return printable(value) if _CONTROL.search(value) else value
    if isinstance(value, BaseModel):
        return value.model_copy(update={k: displayable(v) for k, v in value.__dict__.items()})
    if isinstance(value, (list, tuple)):
        return type(value)(displayable(v) for v in value)
    if isinstance(value, dict):
        return {displayable(k): displayable(v) for k, v in value.items()}
    return value


HEADERS = (
    "人员 Person",
    "责任 Responsibility",
    "形态 Form",
    "措施 Measure",
    "情节 Modifier",
    "不予采纳 Refused",
)


def person_row(p: PersonResult) -> tuple[str, ...]:
    """One person as table cells, each value bilingual."""
    who = f"{p.name} {p.person}" if p.name else p.person
    if p.former:
        who += " (已离任 former)"
    responsibility = f"{label(p.responsibility)}, {label(p.scope)}"
    form = f"{p.form} [{p.range[0]},{p.range[1]}]" if p.form is not None and p.range else "—"
    measure = measures_text(p)
    modifiers = "; ".join(f"{label(m.kind)} ({m.rule})" for m in p.modifiers) or "—"
    refused = (
        "; ".join(f"{label(r.kind)}{' ← ' + label_zh(r.detail) if r.detail else ''} ({r.rule})" for r in p.refused)
        or "—"
    )
    return (who, responsibility, form, measure, modifiers, refused)


def measures_text(p: PersonResult) -> str:
    """Every recommended measure (SPEC §9.2), the deciding one first (worded for the modifier that decided it)."""
    deciding = p.modifiers[0].kind if p.modifiers else None
    return " + ".join(measure_label(m, deciding if i == 0 else None) for i, m in enumerate(p.measures)) or "—"


def sanctions_line(d: Determination) -> str:
    """Each person's government sanction and bar on promotion (SPEC §9.2)."""
    parts = []
    for p in d.people:
        if p.government_sanction is None and p.waiting_period_months is None:
            continue
        gov = label(p.government_sanction) if p.government_sanction else "—"
        bar = f", {p.waiting_period_months} 个月 months" if p.waiting_period_months else ""
        parts.append(f"{p.person} {gov}{bar}")
    return "; ".join(parts) or "—"


def in_force_line(d: Determination) -> str:
    """Which version judged each violation, and why (SPEC §9.2 ``rules_in_force``)."""
    entries = []
    for entry in d.rules_in_force:
        text = f"{entry.violation}: {entry.conduct} ({label(entry.why)})"
        if entry.decision != entry.conduct:
            lighter = ", ".join(entry.lighter_new)
            text += f", 决定时 at decision {entry.decision}" + (f" (从轻 lighter for {lighter})" if lighter else "")
        entries.append(text)
    return "; ".join(entries) or "—"


def note_lines(d: Determination) -> list[str]:
    """The notes, each with whom and what it is about."""
    lines = []
    for note in d.notes:
        about = " ".join(x for x in (note.person, note.violation) if x)
        lines.append(f"{about + ': ' if about else ''}{note.message}")
    return lines


def facts_text(facts: dict[str, Any]) -> str:
    def show(v: Any) -> str:
        return "true" if v is True else "false" if v is False else str(v)

    return ", ".join(f"{k}={show(v)}" for k, v in facts.items())


def step_target(step: TraceStep, names: dict[str, str]) -> str:
    parts = []
    if step.person:
        parts.append(f"{names.get(step.person) or ''}({step.person})" if names.get(step.person) else step.person)
    if step.violation:
        parts.append(step.violation)
    return " ".join(parts) or "单位 unit"


def names_of(determination: Determination) -> dict[str, str]:
    return {p.person: p.name for p in determination.people}


def organization_line(d: Determination) -> str:
    measures = ", ".join(label(m) for m in d.organization.measures) or "—"
    return f"{d.organization.unit}: {label(d.organization.responsibility)}; {measures}"


def dual_line(d: Determination) -> str:
    dual = d.dual_investigation
    status = "完整 complete" if dual.complete else "不完整 incomplete"
    missing = ", ".join(f"{m.person}/{m.violation}" for m in dual.missing) or "—"
    examined = ", ".join(dual.examined) or "—"
    return f"{status}; 已倒查 examined: {examined}; 未倒查 missing: {missing}"


def publicize_line(d: Determination) -> str:
    return "是 yes" if d.publicize else "否 no"


# ---------------------------------------------------------------------------------------------------------------
# Consistency reports

#: Verdicts and report headings, Chinese first.
VERDICT_LABELS = {
    "within": ("在档内", "within the band"),
    "too_lenient": ("偏轻", "too lenient"),
    "too_harsh": ("偏重", "too harsh"),
    "undetermined": ("待查明", "undetermined"),
    "omitted": ("遗漏问责", "omitted leader"),
}
SUMMARY_ROWS = (
    ("records", "记录", "records"),
    ("bad_records", "错误记录", "bad records"),
    ("cases_with_record", "有原处理结果的案件", "cases with a recorded outcome"),
    ("people_checked", "核查人员", "people checked"),
    ("within", "在档内", "within the band"),
    ("too_lenient", "偏轻", "too lenient"),
    ("too_harsh", "偏重", "too harsh"),
    ("undetermined", "待查明", "undetermined"),
    ("omitted_leaders", "遗漏问责的领导（一案双查未落实）", "responsible leaders left out"),
    ("inconsistent_groups", "同案不同处理的案件组", "groups of like cases treated unlike"),
    ("incomplete_dual_investigation", "一案双查不完整的案件", "cases with a leader not looked back on"),
    ("score", "一致性得分", "consistency score"),
)
#: The score's cell when no record was compared with the rules: a score of nothing checked means nothing.
NOTHING_CHECKED = "— 无可核查 nothing to check"


def summary_cell(values: dict[str, Any], key: str) -> str:
    """One figure of a consistency summary (``values`` is its dump) as the views show it."""
    if key != "score":
        return f"{values[key]:,}"
    return NOTHING_CHECKED if values[key] is None else f"{values[key]:.1f}%"


UNIT_LEVEL_LABELS = {
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县级", "county"),
    "township": ("乡镇", "township"),
    "village": ("村级", "village"),
    "enterprise": ("国有企业", "enterprise"),
    "institution": ("事业单位", "public institution"),
}


def key_label(key: str) -> str:
    """A year, unit level or violation kind as shown in tallies."""
    if key in UNIT_LEVEL_LABELS:
        zh, en = UNIT_LEVEL_LABELS[key]
        return f"{zh} {en}"
    if key == "unknown":
        return "未填日期 no date"
    return label(key) if key in LABELS else key


#: The columns of the people to review in the terminal and Markdown views: fields of `PersonCheck` (a leader the
#: record leaves out fills the same ones), each headed by its title.
REVIEW_COLUMNS = ("case_id", "person", "verdict", "recorded_form", "recommended_form", "rules")
REVIEW_HEADERS = tuple(str(PersonCheck.model_fields[name].title) for name in REVIEW_COLUMNS)


def verdict_label(verdict: str) -> str:
    zh, en = VERDICT_LABELS[verdict]
    return f"{zh} {en}"


def band_text(band: tuple[int, int] | None) -> str:
    """A person's band in check's views, named so that it is not read as evaluate's range (幅度)."""
    return f"档 band [{band[0]},{band[1]}]" if band else ""


def slot_label(slot: Slot) -> str:
    """Who the like people are: their roles, whether they offended, and what they did."""
    roles = "、".join(label_zh(r) for r in slot.roles) or "无职务"
    acts = f"：{'，'.join(label_zh(a) for a in slot.acts)}" if slot.acts else ""
    return f"{roles}{'（违纪人）' if slot.offender else ''}{acts}"


def slot_labels(group: Group) -> list[str]:
    """`slot_label` of each of a group's slots, numbered where two would read the same (甲, 乙, …)."""
    labels = [slot_label(s) for s in group.slots]
    seen: dict[str, int] = {}
    out = []
    for text in labels:
        if labels.count(text) > 1:
            seen[text] = seen.get(text, 0) + 1
            text = f"{text}（{_ORDINALS[(seen[text] - 1) % len(_ORDINALS)]}）"
        out.append(text)
    return out


_ORDINALS = "甲乙丙丁戊己庚辛壬癸"


def forms_label(forms: dict[str, int]) -> str:
    return ", ".join(f"{form}×{n}" for form, n in forms.items())


def group_line(group: Group) -> str:
    return "; ".join(f"{name}: {forms_label(s.forms)}" for name, s in zip(slot_labels(group), group.slots, strict=True))
