"""Consistency of historical decisions: the recorded outcomes of an archive against what the rules recommend.

For every case with a ``recorded`` outcome:

- each recorded person is ``within`` the forms the rules accept (`recommended_band`), ``too_lenient`` below
  them, ``too_harsh`` above them, or ``undetermined`` when the facts on file do not let the rules decide;
- each leader the rules hold responsible (a leader, unit or decision finding at form 1 or more) whom the record
  leaves out is an *omitted leader*: 一案双查 not carried through;
- like cases, those whose facts the rules cannot tell apart (the same cache signature), are grouped, and a group
  whose like people (the same facts, up to ids) were recorded with different forms is *inconsistent*, the
  largest spread of forms first.

`check_consistency` returns a `ConsistencyReport`; its JSON (``accountrules check --json``) follows the model's
JSON Schema, ``accountrules schema``-style: ``ConsistencyReport.model_json_schema()``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from accountrules.engine.cache import Canonical
from accountrules.models import Case, Determination, PersonResult, Recorded, RulePackInfo
from accountrules.vocabulary import MEASURE_PLACES, ViolationFlag, label, values

Verdict = Literal["within", "too_lenient", "too_harsh", "undetermined"]

#: Like cases listed per group and per recorded form.
EXAMPLES = 5


def recommended_band(result: PersonResult) -> tuple[int, int] | None:
    """The forms the rules accept for a person: their range, or the one form a deciding modifier placed them
    at (从重 and 顶格 the top, 从轻 the bottom, 加重, 减轻 and 免予问责 a form outside the range); None for an
    undetermined person."""
    if result.form is None or result.range is None:
        return None
    if result.modifiers:
        return (result.form, result.form)
    lo, hi = result.range
    return (min(lo, result.form), max(hi, result.form))


def deviation(recorded: int, band: tuple[int, int]) -> int:
    """How many forms the record lies below (negative) or above (positive) the band; 0 within it."""
    lo, hi = band
    return recorded - lo if recorded < lo else recorded - hi if recorded > hi else 0


# ---------------------------------------------------------------------------------------------------------------
# The report (its JSON Schema documents ``--json``)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Model):
    """One step of the reasoning trace about a person (SPEC §5 ``trace``)."""

    rule: str
    title: str
    cites: list[str]
    violation: str | None
    facts: dict[str, Any]
    effect: str


class PersonCheck(_Model):
    """One recorded person against the rules. A field's title heads its column in the views."""

    case_id: str = Field(title="案件 Case")
    person: str = Field(title="人员 Person")
    name: str
    roles: list[str]
    verdict: Verdict = Field(title="结论 Verdict")
    recorded_form: int = Field(title="原处理 Recorded")
    recorded_measure: str | None
    recommended_form: int | None = Field(
        title="建议 Recommended", description="the form the rules recommend; null when undetermined"
    )
    recommended_measure: str | None
    recorded_measures: list[str] = Field(
        default_factory=list, description="every measure the record holds (its `measures`, else its `measure`)"
    )
    recommended_measures: list[str] = Field(
        default_factory=list, description="every measure the rules recommend, the deciding one first"
    )
    recorded_government_sanction: str | None = Field(default=None, description="the record's government sanction")
    recommended_government_sanction: str | None = Field(
        default=None, description="the government sanction the rules recommend (SPEC §9.2)"
    )
    range: tuple[int, int] | None = Field(
        description="幅度 range: the forms the rules allow for the person's deciding finding, as evaluate shows it"
    )
    band: tuple[int, int] | None = Field(
        description="档 band: the forms the rules accept as a record: the range, or the one form a deciding "
        "modifier placed the person at; verdicts compare the recorded form with it"
    )
    deviation: int = Field(description="forms below (negative) or above (positive) the band; 0 within")
    responsibility: str
    modifier: str | None
    rules: list[str] = Field(
        title="规则 Rules", description="the rules that decided: the finding rules, then the deciding modifier's"
    )
    trace: list[Step] = Field(default_factory=list, description="the trace steps about this person (flagged people)")
    version: str | None = Field(default=None, description="the version of the regulations that judged the person")
    missing: list[str] = Field(
        default_factory=list, description="recommended measures and government sanction the record does not hold"
    )
    extra: list[str] = Field(
        default_factory=list, description="recorded measures and government sanction the rules do not recommend"
    )


