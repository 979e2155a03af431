"""Verifying a rule pack over the finite fact space its conditions span (``accountrules rules verify``).

Every case of the space (see `accountrules.tooling.space`) goes through the pack's real engine, durable_rules
and all. The checks:

- completeness: every offender and every person linked to a violation has a finding on it or is listed as
  missing; the pack's ``missing`` rules say who a violation links (SPEC D1), besides conduct and decisions;
- monotonicity (SPEC D11): a failure or aggravating act, or a rise of a raising field (a higher severity,
  life-saving funds, a suspected crime, long-term spread, more consequences: `RulePack.raising`), never lowers
  anyone's (form, measure); a mitigating act never raises it (the acts' groups are the policy's);
- refusals (SPEC D5, D6): the refused flags (`RulePack.refused`: ``personally_clean``, ``first_offence``,
  ``minor_error`` and ``many_participants``) are recorded as refused and change nothing else;
- order invariance: the same facts asserted in a shuffled order give the same bytes, and the same rules listed
  in the reverse order (so every tie left to the order of rule ids breaks the other way) give the same
  decisions;
- every rule fires somewhere in the space, and no two rules have the same conditions and the same kind of
  effect.

A failure comes with the smallest case found (fewest departures from the plain case) as a runnable case file.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer

from accountrules.engine.compiled import DEFAULT_ENGINE
from accountrules.engine.evaluate import Engine
from accountrules.engine.flatten import Fact, flatten
from accountrules.errors import AccountRulesError, UsageError
from accountrules.models import Determination, PersonResult
from accountrules.rulepack.conditions import FactIndex, links
from accountrules.rulepack.pack import RulePack
from accountrules.rulepack.spec import Ref, Rule, Test
from accountrules.tooling.space import (
    LOOKED_BACK,
    OFFENDER,
    Assignment,
    Classes,
    Dim,
    Template,
    classes_of,
    departures,
    templates,
)
from accountrules.validation import parse_case
from accountrules.vocabulary import FORM_MEASURES

#: Cases per template; past it, a template's dimensions are combined sparsely rather than in full. Enough for
#: every pair of classes in each template of the default pack.
DEFAULT_CAP = 4000
#: Cases per template also evaluated with shuffled facts and with the rules in reverse order.
DEFAULT_ORDER_SAMPLE = 300
#: Random cases per template tried before a rule that never fired is called dead.
DEAD_RULE_SEARCH = 150

CHECKS: dict[str, str] = {
    "completeness": "完整性 completeness: every offender and linked person has a result",
    "monotonicity": "单调性 monotonicity (D11)",
    "refusals": "不予从宽 refusals of D5 and D6: recorded, changing nothing else",
    "order": "顺序无关 order invariance: facts asserted, rules listed in other orders",
    "dead_rules": "无死规则 every rule fires somewhere in the space",
    "duplicates": "无重复条件 no two rules with the same conditions and kind of effect",
}

_WHO = {"offender": OFFENDER, "leader": LOOKED_BACK}


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Counterexample(_Report):
    """The smallest case found that breaks a check; ``after`` is the changed case of a pair."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: str
    case: dict[str, Any]
    after: dict[str, Any] | None = None
    template: str = ""
    departures: int = 0
    files: list[str] = Field(default_factory=list, description="where the case (then the changed case) was written")

    def size(self) -> tuple[int, int]:
        return (self.departures, len(json.dumps(self.case)))


class CheckResult(_Report):
    """One check over the space: what it counted and, on failure, its problems and smallest counterexample."""

    name: str
    skipped: bool = False
    checked: int = 0
    unit: str = "cases"
    note: str = ""
    problems: list[str] = Field(default_factory=list)
    counterexample: Counterexample | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return not self.problems and self.counterexample is None

    @property
    def title(self) -> str:
        return CHECKS[self.name]

    def offer(self, example: Counterexample) -> None:
        """Keep the smallest counterexample."""
        if self.counterexample is None or example.size() < self.counterexample.size():
            self.counterexample = example


