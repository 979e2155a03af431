"""Pydantic contracts: the case that comes in (SPEC §3) and the determination that goes out (SPEC §5)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_serializer
from pydantic_core import PydanticCustomError

from accountrules.errors import UnknownPersonError
from accountrules.vocabulary import (
    Act,
    Area,
    GovernmentSanction,
    InForceReason,
    Measure,
    ModifierKind,
    NoteCode,
    OrgMeasure,
    RefusalKind,
    Responsibility,
    Role,
    Scope,
    Severity,
    UnitLevel,
    ViolationKind,
)

#: An id: one word, without spaces or control characters (which no terminal or report should receive raw).
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f\x7f-\x9f]+$")]
Text = Annotated[str, Field(max_length=10_000)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
FormNumber = Annotated[int, Field(ge=0, le=4)]


_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value: Any) -> Any:
    """A date is the string ``YYYY-MM-DD`` (or, from Python, a ``date``): no timestamps, no times of day."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE_SHAPE.fullmatch(value):
        return value
    raise PydanticCustomError("date_type", "expected a date written YYYY-MM-DD")


#: A calendar date, written ``YYYY-MM-DD`` in JSON and nothing else (SPEC §9.1).
Date = Annotated[dt.date, BeforeValidator(_date_text), Field(strict=False)]
#: The roles that hold a party post unless the case says otherwise (SPEC §9.1 ``party_post``).
_LEADER_ROLES = frozenset({"principal_leader", "leader_in_charge", "team_member", "discipline_inspection"})


@dataclass(frozen=True)
class Readable:
    """Marks a case field that rules may read: it becomes a field of the fact its object is flattened to (see
    `accountrules.rulepack.facts`, which derives the facts, the cache key, the verify space and explain's moves
    from these marks). The field is a bool, a whole number or a vocabulary value.

    Args:
        label: (中文, English); None takes the vocabulary's label of the field's name.
        ordered: its values are in order (explain moves it one step up and down).
        samples: the whole numbers the verify space and explain try beside the pack's own thresholds.
        raising: a higher value never lowers anyone's result (SPEC D11; `rules verify` checks it unless the
            pack's policy lists its own ``raising`` fields).
    """

    label: tuple[str, str] | None = None
    ordered: bool = False
    samples: tuple[int, ...] = ()
    raising: bool = False


READ = Readable()
#: A field whose rise never lowers a result (SPEC D11).
RAISING = Readable(raising=True)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Unit(_Strict):
    """单位 The unit whose leadership team is looked back on."""

    name: Text = Field(description="单位名称 the unit whose leadership is looked back on")
    level: Annotated[UnitLevel, Readable(("单位层级", "unit level"))] = Field(description="单位层级 the unit's level")


