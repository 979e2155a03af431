"""A bounded cache of determinations, keyed by the facts the engine asserts with their ids relabelled.

Rules may only join ids (``$alias.person``), never compare them with constants, so durable_rules matches the same
way whatever the ids are called; names, titles, amounts, dates and the case id are never asserted at all.
Two cases that assert the same facts up to the names of their ids therefore get the same determination up to
those names. The key is a digest of the facts of both stages' fields (`DurableRuntime` asserts nothing else)
with canonical labels in place of ids:

- violations and decisions are numbered in the order of their ids (``v0``, ``v1``, …, ``d0``, …): the engine
  breaks an exact tie between two findings of one person by the violation's id, and keeping the order keeps
  the tie-break (decisions keep theirs so that a pack may join participants of one decision);
- people are numbered by their own facts (roles, areas, offences, acts and participation, naming violations and
  decisions by their labels). No fact relates two people, so nothing decided for one person depends on what
  another is called, and a case whose people are numbered differently still hits.

On a hit the stored determination (in labels) gets the case's ids, names, unit and case id back, and every list
the engine sorts by id is sorted again by the orders `accountrules.models` declares (the engine sorts by the same
ones), so the result is the same, byte for byte, as an evaluation would give (tests/test_batch_cache.py proves it
over generated cases). Which fields hold ids and names, and how the lists holding them are sorted, is read from
the output models (`CaseValue`, `LIST_ORDERS`); `determine_json` writes compact JSON from the same stored
determination, for speed (see there).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import marshal
import operator
import re
import threading
import types
import typing
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

import pydantic_core
from pydantic import BaseModel

from accountrules.engine.durable import stage_rules_for
from accountrules.engine.flatten import Fact, compile_reader
from accountrules.engine.versions import case_versions
from accountrules.models import (
    LIST_ORDERS,
    Case,
    CaseValue,
    Determination,
    ModelT,
    assemble,
)
from accountrules.rulepack.facts import FACTS, ID_FIELDS, FactSchema
from accountrules.rulepack.pack import RulePack
from accountrules.rulepack.policy import Policy
from accountrules.rulepack.versions import Versions

#: Fields every fact carries for durable_rules' sake; the fact's identity is derived from the others.
_BOOKKEEPING = frozenset({"t", "id"})

DEFAULT_MAX_ENTRIES = 4096
DEFAULT_MAX_BYTES = 24 * 1024 * 1024


@functools.lru_cache(maxsize=256)
def _label_list(prefix: str, count: int) -> tuple[str, ...]:
    """Zero-padded labels, so that the labels sort as their positions do."""
    width = len(str(max(count - 1, 0)))
    return tuple(f"{prefix}{i:0{width}d}" for i in range(count))


def _labels(prefix: str, ids: Sequence[str]) -> dict[str, str]:
    return dict(zip(ids, _label_list(prefix, len(ids)), strict=True))


@dataclass(frozen=True)
class Canonical:
    """A case's cache key and the relabelling behind it."""

    #: Digest of the relabelled facts (16 bytes).
    key: bytes
    #: Original id → label, for people and violations (decisions never appear in a determination).
    people: Mapping[str, str]
    violations: Mapping[str, str]
    #: Person id → index of their fact profile among the case's distinct profiles: people with the same class
    #: are interchangeable as far as the rules can tell.
    classes: Mapping[str, int]

    @property
    def signature(self) -> str:
        """The key as text: equal for cases the rules cannot tell apart (up to ids)."""
        return self.key.hex()


class FactPlan:
    """How to read the asserted fields of each fact type: a getter, whether a person is named, which values
    are violation or decision ids. Built once per engine."""

    def __init__(
        self,
        fields: Mapping[str, Sequence[str]],
        policy: Policy,
        schema: FactSchema = FACTS,
        versions: Versions | None = None,
    ) -> None:
        self.fields = {t: tuple(names) for t, names in fields.items()}
        self.policy = policy
        self.schema = schema
        #: The pack's versions: a case's dates and §9.1 person fields decide beside its facts.
        self.versions = versions
        self.types: dict[str, tuple[bool, Callable[[Fact], tuple[Any, ...]], tuple[tuple[int, str], ...]]] = {}
        for fact_type, names in self.fields.items():
            others = [n for n in names if n != "person"]
            relabelled = tuple((i + 1, n) for i, n in enumerate(others) if n in ID_FIELDS and n != "person")
            self.types[fact_type] = ("person" in names, operator.itemgetter("t", *others), relabelled)
        self.direct = _DirectReader(self)

    @classmethod
    def for_pack(cls, pack: RulePack) -> FactPlan:
        """The plan of the facts the engine of ``pack`` asserts, in either stage."""
        fields = asserted_fields(stage.fields for stage in stage_rules_for(pack).values())
        # facts of the resolved stage (candidates, results, measures) follow from the case's own facts
        return cls(
            {t: names for t, names in fields.items() if t in pack.facts.kinds}, pack.policy, pack.facts, pack.versions
        )

    def canonical(self, case: Case) -> Canonical:
        """`canonicalize` of the case's flattened facts, read straight from the case."""
        return self.direct.canonical(case, self.versions)


def canonicalize(case: Case, facts: Iterable[Fact], plan: FactPlan) -> Canonical:
    """The key of ``case``, whose flattened facts are ``facts``, read as ``plan`` says (a fact type that is not
    in the plan is not asserted). This is the definition; `FactPlan.canonical` gets the same faster."""
    relabel = {
        "violation": _labels("v", sorted(v.id for v in case.violations)),
        "decision": _labels("d", sorted(d.id for d in case.decisions)),
    }
    common: list[tuple[Any, ...]] = []
    profiles: dict[str, list[tuple[Any, ...]]] = {p.id: [] for p in case.people}
    types = plan.types
    for fact in facts:
        spec = types.get(fact["t"])
        if spec is None:
            continue
        has_person, getter, relabelled = spec
        values = getter(fact)
        if relabelled:
            items = list(values)
            for i, kind in relabelled:
                items[i] = relabel[kind].get(items[i], items[i])
            values = tuple(items)
        if has_person:
            profiles[fact["person"]].append(values)
        else:
            common.append(values)
    add_context(case, plan.versions, relabel["violation"], common, profiles)
    return _canonical(common, profiles, relabel["violation"])