class Coverage(_Report):
    """How much of one template's product was evaluated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str
    title: str
    dimensions: int
    product: int
    cases: int
    depth: int | None = Field(
        description="departures from the plain case outside the core dimensions; null: the whole product"
    )
    core: str


class PackSummary(_Report):
    name: str
    version: str
    rules: int


class Space(_Report):
    """The fact space: the classes the conditions tell apart, and the cases evaluated per template."""

    classes: list[str]
    class_count: int
    templates: list[Coverage]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cases(self) -> int:
        return sum(c.cases for c in self.templates)


class VerifyReport(_Report):
    """What ``accountrules rules verify`` finds (its ``--format json``)."""

    pack: PackSummary
    space: Space
    evaluations: int
    seconds: float
    seed: int
    checks: list[CheckResult]
    #: The version of the regulations the space was checked in (its rules, cases decided on its first day).
    in_force: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    @field_serializer("seconds")
    def _rounded(self, seconds: float) -> float:
        return round(seconds, 2)

    def with_files(self, written: Iterable[tuple[str, Path, Path | None]]) -> VerifyReport:
        """The report with the paths where each counterexample was written (see `write_counterexamples`)."""
        files = {name: [str(p) for p in paths if p is not None] for name, *paths in written}
        checks = [
            c.model_copy(update={"counterexample": c.counterexample.model_copy(update={"files": files[c.name]})})
            if c.counterexample is not None and c.name in files
            else c
            for c in self.checks
        ]
        return self.model_copy(update={"checks": checks})


# ---------------------------------------------------------------------------------------------------------------
# An engine that watches


class _Probe:
    """The pack's engine (the same durable_rules host), recording which rules fire and, given a seed, asserting
    each stage's facts in a shuffled order."""

    def __init__(self, pack: RulePack, shuffle_seed: int | None = None, runtime: str = DEFAULT_ENGINE) -> None:
        self.engine = Engine(pack).with_runtime(runtime)
        self.fired: set[str] = set()
        self.evaluations = 0
        self._shuffle = random.Random(shuffle_seed) if shuffle_seed is not None else None

    def _shuffled(self, facts: list[Fact]) -> list[Fact]:
        assert self._shuffle is not None
        facts = list(facts)
        self._shuffle.shuffle(facts)
        return facts

    def determine(self, case: dict[str, Any]) -> Determination:
        self.evaluations += 1
        evaluation = self.engine.evaluation(
            parse_case(case, model=self.engine.pack.facts.case_model),
            self._shuffled if self._shuffle is not None else None,
        )
        self.fired.update(f.rule for f in evaluation.firings)
        return evaluation.determination


def reversed_rule_order(pack: RulePack) -> tuple[RulePack, dict[str, str]]:
    """The same pack with its rules renamed so that they sort in the reverse order, and the way back."""
    count = len(pack.rules)
    renamed = {r.id: f"R{count - i:04d}-{r.id}" for i, r in enumerate(pack.rules)}
    rules = tuple(sorted((dataclasses.replace(r, id=renamed[r.id]) for r in pack.rules), key=lambda r: r.id))
    twin = dataclasses.replace(
        pack, digest=f"{pack.digest}+reversed-rule-order", rules=rules, _by_id={r.id: r for r in rules}
    )
    return twin, {new: old for old, new in renamed.items()}


# ---------------------------------------------------------------------------------------------------------------
# Views and words


def _measure_rank(result: PersonResult) -> tuple[int, int]:
    assert result.form is not None
    assert result.measure is not None
    return (result.form, FORM_MEASURES[result.form].index(result.measure))


def _forms(d: Determination) -> dict[str, PersonResult]:
    return {p.person: p for p in d.people if p.form is not None}


def _form_text(result: PersonResult | None) -> str:
    if result is None or result.form is None:
        return "no result"
    return f"form {result.form} ({result.measure})"


