"""The finite fact space of a rule pack: the values its conditions tell apart, and small cases built from them.

A pack's conditions only compare a field with constants, with thresholds or with another field, so the values
of every field fall into classes that no rule can tell apart: the ten public-interest areas against the four
others, ``violations_in_period`` below 3 against 3 and above, each act that some rule names on its own. One
representative per class stands for the whole class. Small case *templates* (one unit, one violation, its
offender, a person looked back on, a collective decision or not) combine the classes of their dimensions; the
cases of a template are its whole product when that is small, else every case within ``k`` departures from the
template's plain case, with ``k`` as large as the budget allows.

A violation's consequences (deaths, serious injuries, direct loss) are read only through the accident grade they
reach (SPEC §9.3 V11, the policy's ``consequence_floors``): each count takes the values of its grades as the pack
draws them (none, each threshold and the value just below it), and one template of their own crosses them with
what the grade is read with (the severity given, a suspected crime). The other templates leave them at none: a
grade the consequences reach is a severity, which those templates vary through every class.

A pack whose policy merges several violations of one person (合并处理, the policy's ``merge``) gets one more
template: the offence template's case with a second violation of the same offender, whose severity it varies too.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accountrules.rulepack.facts import ID_FIELDS, FactSchema, Input
from accountrules.rulepack.pack import RulePack
from accountrules.rulepack.policy import ConsequenceFloor, Policy
from accountrules.rulepack.spec import Ref, Rule, Test, leaf_tests
from accountrules.vocabulary import (
    OFFENDER_ACTS,
    Act,
    Area,
    Role,
    Severity,
    ViolationKind,
    values,
)

FieldKey = tuple[str, str]


# ---------------------------------------------------------------------------------------------------------------
# What the pack's conditions distinguish


@dataclass(frozen=True)
class ValueClass:
    """Values that no condition of the pack tells apart; ``values[0]`` stands for all of them."""

    values: tuple[Any, ...]
    #: For a class of whole numbers, the interval [low, high] (high None: no upper bound).
    interval: tuple[int, int | None] | None = None

    @property
    def rep(self) -> Any:
        return self.values[0]

    def __str__(self) -> str:
        if self.interval is not None:
            low, high = self.interval
            if high is None:
                return f"≥{low}"
            return str(low) if low == high else f"{low}–{high}"
        shown = [_show(v) for v in self.values]
        if not shown:
            return "(none)"
        return shown[0] if len(shown) == 1 else f"{shown[0]} (+{len(shown) - 1})"


def _show(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@dataclass
class Distinctions:
    """Everything the conditions and effects of a pack compare, per (fact, field)."""

    schema: FactSchema
    policy: Policy
    #: The pack's refused flags (`RulePack.refused`).
    refused: tuple[str, ...] = ()
    sets: dict[FieldKey, list[frozenset[Any]]] = field(default_factory=dict)
    boundaries: dict[FieldKey, set[int]] = field(default_factory=dict)
    #: Fields whose every value matters (they index a table or become part of an effect).
    exact: set[FieldKey] = field(default_factory=set)
    #: Fields compared with another fact's field.
    joined: set[FieldKey] = field(default_factory=set)
    #: Fact types some rule reads, and those read without any test on a given field.
    facts: set[str] = field(default_factory=set)
    untested: set[FieldKey] = field(default_factory=set)
    #: Act values a tally counts, and how many distinct ones can matter.
    counted: set[Any] = field(default_factory=set)
    max_count: int = 1

    def tested(self, key: FieldKey) -> bool:
        return key in self.sets or key in self.boundaries or key in self.exact or key in self.joined


def distinctions(pack: RulePack) -> Distinctions:
    """Collect what every rule of ``pack`` compares."""
    found = Distinctions(pack.facts, pack.policy, pack.refused)
    for rule in pack.rules:
        facts_of = {p.alias: p.fact for p in rule.positive()}
        for pattern in rule.patterns:
            found.facts.add(pattern.fact)
            tested_fields = set()
            for test in leaf_tests(pattern.tests):
                tested_fields.add(test.field)
                _add_test(found, (pattern.fact, test.field), test, facts_of)
            if pattern.fact in {"role", "act", "flag"} and pattern.fact not in tested_fields:
                found.untested.add((pattern.fact, pattern.fact))
        _add_effect(found, rule, facts_of)
    steps = [step.at_least for steps in pack.policy.tallies.values() for step in steps]
    found.max_count = max([1, *steps])
    table_rows = max([1, *(len(rows) for rows in pack.policy.tables.values())])
    for key in list(found.exact):
        if key[1] in {"violations_in_period", "major_corruption_in_period"}:
            found.boundaries.setdefault(key, set()).update(range(1, table_rows))
    return found


def _add_test(found: Distinctions, key: FieldKey, test: Test, facts_of: dict[str, str]) -> None:
    if isinstance(test.value, Ref):
        found.joined.add(key)
        found.joined.add((facts_of.get(test.value.alias, ""), test.value.field))
        return
    constants = test.value if test.op in {"in", "not_in"} else (test.value,)
    if test.op in {"lt", "le", "gt", "ge"} or (constants and all(_is_int(c) for c in constants)):
        bounds = found.boundaries.setdefault(key, set())
        for c in constants:
            if test.op in {"lt", "ge"}:
                bounds.add(c)
            elif test.op in {"le", "gt"}:
                bounds.add(c + 1)
            else:
                bounds.update((c, c + 1))
        return
    found.sets.setdefault(key, []).append(frozenset(constants))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _add_effect(found: Distinctions, rule: Rule, facts_of: dict[str, str]) -> None:
    """Fields an effect reads become exact; a tally's tokens are counted."""
    effect = rule.effect
    if rule.effect_kind == "tally" and isinstance(effect.token, str) and effect.token.startswith("$"):
        ref = Ref.parse(effect.token)
        pattern = next(p for p in rule.positive() if p.alias == ref.alias)
        tokens: set[Any] = set()
        for test in leaf_tests(pattern.tests):
            if test.field == ref.field and test.op in {"eq", "in"} and not isinstance(test.value, Ref):
                tokens.update(test.value if test.op == "in" else (test.value,))
        found.counted.update(tokens or values(Act))
        return
    for ref in rule.effect_refs():
        fact = facts_of.get(ref.alias, "")
        if ref.field in ID_FIELDS:
            continue
        found.exact.add((fact, ref.field))