def add_context(
    case: Case,
    versions: Versions | None,
    labels: Mapping[str, str],
    common: list[tuple[Any, ...]],
    profiles: dict[str, list[tuple[Any, ...]]],
) -> None:
    """What decides beside the asserted facts (SPEC §9): the versions in force for each violation, the law and
    the notes of the decision's day, and each person's membership, office, post and tenure."""
    if versions is None:
        return
    in_force = case_versions(case, versions)
    law = versions.sanction_law(case.decided_on).id
    common.append(("~decision", in_force.decision, in_force.unit_conduct, law))
    common.extend(("~in_force", labels[v], e.conduct, e.why) for v, e in in_force.violations.items())
    common.extend(("~note", code, labels.get(v or "", "")) for code, _, v in in_force.notes)
    decided_on = case.decided_on
    for person in case.people:
        end = person.in_office.end if person.in_office is not None else None
        former = end is not None and decided_on is not None and end < decided_on
        profiles[person.id].append(
            ("~person", person.party_member, person.public_official, person.holds_party_post, former)
        )


def _canonical(
    common: list[tuple[Any, ...]], profiles: dict[str, list[tuple[Any, ...]]], violations: dict[str, str]
) -> Canonical:
    """The key of these facts (``common`` is sorted in place) and the people's labels by their profiles."""
    ordered = sorted([(tuple(sorted(entries)), pid) for pid, entries in profiles.items()])
    classes: dict[str, int] = {}
    last: tuple[Any, ...] | None = None
    rank = -1
    for profile, pid in ordered:
        if profile != last:
            rank, last = rank + 1, profile
        classes[pid] = rank
    # marshal's version 0 writes values only (no references, no interning flags): equal facts, equal bytes
    common.sort()
    material = marshal.dumps((tuple(common), tuple([profile for profile, _ in ordered])), 0)
    return Canonical(
        key=hashlib.blake2b(material, digest_size=16).digest(),
        people=_labels("p", [pid for _, pid in ordered]),
        violations=violations,
        classes=classes,
    )


class _DirectReader:
    """`canonicalize` ∘ `flatten` without building the facts: a function compiled from the fact declaration for
    the plan appends each fact's asserted values straight from the case to its person's profile (or the common
    facts). tests/test_batch_cache.py checks that both give the same `Canonical`."""

    def __init__(self, plan: FactPlan) -> None:
        self.read = compile_reader(plan.schema, plan.fields)
        self.policy = plan.policy

    def canonical(self, case: Case, versions: Versions | None = None) -> Canonical:
        violations = _labels("v", sorted([v.id for v in case.violations]))
        decisions = _labels("d", sorted([d.id for d in case.decisions])) if case.decisions else {}
        common: list[tuple[Any, ...]] = []
        profiles: dict[str, list[tuple[Any, ...]]] = {p.id: [] for p in case.people}
        self.read(case, self.policy, violations, decisions, profiles, common)
        add_context(case, versions, violations, common, profiles)
        return _canonical(common, profiles, violations)


def asserted_fields(stage_fields: Iterable[Mapping[str, Sequence[str]]]) -> dict[str, tuple[str, ...]]:
    """Per fact type, the fields any stage asserts, without the bookkeeping ones, in a fixed order."""
    union: dict[str, set[str]] = {}
    for fields in stage_fields:
        for fact_type, names in fields.items():
            union.setdefault(fact_type, set()).update(n for n in names if n not in _BOOKKEEPING)
    return {fact_type: tuple(sorted(names)) for fact_type, names in sorted(union.items())}


# ---------------------------------------------------------------------------------------------------------------
# Storing and restoring, derived from the output models: their `CaseValue` marks say which fields hold the case's
# ids and names, and `LIST_ORDERS` how the lists that hold them are sorted.


@dataclass(frozen=True)
class _Slot:
    """A field of an output model that holds the case's values, or a model or list of models that does."""

    name: str
    #: person, violation, name, unit, case_id (a `CaseValue`), or model, models (nested ones that hold some)
    what: str
    #: A list of ids (person, violation).
    many: bool = False
    #: The items' order (models).
    order: Callable[[Any], Any] | None = None
    #: The field naming the person whose name this is (name).
    person: str = ""


def _case_value(annotation: Any) -> tuple[str, bool] | None:
    """The `CaseValue` an annotation carries (through ``| None`` and ``list[…]``), and whether it is a list."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        for meta in annotation.__metadata__:
            if isinstance(meta, CaseValue):
                return meta.what, False
        return _case_value(typing.get_args(annotation)[0])
    if origin is list:
        found = _case_value(typing.get_args(annotation)[0])
        return None if found is None else (found[0], True)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _case_value(arg)
            if found is not None:
                return found
    return None


def _nested(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The output model an annotation holds (through ``| None`` and ``list[…]``), and whether it is a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    if origin is list:
        found = _nested(typing.get_args(annotation)[0])
        return None if found is None else (found[0], True)
    if origin in (typing.Union, types.UnionType, Annotated):
        for arg in typing.get_args(annotation):
            found = _nested(arg)
            if found is not None:
                return found
    return None


@functools.cache
def slots(cls: type[BaseModel]) -> tuple[_Slot, ...]:
    """The fields of ``cls`` that hold the case's values, directly or in nested models, in declaration order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    out: list[_Slot] = []
    for name in cls.model_fields:
        value = _case_value(hints[name])
        if value is not None:
            out.append(_Slot(name, value[0], many=value[1]))
            continue
        nested = _nested(hints[name])
        if nested is None or not slots(nested[0]):
            continue
        model, many = nested
        if not many:
            out.append(_Slot(name, "model"))
            continue
        order = LIST_ORDERS.get(model)
        if order is None:
            raise TypeError(
                f"{cls.__name__}.{name} lists {model.__name__}, which holds a case's ids or names: declare the "
                "order of its items in accountrules.models.LIST_ORDERS"
            )
        out.append(_Slot(name, "models", order=order))
    people = [slot.name for slot in out if slot.what == "person" and not slot.many]
    for i, slot in enumerate(out):
        if slot.what == "name":
            if len(people) != 1:
                raise TypeError(f"{cls.__name__}.{slot.name} is a name: the model must name exactly one person")
            out[i] = _Slot(slot.name, "name", person=people[0])
    return tuple(out)


