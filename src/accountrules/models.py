"""Pydantic contracts: the case that comes in (SPEC §3) and the determination that goes out (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from accountrules.vocabulary import (
    Act,
    Area,
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Unit(_Strict):
    name: Text
    level: UnitLevel


class Person(_Strict):
    id: Id
    name: Text = ""
    position: Text = ""
    roles: list[Role] = Field(default_factory=list)
    oversees: list[Area] = Field(default_factory=list)
    personally_clean: bool = False


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


class Case(_Strict):
    """One violation case (案件) as SPEC §3 defines it."""

    case_id: Id
    title: Text = ""
    unit: Unit
    decided_on: Annotated[dt.date, Field(strict=False)] | None = None
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
