"""Why a person got their result, why other rules did not apply, and which single change of facts would move it.

- *Why*: the finding that decided the person's form, the modifier that placed it in the range, the refusals,
  the person's other findings and the candidates they outranked: each a rule firing with its citations.
- *Why not*: every rule that could have named the person and did not, with the condition that failed and the
  facts closest to meeting it (conditions evaluated by `accountrules.rulepack.conditions`).
- *What would change it*: every single change of facts (an act added or removed, a flag, a severity, the unit's
  record) re-evaluated through the engine; the ones that move the form up and down, smallest move first. Each
  change is re-evaluated on the smallest case that decides the person's result (`_Reevaluator`), so that an
  explanation costs about as many evaluations as the case has violations, each of a case of two.
- *Still needed*: for a person listed as missing, the conduct to record, with what each choice would give.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, get_args

from pydantic import BaseModel, ConfigDict

from accountrules.engine.cache import asserted_fields
from accountrules.engine.durable import stage_rules_for
from accountrules.engine.firings import Firing, MeasureWhat, ModifierWhat, RefusalWhat, TallyWhat, describe
from accountrules.engine.flatten import flatten
from accountrules.engine.resolve import Finding, Outcome, Resolved
from accountrules.errors import CaseValidationError, UnknownPersonError, UsageError
from accountrules.models import Case, Determination, PersonResult
from accountrules.rulepack.conditions import FactIndex, Miss, failing_tests, first_miss
from accountrules.rulepack.facts import ID_FIELDS, FactSchema, Input
from accountrules.rulepack.policy import Merge
from accountrules.rulepack.spec import Pattern, Ref, Rule, Test
from accountrules.tooling.space import Distinctions, distinctions, input_classes
from accountrules.tooling.verify import linked_people
from accountrules.validation import parse_case, suggest
from accountrules.vocabulary import (
    FORM_MEASURES,
    OFFENDER_ACTS,
    Act,
    InForceReason,
    label,
    measure_label,
    values,
)

if TYPE_CHECKING:
    from accountrules.engine.evaluate import CaseEvaluation, Engine
    from accountrules.rulepack.pack import RulePack


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Part = Literal["decided", "placed", "counted", "refused", "finding", "outranked", "missing"]


class Reason(_Out):
    """One rule firing in the chain that produced a person's result."""

    part: Part
    rule: str
    title: str
    cites: list[str]
    violation: str | None
    facts: dict[str, Any]
    effect: str
    note: str


class WhyNot(_Out):
    """A rule that could have named the person and did not: the condition that failed, and the nearest facts."""

    rule: str
    title: str
    cites: list[str]
    violation: str | None
    condition: str
    lacking: str
    near: list[str]
    met: int
    conditions: int


Op = Literal[
    "add_act",
    "remove_act",
    "set_flag",
    "clear_flag",
    "set_severity",
    "set_unit_record",
    "set_personally_clean",
    "record_conduct",
    "set_field",
]


class Change(_Out):
    """One change of facts and what it does to the person, as re-evaluated through the engine."""

    op: Op
    person: str | None = None
    violation: str | None = None
    field: str | None = None
    value: Any = None
    description: str
    form_before: int | None
    measure_before: str | None
    form_after: int | None
    measure_after: str | None
    responsibility_after: str
    findings_after: list[str]


class Need(_Out):
    """A violation the person is linked to but on which nothing is recorded, and what each record would give."""

    violation: str
    description: str
    options: list[Change]


class PersonVersion(_Out):
    """The version of the regulations that judged the person on one violation, and why (SPEC §9.3 V1)."""

    violation: str
    version: str
    why: InForceReason
    #: The decision's version applied because it was strictly lighter (从轻).
    lighter_new: bool


class Explanation(_Out):
    case_id: str
    rulepack: str
    person: str
    name: str
    status: Literal["determined", "undetermined", "not_involved"]
    result: PersonResult | None
    why: list[Reason]
    why_not: list[WhyNot]
    up: list[Change]
    down: list[Change]
    needed: list[Need]
    versions: list[PersonVersion] = []

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)


# ---------------------------------------------------------------------------------------------------------------
# The run


