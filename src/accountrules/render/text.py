"""Terminal rendering with rich: the bilingual table of people, then the numbered, cited trace."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from accountrules.models import Case, Determination
from accountrules.render.common import (
    HEADERS,
    NOTICE,
    dual_line,
    facts_text,
    in_force_line,
    names_of,
    note_lines,
    organization_line,
    person_row,
    publicize_line,
    sanctions_line,
    step_target,
)


def determination_text(d: Determination, case: Case | None = None) -> RenderableType:
    """The bilingual table of people, the organisation, publicity and dual investigation, then the trace (the
    case adds nothing here: the determination names everyone)."""
    # Every string goes in as Text: case data and labels are shown as written, never read as rich markup.
    table = Table(title=Text(f"问责建议 Accountability recommendation — {d.case_id}"), title_justify="left")
    # short cells never wrap, so the wide ones (responsibility, modifier, refusals) get the room
    short = {"人员 Person", "形态 Form"}
    for header in HEADERS:
        table.add_column(Text(header), no_wrap=header in short, overflow="fold")
    for person in d.people:
        table.add_row(*map(Text, person_row(person)))
    names = names_of(d)
    lines = [
        Text(f"组织 Organization: {organization_line(d)}"),
        Text(f"公开曝光 Publicize: {publicize_line(d)}"),
        Text(f"一案双查 Dual investigation: {dual_line(d)}"),
        Text(f"政务处分、影响期 Government sanction, bar on promotion: {sanctions_line(d)}"),
        Text(f"适用规定 Rules in force: {in_force_line(d)}"),
        *(Text(f"提示 Note: {line}") for line in note_lines(d)),
        Text(f"规则包 Rule pack: {d.rulepack.name} {d.rulepack.version} ({d.rulepack.digest[:19]}…)"),
        Text(""),
        Text("推理过程 Reasoning trace", style="bold"),
    ]
    # a grid keeps a wrapped step indented under its number
    trace = Table.grid(padding=(0, 1))
    trace.add_column(justify="right", no_wrap=True)
    trace.add_column(overflow="fold")
    for i, step in enumerate(d.trace, 1):
        facts = facts_text(step.facts)
        trace.add_row(
            Text(f"{i}."),
            Text(
                f"[{step.rule}] {step.title}\n"
                f"{step_target(step, names)}: {facts or '—'} → {step.effect}  ({', '.join(step.cites)}; {step.version})"
            ),
        )
    return Group(table, *lines, trace, Text(""), Text(NOTICE, style="italic"))
