"""A Markdown report a case handler can paste into a document."""

from __future__ import annotations

from accountrules.models import Case, Determination
from accountrules.render.common import (
    HEADERS,
    NOTICE,
    dual_line,
    facts_text,
    names_of,
    organization_line,
    person_row,
    publicize_line,
    step_target,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def determination_markdown(d: Determination, case: Case | None = None) -> str:
    title = f" {case.title}" if case and case.title else ""
    out = [f"# 问责建议 Accountability recommendation: {d.case_id}{title}", ""]
    if case is not None:
        decided = f"; 决定日期 decided on {case.decided_on.isoformat()}" if case.decided_on else ""
        out += [f"单位 Unit: {case.unit.name}{decided}", ""]
    out += [
        "## 人员 People",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    out += ["| " + " | ".join(_cell(c) for c in person_row(p)) + " |" for p in d.people]
    out += [
        "",
        f"- 组织 Organization: {organization_line(d)}",
        f"- 公开曝光 Publicize: {publicize_line(d)}",
        f"- 一案双查 Dual investigation: {dual_line(d)}",
        f"- 规则包 Rule pack: {d.rulepack.name} {d.rulepack.version} (`{d.rulepack.digest}`)",
        "",
        "## 推理过程 Reasoning trace",
        "",
    ]
    names = names_of(d)
    for i, step in enumerate(d.trace, 1):
        facts = facts_text(step.facts)
        out.append(
            f"{i}. **{step.rule}** {step.title}: {step_target(step, names)}"
            f"{', `' + facts + '`' if facts else ''} → {step.effect} ({', '.join(step.cites)})"
        )
    out += ["", f"> {NOTICE}", ""]
    return "\n".join(out)