def explain(engine: Engine, case: Case, person: str, shortcut: bool = True) -> Explanation:
    """Explain ``person``'s result in ``case`` with ``engine``'s rule pack (``shortcut``: re-evaluate each change
    on the smallest case that decides it, see `_Reevaluator`; false re-evaluates the whole case each time, with
    the same explanation)."""
    if not isinstance(person, str):
        raise UsageError(f"person: give the id of a person as text, such as 'p1'; got {type(person).__name__}")
    people = {p.id: p for p in case.people}
    if person not in people:
        raise UnknownPersonError(
            f"no person '{person}' in case {case.case_id} (people are: {', '.join(people)}).{suggest(person, people)}"
        )
    evaluation = engine.evaluation(case)
    determination = evaluation.determination
    in_force, applied = evaluation.in_force, evaluation.applied
    first = evaluation.first_in_force
    result = next((p for p in determination.people if p.person == person), None)
    status: Literal["determined", "undetermined", "not_involved"] = (
        "not_involved" if result is None else "undetermined" if result.form is None else "determined"
    )
    outcome = evaluation.outcomes.get(person)
    added = {(i.finding.firing.violation, a.rule) for i in outcome.resolved for a in i.also} if outcome else set()
    # a measure added beside the deciding one shows only where the finding reached it
    mine = [f for f in first if f.person == person and (f.effect != "measure" or (f.violation, f.rule) in added)]
    data = json.loads(case.model_dump_json())
    return Explanation(
        case_id=case.case_id,
        rulepack=f"{engine.pack.name} {engine.pack.version}",
        person=person,
        name=people[person].name,
        status=status,
        result=result,
        why=_why(engine, evaluation.outcomes.get(person), mine, evaluation.standing),
        why_not=_why_not(engine, evaluation.first.facts, person, {f.rule for f in mine}),
        versions=[
            PersonVersion(
                violation=entry.violation,
                version=applied.versions.get((person, entry.violation), entry.conduct),
                why=entry.why,  # type: ignore[arg-type]
                lighter_new=person in applied.lighter_new.get(entry.violation, set()),
            )
            for entry in sorted(in_force.violations.values(), key=lambda e: e.violation)
            if (person, entry.violation) in applied.versions
        ],
        **_what_would_change(engine, data, person, result, evaluation, shortcut),
    )


# ---------------------------------------------------------------------------------------------------------------
# Why


def _why(engine: Engine, outcome: Outcome | None, mine: list[Firing], standing: list[Finding]) -> list[Reason]:
    reasons: list[Reason] = []
    shown: set[tuple[Any, ...]] = set()

    def add(f: Firing, part: Part, note: str) -> None:
        if f.key not in shown:
            shown.add(f.key)
            reasons.append(_reason(engine, f, part, note))

    if outcome is not None and outcome.best is not None:
        best = outcome.best
        heaviest = outcome.raised_from
        if heaviest is None:
            add(best.finding.firing, "decided", _decided_note(engine, best))
        else:  # 合并处理: the heaviest of several violations, raised one grade
            lo, hi = best.effective
            merged = len(outcome.merged)
            add(
                best.finding.firing,
                "decided",
                f"decides the result: range [{lo},{hi}]; 合并处理: "
                f"{merged} violations merged, the heaviest measure {measure_label(heaviest.measure)} raised one "
                f"grade to form {best.form}, {measure_label(best.measure)}",
            )
            merge = engine.policy.merge
            if merge is not None and best.deciding is not None:
                reasons.append(_merge_reason(engine, merge, outcome, heaviest, best))
        _adjustments(engine, best, add)
        for item in outcome.resolved:
            if item is best:
                continue
            add(item.finding.firing, "finding", f"resolves to form {item.form} ({item.measure}); not the heaviest")
            _adjustments(engine, item, add)
    winners = {(f.firing.person, f.firing.violation, f.firing.decision, f.kind): f.firing for f in standing}
    for f in mine:
        if f.effect == "finding" and f.key not in shown:
            winner = winners.get((f.person, f.violation, f.decision, f.found.kind))
            note = f"outranked by {winner.rule} ({describe(winner)})" if winner else "outranked"
            add(f, "outranked", note)
    for f in mine:
        if f.effect == "missing":
            add(f, "missing", f"linked to {f.violation} with nothing recorded: listed as missing (一案双查)")
    return reasons