def partition(choices: Sequence[Any], sets: Sequence[frozenset[Any]], exact: bool = False) -> list[ValueClass]:
    """Split ``choices`` into classes of values that belong to exactly the same ``sets``."""
    if exact:
        return [ValueClass((c,)) for c in choices]
    groups: dict[tuple[bool, ...], list[Any]] = {}
    for choice in choices:
        groups.setdefault(tuple(choice in s for s in sets), []).append(choice)
    return [ValueClass(tuple(g)) for g in groups.values()]


def intervals(boundaries: set[int]) -> list[ValueClass]:
    """Whole numbers from 0 split at ``boundaries`` (each the lowest value of a new class)."""
    cuts = sorted(b for b in boundaries if b > 0)
    starts = [0, *cuts]
    out = []
    for i, low in enumerate(starts):
        high = starts[i + 1] - 1 if i + 1 < len(starts) else None
        out.append(ValueClass((low,), (low, high)))
    return out


@dataclass(frozen=True)
class Classes:
    """The classes of every field a template varies, derived from one pack."""

    kinds: list[ValueClass]
    areas: list[ValueClass]
    severities: list[ValueClass]
    roles: list[ValueClass]
    #: Classes of acts, each with how many of its acts can matter (more than 1 when a tally counts them).
    acts: list[tuple[ValueClass, int]]
    violations_in_period: list[ValueClass]
    major_corruption_in_period: list[ValueClass]
    #: Booleans some condition reads: violation flags, the unit's spread, personally_clean.
    flags: frozenset[str]
    reads_oversees: bool
    reads_participants: bool
    #: Every other case field some condition reads (directly or through a derived fact), with its classes:
    #: fields declared after these templates were written are varied here.
    others: tuple[tuple[Input, tuple[ValueClass, ...]], ...] = ()
    #: The case's flags (booleans) that some template varies, as inputs: those in `flags`.
    flag_inputs: tuple[Input, ...] = ()
    #: Violation flags read only through a fact of the whole case (the unit's long-term spread).
    unit_wide: frozenset[str] = frozenset()
    #: What the pack says of its fields and acts (D11's raising fields and act groups, D5 and D6's refusals).
    raising: frozenset[str] = frozenset()
    refused: tuple[str, ...] = ()
    act_directions: tuple[tuple[str, int], ...] = ()
    failure_acts: tuple[str, ...] = ()
    #: The consequence counts the accident grades read (`graded_counts`), with the values of their grades.
    graded: tuple[tuple[Input, tuple[ValueClass, ...]], ...] = ()
    #: The other case fields read together with those counts (the severity given, a suspected crime).
    graded_with: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """One line per varied field, for the report."""

        def show(classes: Sequence[ValueClass]) -> str:
            return "{" + ", ".join(str(c) for c in classes) + "}"

        acts = ", ".join(f"{c}×{n}" if n > 1 else str(c) for c, n in self.acts)
        return [
            f"violation.kind {show(self.kinds)}",
            f"violation.area {show(self.areas)}",
            f"violation.severity {show(self.severities)}",
            f"role {show(self.roles)}",
            f"act {{{acts}}}",
            f"unit_record.violations_in_period {show(self.violations_in_period)}",
            f"unit_record.major_corruption_in_period {show(self.major_corruption_in_period)}",
            "flags {" + ", ".join(sorted(self.flags)) + "}",
            *(f"{i.path} {show(options)}" for i, options in self.others),
            *(f"{i.path} {show(options)}" for i, options in self.graded),
        ]

    def count(self) -> int:
        return (
            len(self.kinds)
            + len(self.areas)
            + len(self.severities)
            + len(self.roles)
            + len(self.acts)
            + len(self.violations_in_period)
            + len(self.major_corruption_in_period)
            + 2 * len(self.flags)
            + sum(len(options) for _, options in self.others)
            + sum(len(options) for _, options in self.graded)
        )