class OmittedLeader(_Model):
    """A leader the rules hold responsible whom the record leaves out (一案双查 not carried through)."""

    case_id: str
    person: str
    name: str
    roles: list[str]
    responsibility: str
    recommended_form: int
    recommended_measure: str | None
    recommended_measures: list[str] = Field(
        default_factory=list, description="every measure the rules recommend, the deciding one first"
    )
    recommended_government_sanction: str | None = Field(
        default=None, description="the government sanction the rules recommend (SPEC §9.2)"
    )
    rules: list[str]
    trace: list[Step] = Field(default_factory=list)


class Slot(_Model):
    """Like people of a group of like cases: the same facts up to ids."""

    roles: list[str]
    offender: bool
    acts: list[str] = Field(default_factory=list, description="what they did, as their conduct entries record it")
    people: int = Field(description="recorded people of this kind across the group")
    forms: dict[str, int] = Field(description="recorded form → how many people")
    examples: dict[str, list[str]] = Field(description="recorded form → some case ids")
    spread: int


class Group(_Model):
    """Like cases (the rules see the same facts) whose like people were recorded with different forms."""

    signature: str = Field(description="the facts the rules see, up to ids, as a digest: the group's identity")
    pattern: str = Field(description="the violations the like cases share, in words (kind, severity, area, flags)")
    cases: int
    spread: int = Field(description="the largest difference between two recorded forms of like people")
    slots: list[Slot]
    case_ids: list[str] = Field(description=f"the first {EXAMPLES * 4} case ids of the group")


class Tally(_Model):
    """Verdicts for one value of a dimension (a year, a unit level, a violation kind)."""

    key: str
    cases: int = 0
    people: int = 0
    within: int = 0
    too_lenient: int = 0
    too_harsh: int = 0
    undetermined: int = 0
    omitted: int = 0


def compare_measures(
    recorded: Recorded, result: PersonResult | None, substitutes: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """(missing, extra): what the rules recommend that the record lacks, and what the record holds beyond
    it (SPEC §9.2); a measure the rules substituted (V9) matches the one it replaced. Nothing is compared when
    the record names no measure."""
    if not recorded.measures and recorded.measure is None and recorded.government_sanction is None:
        return [], []
    taken: set[str] = set(recorded.measures) | ({recorded.measure} if recorded.measure else set())
    recommended: set[str] = set(result.measures) if result is not None else set()
    for original, substitute in substitutes.items():
        if substitute in recommended and original in taken:
            taken = (taken - {original}) | {substitute}
    if recorded.measures or recorded.government_sanction is not None:
        if result is not None and result.government_sanction is not None:
            recommended.add(result.government_sanction)
        if recorded.government_sanction is not None:
            taken.add(recorded.government_sanction)
    taken.discard("none")
    recommended.discard("none")
    return sorted(recommended - taken), sorted(taken - recommended)


class BadRecord(_Model):
    line: int | None = None
    index: int | None = None
    case_id: str | None
    error: str


class Summary(_Model):
    records: int = Field(description="records read, bad ones included")
    bad_records: int
    cases: int = Field(description="valid cases")
    cases_with_record: int = Field(description="valid cases with a recorded outcome (only these are checked)")
    people_checked: int
    within: int
    too_lenient: int
    too_harsh: int
    undetermined: int
    omitted_leaders: int
    like_case_groups: int = Field(description="groups of two or more like cases, or of like people in one case")
    inconsistent_groups: int
    incomplete_dual_investigation: int = Field(
        description="valid cases (recorded outcome or not) where a linked leader has nothing on file"
    )
    score: float | None = Field(
        description="per cent of checked people and responsible leaders whose record agrees with the rules: "
        "within / (within + too_lenient + too_harsh + omitted_leaders); null when that is none (nothing was "
        "checked, so there is no score)"
    )
    inconsistent: bool = Field(description="any too_lenient, too_harsh, omitted leader or inconsistent group")


class ConsistencyReport(_Model):
    """What ``accountrules check`` finds (its ``--json``)."""

    schema_id: Literal["accountrules.check/1"] = Field("accountrules.check/1", alias="schema")
    rulepack: RulePackInfo
    summary: Summary
    by_year: list[Tally]
    by_unit_level: list[Tally]
    by_violation_kind: list[Tally]
    by_version: list[Tally] = Field(
        default_factory=list, description="verdicts by the version of the regulations that judged the case"
    )
    deviations: dict[str, int] = Field(description="deviation (forms from the band) → recorded people")
    flagged: list[PersonCheck] = Field(description="too_lenient, too_harsh and undetermined people, by case")
    within: list[PersonCheck] = Field(default_factory=list, description="people within the band (with --all)")
    omitted_leaders: list[OmittedLeader]
    groups: list[Group] = Field(description="inconsistent groups of like cases, largest spread first")
    bad_records: list[BadRecord]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, by_alias=True)