class Tenure(_Strict):
    """任职期间 When a person held the position their roles describe; an open end is null."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    start: Date | None = Field(
        default=None, alias="from", description="任职起始日期 first day in office; null: always before"
    )
    end: Date | None = Field(
        default=None, alias="to", description="任职截止日期 last day in office; null: still in office"
    )

    def overlaps(self, began: dt.date, ended: dt.date) -> bool:
        """Whether the tenure shares at least one day with [began, ended] (both ends inclusive)."""
        return (self.start is None or self.start <= ended) and (self.end is None or began <= self.end)


class Person(_Strict):
    """人员 Someone involved in the case: an offender, a leader linked to a violation, or both."""

    id: Id = Field(description="编号 a short id used everywhere else in the case (no spaces)")
    name: Text = Field(default="", description="姓名 the person's name (never decides anything)")
    position: Text = Field(default="", description="职务 the person's position in words (never decides anything)")
    roles: list[Role] = Field(
        default_factory=list, description="角色 how the person stands to the unit; a person may hold several roles"
    )
    oversees: list[Area] = Field(
        default_factory=list, description="分管领域 the areas the person is directly in charge of"
    )
    personally_clean: Annotated[bool, READ] = Field(
        default=False,
        description="本人廉洁 personally clean (no defence for the principal leader of a unit with many problems)",
    )
    party_member: bool = Field(default=True, description="党员 a member of the Party")
    public_official: bool = Field(default=True, description="公职人员 a public official")
    party_post: bool | None = Field(
        default=None,
        description="有党内职务 holds a party post; absent or null: true for the four leader roles, false otherwise",
    )
    in_office: Tenure | None = Field(default=None, description="任职期间 when the roles were held; absent: throughout")

    @property
    def holds_party_post(self) -> bool:
        """``party_post``, or its default: true exactly when the person has one of the four leader roles."""
        if self.party_post is not None:
            return self.party_post
        return not _LEADER_ROLES.isdisjoint(self.roles)


class Consequences(_Strict):
    """后果 What a violation caused: deaths, injuries and direct loss raise its severity as accident grades do."""

    deaths: Annotated[Count, Readable(("死亡人数", "deaths"), raising=True)] = Field(
        default=0, description="死亡人数 deaths caused"
    )
    serious_injuries: Annotated[Count, Readable(("重伤人数", "serious injuries"), raising=True)] = Field(
        default=0, description="重伤人数 serious injuries caused"
    )
    direct_loss_cny: Annotated[
        int, Field(ge=0, le=10**15), Readable(("直接经济损失（元）", "direct loss (CNY)"), raising=True)
    ] = Field(default=0, description="直接经济损失 direct economic loss in yuan")

    @property
    def any(self) -> bool:
        return bool(self.deaths or self.serious_injuries or self.direct_loss_cny)


#: The consequences of a violation that gives none: one frozen model serves them all (building one per violation
#: took a tenth of reading a case).
_NO_CONSEQUENCES = Consequences()


class Violation(_Strict):
    """违纪问题 One violation: what was done wrong, by whom, how seriously, in which area."""

    id: Id = Field(description="编号 a short id used everywhere else in the case (no spaces)")
    kind: Annotated[ViolationKind, Readable(("违纪类别", "kind of violation"))] = Field(
        description="违纪类型 what kind of violation it is"
    )
    severity: Annotated[Severity, Readable(("情节", "severity"), ordered=True, raising=True)] = Field(
        description="情节 how serious it is; a suspected crime counts as the gravest"
    )
    area: Annotated[Area, Readable(("领域", "area"))] = Field(description="领域 the area of work it happened in")
    offenders: list[Id] = Field(min_length=1, description="当事人 the ids of the people who committed it")
    summary: Text | None = Field(default=None, description="案情 what happened, in words (never decides anything)")
    amount_cny: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        default=None,
        description="涉案金额 the amount involved in yuan (only compared with the criminal threshold, for a note)",
    )
    lifesaving_funds: Annotated[bool, RAISING] = Field(
        default=False,
        description="群众救命钱 the money taken was the people's life-saving funds (低保, relief, medical aid …)",
    )
    suspected_crime: Annotated[bool, RAISING] = Field(
        default=False, description="涉嫌违法犯罪 the conduct is suspected of being a crime"
    )
    long_term_spread: Annotated[bool, RAISING] = Field(
        default=False, description="不正之风长期滋长蔓延 the problem spread in the unit over a long time"
    )
    first_offence: Annotated[bool, READ] = Field(
        default=False, description="初犯 the offender's first violation (recorded and refused as a mitigation)"
    )
    minor_error: Annotated[bool, READ] = Field(
        default=False, description="微错 a small error (recorded and refused as a mitigation)"
    )
    many_participants: Annotated[bool, READ] = Field(
        default=False, description="法不责众 many people took part (recorded and refused as a mitigation)"
    )
    began_on: Date | None = Field(default=None, description="行为开始日期 first day of the conduct; absent: ended_on")
    ended_on: Date | None = Field(
        default=None,
        description="行为结束日期 last day of the conduct; absent: began_on, then the case's decided_on",
    )
    consequences: Consequences = Field(
        default_factory=lambda: _NO_CONSEQUENCES,
        description="后果 deaths, injuries and losses it caused (they raise its severity as accident grades do)",
    )

    @property
    def dated(self) -> bool:
        """Whether the conduct has a date of its own (a violation with none overlaps every tenure, V10)."""
        return self.began_on is not None or self.ended_on is not None

    def period(self, decided_on: dt.date | None) -> tuple[dt.date, dt.date] | None:
        """[began_on, ended_on] after SPEC §9.1's defaults, or None when no date is known at all."""
        ended = self.ended_on or self.began_on or decided_on
        began = self.began_on or ended
        return None if began is None or ended is None else (began, ended)