def person_view(p: PersonResult, refused: bool = True) -> tuple[Any, ...]:
    """What was decided for a person, without the rule ids that justify it."""
    out: tuple[Any, ...] = (
        p.responsibility,
        p.scope,
        tuple(p.range) if p.range else None,
        p.form,
        p.measure,
        tuple(m.kind for m in p.modifiers),
    )
    if refused:
        out += (tuple(sorted((r.kind, r.detail or "") for r in p.refused)),)
    return out


def decision_view(d: Determination, drop_refusal: str | None = None) -> dict[str, Any]:
    """A determination as decisions only (no rule ids, no trace); ``drop_refusal`` leaves one refusal kind out."""
    people = {}
    for p in d.people:
        view = person_view(p, refused=False)
        refused = tuple(sorted((r.kind, r.detail or "") for r in p.refused if r.kind != drop_refusal))
        people[p.person] = (*view, refused)
    return {
        "people": people,
        "organization": (d.organization.responsibility, tuple(d.organization.measures)),
        "publicize": d.publicize,
        "dual_investigation": (
            d.dual_investigation.complete,
            tuple(d.dual_investigation.examined),
            tuple((m.person, m.violation) for m in d.dual_investigation.missing),
        ),
    }


def _view_diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    for pid in sorted(set(before["people"]) | set(after["people"])):
        b, a = before["people"].get(pid), after["people"].get(pid)
        if b != a:
            return f"{pid}: {_person_words(b)} → {_person_words(a)}"
    for key in ("organization", "publicize", "dual_investigation"):
        if before[key] != after[key]:
            return f"{key}: {before[key]} → {after[key]}"
    return "no difference"


def _person_words(view: tuple[Any, ...] | None) -> str:
    if view is None:
        return "not in the determination"
    responsibility, scope, rng, form, measure, modifiers, refused = view
    words = f"{responsibility}/{scope} {list(rng) if rng else '—'} form {form} ({measure})"
    if modifiers:
        words += f" {'+'.join(modifiers)}"
    if refused:
        words += " refused " + ",".join(k + (f":{d}" if d else "") for k, d in refused)
    return words


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _step_words(dim: Dim, before: int, after: int) -> str:
    who, _, rest = dim.name.partition(".")
    if rest.startswith("act["):
        added = dim.options[after][-1]
        return f"adding act '{added}' to {_WHO[who]}'s conduct on v1"
    if dim.name == "violation.severity":
        return f"raising v1's severity from {dim.options[before]} to {dim.options[after]}"
    target = {"violation": "v1", "unit": "unit_record"}.get(who, _WHO.get(who, who))
    if dim.direction > 0 and all(_is_count(dim.options[i]) for i in (before, after)):
        return f"raising {target}.{rest} from {dim.labels[before]} to {dim.labels[after]}"
    if dim.options[before] is False and dim.options[after] is True:
        return f"setting {target}.{rest}"
    return f"changing {dim.name} from {dim.labels[before]} to {dim.labels[after]}"


# ---------------------------------------------------------------------------------------------------------------
# The checks on one case or one pair


def linked_people(case: dict[str, Any], pack: RulePack) -> dict[tuple[str, str], str]:
    """(person, violation) → why SPEC D1 links them (offenders excluded): a ``missing`` rule of the pack whose
    other conditions hold for them (`accountrules.rulepack.conditions.links`), conduct recorded on the violation,
    or a part in a decision on it."""
    parsed = parse_case(case, model=pack.facts.case_model)
    declared = links(pack.rules, FactIndex(flatten(parsed, pack.policy, pack.facts)))
    offenders = {(p, v["id"]) for v in case["violations"] for p in v["offenders"]}
    out = {key: f"linked by {rule}" for key, rule in declared.items() if key not in offenders}
    for entry in case.get("conduct", []):
        key = (entry["person"], entry["violation"])
        if key not in offenders:
            out.setdefault(key, "has conduct on it")
    for decision in case.get("decisions", []):
        for pid in decision["participants"]:
            key = (pid, decision["violation"])
            if key not in offenders:
                out.setdefault(key, f"took part in {decision['id']}")
    return out