@dataclass
class _Relabel:
    """Puts other values in a determination's `CaseValue` fields, sorting its lists again."""

    people: Mapping[str, str]
    violations: Mapping[str, str]
    names: Mapping[str, str]
    unit: str
    case_id: str

    def model(self, model: ModelT) -> ModelT:
        values = _copied(model)
        for slot in slots(type(model)):
            value = values[slot.name]
            what = slot.what
            if what == "person" or what == "violation":
                table = self.people if what == "person" else self.violations
                values[slot.name] = (
                    sorted(table[v] for v in value) if slot.many else None if value is None else table[value]
                )
            elif what == "model":
                values[slot.name] = self.model(value)
            elif what == "models":
                values[slot.name] = sorted((self.model(item) for item in value), key=slot.order)
            elif what == "unit":
                values[slot.name] = self.unit
            elif what == "case_id":
                values[slot.name] = self.case_id
        for slot in slots(type(model)):
            if slot.what == "name":
                values[slot.name] = self.names.get(values[slot.person], "")
        return assemble(type(model), values)


def _to_labels(determination: Determination, canonical: Canonical) -> Determination:
    """The determination with labels for ids and no names, unit or case id."""
    return _Relabel(canonical.people, canonical.violations, {}, "", "").model(determination)


@functools.lru_cache(maxsize=1 << 16)
def _token(label: str) -> str:
    """What stands for a label inside a stored order key: no id, rule, effect or fact reads like it (ids have no
    control characters)."""
    return "\x00" + label


@functools.lru_cache(maxsize=1 << 16)
def _name(label: str) -> str:
    """What stands for the name of the person labelled ``label`` among a model's JSON parts."""
    return "\x01" + label


def _restored_key(key: Any, tokens: Mapping[str, str]) -> Any:
    """A stored order key with each token replaced by the id it stands for."""
    if type(key) is tuple:
        return tuple(map(tokens.get, key, key))
    return tokens.get(key, key)


#: Ids and names as JSON, one copy each: they recur from case to case (``p1``, a family name and 某), and a hit
#: writes every one of its case's (`_Context.of`).
_ENCODED: dict[str, bytes] = {}


def _encoded(text: str) -> bytes:
    out = pydantic_core.to_json(text)
    if len(_ENCODED) >= 1 << 10:  # an archive's ids and names drift: keep the recent ones
        _ENCODED.clear()
    _ENCODED[text] = out
    return out


#: What stands for the unit's name and the case id among a determination's JSON parts (see `_Node.layout`).
_UNIT = "\x02unit"
_CASE_ID = "\x02case_id"


@dataclass
class _Context:
    """One case's ids and names for the labels of a stored determination."""

    #: label → id, people's and violations' (their labels differ)
    ids: dict[str, str]
    #: A single id's label → the id as JSON, `_name` of a person's label → the name as JSON, `_UNIT` and
    #: `_CASE_ID` → the unit's name and the case id as JSON, None → null
    encoded: dict[str | None, bytes]
    case: Case

    @classmethod
    def of(cls, case: Case, canonical: Canonical) -> _Context:
        labels = canonical.people
        ids: dict[str, str] = {}
        to_json = pydantic_core.to_json
        encoded: dict[str | None, bytes] = {
            None: b"null",
            _UNIT: to_json(case.unit.name),
            _CASE_ID: to_json(case.case_id),
        }
        known = _ENCODED.get
        for person in case.people:
            pid = person.id
            label = labels[pid]
            ids[label] = pid
            encoded[label] = known(pid) or _encoded(pid)
            encoded[_name(label)] = known(person.name) or _encoded(person.name)
        for vid, label in canonical.violations.items():
            ids[label] = vid
            encoded[label] = known(vid) or _encoded(vid)
        return cls(ids, encoded, case)

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """person id → name"""
        return {p.id: p.name for p in self.case.people}

    @property
    def unit(self) -> str:
        return self.case.unit.name

    @property
    def case_id(self) -> str:
        return self.case.case_id

    @functools.cached_property
    def tokens(self) -> dict[str, str]:
        """`_token` of a label → id."""
        return {_token(label): value for label, value in self.ids.items()}

    @functools.cached_property
    def order(self) -> tuple[str, ...] | None:
        """The labels in the order of the ids they stand for, which decides every order of a restored
        determination (`_Node.by_ids_alone`); None when two labels stand for equal ids (a person and a violation
        may share one), which that order cannot say."""
        ids = self.ids
        if len(set(ids.values())) != len(ids):
            return None
        return tuple(sorted(ids, key=ids.__getitem__))


