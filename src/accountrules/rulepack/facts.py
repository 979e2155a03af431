"""The facts a rule may read: the flat, scalar view of a case that the engine asserts into durable_rules.

durable_rules joins facts on scalar fields but cannot reach into nested lists, so a case becomes one fact per
role, overseen area, offender, conduct entry, act, participant and violation flag. Rules in the ``facts`` stage
read the case; rules in the ``resolved`` stage read what resolution produced (candidates, results,
organisation measures) beside the case.

`FACTS` declares, once, every fact kind of the ``facts`` stage: the loop over the case that yields its facts,
its identity, and its fields. A field is a path into the case (``violation.kind``) or a small derivation
declared here (the severity index, the unit's long-term spread); every case field marked `Readable` in
`accountrules.models` joins the fact of its object by itself. Flattening, the cache's key and readers, the
verify space, explain's moves, the fields' labels and the archive generator are all derived from it, so a new
field is declared in the model (or here, when derived) and nowhere else.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from accountrules.models import Case, Readable
from accountrules.rulepack.policy import Policy
from accountrules.vocabulary import LABELS, OrgMeasure, Responsibility, Severity, values


@dataclass(frozen=True)
class FieldType:
    """``id`` (joins only), ``bool``, ``int`` or ``enum`` with its values."""

    kind: str
    choices: tuple[str, ...] = ()
    doc: str = ""


ID = FieldType("id")
BOOL = FieldType("bool")
INT = FieldType("int")


def enum(literal: object, doc: str = "") -> FieldType:
    return FieldType("enum", values(literal), doc)


#: The id fields of fact kinds, each named for the kind of id it holds: rules join on them, never compare them
#: with constants (the cache relabels them).
ID_FIELDS = ("person", "violation", "decision")

#: The names fields had before they were given readable ones: a pack that still uses one is told the new name
#: (`accountrules.rulepack.pack`).
FORMER_NAMES = {"p": "person", "v": "violation", "d": "decision", "s": "severity_rank"}


# ---------------------------------------------------------------------------------------------------------------
# The declaration


@dataclass(frozen=True)
class Derivation:
    """A field computed from the case by ``compute``, called with the values named by ``args`` (variables of the
    fact's loops, ``case`` or ``policy``). ``reads`` names the case fields it reads, as `Input` paths."""

    compute: Callable[..., Any]
    args: tuple[str, ...]
    reads: tuple[str, ...]


@dataclass(frozen=True)
class Declared:
    """One field of a fact kind as declared: a path from the loop's variables (``violation.kind``), an expression
    over them, or a `Derivation`."""

    type: FieldType | None = None
    source: str | Derivation | None = None
    doc: str = ""
    label: tuple[str, str] | None = None


@dataclass(frozen=True)
class Kind:
    """A fact kind as declared: ``each`` is ``(variable, iterable, …)``, nested loops over the variables of its
    ``within`` kind's loop (empty: one fact per case); ``when`` filters; ``identity`` gives the parts of the
    fact's id."""

    name: str
    fields: Mapping[str, Declared]
    each: tuple[str, ...] = ()
    within: str | None = None
    when: str | None = None
    identity: tuple[str, ...] = ()
    #: Objects (paths) whose `Readable` fields join this fact under their own names.
    readable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Input:
    """A scalar field of the case that some fact reads: where it is, what it holds and how people call it.

    ``path`` names it in the case JSON: ``violations[].severity``, ``people[].personally_clean``,
    ``unit_record.violations_in_period``."""

    path: str
    type: FieldType
    default: Any
    label: tuple[str, str]
    ordered: bool = False
    samples: tuple[int, ...] = ()
    #: A higher value never lowers anyone's result (SPEC D11), as the model declares it.
    raising: bool = False

    @property
    def owner(self) -> str:
        """``violations``, ``people``, ``conduct``, ``decisions`` or ``""`` (the case and its records)."""
        head, _, _ = self.path.partition("[]")
        return head if "[]" in self.path else ""

    @property
    def name(self) -> str:
        """The path inside its owner: ``severity``, ``unit_record.violations_in_period``."""
        return self.path.split("[].")[-1] if self.owner else self.path

    @property
    def leaf(self) -> str:
        """The field's own name: ``severity``, ``violations_in_period``."""
        return self.path.rpartition(".")[2]


@dataclass(frozen=True)
class FactField:
    """A field of a fact kind: its type, the expression that computes it in a case, the inputs it reads."""

    name: str
    type: FieldType
    #: A Python expression over the loop variables, ``case`` and ``policy`` (derivations are called by name).
    expression: str
    reads: tuple[str, ...]
    label: tuple[str, str]
    doc: str = ""
    #: The input it holds as it is (None for ids, list items and derived fields).
    path: str | None = None


@dataclass(frozen=True)
class FactKind:
    name: str
    fields: dict[str, FactField]
    #: Nested loops, each ``(variable, iterable)``.
    loops: tuple[tuple[str, str], ...]
    within: str | None
    when: str | None
    identity: tuple[str, ...]
    #: Where one fact of this kind comes from in the case JSON (``violations[]``, ``people[].roles[]``, ``""``).
    at: str


@dataclass(frozen=True, eq=False)
class FactSchema:
    """Every fact kind of the ``facts`` stage, derived from a case model and the declarations of `FACTS`."""

    case_model: type[Case]
    kinds: dict[str, FactKind]
    inputs: dict[str, Input]
    #: Derivations by the name their expressions call them.
    derivations: dict[str, Callable[..., Any]]
    #: The names of the violation's readable booleans: one ``flag`` fact per flag that is true.
    flags: tuple[str, ...]

    @functools.cached_property
    def types(self) -> dict[str, dict[str, FieldType]]:
        """Fact kind → field → type, as rule packs are checked against."""
        return {name: {f: d.type for f, d in kind.fields.items()} for name, kind in self.kinds.items()}

    def children(self, parent: str | None) -> list[FactKind]:
        return [k for k in self.kinds.values() if k.within == parent]

    def label(self, name: str) -> tuple[str, str]:
        """The label of a field (by its name or its input path)."""
        if name in self.inputs:
            return self.inputs[name].label
        for kind in self.kinds.values():
            if name in kind.fields:
                return kind.fields[name].label
        return LABELS.get(name, (name, name))

    def model_at(self, path: str) -> Any:
        """The type at a case JSON path of the schema's case model (``violations[]``: the violation model)."""
        return _at(self.case_model, path)[0]

    def read_by(self, fields: Mapping[str, Any]) -> set[str]:
        """The input paths that the given fact fields (kind → field names) read."""
        out: set[str] = set()
        for kind, names in fields.items():
            declared = self.kinds.get(kind)
            if declared is None:
                continue
            for name in names:
                if name in declared.fields:
                    out.update(declared.fields[name].reads)
        return out

    def with_model(self, case_model: type[Case]) -> FactSchema:
        """The same declarations over another case model (one whose objects have more readable fields)."""
        return build(case_model, DECLARED, DERIVATIONS)


# ---------------------------------------------------------------------------------------------------------------
# Derivations


def graded_severity(policy: Policy, violation: Any) -> str:
    """The violation's severity as the rules see it: raised to the accident grade its consequences reach
    (SPEC §9.3 V11, the policy's ``consequence_floors``), never lowered."""
    c = violation.consequences
    if not (c.deaths or c.serious_injuries or c.direct_loss_cny):
        return str(violation.severity)
    return policy.graded_severity(violation.severity, c.deaths, c.serious_injuries, c.direct_loss_cny)


def severity_index(policy: Policy, violation: Any) -> int:
    """The row of the policy's tables a violation indexes: its graded severity's, or the crime severity's when
    the violation is a suspected crime and that is higher."""
    index = policy.severity_index[graded_severity(policy, violation)]  # type: ignore[index]
    if violation.suspected_crime:
        index = max(index, policy.severity_index[policy.crime_severity])
    return index


def long_term_spread(case: Any) -> bool:
    """The unit's record says so, or any of the case's violations does."""
    return bool(case.unit_record.long_term_spread or any(v.long_term_spread for v in case.violations))


def out_of_office(case: Any, person: Any) -> list[str]:
    """The ids of the violations whose conduct lies wholly outside the person's tenure (SPEC §9.3 V10): both ends
    inclusive, after the defaults of the dates; a violation with no date of its own overlaps every tenure."""
    tenure = person.in_office
    if tenure is None or (tenure.start is None and tenure.end is None):
        return []
    outside = []
    for violation in case.violations:
        period = violation.period(case.decided_on) if violation.dated else None
        if period is not None and not tenure.overlaps(*period):
            outside.append(violation.id)
    return outside


DERIVATIONS: dict[str, Callable[..., Any]] = {
    "severity_index": severity_index,
    "graded_severity": graded_severity,
    "long_term_spread": long_term_spread,
    "out_of_office": out_of_office,
}

#: What V11's accident grades read beside the severity given.
_CONSEQUENCES = (
    "violations[].consequences.deaths",
    "violations[].consequences.serious_injuries",
    "violations[].consequences.direct_loss_cny",
)


def _id(expression: str) -> Declared:
    return Declared(ID, expression)


#: The fact kinds of the ``facts`` stage. Fields of the objects named in ``readable`` join by themselves.
DECLARED: tuple[Kind, ...] = (
    Kind(
        "case",
        {
            "unit_level": Declared(source="case.unit.level"),
            "long_term_spread": Declared(
                BOOL,
                Derivation(
                    long_term_spread, ("case",), ("unit_record.long_term_spread", "violations[].long_term_spread")
                ),
                "the unit's flag or the flag on any violation",
            ),
        },
        readable=("case.unit_record",),
    ),
    Kind(
        "person",
        {"person": _id("person.id")},
        each=("person", "case.people"),
        identity=("person.id",),
        readable=("person",),
    ),
    Kind(
        "role",
        {"person": _id("person.id"), "role": Declared(source="role")},
        each=("role", "person.roles"),
        within="person",
        identity=("person.id", "role"),
    ),
    Kind(
        "oversees",
        {"person": _id("person.id"), "area": Declared(source="area")},
        each=("area", "person.oversees"),
        within="person",
        identity=("person.id", "area"),
    ),
    Kind(
        "out_of_office",
        {"person": _id("person.id"), "violation": _id("vid")},
        each=("vid", "out_of_office(case, person)"),
        within="person",
        identity=("person.id", "vid"),
    ),
    Kind(
        "violation",
        {
            "violation": _id("violation.id"),
            "severity": Declared(
                enum(Severity),
                Derivation(graded_severity, ("policy", "violation"), ("violations[].severity", *_CONSEQUENCES)),
                "the severity given, raised to the accident grade its consequences reach (V11)",
                ("情节", "severity"),
            ),
            "severity_rank": Declared(
                INT,
                Derivation(
                    severity_index,
                    ("policy", "violation"),
                    ("violations[].severity", "violations[].suspected_crime", *_CONSEQUENCES),
                ),
                "the rank of that severity in the policy's order; suspected_crime counts as the crime severity",
                ("严重程度序号", "severity rank"),
            ),
        },
        each=("violation", "case.violations"),
        identity=("violation.id",),
        readable=("violation",),
    ),
    Kind(
        "flag",
        {
            "violation": _id("violation.id"),
            "flag": Declared(FieldType("enum"), "flag", "one fact per flag that is true"),
        },
        each=("flag", "FLAGS"),
        within="violation",
        when="getattr(violation, flag)",
        identity=("violation.id", "flag"),
    ),
    Kind(
        "offender",
        {"person": _id("pid"), "violation": _id("violation.id")},
        each=("pid", "violation.offenders"),
        within="violation",
        identity=("violation.id", "pid"),
    ),
    Kind(
        "conduct",
        {"person": _id("entry.person"), "violation": _id("entry.violation")},
        each=("entry", "case.conduct"),
        identity=("entry.person", "entry.violation"),
    ),
    Kind(
        "act",
        {"person": _id("entry.person"), "violation": _id("entry.violation"), "act": Declared(source="act")},
        each=("act", "entry.acts"),
        within="conduct",
        identity=("entry.person", "entry.violation", "act"),
    ),
    Kind(
        "participant",
        {
            "decision": _id("decision.id"),
            "violation": _id("decision.violation"),
            "person": _id("pid"),
            "advocate": Declared(BOOL, "pid in decision.advocates", label=("主张者", "advocate")),
            "objector": Declared(BOOL, "pid in decision.objectors", label=("反对者", "objector")),
        },
        each=("decision", "case.decisions", "pid", "decision.participants"),
        identity=("decision.id", "pid"),
    ),
)


# ---------------------------------------------------------------------------------------------------------------
# Building the schema from a case model


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type of an annotation and its metadata (``Annotated`` layers and ``X | None`` removed)."""
    metadata: list[Any] = []
    while True:
        if get_origin(annotation) is typing.Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
        elif get_origin(annotation) in (typing.Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation, metadata
            annotation = options[0]
        else:
            return annotation, metadata


def _field(model: Any, name: str) -> tuple[Any, list[Any]]:
    """A model field's bare type and metadata."""
    info = model.model_fields[name]
    bare, metadata = _unwrap(info.annotation)
    return bare, [*info.metadata, *metadata]


def _at(case_model: type[Case], path: str) -> tuple[Any, list[Any]]:
    """The bare type and metadata at a case JSON path; a part ending in ``[]`` steps into the list's items."""
    current: Any = case_model
    metadata: list[Any] = []
    for part in path.split(".") if path else ():
        current, metadata = _field(current, part.removesuffix("[]"))
        if part.endswith("[]"):
            item, more = _unwrap(get_args(current)[0])
            current, metadata = item, [*metadata, *more]
    return current, metadata


def _default(case_model: type[Case], path: str) -> Any:
    """What a case that leaves the field at ``path`` out holds (None for a required field)."""
    owner, _, leaf = path.rpartition(".")
    model, _ = _at(case_model, owner)
    info = model.model_fields[leaf]
    return None if info.is_required() else info.get_default(call_default_factory=True)


def _model_paths(model: Any, prefix: str = "") -> Iterator[str]:
    """Every field path of a model, depth first in declaration order (``unit.level``, ``people[].roles[]``)."""
    for name in model.model_fields:
        bare, _ = _field(model, name)
        many = get_origin(bare) is list
        inner = _unwrap(get_args(bare)[0])[0] if many else bare
        path = f"{prefix}{name}{'[]' if many else ''}"
        yield path
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _model_paths(inner, f"{path}.")


def _in_order(fields: dict[str, FactField], order: Mapping[str, int]) -> dict[str, FactField]:
    """Ids first as declared, then the others in the model's order of what they read (a derived field right
    after its first input), then fields that read nothing of the case."""

    def key(item: tuple[int, FactField]) -> tuple[int, int, int]:
        i, f = item
        if f.type.kind == "id":
            return (0, i, 0)
        if not f.reads:
            return (2, i, 0)
        return (1, order.get(f.reads[0], len(order)), 0 if f.path == f.reads[0] else 1)

    return {f.name: f for _, f in sorted(enumerate(fields.values()), key=key)}


def _type_of(bare: Any, where: str) -> FieldType:
    if bare is bool:
        return BOOL
    if bare is int:
        return INT
    if get_origin(bare) is Literal:
        return FieldType("enum", values(bare))
    raise TypeError(f"{where}: rules read only booleans, whole numbers and vocabulary values, not {bare!r}")


def _json(var_paths: Mapping[str, str], expression: str) -> str | None:
    """The case JSON path of a dotted path over loop variables (``violation.kind`` → ``violations[].kind``), or
    None for any other expression."""
    head, _, rest = expression.partition(".")
    if head not in var_paths or not all(part.isidentifier() for part in expression.split(".")):
        return None
    base = var_paths[head]
    return f"{base}.{rest}" if base and rest else base or rest


def build(
    case_model: type[Case], declared: tuple[Kind, ...], derivations: Mapping[str, Callable[..., Any]]
) -> FactSchema:
    """The schema of ``declared`` over ``case_model``."""
    var_paths: dict[str, str] = {"case": ""}
    kinds: dict[str, FactKind] = {}
    inputs: dict[str, Input] = {}
    names = {fn: name for name, fn in derivations.items()}

    def add_input(path: str, where: str) -> Input:
        if path not in inputs:
            bare, metadata = _at(case_model, path)
            mark = next((m for m in metadata if isinstance(m, Readable)), Readable())
            leaf = path.rpartition(".")[2]
            label = mark.label or LABELS.get(leaf, (leaf, leaf))
            default = _default(case_model, path)
            ftype = _type_of(bare, where)
            inputs[path] = Input(path, ftype, default, label, mark.ordered, mark.samples, mark.raising)
        return inputs[path]

    order = {path: i for i, path in enumerate(_model_paths(case_model))}
    flags: list[str] = []
    for kind in declared:
        at = kinds[kind.within].at if kind.within else ""
        loops = tuple(zip(kind.each[::2], kind.each[1::2], strict=True))
        for var, iterable in loops:
            # FLAGS (a constant of the schema) and a derivation's list leave the fact where its parent is
            path = None if iterable.isupper() else _json(var_paths, iterable)
            if path is not None:
                at = f"{path}[]"
            var_paths[var] = at
        fields: dict[str, FactField] = {}
        for name, decl in kind.fields.items():
            where = f"{kind.name}.{name}"
            source = decl.source
            if isinstance(source, Derivation):
                assert decl.type is not None
                expression = f"{names[source.compute]}({', '.join(source.args)})"
                for path in source.reads:
                    add_input(path, where)
                label = decl.label or LABELS.get(name, (name, name))
                fields[name] = FactField(name, decl.type, expression, source.reads, label, decl.doc)
                continue
            assert source is not None
            json_path = _json(var_paths, source)
            item = None
            if json_path is not None and decl.type is None and not json_path.endswith("[]"):
                item = add_input(json_path, where)
            ftype = decl.type or (item.type if item else _type_of(_at(case_model, json_path or "")[0], where))
            label = decl.label or (item.label if item else LABELS.get(name, (name, name)))
            reads = (json_path,) if json_path is not None else ()
            fields[name] = FactField(name, ftype, source, reads, label, decl.doc, item.path if item else None)
        for owner in kind.readable:
            owner_path = _json(var_paths, owner)
            assert owner_path is not None
            model, _ = _at(case_model, owner_path)
            for name in model.model_fields:
                if name in fields or not any(isinstance(m, Readable) for m in _field(model, name)[1]):
                    continue  # not read, or a field the kind declares (a derivation of it) replaces it
                item = add_input(f"{owner_path}.{name}" if owner_path else name, f"{kind.name}.{name}")
                fields[name] = FactField(name, item.type, f"{owner}.{name}", (item.path,), item.label, path=item.path)
                if kind.name == "violation" and item.type is BOOL:
                    flags.append(name)
        kinds[kind.name] = FactKind(
            kind.name, _in_order(fields, order), loops, kind.within, kind.when, kind.identity, at
        )
    flag = kinds["flag"].fields
    flag["flag"] = replace(
        flag["flag"],
        type=FieldType("enum", tuple(flags), flag["flag"].doc),
        reads=tuple(f"violations[].{name}" for name in flags),
    )
    inputs = dict(sorted(inputs.items(), key=lambda item: order.get(item[0], len(order))))
    return FactSchema(case_model, kinds, inputs, dict(derivations), tuple(flags))


#: The facts of the shipped case model.
FACTS: FactSchema = build(Case, DECLARED, DERIVATIONS)


# ---------------------------------------------------------------------------------------------------------------
# The resolved stage

#: Finding kinds are declared by the pack's policy; this placeholder is replaced when a pack is loaded.
FINDING_KIND = FieldType("enum", (), "a finding kind declared in the pack's policy")

RESOLVED_FACTS: dict[str, dict[str, FieldType]] = {
    "candidate": {
        "person": ID,
        "violation": FieldType("id", (), "empty for findings on no violation"),
        "kind": FINDING_KIND,
        "responsibility": enum(Responsibility),
    },
    "result": {"person": ID, "violation": ID, "kind": FINDING_KIND, "form": INT},
    "org": {"measure": enum(OrgMeasure)},
}


def facts_for_stage(
    stage: str, finding_kinds: tuple[str, ...], schema: FactSchema = FACTS
) -> dict[str, dict[str, FieldType]]:
    """The fact types (and their fields) that rules of ``stage`` may read."""
    if stage == "facts":
        return schema.types
    kinds = FieldType("enum", finding_kinds, FINDING_KIND.doc)
    resolved = {
        name: {f: (kinds if t is FINDING_KIND else t) for f, t in fields.items()}
        for name, fields in RESOLVED_FACTS.items()
    }
    return {**schema.types, **resolved}
