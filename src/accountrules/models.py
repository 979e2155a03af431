"""Pydantic contracts: the case that comes in (SPEC §3) and the determination that goes out (SPEC §5)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_serializer
from pydantic_core import PydanticCustomError

from accountrules.vocabulary import (
    Act,
    Area,
    GovernmentSanction,
    Measure,
    ModifierKind,
    OrgMeasure,
    RefusalKind,
    Responsibility,
    Role,
    Scope,
    Severity,
    UnitLevel,
    ViolationKind,
)

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s]+$")]
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Unit(_Strict):
    name: Text
    level: UnitLevel


class Tenure(_Strict):
    """When a person held the position their roles describe; an open end is null (SPEC §9.1 ``in_office``)."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    start: Date | None = Field(default=None, alias="from", description="first day in office; null: always before")
    end: Date | None = Field(default=None, alias="to", description="last day in office; null: still in office")


class Person(_Strict):
    id: Id
    name: Text = ""
    position: Text = ""
    roles: list[Role] = Field(default_factory=list)
    oversees: list[Area] = Field(default_factory=list)
    personally_clean: bool = False
    party_member: bool = Field(default=True, description="党员 a member of the Party")
    public_official: bool = Field(default=True, description="公职人员 a public official")
    party_post: bool | None = Field(
        default=None,
        description="有党内职务 holds a party post; absent or null: true for the four leader roles, false otherwise",
    )
    in_office: Tenure | None = Field(default=None, description="when the roles were held; absent: throughout")

    @property
    def holds_party_post(self) -> bool:
        """``party_post``, or its default: true exactly when the person has one of the four leader roles."""
        if self.party_post is not None:
            return self.party_post
        return any(role in _LEADER_ROLES for role in self.roles)


class Consequences(_Strict):
    """What a violation caused (SPEC §9.1; read by V11's accident grades)."""

    deaths: Count = 0
    serious_injuries: Count = 0
    direct_loss_cny: Annotated[int, Field(ge=0, le=10**15)] = 0

    @property
    def any(self) -> bool:
        return bool(self.deaths or self.serious_injuries or self.direct_loss_cny)


class Violation(_Strict):
    id: Id
    kind: ViolationKind
    severity: Severity
    area: Area
    offenders: list[Id] = Field(min_length=1)
    summary: Text | None = None
    amount_cny: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    lifesaving_funds: bool = False
    suspected_crime: bool = False
    long_term_spread: bool = False
    first_offence: bool = False
    minor_error: bool = False
    many_participants: bool = False
    began_on: Date | None = Field(default=None, description="first day of the conduct; absent: ended_on")
    ended_on: Date | None = Field(
        default=None, description="last day of the conduct; absent: began_on, then the case's decided_on"
    )
    consequences: Consequences = Field(default_factory=Consequences)

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
    person: Id
    violation: Id
    acts: list[Act] = Field(default_factory=list)


class Decision(_Strict):
    id: Id
    violation: Id
    participants: list[Id] = Field(min_length=1)
    advocates: list[Id] = Field(default_factory=list)
    objectors: list[Id] = Field(default_factory=list)


class UnitRecord(_Strict):
    violations_in_period: Count = 0
    major_corruption_in_period: Count = 0
    long_term_spread: bool = False


class Recorded(_Strict):
    form: FormNumber
    measure: Measure | None = None
    measures: list[Measure] = Field(default_factory=list, description="every measure actually taken, any order")
    government_sanction: GovernmentSanction | None = Field(default=None, description="政务处分 actually imposed")


class Case(_Strict):
    """One violation case (案件) as SPEC §3 defines it."""

    case_id: Id
    title: Text = ""
    unit: Unit
    decided_on: Date | None = None
    people: list[Person] = Field(min_length=1)
    violations: list[Violation] = Field(min_length=1)
    conduct: list[Conduct] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    unit_record: UnitRecord = Field(default_factory=UnitRecord)
    recorded: dict[Id, Recorded] = Field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------
# Output

ModelT = TypeVar("ModelT", bound=BaseModel)


def assemble(cls: type[ModelT], values: dict[str, Any]) -> ModelT:
    """``cls.model_construct(**values)`` for ``values`` that give every field: the engine's own, already checked
    output, built without pydantic's per-call field bookkeeping (one determination holds some fifty models)."""
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


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
    person: str
    name: str
    responsibility: Responsibility
    scope: Scope
    range: tuple[int, int] | None
    form: int | None
    measure: Measure | None
    modifiers: list[Modifier]
    refused: list[Refusal]
    findings: list[str]


class Organization(_Out):
    unit: str
    responsibility: Responsibility
    measures: list[OrgMeasure]


class MissingLink(_Out):
    person: str
    violation: str


class DualInvestigation(_Out):
    complete: bool
    examined: list[str]
    missing: list[MissingLink]


class TraceStep(_Out):
    rule: str
    title: str
    cites: list[str]
    person: str | None
    violation: str | None
    facts: dict[str, Any]
    effect: str


class RulePackInfo(_Out):
    name: str
    version: str
    digest: str


class Determination(_Out):
    """What the rules recommend for one case (SPEC §5). People decide."""

    case_id: str
    rulepack: RulePackInfo
    people: list[PersonResult]
    organization: Organization
    publicize: bool
    dual_investigation: DualInvestigation
    trace: list[TraceStep]

    def to_json(self, indent: int | None = 2) -> str:
        """The canonical JSON bytes: the same case and pack always give the same text."""
        return self.model_dump_json(indent=indent)

    def person(self, person_id: str) -> PersonResult:
        for result in self.people:
            if result.person == person_id:
                return result
        raise KeyError(person_id)