def _adjustments(engine: Engine, item: Resolved, add: Callable[[Firing, Part, str], None]) -> None:
    deciding = item.deciding
    added = {a.rule for a in item.also}
    for adj in sorted(item.adjustments):
        what = adj.what
        if isinstance(what, MeasureWhat):
            if adj.rule in added:
                add(adj, "placed", f"adds {measure_label(what.add)} beside {measure_label(item.measure)}")
        elif isinstance(what, RefusalWhat):
            add(adj, "refused", f"refused {what.kind}: recorded, never applied")
        elif isinstance(what, TallyWhat):
            add(adj, "counted", f"counts toward {what.name} ({what.token})")
        elif isinstance(what, ModifierWhat):
            decides = deciding is not None and (adj.rule, what.kind) == (deciding.rule, deciding.kind)
            idle = f"{what.kind} applies but does not decide the form"
            add(adj, "placed", _placement(engine, what.kind, item) if decides else idle)


def _decided_note(engine: Engine, item: Resolved) -> str:
    lo, hi = item.effective
    cap = " (capped at its lowest form)" if tuple(item.finding.range) != (lo, hi) else ""
    # the measure a declared scale starts at; a substitute for a post the person lacks (V9) is no scale's
    scale = (
        None if item.replaced else engine.policy.scale_of(item.finding.kind, item.finding.responsibility, item.form, hi)
    )
    which = f"the measure {scale.id} starts at" if scale is not None else "lightest measure"
    how = (
        _placement(engine, item.deciding.kind, item)
        if item.deciding
        else f"no modifier: the lowest form of [{lo},{hi}]"
        + (f", held at the floor {item.form}" if item.form > lo else "")
        + f", {which} {measure_label(item.measure)}"
    )
    return f"decides the result: range [{lo},{hi}]{cap}; {how}"


def _placement(engine: Engine, kind: str, item: Resolved) -> str:
    effect = engine.policy.modifier_effects[kind]  # type: ignore[index]
    lo, hi = item.effective
    where = {"lo": f"lowest form {lo}", "hi": f"highest form {hi}", "zero": "form 0"}[effect.at]
    shift = f" {effect.shift:+d}" if effect.shift else ""
    outweighed = [r.detail for r in item.refused if r.kind == "outweighed"]
    beaten = f"; outweighs {', '.join(str(o) for o in outweighed)}" if outweighed else ""
    return f"{label(kind)}: {where}{shift} → form {item.form}, {measure_label(item.measure, kind)}{beaten}"


def _merge_reason(engine: Engine, merge: Merge, outcome: Outcome, heaviest: Resolved, best: Resolved) -> Reason:
    """The policy's own step that placed a merged result (合并处理), as its trace step shows it."""
    cites = engine.pack.versions.shown_cites(tuple(merge.cites), str(best.version))
    return Reason(
        part="placed",
        rule=merge.id,
        title=merge.title,
        cites=list(cites),
        violation=best.finding.firing.violation,
        facts={"violations": len(outcome.merged), "heaviest": f"form {heaviest.form}: {heaviest.measure}"},
        effect=f"form {best.form}: {best.measure}",
        note=f"{merge.modifier}: the heaviest of {len(outcome.merged)} violations ({', '.join(outcome.merged)}) "
        f"raised one grade, {measure_label(heaviest.measure)} → {measure_label(best.measure)}",
    )


def _reason(engine: Engine, f: Firing, part: Part, note: str) -> Reason:
    rule = engine.pack.rule(f.rule)
    return Reason(
        part=part,
        rule=f.rule,
        title=rule.title,
        cites=list(rule.cites),
        violation=f.violation,
        facts=f.facts_dict(),
        effect=describe(f),
        note=note,
    )


# ---------------------------------------------------------------------------------------------------------------
# Why not


def _person_alias(rule: Rule) -> str | None:
    person = getattr(rule.effect, "person", None)
    if isinstance(person, str) and person.startswith("$"):
        return Ref.parse(person).alias
    return None