def classes_of(pack: RulePack) -> Classes:
    """The classes of values that the conditions of ``pack`` distinguish."""
    found = distinctions(pack)
    policy = pack.policy

    def sets(*keys: FieldKey) -> list[frozenset[Any]]:
        return [s for k in keys for s in found.sets.get(k, [])]

    kinds = partition(values(ViolationKind), sets(("violation", "kind")), ("violation", "kind") in found.exact)
    area_keys = (("violation", "area"), ("oversees", "area"))
    areas = partition(values(Area), sets(*area_keys), any(k in found.exact for k in area_keys))

    severity_sets = list(sets(("violation", "severity")))
    rank_key = ("violation", "severity_rank")
    for bound in found.boundaries.get(rank_key, set()):
        severity_sets.append(frozenset(sv for sv in values(Severity) if policy.severity_index[sv] >= bound))  # type: ignore[index]
    exact_severity = rank_key in found.exact or ("violation", "severity") in found.exact
    severities = partition(values(Severity), severity_sets, exact_severity)
    severities.sort(key=lambda c: policy.severity_index[c.rep])

    role_classes = partition(values(Role), sets(("role", "role")), ("role", "role") in found.exact)
    # the plainest class (the one holding staff) comes first: it is the base of every person
    role_classes.sort(key=lambda c: "staff" not in c.values)
    if ("role", "role") in found.untested:
        role_classes.insert(0, ValueClass(()))

    groups = policy.act_groups
    category_sets = [frozenset(groups.failure), frozenset(groups.aggravating), frozenset(OFFENDER_ACTS)]
    act_sets = [*sets(("act", "act")), *category_sets, frozenset(found.counted)]
    act_classes = partition(values(Act), act_sets, ("act", "act") in found.exact)
    acts = [(c, min(len(c.values), found.max_count) if set(c.values) & found.counted else 1) for c in act_classes]

    flag_inputs, unit_wide = _flags(pack, found)
    graded = graded_counts(found)
    return Classes(
        others=tuple(_other_classes(found)),
        graded=tuple(graded),
        graded_with=graded_reads(found.schema, {i.path for i, _ in graded}),
        flag_inputs=flag_inputs,
        unit_wide=unit_wide,
        raising=frozenset(pack.raising),
        refused=pack.refused,
        act_directions=tuple((act, groups.direction(act)) for act in values(Act)),
        failure_acts=tuple(groups.failure),
        kinds=kinds,
        areas=areas,
        severities=severities,
        roles=role_classes,
        acts=acts,
        violations_in_period=intervals(found.boundaries.get(("case", "violations_in_period"), set())),
        major_corruption_in_period=intervals(found.boundaries.get(("case", "major_corruption_in_period"), set())),
        flags=frozenset(_flag_name(i) for i in flag_inputs),
        reads_oversees="oversees" in found.facts,
        reads_participants="participant" in found.facts,
    )


def _flag_name(item: Input) -> str:
    """How `Classes.flags` names a flag: by its name, a flag of the unit's record with ``unit_`` before it."""
    return f"unit_{item.leaf}" if item.owner == "" else item.leaf


def _is_flag(item: Input, refused: Sequence[str]) -> bool:
    """The flags the templates vary as flags: the violation's, the unit record's and refused ones."""
    return item.type.kind == "bool" and (item.owner in {"violations", ""} or item.path in refused)


def _flags(pack: RulePack, found: Distinctions) -> tuple[tuple[Input, ...], frozenset[str]]:
    """The flags some condition reads (directly, as a ``flag`` fact or through a derived fact), and the refused
    ones, which SPEC D5 and D6 require to be recorded whether or not a condition reads them; the raising ones
    first, in the pack's order, then the others in the model's. Beside them, the violation flags read only
    through a derived fact of the whole case."""
    schema = pack.facts
    refused = pack.refused
    flag_sets = found.sets.get(("flag", "flag"), [])
    any_flag = ("flag", "flag") in found.untested and "flag" in found.facts
    derived: dict[str, set[str]] = {}
    for fact, name in (*found.sets, *found.boundaries, *found.exact, *found.joined):
        if fact in schema.kinds and fact != "flag" and name in schema.kinds[fact].fields:
            for path in _derived_reads(schema.kinds[fact].fields[name]):
                derived.setdefault(path, set()).add(fact)
    chosen = []
    unit_wide = set()
    for item in schema.inputs.values():
        if not _is_flag(item, refused):
            continue
        fact = "violation" if item.owner == "violations" else "case" if item.owner == "" else "person"
        direct = found.tested((fact, item.leaf)) and item.owner != ""
        in_flag_fact = item.owner == "violations" and (any_flag or any(item.leaf in s for s in flag_sets))
        if item.path in refused or direct or in_flag_fact or item.path in derived:
            chosen.append(item)
            if not (item.path in refused or direct or in_flag_fact) and derived[item.path] == {"case"}:
                unit_wide.add(item.path)
    order = {path: i for i, path in enumerate(pack.raising)}
    chosen.sort(key=lambda i: order.get(i.path, len(order)))
    return tuple(chosen), frozenset(unit_wide)


