"""`Engine`: a case in, a `Determination` out, through two durable_rules stages and one resolution."""

from __future__ import annotations

import copy
import itertools
import operator
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from accountrules.engine.cache import DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, DeterminationCache, FactPlan
from accountrules.engine.compiled import DEFAULT_ENGINE, ENGINES, CompiledRuntime, compiled_for
from accountrules.engine.durable import DurableRuntime, runtime_for
from accountrules.engine.firings import Firing, NoteWhat, describe
from accountrules.engine.flatten import Fact, fact_id_of, flatten
from accountrules.engine.resolve import Attached, Finding, Outcome, Resolved, Resolver
from accountrules.engine.versions import (
    Applied,
    CaseVersions,
    applied_version,
    case_versions,
    resolve_in_force,
    rules_holding,
)
from accountrules.errors import UsageError
from accountrules.models import (
    Case,
    Determination,
    DualInvestigation,
    MissingLink,
    Modifier,
    Note,
    Organization,
    Person,
    PersonResult,
    Refusal,
    RulePackInfo,
    RulesInForce,
    TraceKeys,
    TraceStep,
    assemble,
    in_force_order,
    missing_order,
    note_order,
    result_order,
    trace_keys,
)
from accountrules.rulepack.pack import RulePack, load_default, load_pack
from accountrules.rulepack.policy import PolicyStep
from accountrules.validation import DEFAULT_LIMITS, CaseLimits, parse_case, parse_case_text
from accountrules.vocabulary import NOTE_MESSAGES, GovernmentSanction, Measure, OrgMeasure, values

if TYPE_CHECKING:
    from typing_extensions import Self

CaseInput = Case | Mapping[str, Any] | str | bytes

Arrange = Callable[[list[Fact]], list[Fact]]
#: A trace step and where it goes: `trace_keys`, and the (name, value) pairs of its facts, whose ``repr`` is
#: `trace_order`'s last key.
_Placed = tuple[TraceKeys, tuple[tuple[str, Any], ...], TraceStep]
#: What a step of the policy's own shows beside its finding's target: its id, title, citations, facts as (name,
#: value) pairs, effect and version.
_PolicyParts = tuple[str, str, tuple[str, ...], tuple[tuple[str, Any], ...], str, str]


class StageRun(NamedTuple):
    """One durable_rules stage of an evaluation: the facts given to it and the distinct firings it gave."""

    facts: list[Fact]
    firings: list[Firing]


@dataclass(frozen=True)
class CaseEvaluation:
    """One evaluation of a case: both stages, the findings that stood, each person's outcome, and the
    determination built from them. Explanations and verification read it instead of re-running the stages."""

    case: Case
    #: Stage ``facts``: the case's facts and the rules that matched them.
    first: StageRun
    #: Stage ``resolved``: the same facts with the candidates, results and organisation measures of resolution.
    second: StageRun
    standing: list[Finding]
    outcomes: dict[str, Outcome]
    determination: Determination
    #: The versions that may judge each violation, and the one applied to each (person, violation) (V1).
    in_force: CaseVersions
    applied: Applied
    #: The firings of stage ``facts`` whose rules hold in the version that judged them.
    first_in_force: list[Firing]

    @property
    def firings(self) -> list[Firing]:
        """The firings of both stages."""
        return self.first.firings + self.second.firings


_ENGINES: dict[tuple[type[Engine], str], Engine] = {}
_ENGINES_LOCK = threading.Lock()
_ADJUSTMENTS = ("modifier", "tally", "refusal", "measure")
#: Effects that stand beside findings: kept when their rule holds in the version they are shown under.
_BESIDE = ("missing", "organization", "publicize", "note")
#: The most entries a determination's memo of like people keeps before it starts afresh (their keys are drawn from
#: the vocabularies and the pack's rules, so the bound is seldom reached).
_MEMO = 4096
#: Ranks of the vocabularies that output lists are sorted by, lightest first.
_MEASURE_RANK = {m: i for i, m in enumerate(values(Measure))}
_ORG_MEASURE_RANK = {m: i for i, m in enumerate(values(OrgMeasure))}
_SANCTION_RANK = {g: i for i, g in enumerate(values(GovernmentSanction))}


def coerce_case(case: CaseInput) -> Case:
    """Accept a `Case`, a parsed JSON object, or JSON text."""
    if isinstance(case, Case):
        return parse_case(case)
    if isinstance(case, (str, bytes)):
        return parse_case_text(case)
    return parse_case(case)