def _why_not(engine: Engine, facts: list[dict[str, Any]], person: str, fired: set[str]) -> list[WhyNot]:
    index = FactIndex(facts)
    out: list[WhyNot] = []
    for rule in engine.pack.stage_rules("facts"):
        alias = _person_alias(rule)
        if alias is None or rule.id in fired:
            continue
        person_field = Ref.parse(rule.effect.person).field
        miss = first_miss(rule, index, {alias: {person_field: person}})
        if miss is None:
            continue
        out.append(_why_not_entry(rule, miss, alias, person_field, person))
    out.sort(key=lambda w: (-w.met, w.rule))
    return out


def _why_not_entry(rule: Rule, miss: Miss, alias: str, person_field: str, person: str) -> WhyNot:
    pattern = miss.pattern
    bound = {person_field: person} if pattern.alias == alias else {}
    condition = _pattern_words(pattern, miss.matched, bound)
    if pattern.negated:
        lacking = f"excluded: {_fact_words(miss.near[0], pattern)} exists"
        near = [_fact_words(f, pattern) for f in miss.near]
    elif not miss.near:
        lacking = f"no {pattern.fact} fact with {condition or 'anything'}"
        near = []
    else:
        lacking = f"no {pattern.fact} fact with {condition}"
        near = [_near_words(f, pattern, miss) for f in miss.near]
    violation = next((str(m["violation"]) for m in miss.matched.values() if m.get("violation")), None)
    return WhyNot(
        rule=rule.id,
        title=rule.title,
        cites=list(rule.cites),
        violation=violation,
        condition=("not " if pattern.negated else "") + f"{pattern.fact}: {condition or 'any'}",
        lacking=lacking,
        near=near,
        met=miss.met,
        conditions=len(rule.patterns),
    )


def _near_words(fact: Any, pattern: Pattern, miss: Miss) -> str:
    failed = failing_tests(pattern, fact, miss.matched)
    return f"{_fact_words(fact, pattern)} fails {', '.join(_test_words(t, miss.matched) for t in failed)}"


def _value_words(value: Any, matched: dict[str, dict[str, Any]]) -> str:
    if isinstance(value, Ref):
        got = matched.get(value.alias, {}).get(value.field)
        return str(got) if got is not None else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