class _Node:
    """One output model in labels, with the order key of each item of its lists worked out once (with `_token` s
    where ids go), restored as a model (`restore`) or written as compact JSON (`write`). Kept for JSON only, it
    holds its JSON parts and not the model (a fraction of the memory)."""

    __slots__ = ("_parts", "by_ids_alone", "cls", "copies", "fills", "flat", "model", "orders")

    def __init__(
        self,
        model: BaseModel,
        json_only: bool = False,
        dumped: dict[str, Any] | None = None,
        labels: _Labels | None = None,
    ) -> None:
        """``model`` in labels, or, with ``labels``, in the case's ids (a fill then holds their labels, and a node
        kept for JSON only never holds the ids; a node kept as a model keeps them where no fill reads them).
        ``dumped``: the model's ``model_dump(mode="json")``, when the caller has it."""
        self.cls = type(model)
        self.model: BaseModel | None = model
        if json_only and dumped is None:
            dumped = model.model_dump(mode="json")
        fills: list[tuple[_Slot, Any]] = []
        for slot in slots(self.cls):
            value = model.__dict__[slot.name]
            what = slot.what
            if what == "model":
                value = _Node(value, json_only, _dumped(dumped, slot.name), labels)
            elif what == "models":
                assert slot.order is not None
                keys = _compact([slot.order(_tokened(item, labels)) for item in value])
                items = _dumped(dumped, slot.name)
                if not isinstance(items, list) or len(items) != len(value):
                    items = [None] * len(value)
                nodes = [_Node(item, json_only, data, labels) for item, data in zip(value, items, strict=True)]
                value = [(key, _kept(node, json_only)) for key, node in zip(keys, nodes, strict=True)]
            elif what == "name":
                value = model.__dict__[slot.person]
                if labels is not None:
                    value = labels.people[value]
            elif labels is not None and (what == "person" or what == "violation"):
                table = labels.people if what == "person" else labels.violations
                value = sorted(table[v] for v in value) if slot.many else None if value is None else table[value]
            fills.append((slot, value))
        self.fills: Sequence[tuple[_Slot, Any]] = fills
        #: The fields `restore` copies (lists and dicts that no fill replaces), with the type that copies each; none
        #: for a node kept for JSON only, which is never restored.
        self.copies: tuple[tuple[str, type], ...] = ()
        if not json_only:
            filled = {slot.name for slot, _ in fills}
            self.copies = tuple(
                (name, list if isinstance(value, list) else dict)
                for name, value in model.__dict__.items()
                if isinstance(value, (list, dict)) and name not in filled
            )
        self._parts: tuple[Any, ...] | None = None
        #: Only single ids, names, the unit and the case id between its constant parts.
        self.flat: bool = all(slot.what in _SINGLE and not slot.many for slot, _ in fills)
        lists_by_ids = (
            set()
            if self.flat
            else {
                index
                for index, (slot, value) in enumerate(fills)
                if slot.what == "models" and _ids_alone([key for key, _ in value])
            }
        )
        #: Per list fill (by its index) whose order keys compare ids only with ids: the order of the case's ids
        #: last restored and the positions of the items in it (`_in_order`); None for a node kept for JSON only
        #: or with no such list.
        self.orders: dict[int, tuple[tuple[str, ...] | None, tuple[int, ...]]] | None = (
            dict.fromkeys(lists_by_ids, (None, ())) if lists_by_ids and not json_only else None
        )
        #: Whether the order of every list in it follows from the order of the case's ids alone: each order key
        #: compares an id with another id or with "" (ids are never empty), so that two cases whose ids sort
        #: alike get the same layout (`_Stored.json`). A flat node has no list.
        self.by_ids_alone: bool = self.flat or all(
            _by_ids_alone(slot, value, index in lists_by_ids) for index, (slot, value) in enumerate(fills)
        )
        if json_only:
            assert dumped is not None
            self._parts = self._compile(dumped)
            self.model = None
            if self.flat:  # its parts say all it writes
                self.fills = ()

    def restore(self, context: _Context) -> Any:
        """A fresh model for one case (nothing mutable is shared with the stored one)."""
        assert self.model is not None, "kept for JSON only"
        values = dict(self.model.__dict__)
        for name, copy in self.copies:
            values[name] = copy(values[name])
        ids = context.ids
        for index, (slot, value) in enumerate(self.fills):
            what = slot.what
            if what == "person" or what == "violation":
                values[slot.name] = (
                    sorted(ids[v] for v in value) if slot.many else None if value is None else ids[value]
                )
            elif what == "name":
                values[slot.name] = context.names.get(ids[value], "")
            elif what == "model":
                values[slot.name] = value.restore(context)
            elif what == "models":
                items = [node.restore(context) for _, node in value]
                values[slot.name] = [items[i] for i in self._in_order(index, value, context)]
            elif what == "unit":
                values[slot.name] = context.unit
            else:
                values[slot.name] = context.case_id
        return assemble(self.cls, values)

    def _in_order(self, index: int, value: list[tuple[Any, Any]], context: _Context) -> tuple[int, ...]:
        """The positions of the items of list fill ``index`` (``value``) in the order of their keys once the case's
        ids are restored. A list whose keys compare ids only with ids is ordered as the ids are, so the positions
        found for one order of the ids (`_Context.order`) serve every case whose ids sort alike."""
        order = context.order
        known = self.orders.get(index) if self.orders is not None and order is not None else None
        if known is not None and known[0] == order:
            return known[1]
        tokens = context.tokens
        keys = [_restored_key(key, tokens) for key, _ in value]
        positions = tuple(sorted(range(len(keys)), key=keys.__getitem__))
        if known is not None and self.orders is not None:
            self.orders[index] = (order, positions)
        return positions

    @property
    def parts(self) -> tuple[Any, ...]:
        parts = self._parts
        if parts is None:
            parts = self._parts = self._compile()
        return parts

    def layout(self, context: _Context, out: list[Any]) -> None:
        """Append the model's compact JSON for one case, as ``model_dump_json`` of `restore` would give it, as
        parts: constant bytes, and what stands for an id, a name, the unit, the case id or null, which
        `_Context.encoded` fills in; its lists in the order of the case's ids."""
        for part in self.parts:
            if type(part) is tuple:
                self._layout_slot(part, context, out)
            else:
                out.append(part)

    @staticmethod
    def _layout_slot(part: tuple[_Slot, Any], context: _Context, out: list[Any]) -> None:
        slot, value = part
        what = slot.what
        if what == "person" or what == "violation":  # a list of ids
            out.append(b"[")
            for i, label in enumerate(sorted(value, key=context.ids.__getitem__)):
                if i:
                    out.append(b",")
                out.append(label)
            out.append(b"]")
        elif what == "model":
            value.layout(context, out)
        else:  # models
            get = context.tokens.get
            items = sorted(
                [(tuple(map(get, key, key)) if type(key) is tuple else get(key, key), node) for key, node in value],
                key=_first,
            )
            out.append(b"[")
            for i, (_, node) in enumerate(items):
                if i:
                    out.append(b",")
                if type(node) is tuple:  # the parts of a model with nothing nested
                    out.extend(node)
                elif node.flat:
                    out.extend(node.parts)
                else:
                    node.layout(context, out)
            out.append(b"]")

    def _compile(self, dumped: dict[str, Any] | None = None) -> tuple[Any, ...]:
        """The model's JSON as constant bytes and what goes between them (a single id's label or None, `_name` of
        a person's label, or a fill), in the order its serializer writes its fields (a field it leaves out is left
        out). ``dumped`` is the model's ``model_dump(mode="json")`` when the caller has it.

        The JSON is written once, with a `_marker` in each field that holds a fill, and cut at the markers. No
        other value of a stored determination holds the case's text (that is what the fills are), so nothing
        else can read like a marker; should the count of markers found differ even so, the JSON is written
        field by field instead (`_compile_fields`)."""
        assert self.model is not None
        if dumped is None:
            dumped = self.model.model_dump(mode="json")
        marked = dict(dumped)
        between: list[Any] = []
        for fill in self.fills:
            slot, stored = fill
            name = slot.name
            if name not in marked:  # a field the serializer leaves out
                continue
            what = slot.what
            marked[name] = _marker(len(between))
            if what == "name":
                between.append(_name(stored))
            elif what == "unit" or what == "case_id":
                between.append(_UNIT if what == "unit" else _CASE_ID)
            elif (what == "person" or what == "violation") and not slot.many:
                between.append(stored)
            else:
                between.append(fill)
        pieces = _MARKED.split(pydantic_core.to_json(marked))
        found = pieces[1::2]
        if found != _NUMBERS[: len(between)]:  # the fields are written in another order than declared
            if sorted(found, key=int) != _NUMBERS[: len(between)]:
                return self._compile_fields(dumped)
            between = [between[int(number)] for number in found]
        parts: list[Any] = pieces
        parts[0::2] = map(_shared, pieces[0::2])
        parts[1::2] = between
        return tuple(parts)

    def _compile_fields(self, dumped: dict[str, Any]) -> tuple[Any, ...]:
        """`_compile`, field by field."""
        fills = {slot.name: (slot, value) for slot, value in self.fills}
        parts: list[Any] = []
        text = b"{"
        for i, (name, value) in enumerate(dumped.items()):
            text += (b"," if i else b"") + pydantic_core.to_json(name) + b":"
            fill = fills.get(name)
            if fill is None:
                text += pydantic_core.to_json(value)
                continue
            slot, stored = fill
            if slot.what == "name":
                parts += [_shared(text), _name(stored)]
            elif slot.what == "unit" or slot.what == "case_id":
                parts += [_shared(text), _UNIT if slot.what == "unit" else _CASE_ID]
            elif (slot.what == "person" or slot.what == "violation") and not slot.many:
                parts += [_shared(text), stored]
            else:
                parts += [_shared(text), fill]
            text = b""
        parts.append(_shared(text + b"}"))
        return tuple(parts)