def _derived_reads(f: Any) -> tuple[str, ...]:
    """What a fact field reads of the case when it is derived (not a field held as it is, nor an id)."""
    return () if f.path is not None or f.type.kind == "id" else tuple(f.reads)


#: The case fields the templates below vary by hand (with the classes worked out above); every other field
#: that the pack reads is varied by `_other_classes`.
TEMPLATE_FIELDS = frozenset(
    {
        "violations[].kind",
        "violations[].area",
        "violations[].severity",
        "unit_record.violations_in_period",
        "unit_record.major_corruption_in_period",
    }
)


def read_inputs(found: Distinctions) -> set[str]:
    """The case fields some condition or effect of the pack reads, directly or through a derived fact."""
    keys = [*found.sets, *found.boundaries, *found.exact, *found.joined]
    fields: dict[str, set[str]] = {}
    for fact, name in keys:
        fields.setdefault(fact, set()).add(name)
    return found.schema.read_by(fields)


def input_classes(found: Distinctions, item: Input) -> list[ValueClass]:
    """The classes of one case field: split by the conditions on the fact fields that hold it as it is, and by
    its declared samples; every value is its own class (a number: 0 and more) when it is read only through a
    derived fact."""
    direct = [
        (kind.name, name)
        for kind in found.schema.kinds.values()
        for name, f in kind.fields.items()
        if f.path == item.path
    ]
    if item.type.kind == "int":
        bounds = set(item.samples)
        for key in direct:
            bounds |= found.boundaries.get(key, set())
        return intervals(bounds or ({1} if not direct else set()))
    if item.type.kind == "bool":
        return [ValueClass((bool(item.default),)), ValueClass((not item.default,))]
    sets = [s for key in direct for s in found.sets.get(key, [])]
    exact = not direct or any(key in found.exact for key in direct)
    classes = partition(item.type.choices, sets, exact)
    classes.sort(key=lambda c: item.default not in c.values)
    return classes


#: What an accident grade counts (SPEC §9.3 V11): the fields of the policy's ``consequence_floors`` beside the
#: severity they set, each a count of the violation's consequences of that name. The space varies them only
#: through the grades (`graded_counts`), never as fields of their own: with no floors they change nothing.
GRADE_COUNTS = {
    f"violations[].consequences.{name}": name for name in ConsequenceFloor.model_fields if name != "severity"
}


def grade_values(floors: Sequence[ConsequenceFloor], count: str) -> list[ValueClass]:
    """The values of one consequence count that the pack's accident grades tell apart: none, then for each
    threshold the value just below it and the threshold itself (its grade's lowest value)."""
    thresholds = sorted({bound for f in floors if (bound := getattr(f, count)) is not None})
    chosen = [0]
    for bound in thresholds:
        chosen.extend(v for v in (bound - 1, bound) if v > chosen[-1])
    return [ValueClass((v,), (v, v)) for v in chosen]


def graded_counts(found: Distinctions) -> list[tuple[Input, tuple[ValueClass, ...]]]:
    """The violation's consequence counts that the pack reads through its accident grades, each with the values
    of its grades (`grade_values`); none when the pack grades no consequence."""
    read = read_inputs(found)
    out = []
    for item in found.schema.inputs.values():
        if item.path in GRADE_COUNTS and item.path in read:
            options = tuple(grade_values(found.policy.consequence_floors, GRADE_COUNTS[item.path]))
            if len(options) > 1:
                out.append((item, options))
    return out


def graded_reads(schema: FactSchema, counts: set[str]) -> tuple[str, ...]:
    """The other case fields that the fact fields reading the consequence ``counts`` read (in the model's
    order): what an accident grade is read together with."""
    reads: set[str] = set()
    for kind in schema.kinds.values():
        for f in kind.fields.values():
            if counts & set(f.reads):
                reads.update(r for r in f.reads if r not in counts)
    return tuple(path for path in schema.inputs if path in reads)


def _other_classes(found: Distinctions) -> list[tuple[Input, tuple[ValueClass, ...]]]:
    read = read_inputs(found)
    out = []
    for item in found.schema.inputs.values():
        if item.path in TEMPLATE_FIELDS or item.path in GRADE_COUNTS or _is_flag(item, found.refused):
            continue
        if item.path in read and item.owner in _OWNERS:
            options = tuple(input_classes(found, item))
            if len(options) > 1:
                out.append((item, options))
    return out


