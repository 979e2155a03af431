"""Labels shared by the text and Markdown renderers (Chinese first, English beside)."""

from __future__ import annotations

from typing import Any

from accountrules.models import Determination, PersonResult, TraceStep
from accountrules.vocabulary import label, label_zh, measure_label

NOTICE = "本结果为建议，由有权机关依规依纪作出决定。 This is a recommendation; the competent bodies decide."

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
    responsibility = f"{label(p.responsibility)}, {label(p.scope)}"
    form = f"{p.form} [{p.range[0]},{p.range[1]}]" if p.form is not None and p.range else "—"
    measure = measure_label(p.measure) if p.measure else "—"
    modifiers = "; ".join(f"{label(m.kind)} ({m.rule})" for m in p.modifiers) or "—"
    refused = (
        "; ".join(f"{label(r.kind)}{' ← ' + label_zh(r.detail) if r.detail else ''} ({r.rule})" for r in p.refused)
        or "—"
    )
    return (who, responsibility, form, measure, modifiers, refused)


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