class Conduct(_Strict):
    """表现 What one person did about one violation."""

    person: Id = Field(description="人员 the person whose conduct this is")
    violation: Id = Field(description="违纪问题 the violation the conduct is about")
    acts: list[Act] = Field(
        default_factory=list, description="行为 what the person did about the violation, each act once"
    )


class Decision(_Strict):
    """集体决策 A collective decision that lies behind a violation."""

    id: Id = Field(description="编号 a short id for the collective decision")
    violation: Id = Field(description="违纪问题 the violation the decision lies behind")
    participants: list[Id] = Field(min_length=1, description="参与决策者 everyone who took part in the decision")
    advocates: list[Id] = Field(default_factory=list, description="主张者 participants who pushed for it")
    objectors: list[Id] = Field(
        default_factory=list,
        description="明确反对或保留者 participants who clearly objected or reserved (they bear no responsibility)",
    )


class UnitRecord(_Strict):
    """单位情况 The unit's record over the period under review."""

    violations_in_period: Annotated[Count, Readable(("期内违纪问题数", "violations in the period"))] = Field(
        default=0, description="期内违纪问题数 violations in the unit during the period under review"
    )
    major_corruption_in_period: Annotated[Count, Readable(("期内重大腐败案件数", "major corruption in the period"))] = (
        Field(default=0, description="期内重大腐败案件数 major corruption cases in the unit during the period")
    )
    long_term_spread: Annotated[bool, RAISING] = Field(
        default=False, description="不正之风长期滋长蔓延 the unit let a problem spread over a long time"
    )


class Recorded(_Strict):
    """原处理结果 What was actually decided for one person in a historical case."""

    form: FormNumber = Field(description="形态 the form actually decided, 0–4")
    measure: Measure | None = Field(default=None, description="措施 the heaviest measure actually taken")
    measures: list[Measure] = Field(
        default_factory=list, description="全部措施 every measure actually taken, any order"
    )
    government_sanction: GovernmentSanction | None = Field(default=None, description="政务处分 actually imposed")


#: The unit record of a case that gives none (zeros and false), one frozen model for all.
_NO_UNIT_RECORD = UnitRecord()


class Case(_Strict):
    """One violation case (案件): the unit, the people, the violations, and what each person did about each."""

    case_id: Id = Field(description="案件编号 the case's own number")
    title: Text = Field(default="", description="案件名称 the case's title (never decides anything)")
    unit: Unit = Field(description="单位 the unit whose leadership team is looked back on")
    decided_on: Date | None = Field(
        default=None,
        description="决定日期 the date of the decision, YYYY-MM-DD",
    )
    people: list[Person] = Field(
        min_length=1, description="人员 everyone involved: offenders and the leaders linked to them"
    )
    violations: list[Violation] = Field(min_length=1, description="违纪问题 the violations of the case")
    conduct: list[Conduct] = Field(
        default_factory=list,
        description="表现 what each person did about each violation, one entry per (person, violation)",
    )
    decisions: list[Decision] = Field(
        default_factory=list, description="集体决策 collective decisions behind a violation"
    )
    unit_record: UnitRecord = Field(
        default_factory=lambda: _NO_UNIT_RECORD,
        description="单位情况 the unit's record in the period (absent: zeros and false)",
    )
    recorded: dict[Id, Recorded] = Field(
        default_factory=dict,
        description="原处理结果 what was actually decided, by person id (read only by consistency checks)",
    )


# ---------------------------------------------------------------------------------------------------------------
# Output

ModelT = TypeVar("ModelT", bound=BaseModel)


#: The setters of the four slots every pydantic model has (`assemble` fills them as ``model_construct`` does).
_SET_DICT, _SET_FIELDS_SET, _SET_EXTRA, _SET_PRIVATE = (
    BaseModel.__dict__[name].__set__
    for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
)


#: The names of every field of each model class `assemble` has built.
_EVERY_FIELD: dict[type[BaseModel], set[str]] = {}


