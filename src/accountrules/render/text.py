"""Terminal rendering with rich: the bilingual table of people, then the numbered, cited trace."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from accountrules.models import Determination
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
from accountrules.rulepack.pack import RulePack
from accountrules.rulepack.spec import Pattern, Rule, Test


def determination_text(d: Determination) -> RenderableType:
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
                f"{step_target(step, names)}: {facts or '—'} → {step.effect}  ({', '.join(step.cites)})"
            ),
        )
    return Group(table, *lines, trace, Text(""), Text(NOTICE, style="italic"))


def rules_table(pack: RulePack) -> RenderableType:
    title = Text(f"规则包 Rule pack {pack.name} {pack.version}: {len(pack.rules)} rules")
    table = Table(title=title, title_justify="left")
    table.add_column(Text("编号 Id"), no_wrap=True)  # an id is looked up whole, never wrapped
    for header in ("阶段 Stage", "标题 Title", "依据 Cites"):
        table.add_column(Text(header), overflow="fold")
    for rule in pack.rules:
        cites = ", ".join(rule.cites) + ("" if rule.verified else " (unverified)")
        table.add_row(*map(Text, (rule.id, rule.stage, rule.title, cites)))
    return table


def _test_text(test: Test) -> str:
    if test.op == "any":
        options = [" and ".join(_test_text(t) for t in alt) for alt in test.value]
        return "any of (" + "; ".join(options) + ")"
    value = test.value
    shown = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, tuple) else str(value)
    if isinstance(value, bool):
        shown = "true" if value else "false"
    op = {"eq": "=", "ne": "≠", "in": "in", "not_in": "not in", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
    return f"{test.field} {op[test.op]} {shown}"


def pattern_text(pattern: Pattern) -> str:
    tests = ", ".join(_test_text(t) for t in pattern.tests) or "any"
    head = f"no {pattern.fact}" if pattern.negated else f"{pattern.fact} as {pattern.alias}"
    return f"{head}: {tests}"


def effect_text(rule: Rule) -> str:
    effect = rule.effect
    if effect is True:
        return "publicize: true"
    fields = effect.model_dump(exclude_none=True, by_alias=True)

    def show(value: object) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return str(value)

    return f"{rule.effect_kind}: " + ", ".join(f"{k}={show(v)}" for k, v in fields.items())


def rule_text(rule: Rule, pack: RulePack) -> RenderableType:
    """One rule as a two-column sheet: a wrapped value stays indented under its label."""
    sheet = Table.grid(padding=(0, 2))
    sheet.add_column(no_wrap=True)
    sheet.add_column(overflow="fold")
    cites = "\n".join(
        f"{c}: {pack.citations[c].paraphrase}" + ("" if pack.citations[c].verified else " (unverified)")
        for c in rule.cites
    )
    rows = [
        ("依据 Basis", rule.basis),
        ("阶段 Stage", rule.stage),
        ("来源 Source", f"{rule.source.name}:{rule.line}"),
        ("核实 Verified", "是 yes" if rule.verified else "否 no: cites a provision known only from secondary sources"),
        ("引用 Cites", cites),
        ("条件 When", "\n".join(f"- {pattern_text(p)}" for p in rule.patterns)),
        ("效果 Then", effect_text(rule)),
    ]
    for name, value in rows:
        sheet.add_row(Text(name), Text(value))
    return Group(Text(f"{rule.id}  {rule.title}", style="bold"), sheet)


def print_to(console: Console, renderable: RenderableType) -> None:
    console.print(renderable, soft_wrap=False, highlight=False)
