"""The views of an explanation (``accountrules explain``): why a person got their result, why other rules did
not name them, and which single change of facts would move their form; as bilingual text or Markdown."""

from __future__ import annotations

from accountrules.render.common import facts_text
from accountrules.tooling.explain import Change, Explanation, form_words
from accountrules.vocabulary import form_label, label, measure_label

_PARTS = {
    "decided": "决定 decides",
    "placed": "定档 places",
    "counted": "计入 counts",
    "refused": "不采纳 refuses",
    "finding": "另认定 also finds",
    "outranked": "被取代 outranked",
    "missing": "未倒查 missing",
}


def result_lines(e: Explanation) -> list[str]:
    """The person's result and the mitigations refused, one line each."""
    r = e.result
    if r is None:
        return ["结果 Result: 不在认定之列 not in the determination: no rule names this person"]
    if r.form is None:
        return [f"结果 Result: {label(r.responsibility)}: linked to a violation with nothing recorded"]
    rng = f" [{r.range[0]},{r.range[1]}]" if r.range else ""
    modifier = "; ".join(f"{label(m.kind)} ({m.rule})" for m in r.modifiers) or "no modifier 无情节"
    deciding = r.modifiers[0].kind if r.modifiers else None
    lines = [
        f"结果 Result: {label(r.responsibility)}, {label(r.scope)}; {form_label(r.form, deciding)}{rng}, "
        f"{measure_label(r.measure or 'none', deciding)}; {modifier}"
    ]
    if r.refused:
        refused = ", ".join(label(x.kind) + (f" ← {label(x.detail)}" if x.detail else "") for x in r.refused)
        lines.append(f"不予采纳 Refused: {refused}")
    if e.versions:
        shown = "; ".join(
            f"{v.violation}: {v.version} ({label(v.why)}"
            + (", 新规定更轻 the newer rules are lighter)" if v.lighter_new else ")")
            for v in e.versions
        )
        lines.append(f"适用规定 Rules in force: {shown}")
    return lines


def _who(e: Explanation) -> str:
    return f"{e.name} {e.person}" if e.name else e.person


def explanation_lines(e: Explanation) -> list[str]:
    """An explanation as bilingual lines, Chinese first."""
    lines = [f"解释 Explanation: {_who(e)} — case {e.case_id} (rule pack {e.rulepack})", *result_lines(e)]
    lines += ["", "为何 Why"]
    if not e.why:
        lines.append("  — no rule fired for this person 没有规则适用")
    for i, reason in enumerate(e.why, 1):
        target = f"{reason.violation}: " if reason.violation else ""
        lines.append(f"  {i}. {_PARTS[reason.part]}  [{reason.rule}] {reason.title}  ({', '.join(reason.cites)})")
        lines.append(f"     {target}{facts_text(reason.facts) or '—'} → {reason.effect}")
        lines.append(f"     {reason.note}")
    lines += ["", f"为何不 Why not: {len(e.why_not)} rules that could have named {e.person} did not"]
    far: dict[str, list[str]] = {}
    for w in e.why_not:
        if w.met == 0:
            far.setdefault(w.lacking, []).append(w.rule)
            continue
        on = f" on {w.violation}" if w.violation else ""
        lines.append(f"  - [{w.rule}] {w.title}: {w.met} of {w.conditions} conditions met{on}")
        lines.append(f"      {w.lacking}")
        if not w.condition.startswith("not "):
            lines.extend(f"      nearest: {near}" for near in w.near)
    for lacking, rule_ids in far.items():
        lines.append(f"  - {lacking}: {', '.join(rule_ids)}")
    lines += ["", "如何改变 What would change the form (each change re-evaluated through the engine)"]
    lines += _changes("↑ 加重 up", e.up)
    lines += _changes("↓ 减轻 down", e.down)
    if e.needed:
        lines += ["", "尚需查明 Still needed"]
        for need in e.needed:
            lines.append(f"  - {need.description}")
            lines.extend(f"      {_change_words(c)}" for c in need.options)
    return lines


def _change_words(c: Change) -> str:
    found = f" ({', '.join(c.findings_after)})" if c.findings_after else ""
    before = form_words(c.form_before, c.measure_before)
    return f"{c.description}: {before} → {form_words(c.form_after, c.measure_after)}{found}"


def _changes(head: str, changes: list[Change]) -> list[str]:
    if not changes:
        return [f"  {head}: no single change found 未找到"]
    lines = [f"  {head}: {_change_words(changes[0])}"]
    for c in changes[1:4]:
        lines.append(f"      or {_change_words(c)}")
    if len(changes) > 4:
        lines.append(f"      and {len(changes) - 4} more (--format json lists them all)")
    return lines


def explanation_text(e: Explanation) -> str:
    """An explanation as bilingual text, Chinese first."""
    return "\n".join(explanation_lines(e)) + "\n"


def _md(text: str) -> str:
    """Text from a case or a pack, safe inside Markdown: no character starts markup."""
    return "".join(f"\\{c}" if c in "\\`*_[]<>|#" else c for c in text)


def explanation_markdown(e: Explanation) -> str:
    """An explanation to paste into a document: the result, why, why not, and what would change the form."""
    out = [f"# 解释 Explanation: {_md(_who(e))}, case {_md(e.case_id)}", "", f"规则包 Rule pack: {_md(e.rulepack)}", ""]
    out += [f"- {_md(line)}" for line in result_lines(e)]
    out += ["", "## 为何 Why", ""]
    if not e.why:
        out.append("没有规则适用。 No rule fired for this person.")
    for i, reason in enumerate(e.why, 1):
        target = f"{reason.violation}: " if reason.violation else ""
        facts = facts_text(reason.facts) or "—"
        out.append(
            f"{i}. {_PARTS[reason.part]} **{reason.rule}** {_md(reason.title)} ({', '.join(reason.cites)}): "
            f"{_md(target)}`{facts}` → {reason.effect}. {_md(reason.note)}"
        )
    out += ["", f"## 为何不 Why not ({len(e.why_not)} rules)", ""]
    for w in e.why_not:
        on = f" on {w.violation}" if w.violation else ""
        out.append(f"- **{w.rule}** {_md(w.title)}: {w.met} of {w.conditions} conditions met{on}; {_md(w.lacking)}")
    out += ["", "## 如何改变 What would change the form", ""]
    for head, changes in (("↑ 加重 up", e.up), ("↓ 减轻 down", e.down)):
        if not changes:
            out.append(f"- {head}: no single change found 未找到")
        for c in changes:
            out.append(f"- {head}: {_md(_change_words(c))}")
    if e.needed:
        out += ["", "## 尚需查明 Still needed", ""]
        for need in e.needed:
            out.append(f"- {_md(need.description)}")
            out.extend(f"  - {_md(_change_words(c))}" for c in need.options)
    return "\n".join(out) + "\n"
