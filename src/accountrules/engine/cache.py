"""A bounded cache of determinations, keyed by the facts the engine asserts with their ids relabelled.

Rules may only join ids (``$alias.p``), never compare them with constants, so durable_rules matches the same
way whatever the ids are called; names, titles, amounts, dates and the case id are never asserted at all.
Two cases that assert the same facts up to the names of their ids therefore get the same determination up to
those names. The key is a digest of the facts of both stages' fields (`DurableRuntime` asserts nothing else)
with canonical labels in place of ids:

- violations and decisions are numbered in the order of their ids (``v0``, ``v1``, …): the engine breaks an
  exact tie between two findings of one person by the violation's id, and keeping the order keeps the tie-break;
- people are numbered by their own facts (roles, areas, offences, acts and participation, naming violations and
  decisions by their labels). No fact relates two people, so nothing decided for one person depends on what
  another is called, and a case whose people are numbered differently still hits.

On a hit the stored determination (in labels) gets the case's ids, names, unit and case id back, and every list
the engine sorts by id is sorted again with the engine's own keys, so the result is the same, byte for byte, as
an evaluation would give (tests/test_batch_cache.py proves it over generated cases).
"""

from __future__ import annotations

import hashlib
import operator
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic_core

from accountrules.engine.durable import runtime_for
from accountrules.engine.flatten import Fact
from accountrules.models import (
    Case,
    Determination,
    DualInvestigation,
    MissingLink,
    Organization,
    PersonResult,
    TraceStep,
)
from accountrules.rulepack.pack import RulePack

#: The id fields of the fact vocabulary, and the kind of id each holds.
ID_FIELDS = {"p": "person", "v": "violation", "d": "decision"}
#: Fields every fact carries for durable_rules' sake; the fact's identity is derived from the others.
_BOOKKEEPING = frozenset({"t", "id"})

DEFAULT_MAX_ENTRIES = 4096
DEFAULT_MAX_BYTES = 48 * 1024 * 1024


def _labels(prefix: str, ids: Iterable[str]) -> dict[str, str]:
    """Zero-padded labels, so that the labels sort as their positions do."""
    ordered = list(ids)
    width = len(str(max(len(ordered) - 1, 0)))
    return {original: f"{prefix}{i:0{width}d}" for i, original in enumerate(ordered)}


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
    """How to read the asserted fields of each fact type: a getter, where the person is, which values are
    violation or decision ids. Built once per engine."""

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        self.fields = {t: tuple(names) for t, names in fields.items()}
        self.types: dict[str, tuple[bool, Callable[[Fact], tuple[Any, ...]], tuple[tuple[int, str], ...]]] = {}
        for fact_type, names in self.fields.items():
            others = [n for n in names if n != "p"]
            relabelled = tuple((i + 1, n) for i, n in enumerate(others) if n in ("v", "d"))
            self.types[fact_type] = ("p" in names, operator.itemgetter("t", *others), relabelled)

    @classmethod
    def for_pack(cls, pack: RulePack) -> FactPlan:
        """The plan of the facts the engine of ``pack`` asserts, in either stage."""
        return cls(asserted_fields(stage.fields for stage in runtime_for(pack).stages.values()))