#: Where a template puts a field of each owner: the violation, a person, the case.
_OWNERS = {"violations": "violation", "people": "person", "": "case"}


# ---------------------------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class Dim:
    """One dimension of a template: its options, the plain one first."""

    name: str
    options: tuple[Any, ...]
    labels: tuple[str, ...]
    #: +1: each later option is a step that D11 says never lowers a form; -1: never raises it; 0: no claim.
    direction: int = 0
    #: The refusal kind that turning this dimension on must record and that must change nothing else.
    refusal: str | None = None
    #: The case field it sets (a dimension of `Classes.others`), for `Template.case`.
    path: str | None = None

    def __post_init__(self) -> None:
        if len(self.options) != len(self.labels) or not self.options:
            raise ValueError(f"dimension {self.name}: options and labels differ")


Assignment = tuple[int, ...]


@dataclass(frozen=True)
class Template:
    """A shape of case whose dimensions take the classes of a pack.

    ``core`` dimensions are always crossed in full; the others are combined up to a number of departures from
    their plain option.
    """

    name: str
    title: str
    dims: tuple[Dim, ...]
    build: Callable[[dict[str, Any]], dict[str, Any]]
    core: frozenset[str] = frozenset()
    #: How the report names the core dimensions.
    core_label: str = ""

    @property
    def product(self) -> int:
        return math.prod(len(d.options) for d in self.dims)

    def _split(self) -> tuple[list[int], list[int]]:
        core = [i for i, d in enumerate(self.dims) if d.name in self.core]
        rest = [i for i, d in enumerate(self.dims) if d.name not in self.core]
        return core, rest

    def within(self, k: int) -> int:
        """How many cases lie within ``k`` departures (outside the core) from the plain case."""
        core, rest = self._split()
        coefficients = [1]
        for i in rest:
            extra = len(self.dims[i].options) - 1
            nxt = [0] * (len(coefficients) + 1)
            for j, c in enumerate(coefficients):
                nxt[j] += c
                nxt[j + 1] += c * extra
            coefficients = nxt
        return math.prod(len(self.dims[i].options) for i in core) * sum(coefficients[: k + 1])

    def depth_for(self, cap: int) -> int:
        """The most departures whose cases fit in ``cap``; at least 1 (every class of every dimension)."""
        _, rest = self._split()
        k = 0
        while k < len(rest) and self.within(k + 1) <= cap:
            k += 1
        return max(k, min(1, len(rest)))

    def exhaustive(self, k: int) -> bool:
        return k >= len(self._split()[1])

    def assignments(self, k: int) -> list[Assignment]:
        """Every assignment within ``k`` departures outside the core, fewest departures first, in a fixed order."""
        core, rest = self._split()
        out: list[Assignment] = []
        for core_picks in itertools.product(*(range(len(self.dims[i].options)) for i in core)):
            for size in range(min(k, len(rest)) + 1):
                for chosen in itertools.combinations(rest, size):
                    ranges = [range(1, len(self.dims[i].options)) for i in chosen]
                    for picks in itertools.product(*ranges):
                        assignment = [0] * len(self.dims)
                        for i, pick in zip(core, core_picks, strict=True):
                            assignment[i] = pick
                        for i, pick in zip(chosen, picks, strict=True):
                            assignment[i] = pick
                        out.append(tuple(assignment))
        out.sort(key=lambda a: (departures(a), a))
        return out

    def values(self, assignment: Assignment) -> dict[str, Any]:
        return {d.name: d.options[i] for d, i in zip(self.dims, assignment, strict=True)}

    def case(self, assignment: Assignment) -> dict[str, Any]:
        case = self.build(self.values(assignment))
        for dim, i in zip(self.dims, assignment, strict=True):
            if dim.path is not None and i:
                _set_input(case, dim, dim.options[i])
        return case

    def describe(self, assignment: Assignment) -> str:
        parts = [f"{d.name}={d.labels[i]}" for d, i in zip(self.dims, assignment, strict=True) if i]
        return ", ".join(parts) or "the plain case"


def departures(assignment: Assignment) -> int:
    return sum(1 for i in assignment if i)


def _flag_dim(name: str, direction: int = 0, refusal: str | None = None) -> Dim:
    return Dim(name, (False, True), ("false", "true"), direction, refusal)


def _class_dim(name: str, classes: Sequence[ValueClass], direction: int = 0) -> Dim:
    return Dim(name, tuple(c.rep for c in classes), tuple(str(c) for c in classes), direction)


def _act_dims(who: str, classes: Classes, allowed: Callable[[ValueClass], bool]) -> list[Dim]:
    dims = []
    for value_class, most in classes.acts:
        if not allowed(value_class):
            continue
        direction = dict(classes.act_directions).get(value_class.rep, 0)
        options = tuple(value_class.values[:n] for n in range(most + 1))
        labels = tuple("none" if not n else "+".join(value_class.values[:n]) for n in range(most + 1))
        dims.append(Dim(f"{who}.act[{value_class}]", options, labels, direction))
    return dims