class Engine:
    """Evaluates cases with one rule pack. Safe to share between threads; build one with `default` or
    `from_path`, which reuse the engine (and its rule-engine host) of a pack already loaded in this process."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.policy = pack.policy
        self._resolver = Resolver(pack.policy, pack.sanctions)
        #: Which runtime matches the rules (`with_runtime`): durable_rules, the engine of record, by default.
        self.runtime = DEFAULT_ENGINE
        self._made: DurableRuntime | CompiledRuntime | None = None
        self._info = RulePackInfo(name=pack.name, version=pack.version, digest=pack.digest)
        self._cites_in: dict[tuple[str, str | None], tuple[str, ...]] = {}
        #: A trace step's effect as shown, rule title and citations, by (rule, content, version); what the policy's
        #: own steps (cap, measure scales) show, by the step and the finding's content they show it for.
        self._parts: dict[tuple[Any, ...], tuple[str, str, tuple[str, ...]]] = {}
        self._policy_parts: dict[tuple[Any, ...], _PolicyParts] = {}
        #: The responsibilities whose range the policy holds at its lowest form.
        self._capped = frozenset(pack.policy.cap_at_lowest)
        self._scales = {scale.id: scale for scale in pack.policy.measure_scales}
        #: What `_measures_given` gave, by what it reads; the modifiers and refusals as shown, by what they show.
        self._given: dict[tuple[Any, ...], tuple[tuple[str, ...], str | None, int | None, bool]] = {}
        self._modifiers: dict[Attached, Modifier] = {}
        self._refusals: dict[Attached, Refusal] = {}
        #: The versions in which each rule holds, and the rules that hold in each version.
        self._versions_of = {rule.id: rule.versions for rule in pack.rules}
        self._holding = rules_holding(self._versions_of.items())
        #: The rules that hold in every version: their firings stand whichever version judges them.
        self._everywhere = frozenset(r.id for r in pack.rules if r.versions >= frozenset(pack.versions.ids))
        #: The finding kinds whose people count as examined in 一案双查.
        self._examined_kinds = frozenset(kind for kind, spec in pack.policy.finding_kinds.items() if spec.examined)
        #: Determinations by canonical facts (`with_cache`); None evaluates every case.
        self.cache: DeterminationCache | None = None
        #: How much work one case may ask for (`with_limits`).
        self.limits: CaseLimits = DEFAULT_LIMITS

    @classmethod
    def default(cls) -> Self:
        """The engine of the default rule pack shipped with the library."""
        return cls._shared(load_default())

    @classmethod
    def from_path(cls, path: str | Path) -> Self:
        """The engine of the rule pack in ``path`` (validated first)."""
        return cls._shared(load_pack(path))

    @classmethod
    def _shared(cls, pack: RulePack) -> Self:
        with _ENGINES_LOCK:
            engine = _ENGINES.get((cls, pack.digest))
            if engine is None:
                engine = _ENGINES[(cls, pack.digest)] = cls(pack)
            return engine  # type: ignore[return-value]  # stored under its own class

    @property
    def _runtime(self) -> DurableRuntime | CompiledRuntime:
        """The runtime that matches the rules, made on first use: an engine that only ever runs the compiled one
        starts no durable_rules Host (whose threads a fork would copy broken), so it can be made before a fork."""
        made = self._made
        if made is None:
            made = self._made = runtime_for(self.pack) if self.runtime == "durable" else compiled_for(self.pack)
        return made

    @property
    def healthy(self) -> bool:
        """False once the rule engine has stalled: its session cannot be cleared, so the process must end."""
        return not self._runtime.broken

    # ------------------------------------------------------------------------------------------------------

    def evaluate(self, case: CaseInput) -> Determination:
        """Determine every person's responsibility in ``case``.

        Raises:
            CaseValidationError: the case breaks the contract; the message names the JSON path.
            CaseLimitError: the case asks for more work than ``limits`` allow (a `CaseValidationError`).
            EvaluationError: the rule engine failed on a valid case.
        """
        return self.evaluate_valid(coerce_case(case))

    def evaluate_valid(self, case: Case) -> Determination:
        """`evaluate` for a case that has already been validated."""
        self.limits.check(case)

        def compute() -> Determination:
            return self._evaluate(case, flatten(case, self.policy, self.pack.facts)).determination

        if self.cache is not None:
            return self.cache.determine(case, self.cache.canonical(case), compute)
        return compute()

    def evaluation(self, case: Case, arrange: Arrange | None = None) -> CaseEvaluation:
        """Everything one evaluation of a validated case produces, never cached: for the layers above that show
        or check how a determination came about (explanations, verification) or keep their own cache (batch).

        Args:
            arrange: given each stage's facts, returns them in the order to assert them (to show that the order
                changes nothing).

        Raises:
            CaseLimitError: the case asks for more work than ``limits`` allow.
        """
        self.limits.check(case)
        return self._evaluate(case, flatten(case, self.policy, self.pack.facts), arrange)

    def _evaluate(self, case: Case, facts: list[Fact], arrange: Arrange | None = None) -> CaseEvaluation:
        in_force = case_versions(case, self.pack.versions)
        first = self._run_stage("facts", facts, arrange)
        findings = [f for f in first if f.effect == "finding"]
        adjustments = [f for f in first if f.effect in _ADJUSTMENTS]
        without_post = frozenset(p.id for p in case.people if not p.holds_party_post)
        applied = resolve_in_force(self._resolver, findings, adjustments, self._holding, in_force, without_post)
        first_in_force = self._in_force(first, in_force, applied)
        standing = [f for f in first_in_force if f.effect == "finding"]
        beside = [f for f in first_in_force if f.effect in _BESIDE]
        resolved_facts = facts + self._resolved_facts(standing, applied.outcomes, beside)
        second = self._in_force(self._run_stage("resolved", resolved_facts, arrange), in_force, applied)
        return CaseEvaluation(
            case=case,
            first=StageRun(facts, first),
            second=StageRun(resolved_facts, second),
            standing=[item.finding for outcome in applied.outcomes.values() for item in outcome.resolved],
            outcomes=applied.outcomes,
            determination=self._determination(case, beside + second, applied, in_force),
            in_force=in_force,
            applied=applied,
            first_in_force=first_in_force,
        )

    def _in_force(self, firings: list[Firing], in_force: CaseVersions, applied: Applied) -> list[Firing]:
        """The firings whose rule holds in the version each is judged by."""
        versions, held, everywhere = applied.versions, self._versions_of, self._everywhere
        return [
            f
            for f in firings
            if f.rule in everywhere or applied_version(in_force, versions, f.person, f.violation) in held[f.rule]
        ]

    def _run_stage(self, stage: str, facts: list[Fact], arrange: Arrange | None) -> list[Firing]:
        """Run one stage's rules over ``facts`` in durable_rules and return the distinct firings."""
        return self._runtime.run(stage, facts if arrange is None else arrange(facts))

    @staticmethod
    def _resolved_facts(findings: list[Firing], outcomes: dict[str, Outcome], first: list[Firing]) -> list[Fact]:
        out: dict[str, Fact] = {}
        for f in findings:
            found, person, violation = f.found, f.person or "", f.violation or ""
            kind, responsibility = found.kind, found.responsibility
            key = fact_id_of(("candidate", person, violation, kind, responsibility))
            out[key] = {
                "t": "candidate",
                "id": key,
                "person": person,
                "violation": violation,
                "kind": kind,
                "responsibility": responsibility,
            }
        for outcome in outcomes.values():
            for item in outcome.resolved:
                f = item.finding.firing
                kind, person, violation = f.found.kind, f.person or "", f.violation or ""
                key = fact_id_of(("result", person, violation, kind, str(item.form)))
                out[key] = {
                    "t": "result",
                    "id": key,
                    "person": person,
                    "violation": violation,
                    "kind": kind,
                    "form": item.form,
                }
        for f in first:
            if f.effect == "organization":
                key = fact_id_of(("org", f.measure))
                out[key] = {"t": "org", "id": key, "measure": f.measure}
        return [out[k] for k in sorted(out)]

    # ------------------------------------------------------------------------------------------------------

    def _determination(
        self, case: Case, firings: list[Firing], applied: Applied, in_force: CaseVersions
    ) -> Determination:
        """The one writer of a determination (SPEC §5, §9.2)."""
        outcomes = applied.outcomes
        people_by_id = {p.id: p for p in case.people}
        law = self.pack.versions.sanction_law(case.decided_on).id
        notes: list[tuple[str, str | None, str | None]] = list(in_force.notes)
        notes += [(str(f.what.code), f.person, f.violation) for f in firings if isinstance(f.what, NoteWhat)]
        missing = sorted({(str(f.person), str(f.violation)) for f in firings if f.effect == "missing"})
        people = []
        for outcome in outcomes.values():
            result, removed = self._person_result(outcome, people_by_id[outcome.person], case, law)
            people.append(result)
            if removed and outcome.best is not None:
                notes.append(("no_party_measure", outcome.person, outcome.best.finding.firing.violation))
        for pid in sorted({p for p, _ in missing} - set(outcomes)) if missing else ():
            people.append(
                assemble(
                    PersonResult,
                    {
                        "person": pid,
                        "name": people_by_id[pid].name,
                        "responsibility": self.policy.missing_responsibility,
                        "scope": "individual",
                        "range": None,
                        "form": None,
                        "measure": None,
                        "modifiers": [],
                        "refused": [],
                        "findings": [],
                        "measures": [],
                        "government_sanction": None,
                        "waiting_period_months": None,
                        "former": _former(people_by_id[pid], case),
                    },
                )
            )
        people.sort(key=result_order)
        examined_kinds = self._examined_kinds
        examined = sorted(
            person
            for person, outcome in outcomes.items()
            if any(i.finding.kind in examined_kinds for i in outcome.resolved)
        )
        measures = sorted({f.measure for f in firings if f.effect == "organization"}, key=_ORG_MEASURE_RANK.__getitem__)
        organization = {
            "unit": case.unit.name,
            "responsibility": self.policy.organization_responsibility if measures else "none",
            "measures": measures,
        }
        missing_links = [assemble(MissingLink, {"person": p, "violation": v}) for p, v in missing]
        # built from the engine's own checked data (the pack's vocabulary, the case's validated ids): constructed
        # without validating again, as the people and the trace are
        return assemble(
            Determination,
            {
                "case_id": case.case_id,
                "rulepack": self._info,
                "people": people,
                "organization": assemble(Organization, organization),
                "publicize": any(f.effect == "publicize" for f in firings),
                "dual_investigation": assemble(
                    DualInvestigation,
                    {
                        "complete": not missing,
                        "examined": examined,
                        "missing": sorted(missing_links, key=missing_order),
                    },
                ),
                "rules_in_force": sorted(
                    (
                        assemble(
                            RulesInForce,
                            {
                                "violation": entry.violation,
                                "conduct": entry.conduct,
                                "decision": entry.decision,
                                "why": entry.why,
                                "lighter_new": sorted(applied.lighter_new.get(entry.violation, ())),
                            },
                        )
                        for entry in in_force.violations.values()
                    ),
                    key=in_force_order,
                ),
                "notes": sorted(
                    (
                        assemble(
                            Note,
                            {"code": code, "message": NOTE_MESSAGES[code], "person": person, "violation": violation},
                        )
                        for code, person, violation in set(notes)
                    ),
                    key=note_order,
                ),
                "trace": self._trace(firings, applied, in_force),
            },
        )

    def _cites(self, rule_id: str, version: str | None) -> list[str]:
        """A rule's citations as they read in ``version``: worked out once per (rule, version) and kept, since a
        determination asks for them on every trace step, modifier and refusal."""
        key = (rule_id, version)
        cites = self._cites_in.get(key)
        if cites is None:
            cites = self._cites_in[key] = tuple(self.pack.cites_in(rule_id, version))
        return list(cites)

    def _person_result(self, outcome: Outcome, person: Person, case: Case, law: str) -> tuple[PersonResult, bool]:
        """A person's result and whether V3 removed party measures from it."""
        best: Resolved = outcome.best  # type: ignore[assignment]
        found = best.finding.firing.found
        also = tuple([a.kind for a in best.also]) if best.also else ()
        key = (best.measure, also, best.replaced, person.party_member, person.public_official, law)
        given = self._given.get(key)
        if given is None:
            if len(self._given) >= _MEMO:
                self._given.clear()
            given = self._given[key] = self._measures_given(*key)
        kept, government, waiting, removed = given
        unraised = outcome.unraised
        if unraised is not None:
            government, waiting = self._merged_sanction(unraised, kept, person, law)
        result = assemble(
            PersonResult,
            {
                "person": outcome.person,
                "name": person.name,
                "responsibility": found.responsibility,
                "scope": found.scope,
                "range": best.effective,
                "form": best.form,
                "measure": kept[0] if kept else None,
                "modifiers": [] if best.deciding is None else [self._modifier(best.deciding)],
                "refused": [self._refusal(r) for r in outcome.refused] if outcome.refused else [],
                "findings": outcome.findings,
                "measures": list(kept),
                "government_sanction": government,
                "waiting_period_months": waiting,
                "former": _former(person, case),
            },
        )
        return result, removed

    def _measures_given(
        self, measure: str, also: tuple[str, ...], replaced: str | None, member: bool, official: bool, law: str
    ) -> tuple[tuple[str, ...], str | None, int | None, bool]:
        """The measures a person keeps, their government sanction, the waiting period and whether V3 removed
        party measures, from the deciding measure, the measures beside it, V9's replaced one, whether the person is
        a party member and a public official, and the government-sanction law in force: nothing else of the case,
        so a determination asks once per like person (`_given`)."""
        sanctions = self.pack.sanctions
        recommended = [measure, *sorted(set(also) - {measure}, key=_MEASURE_RANK.__getitem__)]
        party = sanctions.heaviest_party_measure(recommended)
        kept = recommended if member else [m for m in recommended if m not in sanctions.party_measures]
        government = self._government_sanction(member, party, replaced) if official else None
        waiting = sanctions.waiting_months(kept, government, law)
        return tuple(kept), government, waiting, len(kept) < len(recommended)

    def _merged_sanction(
        self, unraised: Resolved, kept: tuple[str, ...], person: Person, law: str
    ) -> tuple[str | None, int | None]:
        """The government sanction and waiting period of a person whose violations were merged (合并处理): the
        sanction follows their heaviest measure before the raise (gov2020:15, civ2007:10 give the heaviest of the
        acts' sanctions and raise none); the waiting period the longest bar of the measures kept and it."""
        also = tuple([a.kind for a in unraised.also]) if unraised.also else ()
        member, official = person.party_member, person.public_official
        _, government, _, _ = self._measures_given(unraised.measure, also, unraised.replaced, member, official, law)
        return government, self.pack.sanctions.waiting_months(kept, government, law)

    def _government_sanction(self, member: bool, party: str | None, replaced: str | None) -> str | None:
        """V3 and V9: the government sanction of a public official. A non-member's party measures are removed, and
        the sanction stands instead of the heaviest; a member without a party post gets it instead of the removal
        V9 replaced, or beside the party measure kept when that is heavier; any other member gets it beside the
        heaviest party measure kept, as the pack's correspondence gives each."""
        sanctions = self.pack.sanctions
        correspondence = sanctions.correspondence
        if not member:
            return correspondence.instead_of(party)
        given = [correspondence.beside_measure(party)]
        if replaced in sanctions.party_measures:
            given.append(correspondence.instead_of(replaced))
        return max((g for g in given if g is not None), key=_SANCTION_RANK.__getitem__, default=None)

    def _modifier(self, deciding: Attached) -> Modifier:
        """The deciding modifier as shown, made once per (kind, rule, version) and shared: output models are frozen."""
        modifier = self._modifiers.get(deciding)
        if modifier is None:
            merge = self.policy.merge
            if merge is not None and deciding.rule == merge.id:  # a grade raised by the policy, not by a rule
                cites = self.pack.versions.shown_cites(merge.cites, deciding.version)
            else:
                cites = self._cites(deciding.rule, deciding.version)
            modifier = assemble(Modifier, {"kind": deciding.kind, "rule": deciding.rule, "cites": cites})
            self._modifiers[deciding] = modifier
        return modifier

    def _refusal(self, refusal: Attached) -> Refusal:
        """A refusal as shown, made once per (kind, rule, detail, version) and shared: output models are frozen."""
        shown = self._refusals.get(refusal)
        if shown is None:
            shown = assemble(
                Refusal,
                {
                    "kind": refusal.kind,
                    "rule": refusal.rule,
                    "cites": self._cites(refusal.rule, refusal.version),
                    "detail": refusal.detail,
                },
            )
            self._refusals[refusal] = shown
        return shown

    def _trace(self, firings: list[Firing], applied: Applied, in_force: CaseVersions) -> list[TraceStep]:
        """One step per firing that produced or changed a standing finding, plus links, organisation, publicity
        and notes; each step under the version that judged it."""
        shown: dict[tuple[Any, ...], tuple[Firing, str]] = {}
        for outcome in applied.outcomes.values():
            for item in outcome.resolved:
                version = str(item.version)
                shown[item.finding.firing.key] = (item.finding.firing, version)
                added = {a.rule for a in item.also} if item.also else ()
                for adj in item.adjustments:
                    if adj.effect != "measure" or adj.rule in added:
                        shown[adj.key] = (adj, version)
        for f in firings:
            if f.effect in _BESIDE:
                shown[f.key] = (f, applied_version(in_force, applied.versions, f.person, f.violation))
        made = [self._step(f, version) for f, version in shown.values()]
        made += self._cap_steps(applied)
        made += self._scale_steps(applied)
        made += self._merge_steps(applied)
        return _in_trace_order(made)

    def _cap_steps(self, applied: Applied) -> list[_Placed]:
        """One step for each standing finding whose range the policy holds at its lowest form (D3's cap on
        重要领导责任), so that the trace says why the person's range is narrower than the finding's."""
        cap = self.policy.cap_step
        if cap is None:
            return []
        capped = self._capped
        steps = []
        for outcome in applied.outcomes.values():
            for item in outcome.resolved:
                found = item.finding.firing.found
                # only a capped responsibility narrows a finding's range (`Resolver.effective`)
                if found.responsibility not in capped or item.finding.range == item.effective:
                    continue
                key = (cap.id, found.responsibility, item.finding.range, item.effective, item.version)
                parts = self._policy_parts.get(key)
                if parts is None:
                    (low, high), (lo, hi) = item.finding.range, item.effective
                    facts = {"responsibility": found.responsibility, "range": f"[{low},{high}]"}
                    parts = self._policy_parts_of(key, cap, facts, f"{found.responsibility} [{lo},{hi}]", item)
                steps.append(_policy_step(parts, item.finding.firing))
        return steps

    def _scale_steps(self, applied: Applied) -> list[_Placed]:
        """One step for each person whose result's measure a declared measure scale chose (诫勉 for a leader in the
        first form, 严重警告 at the lower end of a wider range …), so that the trace cites why that measure."""
        steps = []
        for outcome in applied.outcomes.values():
            item = outcome.raised_from or outcome.best  # where violations were merged, the measure raised
            if item is None or item.scale is None:
                continue
            found = item.finding.firing.found
            key = (item.scale, found.responsibility, item.effective, item.form, item.measure, item.version)
            parts = self._policy_parts.get(key)
            if parts is None:
                lo, hi = item.effective
                facts = {"responsibility": found.responsibility, "range": f"[{lo},{hi}]"}
                scale = self._scales[item.scale]
                parts = self._policy_parts_of(key, scale, facts, f"form {item.form}: {item.measure}", item)
            steps.append(_policy_step(parts, item.finding.firing))
        return steps

    def _merge_steps(self, applied: Applied) -> list[_Placed]:
        """One step for each person whose violations were merged (合并处理), on the finding whose measure was
        raised: how many violations were merged, the heaviest measure among them and the grade it was raised to."""
        merge = self.policy.merge
        steps = []
        for outcome in applied.outcomes.values():
            item, heaviest = outcome.best, outcome.raised_from
            if merge is None or item is None or heaviest is None:
                continue
            merged = len(outcome.merged)
            key = (merge.id, merged, heaviest.form, heaviest.measure, item.form, item.measure, item.version)
            parts = self._policy_parts.get(key)
            if parts is None:  # no ids among the facts: a cached determination serves like cases whatever their ids
                facts = {"violations": merged, "heaviest": f"form {heaviest.form}: {heaviest.measure}"}
                parts = self._policy_parts_of(key, merge, facts, f"form {item.form}: {item.measure}", item)
            steps.append(_policy_step(parts, item.finding.firing))
        return steps

    def _policy_parts_of(
        self, key: tuple[Any, ...], step: PolicyStep, facts: dict[str, Any], effect: str, item: Resolved
    ) -> _PolicyParts:
        """What a step of the policy's own (a cap or a measure scale) shows beside its finding's target, kept by
        ``key``: everything it shows is drawn from the pack and the finding's content, never from the case."""
        if len(self._policy_parts) >= _MEMO:
            self._policy_parts.clear()
        version = str(item.version)
        cites = tuple(self.pack.versions.shown_cites(tuple(step.cites), version))
        parts = self._policy_parts[key] = (step.id, step.title, cites, tuple(facts.items()), effect, version)
        return parts

    def _step(self, f: Firing, version: str) -> _Placed:
        """The trace step of firing ``f`` under ``version``, placed in the trace: what it shows beside its target and
        facts (the effect described, the rule's title and citations as ``version`` numbers them) is worked out once
        per (rule, content, version) and kept."""
        key = (f.rule, f.what, version)
        parts = self._parts.get(key)
        if parts is None:
            if len(self._parts) >= _MEMO:
                self._parts.clear()
            title = self.pack.rule(f.rule).title
            parts = self._parts[key] = (describe(f), title, tuple(self._cites(f.rule, version)))
        effect, title, cites = parts
        person, violation = f.person, f.violation
        # built from the engine's own checked data: construct without re-validating
        step = assemble(
            TraceStep,
            {
                "rule": f.rule,
                "title": title,
                "cites": list(cites),
                "person": person,
                "violation": violation,
                "facts": dict(f.facts),
                "effect": effect,
                "version": version,
            },
        )
        return trace_keys(person, violation, f.rule, effect), f.facts, step

    # ------------------------------------------------------------------------------------------------------

    def with_cache(self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES) -> Self:
        """This engine with its own bounded cache of determinations by canonical facts (`engine.cache`)."""
        cached = copy.copy(self)
        cached.cache = DeterminationCache(FactPlan.for_pack(self.pack), max_entries=max_entries, max_bytes=max_bytes)
        return cached

    def with_runtime(self, name: str) -> Self:
        """This engine, matching its rules with the runtime ``name``: ``durable`` (durable_rules, the engine of
        record) or ``compiled`` (the same rules as Python loops, `accountrules.engine.compiled`).

        Raises:
            UsageError: ``name`` is neither.
        """
        if name not in ENGINES:
            raise UsageError(f"no rule engine '{name}'; choose one of: {', '.join(ENGINES)}")
        chosen = copy.copy(self)
        chosen.runtime = name
        # made now: a pack durable_rules refuses is refused here, not at the first case
        chosen._made = runtime_for(self.pack) if name == "durable" else compiled_for(self.pack)
        return chosen

    def with_limits(self, limits: CaseLimits) -> Self:
        """This engine, refusing cases that ask for more work than ``limits`` allow (`CaseLimitError`)."""
        limited = copy.copy(self)
        limited.limits = limits
        return limited