def completeness_problem(case: dict[str, Any], d: Determination, pack: RulePack) -> str | None:
    """The first offender or linked person without a result, in words; None when everyone has one."""
    finding_rules = {r.id for r in pack.rules if r.effect_kind == "finding"}  # the policy's steps are no rule's
    found = {(s.person, s.violation) for s in d.trace if s.person and s.rule in finding_rules}
    missing = {(m.person, m.violation) for m in d.dual_investigation.missing}
    for v in case["violations"]:
        for pid in sorted(v["offenders"]):
            if (pid, v["id"]) not in found:
                return f"offender {pid} of {v['id']} gets no finding on it"
    for (pid, vid), why in sorted(linked_people(case, pack).items()):
        if (pid, vid) not in found and (pid, vid) not in missing:
            return f"{pid} is linked to {vid} ({why}) but gets no finding on it and is not listed as missing"
    return None


def monotonicity_problem(before: Determination, after: Determination, direction: int) -> str | None:
    """How ``after`` breaks D11 against ``before`` for a step in ``direction``; None when it does not."""
    old, new = _forms(before), _forms(after)
    for pid, was in sorted(old.items()):
        now = new.get(pid)
        if now is None:
            if direction > 0:
                return f"takes away {pid}'s result ({_form_text(was)} → no result)"
            continue
        if direction > 0 and _measure_rank(now) < _measure_rank(was):
            return f"lowers {pid} from {_form_text(was)} to {_form_text(now)}"
        if direction < 0 and _measure_rank(now) > _measure_rank(was):
            return f"raises {pid} from {_form_text(was)} to {_form_text(now)}"
    return None


def _has_unit_finding(d: Determination, pid: str, pack: RulePack) -> bool:
    finding_rules = {r.id for r in pack.rules if r.effect_kind == "finding"}  # the policy's steps are no rule's
    return any(s.person == pid and s.violation is None and s.rule in finding_rules for s in d.trace)


def refusal_problem(
    before: Determination, after: Determination, kind: str, holders: Iterable[str], pack: RulePack
) -> str | None:
    """How setting a refused flag changed more than the refusal, or failed to record it; None when it did not."""
    old, new = decision_view(before, drop_refusal=kind), decision_view(after, drop_refusal=kind)
    if old != new:
        return f"changes the determination: {_view_diff(old, new)}"
    results = {p.person: p for p in after.people}
    for pid in holders:
        if pid == "*unit*":
            continue
        result = results.get(pid)
        if result is not None and kind not in {r.kind for r in result.refused}:
            return f"records no refusal '{kind}' for {pid}"
    return None


# ---------------------------------------------------------------------------------------------------------------
# Static checks


def _test_signature(test: Test, names: dict[str, str]) -> tuple[Any, ...]:
    value = test.value
    if test.op == "any":
        return ("any", frozenset(frozenset(_test_signature(t, names) for t in alt) for alt in value))
    if isinstance(value, Ref):
        return (test.field, test.op, ("ref", names.get(value.alias, value.alias), value.field))
    if test.op in {"in", "not_in"}:
        values = frozenset(value)
        if len(values) == 1:
            return (test.field, "eq" if test.op == "in" else "ne", next(iter(values)))
        return (test.field, test.op, values)
    return (test.field, test.op, value)


def condition_signature(rule: Rule) -> tuple[Any, ...]:
    """A rule's conditions with aliases and the order of patterns and tests made irrelevant."""
    names: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for pattern in rule.positive():
        names[pattern.alias] = f"{pattern.fact}#{seen[pattern.fact]}"
        seen[pattern.fact] += 1
    patterns = Counter(
        (p.fact, p.negated, frozenset(_test_signature(t, names) for t in p.tests)) for p in rule.patterns
    )
    return (rule.stage, frozenset(patterns.items()))