@dataclass
class _CaseParts:
    """The pieces from which a template's builder assembles one case."""

    values: dict[str, Any]
    areas: Sequence[ValueClass]
    #: The role of a person who holds none of the roles the pack tells apart ("" for no role at all).
    plain_role: str

    def get(self, name: str, default: Any) -> Any:
        return self.values.get(name, default)

    def violation(self, offenders: list[str]) -> dict[str, Any]:
        v: dict[str, Any] = {
            "id": "v1",
            "kind": self.get("violation.kind", "corruption"),
            "severity": self.get("violation.severity", "minor"),
            "area": self.get("violation.area", "poverty_alleviation"),
            "offenders": offenders,
        }
        return v

    def acts(self, who: str) -> list[str]:
        out: list[str] = []
        for name, chosen in self.values.items():
            if name.startswith(f"{who}.act["):
                out.extend(chosen)
        return sorted(out)

    def person(self, pid: str, who: str, name: str) -> dict[str, Any]:
        person: dict[str, Any] = {"id": pid, "name": name}
        roles = [r for name, r in self.values.items() if name.startswith(f"{who}.role[") and r]
        if not roles and self.plain_role:
            roles = [self.plain_role]
        if roles:
            person["roles"] = sorted(roles)
        oversees = self.get(f"{who}.oversees", None)
        if oversees is not None:
            person["oversees"] = [self.overseen_area(oversees)]
        return person

    def overseen_area(self, relation: str) -> str:
        area = self.get("violation.area", "poverty_alleviation")
        own = next((c for c in self.areas if area in c.values), ValueClass((area,)))
        if relation == OVERSEES_SAME:
            return str(area)
        if relation == OVERSEES_SIBLING:  # the area itself when its class has no other (the same case again)
            return str(next((a for a in own.values if a != area), area))
        return str(next(c.rep for c in self.areas if area not in c.values))

    def unit_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {}
        if self.get("unit.violations_in_period", 0):
            record["violations_in_period"] = self.get("unit.violations_in_period", 0)
        if self.get("unit.major_corruption_in_period", 0):
            record["major_corruption_in_period"] = self.get("unit.major_corruption_in_period", 0)
        return record


#: How a looked-back person's overseen area relates to the violation's area.
OVERSEES_SAME = "the violation's area"
OVERSEES_SIBLING = "another area of the same class"
OVERSEES_OTHER = "an area of another class"


def _case(tag: str, parts: _CaseParts, people: list[dict[str, Any]], offenders: list[str]) -> dict[str, Any]:
    case: dict[str, Any] = {
        "case_id": tag,
        "unit": {"name": "某单位 the unit", "level": "county"},
        "people": people,
        "violations": [parts.violation(offenders)],
    }
    record = parts.unit_record()
    if record:
        case["unit_record"] = record
    return case


def _add_conduct(case: dict[str, Any], pid: str, acts: list[str], recorded: bool) -> None:
    if acts or recorded:
        case.setdefault("conduct", []).append({"person": pid, "violation": "v1", "acts": acts})


def _violation_dims(classes: Classes, *, leniency: bool = False, unit_wide: bool = True) -> list[Dim]:
    """The violation's classes and flags; ``unit_wide``: also the flags read only as part of the unit's record
    (the unit's long-term spread), ``leniency``: also the refused ones."""
    dims = [
        _class_dim("violation.kind", classes.kinds),
        _class_dim("violation.area", classes.areas),
        _class_dim("violation.severity", classes.severities, direction=1),
    ]
    flags = [i for i in classes.flag_inputs if i.owner == "violations"]
    for item in flags:
        if item.path not in classes.refused and (unit_wide or item.path not in classes.unit_wide):
            dims.append(_input_flag_dim("violation", item, classes))
    if leniency:
        dims.extend(_input_flag_dim("violation", i, classes) for i in flags if i.path in classes.refused)
    dims += _other_dims("violation", "violations", classes)
    return [d for d in dims if len(d.options) > 1]


def _unit_dims(classes: Classes) -> list[Dim]:
    dims = [
        _class_dim("unit.violations_in_period", classes.violations_in_period),
        _class_dim("unit.major_corruption_in_period", classes.major_corruption_in_period),
    ]
    dims += [_input_flag_dim("unit", i, classes) for i in classes.flag_inputs if i.owner == ""]
    dims += _other_dims("case", "", classes)
    return [d for d in dims if len(d.options) > 1]


def _other_dims(who: str, owner: str, classes: Classes) -> list[Dim]:
    """One dimension per other field of ``owner`` that the pack reads (`Classes.others`)."""
    return [
        Dim(f"{who}.{item.name}", tuple(c.rep for c in options), tuple(str(c) for c in options), path=item.path)
        for item, options in classes.others
        if item.owner == owner
    ]


