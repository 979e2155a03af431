"""The declared policy that drives resolution (SPEC D11): tables, orders, tallies and modifier semantics.

Rules say *which* findings, modifiers and refusals apply; the policy says how they combine. The resolver in
`accountrules.engine.resolve` is generic: change the policy and the arithmetic changes with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accountrules.vocabulary import (
    AGGRAVATING_ACTS,
    FAILURE_ACTS,
    FAVOURABLE_ACTS,
    FORM_MEASURES,
    MEASURE_PLACES,
    Act,
    Measure,
    ModifierKind,
    Responsibility,
    Severity,
)

Form = Annotated[int, Field(ge=0, le=4)]
#: A [lowest, highest] pair, written as a YAML list.
FormRange = Annotated[tuple[Form, Form], Field(strict=False)]
#: The measures a finding may take in a form, lightest first, and the index of the one it starts at.
Scale = tuple[tuple[str, ...], int]


class _Policy(BaseModel):
    #: Validators are built on the first validation: a pack kept from an earlier run (`stored`) needs none.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class FindingKind(_Policy):
    """How findings of one kind are gathered and resolved."""

    #: ``one``: the findings of this kind on one (person, violation, decision) are candidates; the best wins.
    pick: Literal["all", "one"] = "all"
    #: The lowest form a finding of this kind may resolve to (微错必究 keeps offences at 1).
    floor: Form = 0
    #: Whether a person with a finding of this kind counts as examined in 一案双查.
    examined: bool = False


class TallyStep(_Policy):
    at_least: Annotated[int, Field(ge=1)]
    modifier: ModifierKind


class ModifierEffect(_Policy):
    """Where a modifier puts the form: at an end of the range, shifted, with the lightest or heaviest measure.

    ``measure: heavier`` is the heavier measure within the range (从重): the lightest measure of the form it is
    placed at when the range spans more than one form or the form is shifted above it; when the range is that one
    form, the form's second measure, the heavier of its two party sanctions (严重警告 over 警告, 留党察看 over
    撤销党内职务; in the first form 批评教育 over 谈话提醒)."""

    at: Literal["lo", "hi", "zero"]
    shift: int = 0
    measure: Literal["lightest", "heavier", "heaviest"] = "lightest"
    #: Forms at or above this are left where they are when shifting up (4 stays 4).
    max: Form = 4
    #: Whether the form may go below the floor of the finding's kind (容错 exempts an offender, V6).
    below_floor: bool = False


class ConsequenceFloor(_Policy):
    """An accident grade: reaching any one of its counts puts the violation's severity at least at ``severity``."""

    severity: Severity
    deaths: Annotated[int, Field(ge=1)] | None = None
    serious_injuries: Annotated[int, Field(ge=1)] | None = None
    direct_loss_cny: Annotated[int, Field(ge=1)] | None = None

    def reached(self, deaths: int, serious_injuries: int, direct_loss_cny: int) -> bool:
        return any(
            bound is not None and count >= bound
            for bound, count in (
                (self.deaths, deaths),
                (self.serious_injuries, serious_injuries),
                (self.direct_loss_cny, direct_loss_cny),
            )
        )


class ActGroups(_Policy):
    """The groups of acts that D11 speaks of (SPEC §2's by default): a mitigating act never raises anyone's
    result, a failure or an aggravating act never lowers it. `rules verify` checks it; explain offers the failures
    as what a missing person's record could hold."""

    mitigating: list[Act] = Field(default_factory=lambda: list(FAVOURABLE_ACTS))
    failure: list[Act] = Field(default_factory=lambda: list(FAILURE_ACTS))
    aggravating: list[Act] = Field(default_factory=lambda: list(AGGRAVATING_ACTS))

    def direction(self, act: str) -> int:
        """+1 for an act that never lowers a result, -1 for one that never raises it, 0 for no claim."""
        if act in self.failure or act in self.aggravating:
            return 1
        return -1 if act in self.mitigating else 0