# ---------------------------------------------------------------------------------------------------------------
# One case


class CaseSlot(NamedTuple):
    """The people of one class (same facts as the rules see them) in one case, and their recorded forms."""

    roles: list[str]
    offender: bool
    forms: list[int]
    acts: list[str]


@dataclass
class CaseCheck:
    """What one case contributes to the report (small: this is what a worker sends back)."""

    case_id: str
    title: str
    unit: str
    unit_level: str
    year: str
    kinds: list[str]
    signature: str
    #: The case's violations in words (`case_pattern`): the name of its group of like cases.
    pattern: str
    recorded: bool
    complete: bool
    #: The versions of the regulations that judged the case's violations (SPEC §9.3 V1).
    versions: list[str] = field(default_factory=list)
    people: list[PersonCheck] = field(default_factory=list)
    omitted: list[OmittedLeader] = field(default_factory=list)
    #: The recorded forms of the people of each class of this case.
    slots: dict[int, CaseSlot] = field(default_factory=dict)


def _steps(determination: Determination, person: str) -> list[Step]:
    return [
        Step(
            rule=s.rule,
            title=s.title,
            cites=list(s.cites),
            violation=s.violation,
            facts=dict(s.facts),
            effect=s.effect,
        )
        for s in determination.trace
        if s.person == person
    ]


def _recorded_measures(recorded: Recorded) -> list[str]:
    """Every measure of a record as it gives them: its ``measures``, else its one ``measure``."""
    return list(recorded.measures) if recorded.measures else [recorded.measure] if recorded.measure else []


def _rules(result: PersonResult) -> list[str]:
    return [*result.findings, *(m.rule for m in result.modifiers if m.rule not in result.findings)]


def case_pattern(case: Case) -> str:
    """A case's violations in words, ids and names left out: kind, severity, area and the flags set, each
    bilingual; like cases (the same facts up to ids) read the same."""
    flags = values(ViolationFlag)
    described = sorted(
        ", ".join([label(v.kind), label(v.severity), label(v.area), *(label(f) for f in flags if getattr(v, f))])
        for v in case.violations
    )
    return " + ".join(described)


def _version_of(determination: Determination, person: str) -> str | None:
    """The version whose rules gave the person's finding (the first finding step about them)."""
    result = next((r for r in determination.people if r.person == person), None)
    findings = set(result.findings) if result is not None else set()
    for step in determination.trace:
        if step.person == person and step.rule in findings:
            return step.version
    return None