def _graded_dims(classes: Classes) -> tuple[list[Dim], list[Dim]]:
    """The accident grade's dimensions: what it is read with (each class crossed in full, no claim of its own:
    the other templates check its steps), then the consequence counts, each step a rise when the pack says so."""
    with_paths = {f"violation.{path.partition('[].')[2]}" for path in classes.graded_with}
    read_with = [
        dataclasses.replace(d, direction=0, refusal=None)
        for d in _violation_dims(classes, leniency=True)
        if d.name in with_paths
    ]
    counts = [
        Dim(
            f"violation.{item.name}",
            tuple(c.rep for c in options),
            tuple(str(c) for c in options),
            1 if item.path in classes.raising else 0,
            path=item.path,
        )
        for item, options in classes.graded
    ]
    return read_with, counts


def _set_input(case: dict[str, Any], dim: Dim, value: Any) -> None:
    """Write a dimension that sets a case field into a template's case: on its violation, its person or the
    case."""
    who = dim.name.partition(".")[0]
    path = dim.path or ""
    head, many, rest = path.partition("[].")
    owner, name = (head, rest) if many else ("", path)
    if owner == "violations":
        targets = case["violations"]
    elif owner == "people":
        targets = [p for p in case["people"] if p["id"] == _PERSON_OF[who]]
    else:
        targets = [case]
    *parents, leaf = name.split(".")
    for target in targets:
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value


def _role_dims(who: str, classes: Classes) -> list[Dim]:
    """One on/off dimension per role class beyond the plainest: a person may hold several roles."""
    return [Dim(f"{who}.role[{c}]", (None, c.rep), ("no", "yes")) for c in classes.roles[1:]]


def _oversees_dim(who: str, classes: Classes) -> list[Dim]:
    if not classes.reads_oversees:
        return []
    options: list[str | None] = [None, OVERSEES_SAME]
    if any(len(c.values) > 1 for c in classes.areas):
        options.append(OVERSEES_SIBLING)
    if len(classes.areas) > 1:
        options.append(OVERSEES_OTHER)
    labels = tuple("nothing" if o is None else o for o in options)
    return [Dim(f"{who}.oversees", tuple(options), labels)]


def _clean_dim(who: str, classes: Classes) -> list[Dim]:
    """The person's refused flags (D5), then the other fields of a person that the pack reads."""
    flags = [_input_flag_dim(who, i, classes) for i in classes.flag_inputs if i.owner == "people"]
    return [*flags, *_other_dims(who, "people", classes)]


def _input_flag_dim(who: str, item: Input, classes: Classes) -> Dim:
    """A flag turned on: a step that never lowers a result when the pack says it raises, a refusal to record
    when the pack refuses it."""
    refusal = item.leaf if item.path in classes.refused else None
    direction = 1 if item.path in classes.raising else 0
    return Dim(f"{who}.{item.leaf}", (False, True), ("false", "true"), direction, refusal, item.path)


def _stance_dim(who: str, classes: Classes) -> list[Dim]:
    if not classes.reads_participants:
        return []
    options = ("", "participant", "advocate", "objector")
    return [Dim(f"{who}.decision", options, ("no part", *options[1:]))]


def _entry_dim(who: str) -> Dim:
    return Dim(f"{who}.conduct", (False, True), ("not recorded", "recorded"))


OFFENDER = "p1"
LOOKED_BACK = "p2"
_PERSON_OF = {"offender": OFFENDER, "leader": LOOKED_BACK}