def assemble(cls: type[ModelT], values: dict[str, Any]) -> ModelT:
    """``cls.model_construct(**values)`` for ``values`` that give every field: the engine's own, already checked
    output, built without pydantic's per-call field bookkeeping (one determination holds some fifty models). The
    slots are set through their own descriptors, which ``object.__setattr__`` would look up by name each time.

    The models of a class given every field share one set of fields given (``model_fields_set``): the output
    models are frozen, so nothing adds to it, and pydantic copies it before changing it (``model_copy``). A set
    per model was a tenth of a model's making, and the most of what the collector walks through per case."""
    model = object.__new__(cls)
    _SET_DICT(model, values)
    every = _EVERY_FIELD.get(cls)
    if every is None:
        every = _EVERY_FIELD[cls] = set(cls.model_fields)
    _SET_FIELDS_SET(model, every if len(values) == len(every) else set(values))
    _SET_EXTRA(model, None)
    _SET_PRIVATE(model, None)
    return model


@dataclass(frozen=True)
class CaseValue:
    """Marks an output field that holds one of the case's own values: a person's or a violation's id (or a list of
    them), the name of the person the same model names, the unit's name, or the case id. Nothing else in a
    determination depends on what the case calls things, so the cache (`accountrules.engine.cache`) stores a
    determination with these replaced by labels and fills them back in, model and JSON alike, from these marks.
    """

    what: Literal["person", "violation", "name", "unit", "case_id"]


PersonId = Annotated[str, CaseValue("person")]
ViolationId = Annotated[str, CaseValue("violation")]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Modifier(_Out):
    kind: ModifierKind
    rule: str
    cites: list[str]


class Refusal(_Out):
    kind: RefusalKind
    rule: str
    cites: list[str]
    detail: ModifierKind | None = None

    @model_serializer(mode="plain")
    def _drop_empty_detail(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "rule": self.rule, "cites": list(self.cites)}
        if self.detail is not None:
            out["detail"] = self.detail
        return out


class PersonResult(_Out):
    """人员结果 One person's recommended result: the heaviest of their findings."""

    person: PersonId = Field(description="人员 the person's id")
    name: Annotated[str, CaseValue("name")] = Field(description="姓名 the person's name")
    responsibility: Responsibility = Field(description="责任 the responsibility the person bears")
    scope: Scope = Field(description="范围 individual or collective responsibility")
    range: tuple[int, int] | None = Field(description="幅度 the range of forms the rules give, [lowest, highest]")
    form: int | None = Field(description="形态 the recommended form (四种形态), 0–4; null while undetermined")
    measure: Measure | None = Field(description="措施 the deciding measure")
    modifiers: list[Modifier] = Field(description="情节 the modifier that decided the form, if any")
    refused: list[Refusal] = Field(description="不予采纳 mitigations recorded and refused")
    findings: list[str] = Field(description="认定规则 the rules that produced findings for the person")
    measures: list[Measure] = Field(
        description="全部措施 every recommended measure, the deciding one first, the others lightest first"
    )
    government_sanction: GovernmentSanction | None = Field(
        description="政务处分 the government sanction of a public official, if any"
    )
    waiting_period_months: int | None = Field(
        description="影响期 the longest bar on promotion, in months, that the measures and the sanction carry"
    )
    former: bool = Field(description="已离任 had left the position before the decision (终身问责)")


class Organization(_Out):
    unit: Annotated[str, CaseValue("unit")]
    responsibility: Responsibility
    measures: list[OrgMeasure]


class MissingLink(_Out):
    person: PersonId
    violation: ViolationId


class DualInvestigation(_Out):
    complete: bool
    examined: list[PersonId]
    missing: list[MissingLink]


class TraceStep(_Out):
    rule: str
    title: str
    cites: list[str]
    person: PersonId | None
    violation: ViolationId | None
    facts: dict[str, Any]
    effect: str
    #: The version of the regulations whose rules this step belongs to (SPEC §9.4).
    version: str


class RulesInForce(_Out):
    """Which versions of the regulations judge one violation: the one in force when its conduct ended, and the
    one in force on the decision's day where it is lighter for someone (从旧兼从轻)."""

    violation: ViolationId = Field(description="违纪问题 the violation")
    conduct: str = Field(description="行为时规定 the version in force when the conduct ended")
    decision: str = Field(description="处理时规定 the version in force on the day of the decision")
    why: InForceReason = Field(description="依据 why the conduct's version is the one it is")
    lighter_new: list[PersonId] = Field(
        description="从轻适用新规定 the people judged by the decision's version because it is strictly lighter"
    )


