"""Golden tests as data: YAML files of cases with the determination a rule pack must give them.

A pack's tests live in its ``tests/`` folder, one principle per file::

    principle: D7
    title: 顶格处理 top of the range for life-saving funds
    cases:
      - name: the offender of life-saving funds is dealt with at the top of the range
        rules: [O-LIFESAVING]            # the rules this case pins: without any of them it must fail
        case: {…}                        # a case as SPEC §3 writes it (case_id defaults to the file and index)
        expect:
          people:                        # every person of the determination, and no one else
            p1: {responsibility: direct, range: [2, 3], form: 3, measure: expulsion,
                 modifiers: [top_of_range], refused: [first_offence], findings: [O-SEVERITY-SERIOUS]}
          organization: {responsibility: none, measures: []}
          publicize: true
          dual_investigation: {complete: true, examined: [], missing: []}

Only the fields written are compared; ``people`` must name exactly the people the determination holds.
``modifiers`` lists modifier kinds, ``refused`` lists refusal kinds (``outweighed:lighter`` with its detail),
``missing`` lists ``person/violation``. ``case_file`` may name a case file (relative to the test file) instead
of ``case``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accountrules.errors import AccountRulesError, RulePackError
from accountrules.models import Determination, PersonResult
from accountrules.rulepack.yamlfile import LineList, LineMap, line_at, plain, read_yaml
from accountrules.validation import json_path, parse_case, suggest


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PersonExpectation(_Spec):
    name: str | None = None
    responsibility: str | None = None
    scope: Literal["individual", "collective"] | None = None
    range: list[int] | None = None
    form: int | None = None
    measure: str | None = None
    modifiers: list[str] | None = None
    refused: list[str] | None = None
    findings: list[str] | None = None
    #: Write ``undetermined: true`` for a missing person with no finding (null range, form and measure).
    undetermined: bool | None = None
    measures: list[str] | None = None
    #: ``none`` for no government sanction.
    government_sanction: str | None = None
    #: ``0`` for no bar on promotion.
    waiting_period_months: int | None = None
    former: bool | None = None


class InForceExpectation(_Spec):
    conduct: str | None = None
    decision: str | None = None
    why: str | None = None
    lighter_new: list[str] | None = None


class OrganizationExpectation(_Spec):
    responsibility: str | None = None
    measures: list[str] | None = None


class DualExpectation(_Spec):
    complete: bool | None = None
    examined: list[str] | None = None
    missing: list[str] | None = None


class Expectation(_Spec):
    people: dict[str, PersonExpectation] | None = None
    organization: OrganizationExpectation | None = None
    publicize: bool | None = None
    dual_investigation: DualExpectation | None = None
    #: By violation: the versions that judge it (SPEC §9.2).
    rules_in_force: dict[str, InForceExpectation] | None = None
    #: Every note, each ``code/person/violation`` with ``-`` for an absent part, in the determination's order.
    notes: list[str] | None = None


class CaseSpec(_Spec):
    name: str = Field(min_length=1)
    rules: list[str] = Field(default_factory=list)
    case: dict[str, Any] | None = None
    case_file: str | None = None
    expect: Expectation


class FileSpec(_Spec):
    principle: str | None = None
    title: str | None = None
    cases: list[CaseSpec] = Field(min_length=1)


@dataclass(frozen=True)
class GoldenCase:
    """One case of a golden file, with the place it was written."""

    path: Path
    line: int
    index: int
    principle: str | None
    name: str
    rules: tuple[str, ...]
    case: dict[str, Any]
    expect: Expectation

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def id(self) -> str:
        return f"{self.path.stem}[{self.index}] {self.name}"


@dataclass(frozen=True)
class Mismatch:
    """One field where the determination differs from what the test expects."""

    path: str
    expected: Any
    got: Any

    def __str__(self) -> str:
        return f"{self.path}: expected {_show(self.expected)}, got {_show(self.got)}"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class GoldenResult:
    golden: GoldenCase
    mismatches: tuple[Mismatch, ...]
    determination: Determination | None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


# ---------------------------------------------------------------------------------------------------------------
# Loading


def golden_files(directory: Path) -> list[Path]:
    """The YAML test files of a pack's ``tests`` folder, sorted."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def load_golden_file(path: Path) -> list[GoldenCase]:
    """The cases of one golden file; a malformed file is a `RulePackError` naming its line."""
    data = read_yaml(path)
    if not isinstance(data, LineMap):
        raise RulePackError("a golden test file is a mapping with `cases:`", path, 1)
    try:
        spec = FileSpec.model_validate(plain(data))
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        message = err["msg"][0].lower() + err["msg"][1:]
        if err["type"] == "extra_forbidden":
            known = _known_keys(loc)
            message = f"unknown key '{loc[-1]}'.{suggest(str(loc[-1]), known)} Keys here: {', '.join(known)}"
        raise RulePackError(f"{json_path(loc)}: {message}", path, line_at(data, loc)) from None
    items: LineList = data["cases"]
    out = []
    for i, case_spec in enumerate(spec.cases):
        line = items.item_lines[i]
        out.append(
            GoldenCase(
                path=path,
                line=line,
                index=i,
                principle=spec.principle,
                name=case_spec.name,
                rules=tuple(case_spec.rules),
                case=_case_of(case_spec, path, line, i),
                expect=case_spec.expect,
            )
        )
    return out


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    models: dict[str, type[BaseModel]] = {
        "cases": CaseSpec,
        "expect": Expectation,
        "people": PersonExpectation,
        "organization": OrganizationExpectation,
        "dual_investigation": DualExpectation,
    }
    named = [part for part in loc[:-1] if isinstance(part, str)]
    model: type[BaseModel] = FileSpec
    for part in named:
        model = models.get(part, model)
    return list(model.model_fields)