def duplicate_conditions(pack: RulePack) -> list[str]:
    """Pairs of rules whose conditions are the same and whose effects are of the same kind."""
    seen: dict[tuple[Any, ...], Rule] = {}
    problems = []
    for rule in pack.rules:
        key = (condition_signature(rule), rule.effect_kind)
        first = seen.get(key)
        if first is None:
            seen[key] = rule
        else:
            problems.append(
                f"{first.id} ({first.source.name}:{first.line}) and {rule.id} ({rule.source.name}:{rule.line}) "
                f"have the same conditions and both give a {rule.effect_kind}; merge them or tell them apart"
            )
    return problems


# ---------------------------------------------------------------------------------------------------------------
# The run


Progress = Callable[[str, int, int], None]


@dataclass
class _Run:
    pack: RulePack
    engine: _Probe
    results: dict[str, CheckResult]
    progress: Progress | None

    def evaluate(self, template: Template, assignment: Assignment) -> tuple[dict[str, Any], Determination | str]:
        case = template.case(assignment)
        try:
            return case, self.engine.determine(case)
        except AccountRulesError as exc:
            return case, f"{type(exc).__name__}: {exc}"

    def example(
        self, check: str, message: str, template: Template, a: Assignment, after: dict[str, Any] | None = None
    ) -> None:
        case = template.case(a)
        self.results[check].offer(
            Counterexample(message=message, case=case, after=after, template=template.name, departures=departures(a))
        )


def verify(
    pack: RulePack,
    *,
    cap: int = DEFAULT_CAP,
    order_sample: int = DEFAULT_ORDER_SAMPLE,
    seed: int = 0,
    progress: Progress | None = None,
    only: Iterable[str] = (),
    runtime: str = DEFAULT_ENGINE,
    in_force: str | None = None,
) -> VerifyReport:
    """Check ``pack`` over its fact space through its real engine. See the module docstring for the checks.

    Args:
        in_force: the version to check in (default: the newest): the space is the one its rules span, and
            every case is decided on its first day, so that no other version judges it.
        cap: cases per template before its dimensions are combined sparsely.
        order_sample: cases per template also evaluated in other orders.
        seed: seed of the shuffled fact orders and of the search for rules that never fired.
        only: names of the templates to cover (default: all).
        runtime: what matches the rules (`Engine.with_runtime`): durable_rules by default.

    Raises:
        UsageError: ``only`` names a template that does not exist.
    """
    started = time.perf_counter()
    results = {name: CheckResult(name=name) for name in CHECKS}
    results["monotonicity"].unit = "pairs"
    results["refusals"].unit = "pairs"
    results["dead_rules"].unit = "rules"
    results["duplicates"].unit = "rules"
    engine_pack = pack
    version = pack.versions.get(in_force or pack.versions.newest.id)
    pack = version_view(pack, version.id)
    run = _Run(pack, _Probe(engine_pack, runtime=runtime), results, progress)
    shuffled = _Probe(engine_pack, shuffle_seed=seed, runtime=runtime)
    twin_pack, back = reversed_rule_order(engine_pack)
    twin = _Probe(twin_pack, runtime=runtime)

    coverage = []
    template_list = [_decided_on(t, version.since.isoformat()) for t in templates(pack)]
    wanted = set(only)
    if wanted:
        unknown = sorted(wanted - {t.name for t in template_list})
        if unknown:
            names = ", ".join(t.name for t in template_list)
            raise UsageError(f"no template '{unknown[0]}'; the templates are {names}")
        template_list = [t for t in template_list if t.name in wanted]
    for template in template_list:
        depth = template.depth_for(cap)
        assignments = template.assignments(depth)
        evaluated = _evaluate_template(run, template, assignments)
        _check_pairs(run, template, evaluated)
        _check_order(run, template, evaluated, shuffled, twin, back, order_sample)
        coverage.append(
            Coverage(
                template=template.name,
                title=template.title,
                dimensions=len(template.dims),
                product=template.product,
                cases=len(assignments),
                depth=None if template.exhaustive(depth) else depth,
                core=template.core_label,
            )
        )

    fired = run.engine.fired | shuffled.fired | {back[r] for r in twin.fired if r in back}
    if wanted:
        dead = results["dead_rules"]
        dead.skipped = True
        dead.note = f"not checked: only {', '.join(t.name for t in template_list)} covered"
    else:
        _check_dead_rules(run, template_list, fired, seed)
    duplicates = duplicate_conditions(pack)
    results["duplicates"].checked = len(pack.rules)
    results["duplicates"].problems.extend(duplicates)

    classes: Classes = classes_of(pack)
    return VerifyReport(
        pack=PackSummary(name=pack.name, version=pack.version, rules=len(pack.rules)),
        space=Space(classes=classes.lines(), class_count=classes.count(), templates=coverage),
        evaluations=run.engine.evaluations + shuffled.evaluations + twin.evaluations,
        seconds=time.perf_counter() - started,
        checks=[results[name] for name in CHECKS],
        seed=seed,
        in_force=version.id,
    )