def _dumped(dumped: dict[str, Any] | None, name: str) -> Any:
    """The dumped value of field ``name``, or None (no dump, or a field the serializer leaves out)."""
    return None if dumped is None else dumped.get(name)


def _marker(index: int) -> str:
    """What stands in the JSON `_Node._compile` writes for its ``index``-th fill (control characters, which no
    value of a stored determination holds)."""
    return _MARKERS[index] if index < len(_MARKERS) else f"\x00\x03{index}"


_MARKERS = [f"\x00\x03{index}" for index in range(64)]
#: The indexes of `_marker` s as `_MARKED` captures them, in order.
_NUMBERS = [str(index).encode() for index in range(4096)]


#: A `_marker` as JSON writes it, the fill's index captured.
_MARKED = re.compile(rb'"\\u0000\\u0003([0-9]+)"')


_first = operator.itemgetter(0)
#: The slots a flat model holds between its constant parts.
_SINGLE = frozenset({"person", "violation", "name", "unit", "case_id"})


def _by_ids_alone(slot: _Slot, value: Any, keys_by_ids: bool) -> bool:
    """Whether the items of a `_Node`'s fill, and of the models in it, are ordered by the order of ids alone
    (``keys_by_ids``: whether a list fill's own order keys are, `_ids_alone`)."""
    if slot.what == "models":
        return keys_by_ids and all(type(n) is tuple or n.by_ids_alone for _, n in value)
    return value.by_ids_alone if slot.what == "model" else True


def _ids_alone(keys: list[Any]) -> bool:
    """Whether order keys compare the ids they hold (`_token` s) only with ids or with "", so that the order of
    the keys once the ids are restored follows from the order of the ids alone."""
    rows = [key if isinstance(key, tuple) else (key,) for key in keys]
    for column in itertools.zip_longest(*rows, fillvalue=""):
        token = other = False
        for part in column:
            if type(part) is str and part[:1] == "\x00":
                token = True
            elif part != "":
                other = True
            if token and other:
                return False
    return True


def _kept(node: _Node, json_only: bool) -> _Node | tuple[Any, ...]:
    """What a list keeps of an item: kept for JSON only, a model with nothing nested is kept as its parts."""
    return node.parts if json_only and node.flat else node


#: Short constant parts, one copy each: most are the same joints between fields in every determination.
_SHARED: dict[bytes, bytes] = {}


def _shared(text: bytes) -> bytes:
    if len(text) > 64 or len(_SHARED) >= 1 << 16:
        return text
    return _SHARED.setdefault(text, text)


def _compact(keys: list[Any]) -> list[Any]:
    """Order keys that sort alike for any ids, each tuple's tail after its last `_token` replaced by the tail's
    rank among the list's tails (less to keep and to compare: a trace step's facts are compared once, here)."""
    if not keys or not all(type(key) is tuple or isinstance(key, tuple) for key in keys):
        return keys
    keys = [tuple(key) for key in keys]
    if len({len(key) for key in keys}) != 1:
        return keys
    tokened = [i for key in keys for i, part in enumerate(key) if type(part) is str and part.startswith("\x00")]
    cut = max(tokened, default=-1) + 1
    if cut >= len(keys[0]) - 1:
        return keys
    rank = {tail: i for i, tail in enumerate(sorted({key[cut:] for key in keys}))}
    return [(*key[:cut], rank[key[cut:]]) for key in keys]