def _case_of(spec: CaseSpec, path: Path, line: int, index: int) -> dict[str, Any]:
    if (spec.case is None) == (spec.case_file is None):
        raise RulePackError(f"case '{spec.name}': give either `case` or `case_file`", path, line)
    if spec.case_file is not None:
        file = path.parent / spec.case_file
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RulePackError(f"case '{spec.name}': cannot read case_file {file}: {exc}", path, line) from None
        if not isinstance(loaded, dict):
            raise RulePackError(f"case '{spec.name}': case_file {file} does not hold a JSON object", path, line)
        return loaded
    case = dict(spec.case or {})
    case.setdefault("case_id", f"{path.stem}-{index + 1}")
    return case


def load_goldens(paths: Iterable[Path]) -> list[GoldenCase]:
    return [golden for path in paths for golden in load_golden_file(path)]


# ---------------------------------------------------------------------------------------------------------------
# Comparing


def compare(expect: Expectation, d: Determination) -> list[Mismatch]:
    """Every difference between what ``expect`` writes and the determination ``d``."""
    out: list[Mismatch] = []
    if expect.people is not None:
        got = {p.person: p for p in d.people}
        if sorted(expect.people) != sorted(got):
            out.append(Mismatch("people", sorted(expect.people), sorted(got)))
        for pid, person in expect.people.items():
            if pid in got:
                out.extend(_compare_person(f"people.{pid}", person, got[pid]))
    if expect.organization is not None:
        org = expect.organization
        if org.responsibility is not None and org.responsibility != d.organization.responsibility:
            out.append(Mismatch("organization.responsibility", org.responsibility, d.organization.responsibility))
        if org.measures is not None and org.measures != list(d.organization.measures):
            out.append(Mismatch("organization.measures", org.measures, list(d.organization.measures)))
    if expect.publicize is not None and expect.publicize != d.publicize:
        out.append(Mismatch("publicize", expect.publicize, d.publicize))
    if expect.dual_investigation is not None:
        dual, got_dual = expect.dual_investigation, d.dual_investigation
        if dual.complete is not None and dual.complete != got_dual.complete:
            out.append(Mismatch("dual_investigation.complete", dual.complete, got_dual.complete))
        if dual.examined is not None and dual.examined != list(got_dual.examined):
            out.append(Mismatch("dual_investigation.examined", dual.examined, list(got_dual.examined)))
        missing = [f"{m.person}/{m.violation}" for m in got_dual.missing]
        if dual.missing is not None and dual.missing != missing:
            out.append(Mismatch("dual_investigation.missing", dual.missing, missing))
    if expect.rules_in_force is not None:
        got_in_force = {r.violation: r for r in d.rules_in_force}
        for vid, wanted in expect.rules_in_force.items():
            entry = got_in_force.get(vid)
            for name in InForceExpectation.model_fields:
                value = getattr(wanted, name)
                actual = getattr(entry, name, None)
                if value is not None and value != (list(actual) if isinstance(actual, list) else actual):
                    out.append(Mismatch(f"rules_in_force.{vid}.{name}", value, actual))
    if expect.notes is not None:
        notes = [f"{n.code}/{n.person or '-'}/{n.violation or '-'}" for n in d.notes]
        if expect.notes != notes:
            out.append(Mismatch("notes", expect.notes, notes))
    return out