class PolicyStep(_Policy):
    """A step of the trace that the policy takes rather than a rule: an id (no rule's), a title and citations,
    as a rule has."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]*$")
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    cites: list[str] = Field(min_length=1)

    @property
    def title(self) -> str:
        return f"{self.title_zh} / {self.title_en}"


class MeasureScale(PolicyStep):
    """The measures that findings of some kinds and responsibilities may take in one form, and the one they take
    when no modifier places them (D11 reads the form's measures in §2's order, from the lightest, where no scale
    applies). 从轻 and 减轻 take the scale's first measure, 从重 on a one-form range the one after ``start``, 顶格
    its last: a heavier modifier never gives a lighter measure."""

    basis: str = Field(min_length=1)
    kinds: list[str] = Field(min_length=1)
    responsibilities: list[Responsibility] = Field(min_length=1)
    form: Annotated[int, Field(ge=1, le=4)]
    #: The form's measures a finding may take, lightest first; absent: all of them.
    measures: list[Measure] | None = None
    #: The measure taken with no modifier; absent: the first of ``measures``.
    start: Measure | None = None
    #: Only for a finding whose effective range reaches above ``form`` (it sits at the lower end of a wider
    #: range); such a scale wins over one without the condition.
    above: bool = False

    @model_validator(mode="after")
    def _within_form(self) -> MeasureScale:
        order = FORM_MEASURES[self.form]
        measures = self.scale
        unknown = [m for m in measures if m not in order]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not a measure of form {self.form}; its measures are {list(order)}")
        if list(measures) != sorted(set(measures), key=order.index):
            raise ValueError(
                f"measures must be unique and lightest first, as form {self.form} orders them: {list(order)}"
            )
        if self.start is not None and self.start not in measures:
            raise ValueError(f"start '{self.start}' is not among the scale's measures {list(measures)}")
        return self

    @property
    def scale(self) -> tuple[str, ...]:
        """The measures, lightest first."""
        return tuple(self.measures) if self.measures is not None else FORM_MEASURES[self.form]

    @property
    def start_index(self) -> int:
        return self.scale.index(self.start) if self.start is not None else 0

    def applies(self, kind: str, responsibility: str, form: int, highest: int) -> bool:
        """Whether a finding of ``kind`` and ``responsibility`` whose effective range reaches ``highest``, placed
        at ``form``, takes its measure from this scale."""
        return (
            form == self.form
            and kind in self.kinds
            and responsibility in self.responsibilities
            and (not self.above or highest > form)
        )


class Merge(PolicyStep):
    """合并处理 (disc2015:23, disc2018:23, disc2023:24): a person with findings of ``kinds`` on at least
    ``at_least`` distinct violations, each resolved to a measure from the first of ``scale`` to its last (the party
    sanctions, and the adjustments of post that sit among them), is given the grade of ``scale`` above the heaviest
    of those measures; the scale's last measure (expulsion) stays where it is, and a finding outside the scale (a
    first-form measure, a crime's case transfer) neither counts nor is raised. A grade that the person cannot
    receive (V9: no removal from a party post they do not hold) is passed over. The result is decided by
    ``modifier``; the trace's step (``id``, titles, ``cites``) says why."""

    kinds: list[str] = Field(min_length=1)
    at_least: Annotated[int, Field(ge=2)] = 2
    #: The grades raised along, lightest first: party sanctions, each heavier than the one before.
    scale: list[Measure] = Field(min_length=2)
    #: The deciding modifier of a raised result (加重: the regulations' own word for a grade above).
    modifier: ModifierKind = "increased"

    @model_validator(mode="after")
    def _ascending(self) -> Merge:
        unknown = [m for m in self.scale if _place(m)[0] not in (2, 3)]
        if unknown:
            raise ValueError(f"scale: '{unknown[0]}' is not a sanction of the second or third form")
        places = [_place(m) for m in self.scale]
        if places != sorted(set(places)):
            raise ValueError("scale: give each measure once, lightest first (form, then the form's own order)")
        return self

    def counts(self, form: int, measure: str) -> bool:
        """Whether a finding resolved to (``form``, ``measure``) counts: it lies from the scale's first grade to its
        last (a measure among them that is not a grade, an adjustment of post, counts as the grade below it)."""
        return _place(self.scale[0]) <= (form, _place(measure)[1]) <= _place(self.scale[-1])

    def raise_one(self, form: int, measure: str, receivable: Callable[[str], bool]) -> str | None:
        """The first grade of the scale above (``form``, ``measure``) that the person can receive, or None: nothing
        above it (expulsion stays expulsion). Never lighter for a heavier measure."""
        place = (form, _place(measure)[1])
        return next((m for m in self.scale if _place(m) > place and receivable(m)), None)