def version_view(pack: RulePack, version_id: str) -> RulePack:
    """``pack`` as one version sees it: only the rules that hold in it (every rule stays reachable by id)."""
    return dataclasses.replace(pack, rules=pack.rules_in(version_id), _by_id=pack._by_id)


def _decided_on(template: Template, day: str) -> Template:
    """``template`` whose cases are decided on ``day``."""
    build = template.build
    return dataclasses.replace(template, build=lambda values: {**build(values), "decided_on": day})


def _evaluate_template(
    run: _Run, template: Template, assignments: list[Assignment]
) -> dict[Assignment, tuple[dict[str, Any], Determination]]:
    evaluated: dict[Assignment, tuple[dict[str, Any], Determination]] = {}
    completeness = run.results["completeness"]
    for n, a in enumerate(assignments):
        case, outcome = run.evaluate(template, a)
        if isinstance(outcome, str):
            run.example("completeness", f"the engine fails: {outcome}", template, a)
            continue
        evaluated[a] = (case, outcome)
        completeness.checked += 1
        problem = completeness_problem(case, outcome, run.pack)
        if problem:
            run.example("completeness", problem, template, a)
        if run.progress and n % 100 == 0:
            run.progress(template.name, n, len(assignments))
    if run.progress:
        run.progress(template.name, len(assignments), len(assignments))
    return evaluated


def _check_pairs(
    run: _Run, template: Template, evaluated: dict[Assignment, tuple[dict[str, Any], Determination]]
) -> None:
    monotone, refusals = run.results["monotonicity"], run.results["refusals"]
    for a, (_, before) in evaluated.items():
        for i, dim in enumerate(template.dims):
            if not dim.direction and not dim.refusal:
                continue
            if a[i] + 1 >= len(dim.options) or (dim.refusal and a[i] != 0):
                continue
            b = (*a[:i], a[i] + 1, *a[i + 1 :])
            pair = evaluated.get(b)
            if pair is None:
                continue
            after_case, after = pair
            if dim.direction:
                monotone.checked += 1
                problem = monotonicity_problem(before, after, dim.direction)
                if problem:
                    words = _step_words(dim, a[i], b[i])
                    run.example("monotonicity", f"{words} {problem}", template, a, after_case)
            if dim.refusal:
                refusals.checked += 1
                holders = _refusal_holders(dim, after_case, after, run.pack)
                problem = refusal_problem(before, after, dim.refusal, holders, run.pack)
                if problem:
                    words = _step_words(dim, a[i], b[i])
                    run.example("refusals", f"{words} {problem}", template, a, after_case)


def _refusal_holders(dim: Dim, case: dict[str, Any], d: Determination, pack: RulePack) -> list[str]:
    """Who must show the refusal: the offenders for a violation flag (D6); the person, when they have a finding
    on no violation (the unit finding of D5), for ``personally_clean``."""
    who = dim.name.partition(".")[0]
    if who == "violation":
        return sorted({p for v in case["violations"] for p in v["offenders"]})
    pid = _WHO[who]
    return [pid] if _has_unit_finding(d, pid, pack) else []