_OPS = {"eq": "=", "ne": "≠", "in": " in ", "not_in": " not in ", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def _test_words(test: Test, matched: dict[str, dict[str, Any]]) -> str:
    if test.op == "any":
        return "any of (" + "; ".join(", ".join(_test_words(t, matched) for t in alt) for alt in test.value) + ")"
    return f"{test.field}{_OPS[test.op]}{_value_words(test.value, matched)}"


def _pattern_words(pattern: Pattern, matched: dict[str, dict[str, Any]], bound: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in bound.items()]
    parts += [_test_words(t, matched) for t in pattern.tests if t.field not in bound]
    return ", ".join(parts)


def _fact_words(fact: Any, pattern: Pattern) -> str:
    shown = [n for n in ID_FIELDS if n in fact]
    shown += [t.field for t in pattern.tests if t.field in fact and t.field not in shown]
    inner = ", ".join(f"{n}={_value_words(fact[n], {})}" for n in shown)
    return f"{pattern.fact}({inner})"


# ---------------------------------------------------------------------------------------------------------------
# What would change it


def _what_would_change(
    engine: Engine,
    data: dict[str, Any],
    person: str,
    result: PersonResult | None,
    evaluation: CaseEvaluation,
    shortcut: bool,
) -> dict[str, Any]:
    d = evaluation.determination
    before = Placed(result.form, result.measure) if result else Placed(None, None)
    up: list[Change] = []
    down: list[Change] = []
    missing = [m.violation for m in d.dual_investigation.missing if m.person == person]
    undetermined = result is not None and result.form is None
    # an undetermined person's form waits on their conduct (see `needed`); anyone else's can move either way,
    # and a person without a result moves up when a change gives them a form of at least 1
    candidates = [] if undetermined else _candidates(engine, data, person, set(missing))
    again = _Reevaluator(engine, data, person, evaluation, shortcut) if candidates or missing else None
    for op, fields, words in candidates:
        assert again is not None
        change = _try(again, before, op, fields, words)
        if change is None or change.form_after is None:
            continue
        was = 0 if change.form_before is None else change.form_before
        if change.form_after > was:
            up.append(change)
        elif change.form_after < was:
            down.append(change)
    up.sort(key=lambda c: ((c.form_after or 0) - (c.form_before or 0), _OP_ORDER[c.op]))
    down.sort(key=lambda c: ((c.form_before or 0) - (c.form_after or 0), _OP_ORDER[c.op]))
    needed = [_need(engine, again, data, person, before, v) for v in missing if again is not None]
    return {"up": up, "down": down, "needed": needed}


class Placed(NamedTuple):
    """A person's form and measure (both None without a result)."""

    form: int | None
    measure: str | None


_OP_ORDER = {op: i for i, op in enumerate(get_args(Op))}

Candidate = tuple[Op, dict[str, Any], str]


def _related_violations(engine: Engine, data: dict[str, Any], person: str, missing: set[str]) -> list[str]:
    """The violations the person committed, is linked to (SPEC D1 as the pack declares it), has conduct on or
    decided on; every violation when there is none."""
    related = set(missing)
    related.update(v["id"] for v in data["violations"] if person in v["offenders"])
    related.update(v for p, v in linked_people(data, engine.pack) if p == person)
    return sorted(related) or sorted(v["id"] for v in data["violations"])


def _candidates(engine: Engine, data: dict[str, Any], person: str, missing: set[str]) -> Iterable[Candidate]:
    schema = engine.pack.facts
    read = _read_inputs(engine)
    found = distinctions(engine.pack)
    for vid in _related_violations(engine, data, person, missing):
        violation = next(v for v in data["violations"] if v["id"] == vid)
        offender = person in violation["offenders"]
        entry = next((c for c in data.get("conduct", []) if c["person"] == person and c["violation"] == vid), None)
        acts = entry["acts"] if entry else []
        for act in values(Act):
            if act in acts or (offender and act not in OFFENDER_ACTS):
                continue
            words = f"add {label(act)} to {person}'s conduct on {vid}"
            yield "add_act", {"person": person, "violation": vid, "value": act}, words
        for act in acts:
            words = f"remove {label(act)} from {person}'s conduct on {vid}"
            yield "remove_act", {"person": person, "violation": vid, "value": act}, words
        yield from _moves(found, _inputs(schema, "violations", read), violation, {"violation": vid}, f"{vid}.")
    yield from _moves(found, _inputs(schema, "", read), data, {}, "")
    me = next(p for p in data["people"] if p["id"] == person)
    yield from _moves(found, _inputs(schema, "people", read), me, {"person": person}, f"{person}.")


def _read_inputs(engine: Engine) -> set[str]:
    """The case fields that the engine asserts (directly or through a derived fact): no other can move a form."""
    fields = asserted_fields(stage.fields for stage in stage_rules_for(engine.pack).values())
    return engine.pack.facts.read_by(fields)


def _inputs(schema: FactSchema, owner: str, read: set[str]) -> list[Input]:
    """An owner's inputs that are read, booleans first, then ordered values, then numbers (declaration order)."""
    rank = {"bool": 0, "enum": 1, "int": 2}
    chosen = [i for i in schema.inputs.values() if i.owner == owner and i.path in read]
    chosen = [i for i in chosen if i.type.kind != "enum" or i.ordered]
    return sorted(chosen, key=lambda i: rank[i.type.kind])


def _op(item: Input, on: bool = False) -> Op:
    """The name of a change of ``item``: version 1's names for its fields, ``set_field`` for later ones."""
    if item.owner == "violations" and item.type.kind == "bool":
        return "clear_flag" if on else "set_flag"
    if item.path == "violations[].severity":
        return "set_severity"
    if item.path.startswith("unit_record."):
        return "set_unit_record"
    if item.path == "people[].personally_clean":
        return "set_personally_clean"
    return "set_field"


def _get(obj: dict[str, Any], name: str, default: Any) -> Any:
    for part in name.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return default
        obj = obj[part]
    return obj


def _moves(
    found: Distinctions, inputs: list[Input], obj: dict[str, Any], target: dict[str, Any], prefix: str
) -> Iterable[Candidate]:
    """Every single change of the given inputs of ``obj``: a boolean flipped, an ordered value one step up or
    down, a number moved into each other class the pack tells apart."""
    for item in inputs:
        where = {**target, "field": _field_name(item)}
        current = _get(obj, item.name, item.default)
        if item.type.kind == "bool":
            on = bool(current)
            words = f"{'clear' if on else 'set'} {prefix}{item.name} ({' '.join(item.label)})"
            yield _op(item, on), {**where, "value": not on}, words
        elif item.type.kind == "enum":
            choices = _in_order(item.type.choices, found.policy.severity_index)
            at = choices.index(current)
            for step in (1, -1):
                if 0 <= at + step < len(choices):
                    new = choices[at + step]
                    words = f"{'raise' if step > 0 else 'lower'} {prefix.rstrip('.')}'s {item.name} to {label(new)}"
                    yield _op(item), {**where, "value": new}, words
        else:
            current = int(current or 0)
            for option in input_classes(found, item):
                low, high = option.interval or (0, None)
                if not (low <= current and (high is None or current <= high)):
                    yield _op(item), {**where, "value": low}, f"set {prefix}{item.name} to {low}"


def _in_order(choices: tuple[str, ...], ranks: Mapping[Any, int]) -> tuple[str, ...]:
    """An ordered field's values as the pack ranks them (its severities by their index), else as declared."""
    if set(choices) == set(ranks):
        return tuple(sorted(choices, key=lambda c: ranks[c]))
    return choices


def _field_name(item: Input) -> str:
    """How a change names its field: within the unit record, or as the path within its owner."""
    return item.name.removeprefix("unit_record.")


def apply_change(data: dict[str, Any], op: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The case (as JSON data) with one change applied; the input is left as it was."""
    out = copy.deepcopy(data)
    person, vid, field, value = fields.get("person"), fields.get("violation"), fields.get("field"), fields.get("value")
    if op in {"add_act", "remove_act", "record_conduct"}:
        conduct = out.setdefault("conduct", [])
        entry = next((c for c in conduct if c["person"] == person and c["violation"] == vid), None)
        if entry is None:
            entry = {"person": person, "violation": vid, "acts": []}
            conduct.append(entry)
        if op == "add_act":
            entry["acts"] = [*entry["acts"], value]
        elif op == "remove_act":
            entry["acts"] = [a for a in entry["acts"] if a != value]
        else:
            entry["acts"] = list(value or [])
        return out
    if op not in get_args(Op):
        raise ValueError(f"unknown change {op!r}")
    if vid is not None:
        target = next(v for v in out["violations"] if v["id"] == vid)
    elif person is not None:
        target = next(p for p in out["people"] if p["id"] == person)
    else:
        target = out
    name = f"unit_record.{field}" if op == "set_unit_record" else str(field)
    *parents, leaf = name.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value
    return out


def _try(again: _Reevaluator, before: Placed, op: Op, fields: dict[str, Any], words: str) -> Change | None:
    found = again.after(op, fields)
    if found is None:
        return None  # the change would break the case's own rules: not a possible case
    after, findings = found
    return Change(
        op=op,
        description=words,
        form_before=before.form,
        measure_before=before.measure,
        form_after=after.form if after else None,
        measure_after=after.measure if after else None,
        responsibility_after=after.responsibility if after else "none",
        findings_after=findings,
        **fields,
    )


def _need(engine: Engine, again: _Reevaluator, data: dict[str, Any], person: str, before: Placed, vid: str) -> Need:
    """What recording the person's conduct on ``vid`` would give: with no failure, and with each failure act."""
    offenders = next(v for v in data["violations"] if v["id"] == vid)["offenders"]
    choices: list[list[str]] = [[]]
    if person not in offenders:
        choices += [[a] for a in engine.policy.act_groups.failure]
    options = []
    for acts in choices:
        shown = ", ".join(label(a) for a in acts) or "no failure (an entry without acts)"
        change = _try(
            again,
            before,
            "record_conduct",
            {"person": person, "violation": vid, "value": acts},
            f"record {person}'s conduct on {vid}: {shown}",
        )
        if change is not None:
            options.append(change)
    return Need(
        violation=vid,
        description=f"{person} is linked to {vid} but nothing is recorded: record their conduct on it (一案双查)",
        options=options,
    )


# ---------------------------------------------------------------------------------------------------------------
# Re-evaluating a change on as little of the case as decides the person's result


class _Reevaluator:
    """Re-evaluates single changes of facts for one person on the smallest case that gives that person the result
    the whole changed case would, so that explaining grows with the case as evaluating does.

    - When no rule that concludes about a person reads two people (`_reads_one`), the person's result depends on
      their own facts, the violations with their offenders, and the decisions they took part in: the other
      people are left out.
    - When, moreover, no such rule reads two violations, the person offended in too few to merge (合并处理) and
      the facts about the case as a whole (those of no person, violation or decision) stay as they were, the
      person's result is the heaviest of their results violation by violation. A change on violation ``v`` then
      needs only ``v`` beside the violation that decides the result without ``v``: the one that decides it now
      (``b``), or, for a change on ``b``, the one that would decide it without ``b``.

    Each shortcut is taken only after the unchanged small case has been seen to give the person's result as the
    whole case gave it; a change that moves the facts about the whole case is evaluated on the person's cases.
    """

    def __init__(
        self, engine: Engine, data: dict[str, Any], person: str, evaluation: CaseEvaluation, shortcut: bool = True
    ) -> None:
        self.engine = engine
        self.person = person
        before = _result_of(evaluation.determination, person)
        self.data = data
        if shortcut and _reads_one(engine.pack, "person"):
            mine = _projection(data, person)
            if _same_result(self._evaluate(mine), before, person):
                self.data = mine
        self.by_violation = False
        self.decisive: str | None = None
        self.runner_up: str | None = None
        self.rules_on: dict[str | None, set[str]] = {}
        self.common: list[dict[str, Any]] = []
        outcome = evaluation.outcomes.get(person) if shortcut else None
        if outcome is None or outcome.best is None or len(self.data["violations"]) < 2:
            return
        if not _reads_one(engine.pack, "violation") or _may_merge(engine, self.data, person):
            return  # 合并处理 reads all the person's violations together: no longer the heaviest one by one
        self.decisive = outcome.best.finding.firing.violation
        self.rules_on = _rules_by_violation(outcome)
        self.common = _case_facts(self._flat(self.data))
        if self.decisive is not None:
            rest = [v["id"] for v in self.data["violations"] if v["id"] != self.decisive]
            without = self._evaluation(_projection(self.data, person, set(rest)))
            best = without.outcomes.get(person)
            self.runner_up = best.best.finding.firing.violation if best and best.best else None
        pair = {v for v in (self.decisive, self.runner_up) if v is not None}
        if not pair:  # decided by a finding on no violation: any one violation shows it
            pair = {self.data["violations"][0]["id"]}
        small = _projection(self.data, person, pair)
        self.by_violation = _case_facts(self._flat(small)) == self.common and _same_result(
            self._evaluate(small), before, person
        )

    def _flat(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        case = parse_case(data, model=self.engine.pack.facts.case_model)
        return flatten(case, self.engine.policy, self.engine.pack.facts)

    def _evaluation(self, data: dict[str, Any]) -> CaseEvaluation:
        return self.engine.evaluation(parse_case(data, model=self.engine.pack.facts.case_model))

    def _evaluate(self, data: dict[str, Any]) -> Determination:
        return self.engine.evaluate_valid(parse_case(data, model=self.engine.pack.facts.case_model))

    def after(self, op: Op, fields: dict[str, Any]) -> tuple[PersonResult | None, list[str]] | None:
        """The person's result after the change, and the rules of their findings; None when the changed case
        breaks the case's own rules (not a possible case)."""
        vid = fields.get("violation")
        try:
            if self.by_violation and vid is not None:
                other = self.decisive if self.decisive != vid else self.runner_up
                keep = {vid} if other is None else {vid, other}
                changed = apply_change(_projection(self.data, self.person, keep), op, fields)
                case = parse_case(changed, model=self.engine.pack.facts.case_model)
                facts = flatten(case, self.engine.policy, self.engine.pack.facts)
                if _case_facts(facts) == self.common:
                    result = _result_of(self.engine.evaluate_valid(case), self.person)
                    elsewhere = {r for v, rules in self.rules_on.items() if v not in keep | {None} for r in rules}
                    return result, sorted(set(result.findings if result else ()) | elsewhere)
            result = _result_of(self._evaluate(apply_change(self.data, op, fields)), self.person)
        except CaseValidationError:
            return None
        return result, list(result.findings) if result else []


def _may_merge(engine: Engine, data: dict[str, Any], person: str) -> bool:
    """Whether the policy may merge ``person``'s violations (合并处理): they offended in enough of them (the
    changes explain tries never make anyone an offender)."""
    merge = engine.policy.merge
    offended = sum(person in v["offenders"] for v in data["violations"])
    return merge is not None and offended >= merge.at_least


def _result_of(determination: Determination, person: str) -> PersonResult | None:
    return next((p for p in determination.people if p.person == person), None)


def _same_result(determination: Determination, before: PersonResult | None, person: str) -> bool:
    after = _result_of(determination, person)
    if before is None or after is None:
        return before is after
    shown = ("form", "measure", "range", "responsibility", "scope", "modifiers")
    return all(getattr(before, name) == getattr(after, name) for name in shown)


def _projection(data: dict[str, Any], person: str, violations: set[str] | None = None) -> dict[str, Any]:
    """The case as far as ``person``'s result can tell (the other people's conduct and roles left out), on
    ``violations`` only when given: the person, the violations with their offenders, the person's conduct and
    the decisions they took part in, with the other participants."""
    kept = [v for v in data["violations"] if violations is None or v["id"] in violations]
    ids = {v["id"] for v in kept}
    decisions = [d for d in data.get("decisions", []) if d["violation"] in ids and person in d["participants"]]
    people = {person} | {o for v in kept for o in v["offenders"]} | {p for d in decisions for p in d["participants"]}
    out = {key: value for key, value in data.items() if key != "recorded"}
    out["people"] = [p for p in data["people"] if p["id"] in people]
    out["violations"] = kept
    out["conduct"] = [c for c in data.get("conduct", []) if c["person"] == person and c["violation"] in ids]
    out["decisions"] = decisions
    return out


def _case_facts(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The facts about the case as a whole: of no person, violation or decision."""
    return [f for f in facts if not set(ID_FIELDS) & set(f)]


def _rules_by_violation(outcome: Outcome) -> dict[str | None, set[str]]:
    rules: dict[str | None, set[str]] = {}
    for item in outcome.resolved:
        rules.setdefault(item.finding.firing.violation, set()).add(item.finding.firing.rule)
    return rules


#: `_reads_one` of each pack (by digest) and field, worked out once.
_READS_ONE: dict[tuple[str, str], bool] = {}


def _reads_one(pack: RulePack, field: str) -> bool:
    """Whether every rule that concludes about a person reads at most one ``field`` (``person``: one person,
    ``violation``: one violation): each of its patterns with that field, but the first, joins it to one matched
    before, and what it concludes names that one."""
    key = (pack.digest, field)
    if key not in _READS_ONE:
        _READS_ONE[key] = _each_reads_one(pack, field)
    return _READS_ONE[key]


def _each_reads_one(pack: RulePack, field: str) -> bool:
    types = pack.facts.types
    for rule in pack.stage_rules("facts"):
        person = getattr(rule.effect, "person", None)
        if person is None:
            continue  # about the organisation: no one's result
        bound: set[str] = set()
        for pattern in rule.patterns:
            if field not in types.get(pattern.fact, {}):
                continue
            joined = any(
                t.field == field
                and t.op == "eq"
                and isinstance(t.value, Ref)
                and t.value.alias in bound
                and t.value.field == field
                for t in pattern.tests
            )
            if joined or (not bound and not pattern.negated):
                bound.add(pattern.alias)
                continue
            return False
        named = getattr(rule.effect, field, None)
        if bound and not (
            isinstance(named, str)
            and named.startswith("$")
            and Ref.parse(named).alias in bound
            and Ref.parse(named).field == field
        ):
            return False
    return True


def form_words(form: int | None, measure: str | None) -> str:
    """``form 2 (警告 warning)`` or ``no result``."""
    if form is None:
        return "no result 无结论"
    return f"form {form} ({measure_label(measure or FORM_MEASURES[form][0])})"