def _place(measure: str) -> tuple[int, int]:
    """A measure's place among all measures: its form, then its place in the form ((-1, -1) for none)."""
    return MEASURE_PLACES.get(measure, (-1, -1))


def table_row(index: int, rows: int) -> int:
    """The row of a table of ``rows`` rows that ``index`` reads: the first below it, the last beyond it."""
    return max(0, min(index, rows - 1))


class Policy(_Policy):
    severity_index: dict[Severity, Annotated[int, Field(ge=0)]]
    #: ``suspected_crime`` counts as this severity when indexing tables.
    crime_severity: Severity
    tables: dict[str, list[FormRange]]
    finding_kinds: dict[str, FindingKind]
    #: Earlier wins ties, both among candidates and among a person's findings.
    responsibility_order: list[Responsibility]
    #: Responsibilities whose range is capped at its lowest form (the effective range).
    cap_at_lowest: list[Responsibility] = Field(default_factory=list)
    #: The trace's step for a capped range: it shows the finding's range held at its lowest form, and why.
    cap_step: PolicyStep | None = None
    #: 合并处理: several violations of one person merged and the heaviest sanction raised one grade; absent: a
    #: person's result is their heaviest resolved finding alone.
    merge: Merge | None = None
    tallies: dict[str, list[TallyStep]] = Field(default_factory=dict)
    #: Aggravating modifiers, in the order that breaks ties between equal (form, measure).
    aggravations: list[ModifierKind]
    #: Mitigating modifiers; the first present applies when no aggravation does.
    mitigations: list[ModifierKind]
    modifier_effects: dict[ModifierKind, ModifierEffect]
    #: Order of the deciding modifier when two findings tie; ``none`` stands for no modifier.
    deciding_order: list[ModifierKind | Literal["none"]]
    #: A finding whose effective lowest form is at least this cannot be mitigated: each mitigation present is
    #: refused as outweighed (V2: a suspected crime stays in the fourth form).
    unmitigated_from: Form | None = None
    #: SPEC §9.3 V11: accident grades, each setting a floor under the severity of a violation whose consequences
    #: reach it; empty: consequences change no severity.
    consequence_floors: list[ConsequenceFloor] = Field(default_factory=list)
    #: Responsibility of a person who is listed as missing and has no finding.
    missing_responsibility: Responsibility = "undetermined"
    #: Responsibility of the organisation when at least one measure applies to it.
    organization_responsibility: Responsibility = "overall_leadership"
    act_groups: ActGroups = Field(default_factory=ActGroups)
    #: Case fields (as paths: ``violations[].severity``) whose rise never lowers anyone's result (D11); absent:
    #: the fields the case model marks ``raising``.
    raising: list[str] | None = None
    #: The measures a finding may take within a form, and the one it starts at, by kind and responsibility.
    measure_scales: list[MeasureScale] = Field(default_factory=list)
    #: Case flags (as paths) that are recorded as refused leniency and change nothing else (D5, D6), each named
    #: after the refusal kind it records; absent: every flag of the case named after a refusal kind.
    refused: list[str] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        for table, rows in self.tables.items():
            if not rows:
                raise ValueError(f"table '{table}' is empty")
            for lo, hi in rows:
                if lo > hi:
                    raise ValueError(f"table '{table}' has a range [{lo}, {hi}] whose lowest is above its highest")
        for kind in [*self.aggravations, *self.mitigations]:
            if kind not in self.modifier_effects:
                raise ValueError(f"modifier '{kind}' has no entry in modifier_effects")
        for name, steps in self.tallies.items():
            for step in steps:
                if step.modifier not in self.modifier_effects:
                    raise ValueError(f"tally '{name}' yields '{step.modifier}', which has no modifier_effects entry")
        missing = set(self.severity_index) ^ {"minor", "ordinary", "serious", "grave"}
        if missing:
            raise ValueError(f"severity_index must list every severity; check {sorted(missing)}")
        return self

    def merge_problems(self) -> list[tuple[str, str]]:
        """What is wrong with ``merge`` beside the rest of the policy, by key: a kind the policy does not declare, or
        a deciding modifier that is no aggravation."""
        merge = self.merge
        if merge is None:
            return []
        problems = []
        unknown = [k for k in merge.kinds if k not in self.finding_kinds]
        if unknown:
            known = ", ".join(self.finding_kinds)
            problems.append(("kinds", f"kind '{unknown[0]}' is not one of the policy's finding_kinds ({known})"))
        if merge.modifier not in self.aggravations:
            known = ", ".join(self.aggravations)
            problems.append(("modifier", f"'{merge.modifier}' is not one of the policy's aggravations ({known})"))
        return problems

    def scale_problems(self) -> list[tuple[int, str]]:
        """What is wrong with ``measure_scales`` as a whole, by entry: a kind the policy does not declare, or a
        (kind, responsibility, form) given two scales of the same condition."""
        problems: list[tuple[int, str]] = []
        seen: dict[tuple[str, str, int, bool], str] = {}
        for i, scale in enumerate(self.measure_scales):
            unknown = [k for k in scale.kinds if k not in self.finding_kinds]
            if unknown:
                known = ", ".join(self.finding_kinds)
                problems.append((i, f"kind '{unknown[0]}' is not one of the policy's finding_kinds ({known})"))
                continue
            for kind in scale.kinds:
                for responsibility in scale.responsibilities:
                    key = (kind, responsibility, scale.form, scale.above)
                    if key in seen and not any(j == i for j, _ in problems):
                        problems.append(
                            (
                                i,
                                f"{kind} findings with {responsibility} in form {scale.form} already take their "
                                f"measures from {seen[key]}; give each kind, responsibility and form one scale",
                            )
                        )
                    seen.setdefault(key, scale.id)
        return problems

    def scale_of(self, kind: str, responsibility: str, form: int, highest: int) -> MeasureScale | None:
        """The declared scale a finding takes its measure from at ``form`` (``highest``: the highest form of its
        effective range), or None: the form's measures from the lightest."""
        found = [s for s in self.measure_scales if s.applies(kind, responsibility, form, highest)]
        return max(found, key=lambda s: s.above) if found else None  # a wider range's scale wins over the general

    def scale_for(self, kind: str, responsibility: str, form: int, highest: int) -> Scale:
        """The measures a finding may take at ``form``, lightest first, and the index of the one it starts at."""
        scale = self.scale_of(kind, responsibility, form, highest)
        return (scale.scale, scale.start_index) if scale is not None else (FORM_MEASURES[form], 0)

    def graded_severity(self, severity: str, deaths: int, serious_injuries: int, direct_loss_cny: int) -> str:
        """``severity`` raised to the heaviest accident grade the consequences reach (V11); never lowered."""
        index = self.severity_index
        for grade in self.consequence_floors:
            if index[grade.severity] > index[severity] and grade.reached(  # type: ignore[index]
                deaths, serious_injuries, direct_loss_cny
            ):
                severity = grade.severity
        return severity

    def table_range(self, table: str, index: int) -> tuple[int, int]:
        rows = self.tables[table]
        return rows[table_row(index, len(rows))]

    def responsibility_rank(self, responsibility: str) -> int:
        order = self.responsibility_order
        return order.index(responsibility) if responsibility in order else len(order)