def examine_case(
    case: Case, determination: Determination, canonical: Canonical, substitutes: Mapping[str, str] | None = None
) -> CaseCheck:
    """Judge one case's record against its determination; ``substitutes`` maps each measure a person without
    a party post cannot receive to the one given instead (V9), which counts as within."""
    substitutes = substitutes or {}
    results = {r.person: r for r in determination.people}
    people = {p.id: p for p in case.people}
    offenders = {pid for v in case.violations for pid in v.offenders}
    check = CaseCheck(
        case_id=case.case_id,
        title=case.title,
        unit=case.unit.name,
        unit_level=case.unit.level,
        year=str(case.decided_on.year) if case.decided_on else "unknown",
        kinds=sorted({v.kind for v in case.violations}),
        signature=canonical.signature,
        pattern=case_pattern(case),
        recorded=bool(case.recorded),
        complete=determination.dual_investigation.complete,
        versions=sorted(
            {r.conduct for r in determination.rules_in_force}
            | {r.decision for r in determination.rules_in_force if r.lighter_new}
        ),
    )
    if not case.recorded:
        return check
    for pid in sorted(case.recorded):
        recorded = case.recorded[pid]
        result = results.get(pid)
        band: tuple[int, int] | None
        form: int | None
        measure: str | None
        rng: tuple[int, int] | None
        modifier: str | None
        rules: list[str]
        if result is None:  # no finding at all: the rules hold them not responsible
            band, form, measure, responsibility, modifier, rules, rng = (0, 0), 0, "none", "none", None, [], (0, 0)
        else:
            band, form, measure = recommended_band(result), result.form, result.measure
            responsibility, rules, rng = result.responsibility, _rules(result), result.range
            modifier = result.modifiers[0].kind if result.modifiers else None
            replaced = [m for m, sub in substitutes.items() if sub in result.measures]
            if band is not None and replaced and not people[pid].holds_party_post:
                band = (band[0], max(band[1], *(MEASURE_PLACES[m][0] for m in replaced)))
        if band is None:
            verdict: Verdict = "undetermined"
            off = 0
        else:
            off = deviation(recorded.form, band)
            verdict = "within" if off == 0 else "too_lenient" if off < 0 else "too_harsh"
        person = people[pid]
        missing, extra = compare_measures(recorded, result, substitutes)
        check.people.append(
            PersonCheck(
                case_id=case.case_id,
                person=pid,
                name=person.name,
                roles=list(person.roles),
                verdict=verdict,
                recorded_form=recorded.form,
                recorded_measure=recorded.measure,
                recommended_form=form,
                recommended_measure=measure,
                recorded_measures=_recorded_measures(recorded),
                recommended_measures=list(result.measures) if result is not None else [],
                recorded_government_sanction=recorded.government_sanction,
                recommended_government_sanction=result.government_sanction if result is not None else None,
                range=rng,
                band=band,
                deviation=off,
                responsibility=responsibility,
                modifier=modifier,
                rules=rules,
                trace=_steps(determination, pid) if verdict != "within" else [],
                version=_version_of(determination, pid),
                missing=missing,
                extra=extra,
            )
        )
        cls = canonical.classes[pid]
        acts: list[str] = sorted({act for c in case.conduct if c.person == pid for act in c.acts})
        slot = check.slots.setdefault(cls, CaseSlot(list(person.roles), pid in offenders, [], acts))
        slot.forms.append(recorded.form)
    examined = set(determination.dual_investigation.examined)
    for result in determination.people:
        pid = result.person
        if pid in examined and pid not in case.recorded and result.form is not None and result.form >= 1:
            check.omitted.append(
                OmittedLeader(
                    case_id=case.case_id,
                    person=pid,
                    name=people[pid].name,
                    roles=list(people[pid].roles),
                    responsibility=result.responsibility,
                    recommended_form=result.form,
                    recommended_measure=result.measure,
                    recommended_measures=list(result.measures),
                    recommended_government_sanction=result.government_sanction,
                    rules=_rules(result),
                    trace=_steps(determination, pid),
                )
            )
    return check


# ---------------------------------------------------------------------------------------------------------------
# The whole archive


class GroupSlot(NamedTuple):
    """The people of one class across a group of like cases."""

    roles: list[str]
    offender: bool
    acts: list[str]
    #: How many were recorded at each form.
    forms: Counter[int]
    #: Some case ids for each recorded form.
    examples: dict[int, list[str]]


@dataclass
class _GroupState:
    pattern: str
    cases: int = 0
    case_ids: list[str] = field(default_factory=list)
    slots: dict[int, GroupSlot] = field(default_factory=dict)