def canonicalize(case: Case, facts: Iterable[Fact], plan: FactPlan) -> Canonical:
    """The key of ``case``, whose flattened facts are ``facts``, read as ``plan`` says (a fact type that is not
    in the plan is not asserted)."""
    relabel = {
        "v": _labels("v", sorted(v.id for v in case.violations)),
        "d": _labels("d", sorted(d.id for d in case.decisions)),
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
            profiles[fact["p"]].append(values)
        else:
            common.append(values)
    profile = {pid: tuple(sorted(entries)) for pid, entries in profiles.items()}
    ordered = sorted(profile, key=lambda pid: (profile[pid], pid))
    rank = {p: i for i, p in enumerate(sorted(set(profile.values())))}
    material = repr((tuple(sorted(common)), tuple(profile[pid] for pid in ordered)))
    return Canonical(
        key=hashlib.blake2b(material.encode("utf-8"), digest_size=16).digest(),
        people=_labels("p", ordered),
        violations=relabel["v"],
        classes={pid: rank[profile[pid]] for pid in ordered},
    )


def asserted_fields(stage_fields: Iterable[Mapping[str, Sequence[str]]]) -> dict[str, tuple[str, ...]]:
    """Per fact type, the fields any stage asserts, without the bookkeeping ones, in a fixed order."""
    union: dict[str, set[str]] = {}
    for fields in stage_fields:
        for fact_type, names in fields.items():
            union.setdefault(fact_type, set()).update(n for n in names if n not in _BOOKKEEPING)
    return {fact_type: tuple(sorted(names)) for fact_type, names in sorted(union.items())}


# ---------------------------------------------------------------------------------------------------------------
# The engine's orderings, restated for restored ids (see Engine._determination and Engine._trace).


def trace_key(step: TraceStep) -> tuple[Any, ...]:
    """The key the engine sorts trace steps by (its ``f.facts`` is ``tuple(step.facts.items())``)."""
    return (
        step.person is None,
        step.person or "",
        step.violation is None,
        step.violation or "",
        step.rule,
        step.effect,
        repr(tuple(step.facts.items())),
    )


def _json(value: str | None) -> bytes:
    return b"null" if value is None else pydantic_core.to_json(value)


@dataclass
class _Restore:
    """From labels back to one case's ids and names."""

    people: dict[str, str]
    violations: dict[str, str]
    names: dict[str, str]

    @classmethod
    def of(cls, case: Case, canonical: Canonical) -> _Restore:
        return cls(
            people={label: pid for pid, label in canonical.people.items()},
            violations={label: vid for vid, label in canonical.violations.items()},
            names={p.id: p.name for p in case.people},
        )

    def person(self, label: str | None) -> str | None:
        return None if label is None else self.people[label]

    def violation(self, label: str | None) -> str | None:
        return None if label is None else self.violations[label]


class _Template:
    """A determination in labels as JSON fragments, filled in and ordered for one case without pydantic."""

    def __init__(self, canonical: Determination) -> None:
        text = canonical.to_json(indent=None).encode("utf-8")
        head, _, _ = text.partition(b'"people":[')
        self.after_case_id = head[len(b'{"case_id":""') :]
        self.people = [(p.person, self._person_rest(p)) for p in canonical.people]
        org = canonical.organization
        org_json = org.model_dump_json().encode("utf-8")
        self.org_rest = org_json[len(b'{"unit":""') :]
        self.publicize = b"true" if canonical.publicize else b"false"
        dual = canonical.dual_investigation
        self.complete = b"true" if dual.complete else b"false"
        self.examined = list(dual.examined)
        self.missing = [(m.person, m.violation) for m in dual.missing]
        self.trace = [self._step(step) for step in canonical.trace]
        self.size = len(text)

    @staticmethod
    def _person_rest(result: PersonResult) -> bytes:
        blank = result.model_copy(update={"person": "", "name": ""})
        return blank.model_dump_json().encode("utf-8")[len(b'{"person":"","name":""') :]

    @staticmethod
    def _step(step: TraceStep) -> tuple[str | None, str | None, tuple[Any, ...], bytes, bytes]:
        to_json = pydantic_core.to_json
        before = b'{"rule":%s,"title":%s,"cites":%s,"person":' % (
            to_json(step.rule),
            to_json(step.title),
            to_json(step.cites),
        )
        after = b',"facts":%s,"effect":%s}' % (to_json(step.facts), to_json(step.effect))
        tail = (step.rule, step.effect, repr(tuple(step.facts.items())))
        return step.person, step.violation, tail, before, after

    def fill(self, case: Case, restore: _Restore) -> bytes:
        people = sorted((restore.people[label], rest) for label, rest in self.people)
        trace = []
        for p_label, v_label, tail, before, after in self.trace:
            person, violation = restore.person(p_label), restore.violation(v_label)
            key = (person is None, person or "", violation is None, violation or "", *tail)
            trace.append((key, before, person, violation, after))
        trace.sort(key=lambda item: item[0])
        missing = sorted((restore.people[p], restore.violations[v]) for p, v in self.missing)
        parts: list[bytes] = [b'{"case_id":', _json(case.case_id), self.after_case_id, b'"people":[']
        parts.append(
            b",".join(
                b'{"person":' + _json(pid) + b',"name":' + _json(restore.names.get(pid, "")) + rest
                for pid, rest in people
            )
        )
        parts += [b'],"organization":{"unit":', _json(case.unit.name), self.org_rest]
        parts += [b',"publicize":', self.publicize, b',"dual_investigation":{"complete":', self.complete]
        parts += [b',"examined":[', b",".join(_json(p) for p in sorted(restore.people[x] for x in self.examined))]
        parts += [
            b'],"missing":[',
            b",".join(b'{"person":' + _json(p) + b',"violation":' + _json(v) + b"}" for p, v in missing),
            b']},"trace":[',
        ]
        parts.append(
            b",".join(
                before + _json(person) + b',"violation":' + _json(violation) + after
                for _, before, person, violation, after in trace
            )
        )
        parts.append(b"]}")
        return b"".join(parts)


@dataclass
class _Entry:
    model: Determination | None = None
    template: _Template | None = None
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
    _entries: OrderedDict[bytes, _Entry] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def canonical(self, case: Case, facts: Sequence[Fact]) -> Canonical:
        return canonicalize(case, facts, self.plan)

    def determine(self, case: Case, canonical: Canonical, evaluate: Callable[[], Determination]) -> Determination:
        """The determination of ``case``: restored from the cache, or ``evaluate()`` d and stored."""
        entry = self._get(canonical.key)
        if entry is not None:
            if entry.model is None:  # stored by determine_json: read its text back once
                assert entry.template is not None
                entry.model = Determination.model_validate_json(entry.template.fill(case, _Restore.of(case, canonical)))
                entry.model = _to_labels(entry.model, canonical)
            return _from_labels(entry.model, case, canonical)
        determination = evaluate()
        model = _to_labels(determination, canonical)
        self._put(canonical.key, _Entry(model=model, size=len(determination.to_json(indent=None))))
        return determination

    def determine_json(self, case: Case, canonical: Canonical, evaluate: Callable[[], Determination]) -> bytes:
        """``determine(…).to_json(indent=None)`` as UTF-8, filled in from stored JSON fragments on a hit."""
        entry = self._get(canonical.key)
        if entry is not None:
            if entry.template is None:
                assert entry.model is not None
                entry.template = _Template(entry.model)
            return entry.template.fill(case, _Restore.of(case, canonical))
        determination = evaluate()
        template = _Template(_to_labels(determination, canonical))
        self._put(canonical.key, _Entry(template=template, size=template.size))
        return determination.to_json(indent=None).encode("utf-8")

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.stats = CacheStats()

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

    def _put(self, key: bytes, entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.stats.bytes -= old.size
            self._entries[key] = entry
            self.stats.bytes += entry.size
            while self._entries and (len(self._entries) > self.max_entries or self.stats.bytes > self.max_bytes):
                _, evicted = self._entries.popitem(last=False)
                self.stats.bytes -= evicted.size
                self.stats.evictions += 1
            self.stats.entries = len(self._entries)


_set = object.__setattr__


def _build(cls: Any, values: dict[str, Any]) -> Any:
    """``cls.model_construct(**values)`` for values of every field, without its per-call overhead (a restore
    builds some fifty models)."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def _to_labels(determination: Determination, canonical: Canonical) -> Determination:
    """The determination with labels for ids and no names, unit or case id."""
    people, violations = canonical.people, canonical.violations

    def violation(vid: str | None) -> str | None:
        return None if vid is None else violations[vid]

    def person(pid: str | None) -> str | None:
        return None if pid is None else people[pid]

    dual = determination.dual_investigation
    return Determination.model_construct(
        case_id="",
        rulepack=determination.rulepack,
        people=sorted(
            (r.model_copy(update={"person": people[r.person], "name": ""}) for r in determination.people),
            key=lambda r: r.person,
        ),
        organization=determination.organization.model_copy(update={"unit": ""}),
        publicize=determination.publicize,
        dual_investigation=DualInvestigation.model_construct(
            complete=dual.complete,
            examined=sorted(people[p] for p in dual.examined),
            missing=sorted(
                (
                    MissingLink.model_construct(person=people[m.person], violation=violations[m.violation])
                    for m in dual.missing
                ),
                key=lambda m: (m.person, m.violation),
            ),
        ),
        trace=sorted(
            (
                step.model_copy(update={"person": person(step.person), "violation": violation(step.violation)})
                for step in determination.trace
            ),
            key=trace_key,
        ),
    )


def _from_labels(stored: Determination, case: Case, canonical: Canonical) -> Determination:
    """A fresh determination for ``case`` from one in labels (nothing mutable is shared with the stored one)."""
    restore = _Restore.of(case, canonical)
    people = []
    for r in stored.people:
        pid = restore.people[r.person]
        people.append(
            _build(
                PersonResult,
                {
                    "person": pid,
                    "name": restore.names.get(pid, ""),
                    "responsibility": r.responsibility,
                    "scope": r.scope,
                    "range": r.range,
                    "form": r.form,
                    "measure": r.measure,
                    "modifiers": list(r.modifiers),
                    "refused": list(r.refused),
                    "findings": list(r.findings),
                },
            )
        )
    people.sort(key=lambda r: r.person)
    trace = [
        _build(
            TraceStep,
            {
                "rule": step.rule,
                "title": step.title,
                "cites": list(step.cites),
                "person": restore.person(step.person),
                "violation": restore.violation(step.violation),
                "facts": dict(step.facts),
                "effect": step.effect,
            },
        )
        for step in stored.trace
    ]
    trace.sort(key=trace_key)
    dual = stored.dual_investigation
    missing = [
        _build(MissingLink, {"person": restore.people[m.person], "violation": restore.violations[m.violation]})
        for m in dual.missing
    ]
    missing.sort(key=lambda m: (m.person, m.violation))
    organization = stored.organization
    return _build(  # type: ignore[no-any-return]
        Determination,
        {
            "case_id": case.case_id,
            "rulepack": stored.rulepack,
            "people": people,
            "organization": _build(
                Organization,
                {
                    "unit": case.unit.name,
                    "responsibility": organization.responsibility,
                    "measures": list(organization.measures),
                },
            ),
            "publicize": stored.publicize,
            "dual_investigation": _build(
                DualInvestigation,
                {
                    "complete": dual.complete,
                    "examined": sorted(restore.people[p] for p in dual.examined),
                    "missing": missing,
                },
            ),
            "trace": trace,
        },
    )
