"""`Engine`: a case in, a `Determination` out, through two durable_rules stages and one resolution."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from accountrules.engine.cache import DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, DeterminationCache, FactPlan
from accountrules.engine.compiled import DEFAULT_ENGINE, ENGINES, CompiledRuntime, compiled_for
from accountrules.engine.durable import DurableRuntime, runtime_for
from accountrules.engine.firings import Firing, describe
from accountrules.engine.flatten import Fact, fact_id, flatten
from accountrules.engine.resolve import Attached, Finding, Outcome, Resolved, Resolver
from accountrules.errors import UsageError
from accountrules.models import (
    Case,
    Determination,
    DualInvestigation,
    MissingLink,
    Modifier,
    Organization,
    PersonResult,
    Refusal,
    RulePackInfo,
    TraceStep,
    assemble,
    missing_order,
    result_order,
    trace_order,
)
from accountrules.rulepack.pack import RulePack, load_default, load_pack
from accountrules.validation import DEFAULT_LIMITS, CaseLimits, parse_case, parse_case_text
from accountrules.vocabulary import OrgMeasure, values

if TYPE_CHECKING:
    from typing_extensions import Self

CaseInput = Case | Mapping[str, Any] | str | bytes

Arrange = Callable[[list[Fact]], list[Fact]]


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

    @property
    def firings(self) -> list[Firing]:
        """The firings of both stages."""
        return self.first.firings + self.second.firings


_ENGINES: dict[tuple[type[Engine], str], Engine] = {}
_ENGINES_LOCK = threading.Lock()
_ADJUSTMENTS = ("modifier", "tally", "refusal")


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
        self._resolver = Resolver(pack.policy)
        #: Which runtime matches the rules (`with_runtime`): durable_rules, the engine of record, by default.
        self.runtime = DEFAULT_ENGINE
        self._runtime: DurableRuntime | CompiledRuntime = runtime_for(pack)
        self._info = RulePackInfo(name=pack.name, version=pack.version, digest=pack.digest)
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
        first = self._run_stage("facts", facts, arrange)
        findings = [f for f in first if f.effect == "finding"]
        adjustments = [f for f in first if f.effect in _ADJUSTMENTS]
        standing = self._resolver.select(findings)
        outcomes = self._resolver.resolve(standing, adjustments)
        resolved_facts = facts + self._resolved_facts(findings, outcomes, first)
        second = self._run_stage("resolved", resolved_facts, arrange)
        return CaseEvaluation(
            case=case,
            first=StageRun(facts, first),
            second=StageRun(resolved_facts, second),
            standing=standing,
            outcomes=outcomes,
            determination=self._determination(case, first + second, outcomes),
        )

    def _run_stage(self, stage: str, facts: list[Fact], arrange: Arrange | None) -> list[Firing]:
        """Run one stage's rules over ``facts`` in durable_rules and return the distinct firings."""
        return self._runtime.run(stage, facts if arrange is None else arrange(facts))

    @staticmethod
    def _resolved_facts(findings: list[Firing], outcomes: dict[str, Outcome], first: list[Firing]) -> list[Fact]:
        out: dict[str, Fact] = {}
        for f in findings:
            kind, responsibility = f.found.kind, f.found.responsibility
            key = fact_id("candidate", f.person or "", f.violation or "", kind, responsibility)
            out[key] = {
                "t": "candidate",
                "id": key,
                "p": f.person or "",
                "v": f.violation or "",
                "kind": kind,
                "responsibility": responsibility,
            }
        for outcome in outcomes.values():
            for item in outcome.resolved:
                f = item.finding.firing
                key = fact_id("result", f.person or "", f.violation or "", item.finding.kind, str(item.form))
                out[key] = {
                    "t": "result",
                    "id": key,
                    "p": f.person or "",
                    "v": f.violation or "",
                    "kind": item.finding.kind,
                    "form": item.form,
                }
        for f in first:
            if f.effect == "organization":
                key = fact_id("org", f.measure)
                out[key] = {"t": "org", "id": key, "measure": f.measure}
        return [out[k] for k in sorted(out)]

    # ------------------------------------------------------------------------------------------------------

    def _determination(self, case: Case, firings: list[Firing], outcomes: dict[str, Outcome]) -> Determination:
        names = {p.id: p.name for p in case.people}
        missing = sorted({(str(f.person), str(f.violation)) for f in firings if f.effect == "missing"})
        people = [self._person_result(outcome, names) for outcome in outcomes.values()]
        for pid in sorted({p for p, _ in missing} - set(outcomes)):
            people.append(
                PersonResult(
                    person=pid,
                    name=names.get(pid, ""),
                    responsibility=self.policy.missing_responsibility,
                    scope="individual",
                    range=None,
                    form=None,
                    measure=None,
                    modifiers=[],
                    refused=[],
                    findings=[],
                )
            )
        people.sort(key=result_order)
        examined = sorted(
            person
            for person, outcome in outcomes.items()
            if any(self.policy.finding_kinds[i.finding.kind].examined for i in outcome.resolved)
        )
        order = values(OrgMeasure)
        measures = sorted({f.measure for f in firings if f.effect == "organization"}, key=order.index)
        organization = Organization(
            unit=case.unit.name,
            responsibility=self.policy.organization_responsibility if measures else "none",
            measures=measures,  # type: ignore[arg-type]
        )
        return Determination(
            case_id=case.case_id,
            rulepack=self._info,
            people=people,
            organization=organization,
            publicize=any(f.effect == "publicize" for f in firings),
            dual_investigation=DualInvestigation(
                complete=not missing,
                examined=examined,
                missing=sorted((MissingLink(person=p, violation=v) for p, v in missing), key=missing_order),
            ),
            trace=self._trace(firings, outcomes),
        )

    def _cites(self, rule_id: str) -> list[str]:
        return list(self.pack.rule(rule_id).cites)

    def _person_result(self, outcome: Outcome, names: dict[str, str]) -> PersonResult:
        best: Resolved = outcome.best  # type: ignore[assignment]
        finding = best.finding
        modifiers = []
        if best.deciding is not None:
            modifiers.append(
                assemble(
                    Modifier,
                    {"kind": best.deciding.kind, "rule": best.deciding.rule, "cites": self._cites(best.deciding.rule)},
                )
            )
        return assemble(
            PersonResult,
            {
                "person": outcome.person,
                "name": names.get(outcome.person, ""),
                "responsibility": finding.responsibility,
                "scope": finding.scope,
                "range": best.effective,
                "form": best.form,
                "measure": best.measure,
                "modifiers": modifiers,
                "refused": [self._refusal(r) for r in outcome.refused],
                "findings": outcome.findings,
            },
        )

    def _refusal(self, refusal: Attached) -> Refusal:
        return assemble(
            Refusal,
            {"kind": refusal.kind, "rule": refusal.rule, "cites": self._cites(refusal.rule), "detail": refusal.detail},
        )

    def _trace(self, firings: list[Firing], outcomes: dict[str, Outcome]) -> list[TraceStep]:
        """One step per firing that produced or changed a standing finding, plus links, organisation, publicity."""
        shown: dict[tuple[Any, ...], Firing] = {}
        for outcome in outcomes.values():
            for item in outcome.resolved:
                shown[item.finding.firing.key] = item.finding.firing
                for adj in item.adjustments:
                    shown[adj.key] = adj
        for f in firings:
            if f.effect in {"missing", "organization", "publicize"}:
                shown[f.key] = f
        ordered = sorted(
            (trace_order(f.person, f.violation, f.rule, describe(f), repr(f.facts)), f) for f in shown.values()
        )
        return [self._step(f, order.effect) for order, f in ordered]

    def _step(self, f: Firing, effect: str) -> TraceStep:
        rule = self.pack.rule(f.rule)
        # built from the engine's own checked data: construct without re-validating
        return assemble(
            TraceStep,
            {
                "rule": f.rule,
                "title": rule.title,
                "cites": list(rule.cites),
                "person": f.person,
                "violation": f.violation,
                "facts": f.facts_dict(),
                "effect": effect,
            },
        )

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
        chosen._runtime = runtime_for(self.pack) if name == "durable" else compiled_for(self.pack)
        return chosen

    def with_limits(self, limits: CaseLimits) -> Self:
        """This engine, refusing cases that ask for more work than ``limits`` allow (`CaseLimitError`)."""
        limited = copy.copy(self)
        limited.limits = limits
        return limited