def _tokened(model: BaseModel, labels: _Labels | None = None) -> types.SimpleNamespace:
    """The fields of ``model`` with a `_token` for each single id (of its label, given ``labels`` for a model in ids),
    for an order key that keeps where the ids go: what an order of `LIST_ORDERS` reads (its fields), without
    building a model."""
    values = dict(model.__dict__)
    for name, person in _single_ids(type(model)):
        value = values[name]
        if value is not None:
            if labels is not None:
                value = (labels.people if person else labels.violations)[value]
            values[name] = _token(value)
    return types.SimpleNamespace(**values)


@functools.cache
def _single_ids(cls: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """The `slots` of ``cls`` that hold one person's or one violation's id: (field, whether a person's)."""
    return tuple(
        (slot.name, slot.what == "person")
        for slot in slots(cls)
        if (slot.what == "person" or slot.what == "violation") and not slot.many
    )


@dataclass(frozen=True)
class _Labels:
    """The labels of a case's ids, people's and violations' apart (a person and a violation may share an id)."""

    people: Mapping[str, str]
    violations: Mapping[str, str]


class _Stored:
    """A determination in labels (`_to_labels`), restored for a case as a model or as compact JSON; kept for JSON
    only (``json_only``), it can only give JSON.

    Its JSON for a case is laid out once per order of the case's ids (a person's label and id need not sort
    alike) and kept as the sequence of its parts: a later case whose ids sort alike only fills in its ids and
    names (`_Context.encoded`) and joins. At most `LAYOUTS` layouts are kept; `layout_bytes` is their size."""

    LAYOUTS = 2

    def __init__(self, determination: Determination, json_only: bool = False, labels: _Labels | None = None) -> None:
        """``determination`` in labels, or in the case's ids and their ``labels``."""
        self.root = _Node(determination, json_only, labels=labels)
        self.layouts: dict[tuple[str, ...], _Layout] = {}
        self.layout_bytes = 0

    @property
    def json_only(self) -> bool:
        return self.root.model is None

    def restore(self, case: Case, canonical: Canonical) -> Determination:
        """A fresh determination for ``case``, its lists in the orders `accountrules.models` declares."""
        restored: Determination = self.root.restore(_Context.of(case, canonical))
        return restored

    def json(self, case: Case, canonical: Canonical) -> bytes:
        """``restore(…).to_json(indent=None)`` as UTF-8, written straight from the stored parts."""
        return self.json_of(_Context.of(case, canonical))

    def json_of(self, context: _Context) -> bytes:
        """`json` for the case of ``context``."""
        order = context.order if self.root.by_ids_alone else None
        layout = None if order is None else self.layouts.get(order)
        if layout is None:
            parts = self._layout(context)
            if order is None or len(self.layouts) >= self.LAYOUTS:
                fill = context.encoded.get
                return b"".join(map(fill, parts, parts))
            layout = self.layouts[order] = _Layout(parts)
            self.layout_bytes += layout.size
        return layout.json(context.encoded)

    def _layout(self, context: _Context) -> tuple[Any, ...]:
        out: list[Any] = []
        self.root.layout(context, out)
        return tuple(out)


class _Layout:
    """A stored determination's JSON for one order of a case's ids: its parts, nulls written in, and where the
    parts that stand for the case's ids, names, unit and case id are, so that a like case fills in only those
    (a third of the parts) instead of looking up every part."""

    __slots__ = ("holes", "parts", "size", "stands")

    def __init__(self, parts: tuple[Any, ...]) -> None:
        self.parts: tuple[Any, ...] = tuple(b"null" if part is None else part for part in parts)
        self.holes = tuple(i for i, part in enumerate(self.parts) if type(part) is not bytes)
        self.stands: tuple[str, ...] = tuple(self.parts[i] for i in self.holes)
        #: What it holds beyond the parts the nodes keep: references to them, and its holes.
        self.size = 8 * len(self.parts) + 16 * len(self.holes) + 64

    def json(self, encoded: Mapping[str | None, bytes]) -> bytes:
        out = list(self.parts)
        for i, stands in zip(self.holes, self.stands, strict=True):
            out[i] = encoded[stands]
        return b"".join(out)


@functools.cache
def _marks(cls: type[BaseModel]) -> tuple[tuple[str, str, bool, type[BaseModel] | None, str], ...]:
    """`slots` of ``cls`` as `_Written` walks a model's dumped JSON: (field, what, a list of ids, the model a
    ``model`` or ``models`` slot holds, the field naming the person of a ``name``), the names last."""
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    for slot in slots(cls):
        nested = _nested(hints[slot.name]) if slot.what in ("model", "models") else None
        out.append((slot.name, slot.what, slot.many, None if nested is None else nested[0], slot.person))
    return tuple(sorted(out, key=lambda mark: mark[1] == "name"))


@functools.cache
def _nested_lists(cls: type[BaseModel]) -> bool:
    """Whether a ``cls`` holds lists of models, directly or in the models it holds."""
    return any(
        what == "models" or (what == "model" and nested is not None and _nested_lists(nested))
        for _, what, _, nested, _ in _marks(cls)
    )


def _orders_by_ids(model: BaseModel, labels: _Labels) -> bool:
    """`_Node.by_ids_alone` of ``model`` (in the case's ids, whose ``labels`` these are), without the nodes:
    whether the order of every list in it follows from the order of the case's ids alone."""
    for name, what, _, nested, _ in _marks(type(model)):
        value = model.__dict__[name]
        if what == "model":
            if value is not None and nested is not None and _nested_lists(nested) and not _orders_by_ids(value, labels):
                return False
        elif what == "models" and value and nested is not None:
            order = LIST_ORDERS[nested]
            if len(value) > 1 and not _ids_alone([order(_tokened(item, labels)) for item in value]):
                return False
            if _nested_lists(nested) and not all(_orders_by_ids(item, labels) for item in value):
                return False
    return True


class _Written:
    """A determination kept as the JSON written for the case it was evaluated for, laid out for that case's order
    of ids (`_Context.order`): a like case whose ids sort alike fills in its own ids and names, as `_Stored.json`
    would give (the layout is the same: the parts stand where the output models' `CaseValue` fields are). A like
    case whose ids sort otherwise, or a model asked for, gets it stored in labels first (`stored`).

    The layout is cut from the JSON once, with a `_marker` in each field that holds a case's value, rather than
    made node by node (`_Node`): a third of the cost of storing, and far less to pickle for the other workers."""

    __slots__ = ("layout", "order", "origin", "people", "violations")

    def __init__(
        self, layout: _Layout, order: tuple[str, ...], origin: dict[str | None, bytes], labels: _Labels
    ) -> None:
        self.layout = layout
        self.order = order
        #: What the layout's parts stood for in the case it was written for (its own `_Context.encoded`).
        self.origin = origin
        self.people = labels.people
        self.violations = labels.violations

    @property
    def layout_bytes(self) -> int:
        return self.layout.size

    def sorts_alike(self, ids: Mapping[str, str]) -> bool:
        """Whether a like case's ids (label → id) sort as the written case's did, each differing from the others:
        its `_Context.order` is this one's."""
        last: str | None = None
        for label in self.order:
            value = ids[label]
            if last is not None and not last < value:
                return False
            last = value
        return True

    @property
    def text(self) -> bytes:
        """The JSON of the case it was written for."""
        return self.layout.json(self.origin)

    def stored(self, json_only: bool) -> _Stored:
        """Stored in labels, for any order of ids (a layout for its own order kept)."""
        stored = _Pending(self.text, self.people, self.violations).stored(json_only)
        if json_only:
            stored.layouts[self.order] = self.layout
            stored.layout_bytes = self.layout.size
        return stored

    @classmethod
    def of(
        cls, determination: Determination, text: bytes, people: Mapping[str, str], violations: Mapping[str, str]
    ) -> _Written | None:
        """``determination``, whose JSON is ``text``, kept for the case whose ids have these labels (``people``,
        ``violations``); None when its layout
        would not serve like cases whose ids sort alike (an order that compares an id with text, a person and a
        violation sharing an id) or the JSON holds what reads like a marker."""
        ids = {label: pid for pid, label in people.items()}
        ids.update((label, vid) for vid, label in violations.items())
        if len(set(ids.values())) != len(ids):
            return None
        labels = _Labels(people, violations)
        if not _orders_by_ids(determination, labels):
            return None
        data = determination.model_dump(mode="json")
        between: list[str | None] = []
        origin: dict[str | None, bytes] = {None: b"null"}
        _mark(data, Determination, labels, between, origin)
        pieces = _MARKED.split(pydantic_core.to_json(data))
        found = pieces[1::2]
        if found != _NUMBERS[: len(between)]:
            if sorted(found, key=int) != _NUMBERS[: len(between)]:
                return None
            between = [between[int(number)] for number in found]
        parts: list[Any] = pieces
        parts[0::2] = map(_shared, pieces[0::2])
        parts[1::2] = between
        written = cls(_Layout(tuple(parts)), tuple(sorted(ids, key=ids.__getitem__)), origin, labels)
        return written if written.text == text else None


def _mark(
    data: dict[str, Any],
    cls: type[BaseModel],
    labels: _Labels,
    between: list[str | None],
    origin: dict[str | None, bytes],
) -> None:
    """Put a `_marker` in each field of ``data`` (``cls`` dumped as JSON) that holds a case's value, appending
    what the marker stands for to ``between`` and its JSON in the case to ``origin``."""
    own: dict[str, str] = {}
    for name, what, many, nested, person in _marks(cls):
        if name not in data:  # a field the serializer leaves out
            continue
        value = data[name]
        if what == "model":
            if value is not None and nested is not None:
                _mark(value, nested, labels, between, origin)
            continue
        if what == "models":
            assert nested is not None
            for item in value:
                _mark(item, nested, labels, between, origin)
            continue
        if value is None:
            continue
        if what == "person" or what == "violation":
            table = labels.people if what == "person" else labels.violations
            if many:
                marked = []
                for one in value:
                    stands = table[one]
                    origin[stands] = _ENCODED.get(one) or _encoded(one)
                    marked.append(_marker(len(between)))
                    between.append(stands)
                data[name] = marked
                continue
            stands = own[name] = table[value]
        elif what == "name":
            stands = _name(own[person])
        else:
            stands = _UNIT if what == "unit" else _CASE_ID
        origin[stands] = pydantic_core.to_json(value)
        data[name] = _marker(len(between))
        between.append(stands)


class _Pending:
    """A determination stored by `DeterminationCache.determine_json`, as the JSON written for its case and the
    labels of that case's ids, until a like case asks for it: then it is read back and laid out (`kept`). While
    cases rarely repeat (see `DeterminationCache.determine_json`), an archive pays only for keeping the bytes,
    and workers pass each other bytes, not stored models."""

    __slots__ = ("people", "text", "violations")

    def __init__(self, text: bytes, people: Mapping[str, str], violations: Mapping[str, str]) -> None:
        self.text = text
        self.people = people
        self.violations = violations

    def kept(self) -> _Stored | _Written:
        """Kept for like cases' JSON: as written (`_Written`) where it can be, else stored in labels."""
        model = Determination.model_validate_json(self.text)
        written = _Written.of(model, self.text, self.people, self.violations)
        return _Stored(model, True, _Labels(self.people, self.violations)) if written is None else written

    def stored(self, json_only: bool) -> _Stored:
        model = Determination.model_validate_json(self.text)
        if json_only:
            return _Stored(model, json_only, _Labels(self.people, self.violations))
        return _Stored(_Relabel(self.people, self.violations, {}, "", "").model(model))


@dataclass
class _Entry:
    stored: _Stored | _Pending | _Written
    size: int = 0


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    entries: int = 0
    bytes: int = 0


@dataclass
class DeterminationCache:
    """Determinations by canonical key, least recently used first out, bounded in entries and in bytes.

    Safe to share between threads. ``plan`` reads the fields the engine asserts (`asserted_fields`).
    """

    plan: FactPlan
    max_entries: int = DEFAULT_MAX_ENTRIES
    max_bytes: int = DEFAULT_MAX_BYTES
    stats: CacheStats = field(default_factory=CacheStats)
    #: Remember new entries for `fresh` (worker processes share what each evaluated).
    keep_fresh: bool = False
    _fresh: list[tuple[bytes, Any]] = field(default_factory=list)
    _entries: OrderedDict[bytes, _Entry] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    #: `determine_json` stores a miss at once when at least one lookup in this many has hit.
    EAGER_SHARE: ClassVar[int] = 5

    def canonical(self, case: Case) -> Canonical:
        return self.plan.canonical(case)

    def determine(self, case: Case, canonical: Canonical, evaluate: Callable[[], Determination]) -> Determination:
        """The determination of ``case``: restored from the cache, or ``evaluate()`` d and stored."""
        entry = self._get(canonical.key)
        if entry is not None:
            stored = entry.stored
            if isinstance(stored, (_Pending, _Written)):
                stored = entry.stored = stored.stored(json_only=False)
            elif stored.json_only:  # laid out for JSON only: read its JSON back once
                model = Determination.model_validate_json(stored.json(case, canonical))
                stored = entry.stored = _Stored(_to_labels(model, canonical))
            return stored.restore(case, canonical)
        determination = evaluate()
        self._store(canonical, determination)
        return determination

    def determine_json(self, case: Case, canonical: Canonical, evaluate: Callable[[], Determination]) -> bytes:
        """``determine(…).to_json(indent=None)`` as UTF-8, written on a hit straight from the kept JSON parts
        (`_Written`, `_Stored.json`), far cheaper than restoring the model and writing it. A miss keeps the JSON it
        wrote until a like case asks (`_Pending`), unless like cases have been coming often (at least one lookup
        in `EAGER_SHARE` hit): then it is laid out at once from the model at hand (`_Written`), which saves
        reading the JSON back, and the worker that evaluated it hands the laid-out entry to the others instead of
        each of them laying it out again. tests/test_batch_cache.py checks that all give the same bytes."""
        entry = self._get(canonical.key)
        if entry is not None:
            return self._json(entry, canonical, _Context.of(case, canonical))
        determination = evaluate()
        text = determination.to_json(indent=None).encode("utf-8")
        hits = self.stats.hits
        if hits and hits * self.EAGER_SHARE >= self.stats.misses + hits:
            people, violations = canonical.people, canonical.violations
            written = _Written.of(determination, text, people, violations)
            kept = written or _Stored(determination, json_only=True, labels=_Labels(people, violations))
            self._put(canonical.key, _Entry(kept, len(text) + kept.layout_bytes))
        else:
            self._put(canonical.key, _Entry(_Pending(text, canonical.people, canonical.violations), len(text)))
        return text

    def _json(self, entry: _Entry, canonical: Canonical, context: _Context) -> bytes:
        """A hit's JSON: the written layout filled in when the case's ids sort as the written case's did, else
        from the entry stored in labels (kept, as the layouts it makes count against `max_bytes`)."""
        kept = entry.stored
        before = 0 if isinstance(kept, _Pending) else kept.layout_bytes
        if isinstance(kept, _Pending):
            kept = entry.stored = kept.kept()
        if isinstance(kept, _Written) and kept.sorts_alike(context.ids):
            text = kept.layout.json(context.encoded)
        else:
            if isinstance(kept, _Written):
                kept = entry.stored = kept.stored(json_only=True)
            text = kept.json_of(context)
        if kept.layout_bytes != before:
            self._grow(canonical.key, entry, kept.layout_bytes - before)
        return text

    def _store(self, canonical: Canonical, determination: Determination) -> None:
        size = len(determination.to_json(indent=None))
        self._put(canonical.key, _Entry(_Stored(_to_labels(determination, canonical)), size))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.stats = CacheStats()

    def fresh(self) -> list[tuple[bytes, Any]]:
        """The entries stored since the last call (to hand to other caches of the same pack with `adopt`);
        only kept once `keep_fresh` is set."""
        with self._lock:
            out, self._fresh = self._fresh, []
        return out

    def adopt(self, entries: Iterable[tuple[bytes, Any]]) -> None:
        """Store entries another cache of the same pack made (its `fresh`), as if this cache had made them."""
        for key, entry in entries:
            if isinstance(entry, _Entry):
                self._put(key, entry, fresh=False)

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: bytes) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return entry

    def _grow(self, key: bytes, entry: _Entry, size: int) -> None:
        """Count ``size`` more bytes for ``entry`` (a layout it keeps), if it is still cached."""
        with self._lock:
            if self._entries.get(key) is not entry:
                return
            entry.size += size
            self.stats.bytes += size
            self._evict()

    def _put(self, key: bytes, entry: _Entry, fresh: bool = True) -> None:
        with self._lock:
            if fresh and self.keep_fresh:
                self._fresh.append((key, entry))
            old = self._entries.pop(key, None)
            if old is not None:
                self.stats.bytes -= old.size
            self._entries[key] = entry
            self.stats.bytes += entry.size
            self._evict()

    def _evict(self) -> None:
        """Drop the least recently used entries while the cache holds too many or too much (under the lock)."""
        while self._entries and (len(self._entries) > self.max_entries or self.stats.bytes > self.max_bytes):
            _, evicted = self._entries.popitem(last=False)
            self.stats.bytes -= evicted.size
            self.stats.evictions += 1
        self.stats.entries = len(self._entries)


def _copied(model: Any) -> dict[str, Any]:
    """A model's field values, its lists and dicts copied (the models inside them are frozen)."""
    return {
        name: list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
        for name, value in model.__dict__.items()
    }