def _policy_step(parts: _PolicyParts, firing: Firing) -> _Placed:
    """A step of the policy's own on ``firing``'s finding, placed in the trace."""
    rule, title, cites, facts, effect, version = parts
    person, violation = firing.person, firing.violation
    step = assemble(
        TraceStep,
        {
            "rule": rule,
            "title": title,
            "cites": list(cites),
            "person": person,
            "violation": violation,
            "facts": dict(facts),
            "effect": effect,
            "version": version,
        },
    )
    return trace_keys(person, violation, rule, effect), facts, step


def _in_trace_order(made: list[_Placed]) -> list[TraceStep]:
    """The steps in `trace_order`. Its last key, the facts' ``repr``, only breaks ties of the others, which are
    rare, so the steps are sorted by the others and each run of equals by the ``repr`` of its facts alone."""
    made.sort(key=_first_keys)
    keys = [placed[0] for placed in made]
    if not any(map(operator.eq, keys, itertools.islice(keys, 1, None))):
        return [step for _, _, step in made]
    steps: list[TraceStep] = []
    for _, run in itertools.groupby(made, key=_first_keys):
        tied = list(run)
        steps.extend(step for _, _, step in (sorted(tied, key=_facts_repr) if len(tied) > 1 else tied))
    return steps


#: A placed step's `trace_keys`.
_first_keys: Callable[[_Placed], TraceKeys] = operator.itemgetter(0)


def _facts_repr(placed: _Placed) -> str:
    return repr(placed[1])


def _former(person: Person, case: Case) -> bool:
    """终身问责: the person had left the position before the decision (SPEC §9.2)."""
    end = person.in_office.end if person.in_office is not None else None
    return end is not None and case.decided_on is not None and end < case.decided_on