def templates(pack: RulePack) -> list[Template]:
    """The case templates of SPEC-shaped cases, their dimensions taking the classes of ``pack``."""
    classes = classes_of(pack)
    plain_role = str(classes.roles[0].rep) if classes.roles[0].values else ""

    def offender_acts(c: ValueClass) -> bool:
        return all(a in OFFENDER_ACTS for a in c.values)

    def build_offence(values: dict[str, Any]) -> dict[str, Any]:
        parts = _CaseParts(values, classes.areas, plain_role)
        case = _case("verify-offence", parts, [parts.person(OFFENDER, "offender", "甲")], [OFFENDER])
        _add_conduct(case, OFFENDER, parts.acts("offender"), False)
        return case

    def build_merge(values: dict[str, Any]) -> dict[str, Any]:
        """The offence template's case with a second violation of the same offender (合并处理): of the same kind
        and area, its own severity; the flags set on the case's violations reach both."""
        case = build_offence(values)
        case["case_id"] = "verify-merge"
        second = {**case["violations"][0], "id": "v2", "severity": values.get("second.severity", "minor")}
        case["violations"].append(second)
        return case

    def build_graded(values: dict[str, Any]) -> dict[str, Any]:
        parts = _CaseParts(values, classes.areas, plain_role)
        return _case("verify-consequences", parts, [parts.person(OFFENDER, "offender", "甲")], [OFFENDER])

    def build_context(values: dict[str, Any]) -> dict[str, Any]:
        parts = _CaseParts(values, classes.areas, plain_role)
        case = _case("verify-offender", parts, [parts.person(OFFENDER, "offender", "甲")], [OFFENDER])
        _add_conduct(case, OFFENDER, parts.acts("offender"), False)
        return case

    def build_look_back(values: dict[str, Any]) -> dict[str, Any]:
        parts = _CaseParts(values, classes.areas, plain_role)
        people = [parts.person(OFFENDER, "offender", "甲"), parts.person(LOOKED_BACK, "leader", "乙")]
        case = _case("verify-look-back", parts, people, [OFFENDER])
        _add_conduct(case, LOOKED_BACK, parts.acts("leader"), bool(values.get("leader.conduct")))
        return case

    def build_decision(values: dict[str, Any]) -> dict[str, Any]:
        parts = _CaseParts(values, classes.areas, plain_role)
        people = [parts.person(OFFENDER, "offender", "甲"), parts.person(LOOKED_BACK, "leader", "乙")]
        case = _case("verify-decision", parts, people, [OFFENDER])
        _add_conduct(case, OFFENDER, parts.acts("offender"), False)
        _add_conduct(case, LOOKED_BACK, parts.acts("leader"), bool(values.get("leader.conduct")))
        decision: dict[str, Any] = {"id": "d1", "violation": "v1", "participants": [], "advocates": [], "objectors": []}
        for pid, who in ((OFFENDER, "offender"), (LOOKED_BACK, "leader")):
            stance = values.get(f"{who}.decision", "")
            if stance:
                decision["participants"].append(pid)
            if stance in {"advocate", "objector"}:
                decision[f"{stance}s"].append(pid)
        if decision["participants"]:
            case["decisions"] = [{k: v for k, v in decision.items() if v or k == "participants"}]
        return case

    def all_acts(c: ValueClass) -> bool:
        return True

    first_failure = next((c for c, _ in classes.acts if c.rep in classes.failure_acts), None)

    def not_failure_but_first(c: ValueClass) -> bool:
        """A decision's participants: every act that modifies a finding, and one failure to compete with it."""
        return c.rep not in classes.failure_acts or c is first_failure

    offence = Template(
        "offence",
        "违纪人 the offender: violation × own conduct",
        (*_violation_dims(classes, unit_wide=False), *_act_dims("offender", classes, offender_acts)),
        build_offence,
    )
    merge = Template(
        "merge",
        "合并处理 an offender of two violations: the first × own conduct, the second's severity",
        (
            *offence.dims,
            _class_dim("second.severity", classes.severities, direction=1),
        ),
        build_merge,
    )
    context = Template(
        "offender",
        "违纪人与单位 the offender in the unit: roles, leniency flags, unit record",
        (
            *_violation_dims(classes, leniency=True),
            *_unit_dims(classes),
            *_role_dims("offender", classes),
            *_clean_dim("offender", classes),
            *_act_dims("offender", classes, offender_acts),
        ),
        build_context,
    )
    look_back = Template(
        "look-back",
        "倒查 a person looked back on: role, overseen area, conduct",
        (
            *_role_dims("leader", classes),
            *_oversees_dim("leader", classes),
            *_clean_dim("leader", classes),
            _entry_dim("leader"),
            *_act_dims("leader", classes, all_acts),
            *_violation_dims(classes),
            *_unit_dims(classes),
        ),
        build_look_back,
        frozenset(d.name for d in _role_dims("leader", classes)),
        "set of the looked-back person's roles",
    )
    decision = Template(
        "decision",
        "集体决策 a collective decision: who took part and how",
        (
            *_role_dims("leader", classes),
            *_stance_dim("leader", classes),
            *_stance_dim("offender", classes),
            _entry_dim("leader"),
            *_act_dims("leader", classes, not_failure_but_first),
            *_act_dims("offender", classes, offender_acts),
            *(d for d in _violation_dims(classes) if d.name not in {"violation.kind", "violation.area"}),
        ),
        build_decision,
        frozenset({"leader.decision"}),
        "part the looked-back person took in the decision",
    )
    read_with, counts = _graded_dims(classes)
    graded = Template(
        "consequences",
        "后果 the violation's consequences as accident grades, with what the grade is read with",
        (*read_with, *counts),
        build_graded,
        frozenset(d.name for d in read_with),
        "what the accident grade is read with",
    )
    out = [offence, context, look_back]
    if counts:
        out.insert(1, graded)
    if pack.policy.merge is not None:
        out.insert(2 if counts else 1, merge)
    if classes.reads_participants:
        out.append(decision)
    return [
        Template(t.name, t.title, tuple(d for d in t.dims if len(d.options) > 1), t.build, t.core, t.core_label)
        for t in out
        if any(len(d.options) > 1 for d in t.dims)
    ]