def _compare_person(where: str, expect: PersonExpectation, got: PersonResult) -> list[Mismatch]:
    actual: dict[str, Any] = {
        "name": got.name,
        "responsibility": got.responsibility,
        "scope": got.scope,
        "range": list(got.range) if got.range is not None else None,
        "form": got.form,
        "measure": got.measure,
        "modifiers": [m.kind for m in got.modifiers],
        "refused": [r.kind + (f":{r.detail}" if r.detail else "") for r in got.refused],
        "findings": list(got.findings),
        "undetermined": got.form is None,
        "measures": list(got.measures),
        "government_sanction": got.government_sanction or "none",
        "waiting_period_months": got.waiting_period_months or 0,
        "former": got.former,
    }
    out = []
    for name in PersonExpectation.model_fields:
        wanted = getattr(expect, name)
        if wanted is not None and wanted != actual[name]:
            out.append(Mismatch(f"{where}.{name}", wanted, actual[name]))
    return out


def run_golden(engine: Any, golden: GoldenCase) -> GoldenResult:
    """Evaluate one golden case with ``engine`` (an `Engine`) and compare."""
    try:
        determination = engine.evaluate_valid(parse_case(golden.case, golden.id))
    except AccountRulesError as exc:
        return GoldenResult(golden, (), None, str(exc))
    return GoldenResult(golden, tuple(compare(golden.expect, determination)), determination)


def run_goldens(engine: Any, goldens: Sequence[GoldenCase]) -> list[GoldenResult]:
    return [run_golden(engine, g) for g in goldens]


def failure_report(result: GoldenResult, file: str | None = None) -> str:
    """File (``file`` in place of the golden's path, when given), case, what was expected, what came out, and the
    trace that led there."""
    golden = result.golden
    where = f"{file}:{golden.line}" if file is not None else golden.where
    lines = [f"{where}: {golden.name}" + (f" ({golden.principle})" if golden.principle else "")]
    if result.error:
        lines.append(f"  error: {result.error}")
        return "\n".join(lines)
    lines.extend(f"  {m}" for m in result.mismatches)
    d = result.determination
    if d is not None:
        lines.append("  trace:")
        for i, step in enumerate(d.trace, 1):
            target = " ".join(x for x in (step.person, step.violation) if x) or "unit"
            facts = ", ".join(f"{k}={_show(v)}" for k, v in step.facts.items())
            lines.append(f"  {i:>3}. {step.rule} {target}: {facts or '—'} → {step.effect}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# The report of a run (``accountrules rules test``)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldenOutcome(_Out):
    """One golden case: where it is written, whether the determination held what it expects, and if not, why."""

    file: str
    line: int
    principle: str | None
    name: str
    passed: bool
    error: str | None = Field(description="why the case could not be evaluated")
    mismatches: list[Mismatch]
    failure: str | None = Field(description="the failure as text: the mismatches and the trace; null when passed")


class PackName(_Out):
    name: str
    version: str


class GoldenReport(_Out):
    """What ``accountrules rules test`` finds (its ``--format json``)."""

    pack: PackName
    passed: int
    failed: int
    cases: list[GoldenOutcome]


def golden_report(pack: Any, results: Sequence[GoldenResult], shown: Callable[[Path], str] = str) -> GoldenReport:
    """The results of a run against ``pack``, each file named by ``shown`` (for instance relative to a folder)."""
    cases = [
        GoldenOutcome(
            file=shown(r.golden.path),
            line=r.golden.line,
            principle=r.golden.principle,
            name=r.golden.name,
            passed=r.passed,
            error=r.error,
            mismatches=list(r.mismatches),
            failure=None if r.passed else failure_report(r, shown(r.golden.path)),
        )
        for r in results
    ]
    failed = sum(1 for c in cases if not c.passed)
    return GoldenReport(
        pack=PackName(name=pack.name, version=pack.version), passed=len(cases) - failed, failed=failed, cases=cases
    )
