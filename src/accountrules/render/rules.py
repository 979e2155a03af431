"""The views of a pack's rules (``accountrules rules list`` and ``rules show``): each a model first, then text.

`RuleList` and `RuleSheet` say what the commands show, with the conditions and effect of a rule written out;
their JSON is the model's, their text a rich table or sheet.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from accountrules.errors import RulePackError
from accountrules.rulepack.pack import RulePack
from accountrules.rulepack.spec import Pattern, Rule, Test
from accountrules.rulepack.versions import Correspondence
from accountrules.vocabulary import label


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleRow(_View):
    id: str
    stage: str
    title: str
    cites: list[str]
    verified: bool


class RuleList(_View):
    """The rules of a pack, in id order; with ``in_force``, those of that version, cited as it numbers them."""

    pack: str
    version: str
    rules: list[RuleRow]
    in_force: str | None = None


class ReadIn(_View):
    """Where a cited provision's text was read: its title and, when online, the address."""

    title: str
    url: str | None


class Citation(_View):
    id: str
    paraphrase: str
    verified: bool
    source: ReadIn | None


class RuleSheet(_View):
    """One rule: its basis, where it is written, what it cites, its conditions and its effect."""

    id: str
    title: str
    basis: str
    stage: str
    source: str
    verified: bool
    cites: list[Citation]
    when: list[str]
    then: str
    #: The versions in which the rule holds.
    versions: list[str] = []


def rule_list(pack: RulePack, version: str | None = None) -> RuleList:
    """The pack's rules, or those that hold in ``version``."""
    chosen = pack.rules if version is None else pack.rules_in(version)
    rows = [
        RuleRow(id=r.id, stage=r.stage, title=r.title, cites=pack.cites_in(r.id, version), verified=r.verified)
        for r in chosen
    ]
    return RuleList(pack=pack.name, version=pack.version, rules=rows, in_force=version)


def rule_sheet(rule: Rule, pack: RulePack, version: str | None = None) -> RuleSheet:
    """One rule; with ``version``, its citations as that version numbers them."""
    return RuleSheet(
        id=rule.id,
        title=rule.title,
        basis=rule.basis,
        stage=rule.stage,
        source=f"{rule.source.name}:{rule.line}",
        verified=rule.verified,
        cites=[_citation(c, pack) for c in pack.cites_in(rule.id, version)],
        when=[pattern_text(p) for p in rule.patterns],
        then=effect_text(rule),
        versions=[v for v in pack.versions.ids if v in rule.versions],
    )


def sanctions_sheet(pack: RulePack) -> RuleSheet:
    """The pack's sanctions (V3, V9, promotion bars) as a sheet like a rule's."""
    sanctions = pack.sanctions
    cited = [
        *sanctions.correspondence.cites,
        *(c for row in sanctions.without_party_post for c in row.cites),
        *sanctions.waiting_periods.cites,
    ]
    government = sanctions.waiting_periods.government
    bars = [f"{label(m)}: {n} months" for m, n in sanctions.waiting_periods.measures.items()]
    bars += [f"{law} {label(g)}: {n} months" for law, rows in government.items() for g, n in rows.items()]
    return RuleSheet(
        id="sanctions",
        title="党纪处分与政务处分 / party measures and government sanctions",
        basis="Who may receive which measure, the government sanction that goes with each party measure, and "
        "how long each bars promotion.",
        stage="resolution",
        source="sanctions.yaml",
        verified=all(pack.citations[c].verified for c in cited),
        cites=[_citation(c, pack) for c in dict.fromkeys(cited)],
        when=[
            "party measures: " + ", ".join(label(m) for m in sanctions.party_measures),
            *(
                f"without a party post: {label(row.measure)} → {row.becomes[0]} {label(row.becomes[1])}"
                for row in sanctions.without_party_post
            ),
            *bars,
        ],
        then=_correspondence_text(sanctions.correspondence, sanctions.party_measures),
        versions=list(pack.versions.ids),
    )