class Note(_Out):
    """Something the people who decide should know; it never changes a result."""

    code: NoteCode = Field(description="代码 what kind of note")
    message: str = Field(description="内容 the note, Chinese first")
    person: PersonId | None = Field(default=None, description="人员 the person it concerns")
    violation: ViolationId | None = Field(default=None, description="违纪问题 the violation it concerns")

    @model_serializer(mode="plain")
    def _drop_absent(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.person is not None:
            out["person"] = self.person
        if self.violation is not None:
            out["violation"] = self.violation
        return out


# The orders of a determination's lists, declared once: the engine sorts by them, and the cache sorts a
# determination restored for other ids by them again (`LIST_ORDERS`). Lists of ids (examined people, each entry's
# lighter_new) are sorted by id.


def result_order(result: PersonResult) -> str:
    """People by id."""
    return result.person


def missing_order(link: MissingLink) -> tuple[str, str]:
    """Missing links by person, then violation."""
    return (link.person, link.violation)


def in_force_order(entry: RulesInForce) -> str:
    """Rules in force by violation (SPEC §9.2)."""
    return entry.violation


def note_order(note: Note) -> tuple[str, bool, str, bool, str]:
    """Notes by code, person and violation, absent ones first (SPEC §9.2)."""
    return (note.code, note.person is not None, note.person or "", note.violation is not None, note.violation or "")


class TraceOrder(NamedTuple):
    """Where a step goes in the trace (SPEC §5): by person (the unit's steps last), violation (steps on none
    last), rule, effect and facts (their ``repr`` as (name, value) pairs)."""

    no_person: bool
    person: str
    no_violation: bool
    violation: str
    rule: str
    effect: str
    facts: str


#: `TraceOrder` without its last key.
TraceKeys = tuple[bool, str, bool, str, str, str]


def trace_keys(person: str | None, violation: str | None, rule: str, effect: str) -> TraceKeys:
    """`trace_order`'s keys but the last (the facts' ``repr``), which only breaks ties of these."""
    return (person is None, person or "", violation is None, violation or "", rule, effect)


def trace_order(person: str | None, violation: str | None, rule: str, effect: str, facts: str) -> TraceOrder:
    return TraceOrder(*trace_keys(person, violation, rule, effect), facts)


def step_order(step: TraceStep) -> TraceOrder:
    return trace_order(step.person, step.violation, step.rule, step.effect, repr(tuple(step.facts.items())))


#: The order of every output list whose items hold a `CaseValue`, by the items' model.
LIST_ORDERS: dict[type[BaseModel], Callable[[Any], Any]] = {
    PersonResult: result_order,
    MissingLink: missing_order,
    RulesInForce: in_force_order,
    Note: note_order,
    TraceStep: step_order,
}


class RulePackInfo(_Out):
    name: str
    version: str
    digest: str


class Determination(_Out):
    """问责建议 What the rules recommend for one case. People decide."""

    case_id: Annotated[str, CaseValue("case_id")] = Field(description="案件编号 the case's own number")
    rulepack: RulePackInfo = Field(description="规则包 the rule pack that decided: name, version and digest")
    people: list[PersonResult] = Field(description="人员 every person with a finding or missing, by id")
    organization: Organization = Field(
        description="组织 the responsibility and measures of the unit's party organisation"
    )
    publicize: bool = Field(description="公开曝光 whether the case should be made public")
    dual_investigation: DualInvestigation = Field(
        description="一案双查 whether every linked leader was looked back on, and who was not"
    )
    rules_in_force: list[RulesInForce] = Field(
        description="适用规定 the versions of the regulations that judge each violation (从旧兼从轻)"
    )
    notes: list[Note] = Field(description="提示 what the people who decide should know; notes never change a result")
    trace: list[TraceStep] = Field(description="推理过程 every rule firing that produced or changed a finding, cited")

    def to_json(self, indent: int | None = 2) -> str:
        """The canonical JSON text: the same case and pack always give the same text."""
        return self.model_dump_json(indent=indent)

    def person(self, person_id: str) -> PersonResult:
        for result in self.people:
            if result.person == person_id:
                return result
        raise UnknownPersonError(
            f"no person '{person_id}' in the determination of case {self.case_id} "
            f"(people are: {', '.join(p.person for p in self.people)})"
        )