class Accumulator:
    """Adds up `CaseCheck`s and bad records into a `ConsistencyReport`, holding only what the report shows."""

    def __init__(self, rulepack: RulePackInfo, keep_within: bool = False) -> None:
        self.rulepack = rulepack
        self.keep_within = keep_within
        self.records = 0
        self.cases = 0
        self.with_record = 0
        self.incomplete = 0
        self.verdicts: Counter[str] = Counter()
        self.deviations: Counter[int] = Counter()
        self.flagged: list[PersonCheck] = []
        self.within: list[PersonCheck] = []
        self.omitted: list[OmittedLeader] = []
        self.bad: list[BadRecord] = []
        self.groups: dict[str, _GroupState] = {}
        self.tallies: dict[str, dict[str, dict[str, int]]] = {"year": {}, "level": {}, "kind": {}, "version": {}}

    def add_bad(self, position: str, number: int, case_id: str | None, error: str) -> None:
        self.records += 1
        self.bad.append(BadRecord(**{position: number}, case_id=case_id, error=error))

    def add(self, check: CaseCheck) -> None:
        self.records += 1
        self.cases += 1
        if not check.complete:  # the look-back is owed whether or not the case records an outcome
            self.incomplete += 1
        if not check.recorded:
            return
        self.with_record += 1
        counts: Counter[str] = Counter(p.verdict for p in check.people)
        for person in check.people:
            self.verdicts[person.verdict] += 1
            if person.verdict != "undetermined":
                self.deviations[person.deviation] += 1
            if person.verdict == "within":
                if self.keep_within:
                    self.within.append(person)
            else:
                self.flagged.append(person)
        self.omitted.extend(check.omitted)
        dimensions = (
            ("year", [check.year]),
            ("level", [check.unit_level]),
            ("kind", check.kinds),
            ("version", check.versions),
        )
        for dimension, keys in dimensions:
            for key in keys:
                tally = self.tallies[dimension].setdefault(key, Counter())
                tally["cases"] += 1
                tally["people"] += len(check.people)
                for verdict, n in counts.items():
                    tally[verdict] += n
                tally["omitted"] += len(check.omitted)
        group = self.groups.setdefault(check.signature, _GroupState(check.pattern))
        group.cases += 1
        if len(group.case_ids) < EXAMPLES * 4:
            group.case_ids.append(check.case_id)
        for cls, (roles, offender, forms, acts) in check.slots.items():
            slot = group.slots.setdefault(cls, GroupSlot(roles, offender, acts, Counter(), {}))
            for form in forms:
                slot.forms[form] += 1
                examples = slot.examples.setdefault(form, [])
                if len(examples) < EXAMPLES and check.case_id not in examples:
                    examples.append(check.case_id)

    def report(self) -> ConsistencyReport:
        groups = []
        like = 0
        for signature, state in self.groups.items():
            slots = []
            for cls in sorted(state.slots):
                roles, offender, acts, forms, examples = state.slots[cls]
                slots.append(
                    Slot(
                        roles=roles,
                        offender=offender,
                        acts=acts,
                        people=sum(forms.values()),
                        forms={str(f): n for f, n in sorted(forms.items())},
                        examples={str(f): examples[f] for f in sorted(examples)},
                        spread=max(forms) - min(forms),
                    )
                )
            if state.cases > 1 or any(s.people > 1 for s in slots):
                like += 1
            spread = max((s.spread for s in slots), default=0)
            if spread > 0:
                groups.append(
                    Group(
                        signature=signature,
                        pattern=state.pattern,
                        cases=state.cases,
                        spread=spread,
                        slots=[s for s in slots if s.spread > 0],
                        case_ids=state.case_ids,
                    )
                )
        groups.sort(key=lambda g: (-g.spread, -g.cases, g.signature))
        v = self.verdicts
        judged = v["within"] + v["too_lenient"] + v["too_harsh"] + len(self.omitted)
        summary = Summary(
            records=self.records,
            bad_records=len(self.bad),
            cases=self.cases,
            cases_with_record=self.with_record,
            people_checked=sum(v.values()),
            within=v["within"],
            too_lenient=v["too_lenient"],
            too_harsh=v["too_harsh"],
            undetermined=v["undetermined"],
            omitted_leaders=len(self.omitted),
            like_case_groups=like,
            inconsistent_groups=len(groups),
            incomplete_dual_investigation=self.incomplete,
            score=round(100 * v["within"] / judged, 1) if judged else None,
            inconsistent=bool(v["too_lenient"] or v["too_harsh"] or self.omitted or groups),
        )
        return ConsistencyReport(
            rulepack=self.rulepack,
            summary=summary,
            by_year=self._tallies("year"),
            by_unit_level=self._tallies("level"),
            by_violation_kind=self._tallies("kind"),
            by_version=self._tallies("version"),
            deviations={str(k): self.deviations[k] for k in sorted(self.deviations)},
            flagged=self.flagged,
            within=self.within,
            omitted_leaders=self.omitted,
            groups=groups,
            bad_records=self.bad,
        )

    def _tallies(self, dimension: str) -> list[Tally]:
        return [Tally(key=key, **counts) for key, counts in sorted(self.tallies[dimension].items())]