def merge_sheet(pack: RulePack, version: str | None = None) -> RuleSheet:
    """The policy's 合并处理 (several violations of one person merged) as a sheet like a rule's; with ``version``,
    its citations as that version numbers them."""
    merge = pack.policy.merge
    if merge is None:
        raise RulePackError(f"pack '{pack.name}' merges no violations (its policy has no `merge` entry)")
    cites = pack.versions.shown_cites(merge.cites, version)
    scale = " → ".join(label(m) for m in merge.scale)
    return RuleSheet(
        id=merge.id,
        title=merge.title,
        basis="A member with two or more violations that each call for a party sanction is sanctioned once: the "
        "heaviest of those sanctions raised one grade; where one calls for the last grade, that grade.",
        stage="resolution",
        source="policy.yaml: merge",
        verified=all(pack.citations[c].verified for c in cites),
        cites=[_citation(c, pack) for c in cites],
        when=[
            f"findings of kind {', '.join(merge.kinds)} on at least {merge.at_least} distinct violations, each at a "
            f"measure of the scale",
            f"scale 档次: {scale}",
            "a grade the person cannot receive is passed over (V9: no removal from a party post they do not hold)",
            "the government sanction follows the heaviest measure before the raise (gov2020:15, civ2007:10)",
        ],
        then=f"the heaviest measure raised one grade, decided by {label(merge.modifier)}; range unchanged",
        versions=list(pack.versions.ids),
    )


def _correspondence_text(correspondence: Correspondence, party_measures: Sequence[str]) -> str:
    """The government sanction instead of each party measure and, when the pack tells them apart, beside it."""
    instead = "; ".join(f"{label(m)} → {label(g)}" for m, g in correspondence.table.items())
    if correspondence.beside is None:
        return f"correspondence: {instead}"
    beside = "; ".join(
        f"{label(m)} → {label(correspondence.beside[m]) if m in correspondence.beside else '—'}" for m in party_measures
    )
    return f"代替党纪处分 instead of a party measure: {instead}. 与党纪处分并处 beside a party measure kept: {beside}"


def _citation(cite: str, pack: RulePack) -> Citation:
    entry = pack.citations[cite]
    source = ReadIn(title=entry.source.title, url=entry.source.url) if entry.source else None
    return Citation(id=cite, paraphrase=entry.paraphrase, verified=entry.verified, source=source)


def _citation_text(citation: Citation) -> str:
    """A cited provision: its paraphrase, whether it was checked, and where its text was read."""
    text = f"{citation.id}: {citation.paraphrase}" + ("" if citation.verified else " (unverified)")
    if citation.source is not None:
        url = f" <{citation.source.url}>" if citation.source.url else ""
        text += f"\n  出处 read in: {citation.source.title}{url}"
    return text


def rules_text(rules: RuleList) -> RenderableType:
    in_force = f", 现行版本 in force: {rules.in_force}" if rules.in_force else ""
    title = Text(f"规则包 Rule pack {rules.pack} {rules.version}{in_force}: {len(rules.rules)} rules")
    table = Table(title=title, title_justify="left")
    table.add_column(Text("编号 Id"), no_wrap=True)  # an id is looked up whole, never wrapped
    for header in ("阶段 Stage", "标题 Title", "依据 Cites"):
        table.add_column(Text(header), overflow="fold")
    for rule in rules.rules:
        cites = ", ".join(rule.cites) + ("" if rule.verified else " (unverified)")
        table.add_row(*map(Text, (rule.id, rule.stage, rule.title, cites)))
    return table


def rule_text(sheet: RuleSheet) -> RenderableType:
    """One rule as a two-column sheet: a wrapped value stays indented under its label."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    cites = "\n".join(_citation_text(c) for c in sheet.cites)
    rows = [
        ("依据 Basis", sheet.basis),
        ("阶段 Stage", sheet.stage),
        ("来源 Source", sheet.source),
        ("核实 Verified", "是 yes" if sheet.verified else "否 no: cites a provision known only from secondary sources"),
        ("引用 Cites", cites),
        ("版本 Versions", ", ".join(sheet.versions)),
        ("条件 When", "\n".join(f"- {p}" for p in sheet.when)),
        ("效果 Then", sheet.then),
    ]
    for name, value in rows:
        grid.add_row(Text(name), Text(value))
    return Group(Text(f"{sheet.id}  {sheet.title}", style="bold"), grid)


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
