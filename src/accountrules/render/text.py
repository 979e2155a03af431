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
    for header in HEADERS:
        table.add_column(Text(header), overflow="fold")
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
    for i, step in enumerate(d.trace, 1):
        facts = facts_text(step.facts)
        lines.append(
            Text(
                f"{i:>3}. [{step.rule}] {step.title}\n"
                f"     {step_target(step, names)}: {facts or '—'} → {step.effect}  ({', '.join(step.cites)})"
            )
        )
    lines.append(Text(""))
    lines.append(Text(NOTICE, style="italic"))
    return Group(table, *lines)


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
    return f"{rule.effect_kind}: " + ", ".join(f"{k}={v}" for k, v in fields.items())


def rule_text(rule: Rule, pack: RulePack) -> RenderableType:
    lines = [
        Text(f"{rule.id}  {rule.title}", style="bold"),
        Text(f"依据 Basis: {rule.basis}"),
        Text(
            f"阶段 Stage: {rule.stage}    来源 Source: {rule.source.name}:{rule.line}"
            + ("" if rule.verified else "    未核实 unverified citation")
        ),
        Text("引用 Cites:"),
        *(
            Text(f"  {c}: {pack.citations[c].paraphrase}" + ("" if pack.citations[c].verified else " (unverified)"))
            for c in rule.cites
        ),
        Text("条件 When:"),
        *(Text(f"  - {pattern_text(p)}") for p in rule.patterns),
        Text(f"效果 Then: {effect_text(rule)}"),
    ]
    return Group(*lines)


def print_to(console: Console, renderable: RenderableType) -> None:
    console.print(renderable, soft_wrap=False, highlight=False)