def _check_order(
    run: _Run,
    template: Template,
    evaluated: dict[Assignment, tuple[dict[str, Any], Determination]],
    shuffled: _Probe,
    twin: _Probe,
    back: dict[str, str],
    sample: int,
) -> None:
    result = run.results["order"]
    chosen = _sample(list(evaluated), sample)
    for a in chosen:
        case, plain = evaluated[a]
        try:
            other = shuffled.determine(case)
            reordered = twin.determine(case)
        except AccountRulesError as exc:
            run.example("order", f"the engine fails on another order: {exc}", template, a)
            continue
        result.checked += 1
        if other.to_json() != plain.to_json():
            diff = _view_diff(decision_view(plain), decision_view(other))
            run.example("order", f"asserting the same facts in another order changes {diff}", template, a)
            continue
        plain_view, twin_view = decision_view(plain), decision_view(_rename(reordered, back))
        if plain_view != twin_view:
            rules = _rules_in_tie(plain, _rename(reordered, back))
            run.example(
                "order",
                f"listing the rules in another order changes {_view_diff(plain_view, twin_view)}: "
                f"the tie between {rules} is broken by the order of rule ids, not by the policy",
                template,
                a,
            )


def _sample(items: list[Assignment], size: int) -> list[Assignment]:
    """``size`` cases: two thirds the smallest (fewest departures first), a third spread evenly over the rest."""
    ordered = sorted(items, key=lambda a: (departures(a), a))
    if size >= len(ordered):
        return ordered
    first = (2 * size) // 3
    rest = ordered[first:]
    room = size - first
    return ordered[:first] + [rest[(i * len(rest)) // room] for i in range(room)]


def _rename(d: Determination, back: dict[str, str]) -> Determination:
    data = json.loads(d.to_json())
    for person in data["people"]:
        person["findings"] = sorted(back.get(r, r) for r in person["findings"])
        for item in person["modifiers"] + person["refused"]:
            item["rule"] = back.get(item["rule"], item["rule"])
    for step in data["trace"]:
        step["rule"] = back.get(step["rule"], step["rule"])
    return Determination.model_validate(data)


def _rules_in_tie(plain: Determination, other: Determination) -> str:
    first = {p.person: set(p.findings) for p in plain.people}
    second = {p.person: set(p.findings) for p in other.people}
    rules: set[str] = set()
    for pid in set(first) | set(second):
        rules |= first.get(pid, set()) ^ second.get(pid, set())
    return ", ".join(sorted(rules)) or "rules with the same effect"


def _check_dead_rules(run: _Run, template_list: list[Template], fired: set[str], seed: int) -> None:
    result = run.results["dead_rules"]
    result.checked = len(run.pack.rules)
    unfired = {r.id for r in run.pack.rules} - fired
    searched = 0
    if unfired:
        rng = random.Random(seed)
        for template in template_list:
            for _ in range(DEAD_RULE_SEARCH):
                a = tuple(rng.randrange(len(d.options)) for d in template.dims)
                run.evaluate(template, a)
                searched += 1
        before = len(unfired)
        unfired -= run.engine.fired
        result.note = (
            f"{before} rules did not fire in the space; {searched} random cases (seed {seed}) "
            f"fired {before - len(unfired)} of them"
        )
    for rule_id in sorted(unfired):
        rule = run.pack.rule(rule_id)
        result.problems.append(
            f"{rule_id} ({rule.source.name}:{rule.line}) never fires: no case of the space"
            f"{f' nor {searched} random cases' if searched else ''} meets its conditions"
        )


# ---------------------------------------------------------------------------------------------------------------
# Writing counterexamples


def write_counterexamples(report: VerifyReport, directory: Path) -> list[tuple[str, Path, Path | None]]:
    """Write each failed check's counterexample as runnable case files; returns (check, case, after) paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for check in report.checks:
        example = check.counterexample
        if example is None:
            continue
        case_path = directory / f"{check.name}.json"
        case_path.write_text(json.dumps(example.case, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        after_path = None
        if example.after is not None:
            after_path = directory / f"{check.name}-after.json"
            after_path.write_text(json.dumps(example.after, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append((check.name, case_path, after_path))
    return written
