"""What a rule is: its metadata, its conditions (patterns over facts) and its one effect.

Conditions are written in YAML as a list of patterns, one fact each::

    when:
      - act: {as: a, act: [failed_to_stop, dereliction]}     # a fact of type `act`, one of two values
      - role: {person: $a.person, role: principal_leader}     # joined to the act on the person
      - violation: {as: v, violation: $a.violation}
      - not offender: {person: $a.person, violation: $a.violation}  # no such fact

A value is a constant, a list (one of), ``$alias.field`` (equal to a field of an earlier pattern) or a
one-key mapping ``{not: …}``, ``{">=": 3}``, ``{"<": 2}``; ``any: [{…}, {…}]`` holds when one of its
alternatives does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from accountrules.vocabulary import Measure, ModifierKind, NoteCode, OrgMeasure, RefusalKind, Responsibility, Scope

REF_PATTERN = r"^\$[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
RefStr = Annotated[str, Field(pattern=REF_PATTERN)]
RULE_ID_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"

COMPARISONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


@dataclass(frozen=True)
class Ref:
    """A field of the fact matched by an earlier pattern: ``$alias.field``."""

    alias: str
    field: str

    @classmethod
    def parse(cls, text: str) -> Ref:
        alias, _, name = text[1:].partition(".")
        return cls(alias, name)

    def __str__(self) -> str:
        return f"${self.alias}.{self.field}"


@dataclass(frozen=True)
class Test:
    """One condition on one field. ``op`` is eq, ne, in, not_in, lt, le, gt, ge or any."""

    field: str
    op: str
    value: Any
    line: int = 0


@dataclass(frozen=True)
class Pattern:
    fact: str
    alias: str
    negated: bool
    tests: tuple[Test, ...]
    line: int = 0

    def constant_fields(self) -> tuple[str, ...]:
        """Fields this pattern tests against constants: the facts a trace step shows."""
        names: list[str] = []
        for t in leaf_tests(self.tests):
            if not isinstance(t.value, Ref) and t.field not in names:
                names.append(t.field)
        return tuple(names)


def leaf_tests(tests: Iterable[Test]) -> Iterator[Test]:
    """Every condition on a field, with the alternatives of ``any`` opened up."""
    for test in tests:
        if test.op == "any":
            for alternative in test.value:
                yield from leaf_tests(alternative)
        else:
            yield test


class _Spec(BaseModel):
    #: Validators are built on the first validation: a pack kept from an earlier run (`stored`) needs none.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Title(_Spec):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class TableRange(_Spec):
    """A range looked up in one of the policy's tables at the sum of ``index`` (refs and numbers)."""

    table: str
    index: list[int | RefStr] = Field(min_length=1)


class FindingEffect(_Spec):
    kind: str
    person: RefStr
    violation: RefStr | None = None
    decision: RefStr | None = None
    responsibility: Responsibility
    scope: Scope = "individual"
    range: Annotated[tuple[int, int], Field(strict=False)] | TableRange


class ModifierEffect(_Spec):
    kind: ModifierKind
    person: RefStr
    violation: RefStr | None = None
    applies_to: list[str] = Field(min_length=1)


class TallyEffect(_Spec):
    name: str
    token: RefStr | str
    person: RefStr
    violation: RefStr | None = None
    applies_to: list[str] = Field(min_length=1)


class RefusalEffect(_Spec):
    kind: RefusalKind | RefStr
    person: RefStr
    violation: RefStr | None = None
    applies_to: list[str] = Field(min_length=1)


class MeasureEffect(_Spec):
    """A measure recommended beside the deciding one (V2, V4), on findings that resolve to ``at_least`` or
    heavier (form, measure); more serious results never lose it."""

    add: Measure
    person: RefStr
    violation: RefStr | None = None
    applies_to: list[str] = Field(min_length=1)
    at_least: Annotated[tuple[int, Measure], Field(strict=False)] | None = None


class NoteEffect(_Spec):
    """A note for the people who decide; it never changes a result."""

    code: NoteCode
    person: RefStr | None = None
    violation: RefStr | None = None


class MissingEffect(_Spec):
    person: RefStr
    violation: RefStr


class OrganizationEffect(_Spec):
    measure: OrgMeasure


class Then(_Spec):
    """Exactly one effect."""

    finding: FindingEffect | None = None
    modifier: ModifierEffect | None = None
    tally: TallyEffect | None = None
    refusal: RefusalEffect | None = None
    measure: MeasureEffect | None = None
    note: NoteEffect | None = None
    missing: MissingEffect | None = None
    organization: OrganizationEffect | None = None
    publicize: Literal[True] | None = None

    def effect(self) -> tuple[str, Any]:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise ValueError("no effect")


class RuleSpec(_Spec):
    """A rule as written in YAML, before its conditions are parsed."""

    id: Annotated[str, Field(pattern=RULE_ID_PATTERN)]
    title: Title
    cites: list[str] = Field(min_length=1)
    basis: str = Field(min_length=1)
    verified: bool = True
    #: The versions (ids, or regulations they combine) in which the rule holds; absent: every version.
    versions: list[str] | None = Field(default=None, min_length=1)
    stage: Literal["facts", "resolved"] = "facts"
    salience: int = 0
    when: list[dict[str, Any]] = Field(min_length=1)
    then: Then


@dataclass(frozen=True)
class Rule:
    """A loaded, validated rule."""

    id: str
    title_zh: str
    title_en: str
    cites: tuple[str, ...]
    basis: str
    verified: bool
    stage: str
    salience: int
    patterns: tuple[Pattern, ...]
    effect_kind: str
    effect: Any
    source: Path
    line: int
    #: For each trace key, the (alias, field) it reads.
    fact_keys: tuple[tuple[str, str, str], ...] = field(default=())
    #: The ids of the versions in which the rule holds.
    versions: frozenset[str] = field(default=frozenset())

    @property
    def title(self) -> str:
        return f"{self.title_zh} / {self.title_en}"

    def effect_refs(self) -> list[Ref]:
        """Every ``$alias.field`` the effect reads."""
        refs: list[Ref] = []
        if not isinstance(self.effect, BaseModel):
            return refs
        for name in type(self.effect).model_fields:  # read as they are: no serializer is built for this
            value = getattr(self.effect, name)
            items = getattr(value, "index", []) if isinstance(value, BaseModel) else [value]
            refs.extend(Ref.parse(v) for v in items if isinstance(v, str) and v.startswith("$"))
        return refs

    def positive(self) -> tuple[Pattern, ...]:
        return tuple(p for p in self.patterns if not p.negated)

    def negative(self) -> tuple[Pattern, ...]:
        return tuple(p for p in self.patterns if p.negated)
