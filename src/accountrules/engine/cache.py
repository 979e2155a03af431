"""A bounded cache of determinations, keyed by the facts the engine asserts with their ids relabelled.

Rules may only join ids (``$alias.p``), never compare them with constants, so durable_rules matches the same
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
over generated cases). `determine_json` serves compact JSON from stored fragments instead, for speed (see there).
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import operator
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic_core

from accountrules.engine.durable import runtime_for
from accountrules.engine.flatten import Fact, compile_reader
from accountrules.engine.versions import case_versions
from accountrules.models import (
    Case,
    Determination,
    DualInvestigation,
    MissingLink,
    Note,
    Organization,
    PersonResult,
    RulesInForce,
    TraceStep,
    assemble,
    in_force_order,
    missing_order,
    note_order,
    result_order,
    step_order,
    trace_order,
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
            others = [n for n in names if n != "p"]
            relabelled = tuple((i + 1, n) for i, n in enumerate(others) if ID_FIELDS.get(n, "person") != "person")
            self.types[fact_type] = ("p" in names, operator.itemgetter("t", *others), relabelled)
        self.direct = _DirectReader(self)

    @classmethod
    def for_pack(cls, pack: RulePack) -> FactPlan:
        """The plan of the facts the engine of ``pack`` asserts, in either stage."""
        fields = asserted_fields(stage.fields for stage in runtime_for(pack).stages.values())
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
    add_context(case, plan.versions, relabel["v"], common, profiles)
    return _canonical(common, profiles, relabel["v"])


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
    ordered = sorted([(tuple(sorted(entries)), pid) for pid, entries in profiles.items()])
    classes: dict[str, int] = {}
    last: tuple[Any, ...] | None = None
    rank = -1
    for profile, pid in ordered:
        if profile != last:
            rank, last = rank + 1, profile
        classes[pid] = rank
    # marshal's version 0 writes values only (no references, no interning flags): equal facts, equal bytes
    material = marshal.dumps((tuple(sorted(common)), tuple(profile for profile, _ in ordered)), 0)
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
        decisions = _labels("d", sorted([d.id for d in case.decisions]))
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
# Storing and restoring


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
    """A determination in labels as JSON fragments, filled in and ordered for one case without pydantic.

    Its trace is kept in blocks, one per person (in label order, the unit's last): within a block the steps
    are already in the engine's order for any case, because violation labels keep the order of violation ids
    and nothing else in a step's key is an id; only the blocks are sorted again, by the restored person id.
    """

    def __init__(self, canonical: Determination) -> None:
        to_json = pydantic_core.to_json
        text = canonical.to_json(indent=None).encode("utf-8")
        head, _, _ = text.partition(b'"people":[')
        self.after_case_id = head[len(b'{"case_id":""') :]
        self.people = [(p.person, self._person_rest(p)) for p in canonical.people]
        self.org_rest = canonical.organization.model_dump_json().encode("utf-8")[len(b'{"unit":""') :]
        dual = canonical.dual_investigation
        self.middle = b',"publicize":%s,"dual_investigation":{"complete":%s,"examined":[' % (
            b"true" if canonical.publicize else b"false",
            b"true" if dual.complete else b"false",
        )
        self.examined = list(dual.examined)
        self.missing = [(m.person, m.violation) for m in dual.missing]
        #: (violation label, the entry's JSON after its violation up to lighter_new, lighter_new labels)
        self.in_force = [
            (
                r.violation,
                b',"conduct":%s,"decision":%s,"why":%s,"lighter_new":['
                % (to_json(r.conduct), to_json(r.decision), to_json(r.why)),
                list(r.lighter_new),
            )
            for r in canonical.rules_in_force
        ]
        self.notes = [(n.code, to_json(n.message), n.person, n.violation) for n in canonical.notes]
        #: person label (None: the unit) → its steps as (before person, violation label, after violation)
        self.blocks: dict[str | None, list[tuple[bytes, str | None, bytes]]] = {}
        for step in canonical.trace:
            before = b'{"rule":%s,"title":%s,"cites":%s,"person":' % (
                to_json(step.rule),
                to_json(step.title),
                to_json(step.cites),
            )
            after = b',"facts":%s,"effect":%s,"version":%s}' % (
                to_json(step.facts),
                to_json(step.effect),
                to_json(step.version),
            )
            self.blocks.setdefault(step.person, []).append((before, step.violation, after))
        self.size = len(text)

    @staticmethod
    def _person_rest(result: PersonResult) -> bytes:
        blank = result.model_copy(update={"person": "", "name": ""})
        return blank.model_dump_json().encode("utf-8")[len(b'{"person":"","name":""') :]

    def fill(self, case: Case, restore: _Restore) -> bytes:
        to_json = pydantic_core.to_json
        ids = {label: (pid, to_json(pid)) for label, pid in restore.people.items()}
        vids = {label: to_json(vid) for label, vid in restore.violations.items()}
        vids[None] = b"null"  # type: ignore[index]
        names = restore.names
        people = sorted((ids[label], rest) for label, rest in self.people)
        parts: list[bytes] = [b'{"case_id":', to_json(case.case_id), self.after_case_id, b'"people":[']
        parts.append(
            b",".join(
                b'{"person":' + encoded + b',"name":' + to_json(names.get(pid, "")) + rest
                for (pid, encoded), rest in people
            )
        )
        parts += [b'],"organization":{"unit":', to_json(case.unit.name), self.org_rest, self.middle]
        parts.append(b",".join(encoded for _, encoded in sorted(ids[label] for label in self.examined)))
        missing = sorted((ids[p], vids[v], restore.violations[v]) for p, v in self.missing)
        missing.sort(key=lambda m: (m[0][0], m[2]))
        parts += [
            b'],"missing":[',
            b",".join(b'{"person":' + p[1] + b',"violation":' + v + b"}" for p, v, _ in missing),
            b']},"rules_in_force":[',
        ]
        entries = sorted(
            (restore.violations[v], vids[v], rest, sorted(ids[label] for label in lighter))
            for v, rest, lighter in self.in_force
        )
        parts.append(
            b",".join(
                b'{"violation":' + encoded + rest + b",".join(p[1] for p in lighter) + b"]}"
                for _, encoded, rest, lighter in entries
            )
        )
        parts.append(b'],"notes":[')
        notes: list[tuple[tuple[Any, ...], bytes]] = []
        for code, message, person_label, violation_label in self.notes:
            who = None if person_label is None else ids[person_label]
            where = None if violation_label is None else restore.violations[violation_label]
            note = b'{"code":' + to_json(code) + b',"message":' + message
            if who is not None:
                note += b',"person":' + who[1]
            if violation_label is not None:
                note += b',"violation":' + vids[violation_label]
            note_order = (code, who is not None, who[0] if who else "", where is not None, where or "")
            notes.append((note_order, note + b"}"))
        parts.append(b",".join(note for _, note in sorted(notes)))
        parts.append(b'],"trace":[')
        order = sorted((label is None, "" if label is None else ids[label][0], label) for label in self.blocks)
        for _, _, label in order:
            person = (b"null" if label is None else ids[label][1]) + b',"violation":'
            targets: dict[str | None, bytes] = {}
            for before, violation, after in self.blocks[label]:
                target = targets.get(violation)
                if target is None:
                    target = targets[violation] = person + vids[violation]  # type: ignore[index]
                parts += (before, target, after, b",")
        if self.blocks:
            parts.pop()  # the comma after the last step
        parts.append(b"]}")
        return b"".join(parts)


@dataclass
class _Entry:
    model: _Stored | None = None
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
    #: Remember new entries for `fresh` (worker processes share what each evaluated).
    keep_fresh: bool = False
    _fresh: list[tuple[bytes, Any]] = field(default_factory=list)
    _entries: OrderedDict[bytes, _Entry] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def canonical(self, case: Case) -> Canonical:
        return self.plan.canonical(case)

    def determine(self, case: Case, canonical: Canonical, evaluate: Callable[[], Determination]) -> Determination:
        """The determination of ``case``: restored from the cache, or ``evaluate()`` d and stored."""
        entry = self._get(canonical.key)
        if entry is not None:
            if entry.model is None:  # stored by determine_json: read its text back once
                assert entry.template is not None
                text = entry.template.fill(case, _Restore.of(case, canonical))
                entry.model = _Stored(_to_labels(Determination.model_validate_json(text), canonical))
            return entry.model.restore(case, canonical)
        determination = evaluate()
        stored = _Stored(_to_labels(determination, canonical))
        self._put(canonical.key, _Entry(model=stored, size=len(determination.to_json(indent=None))))
        return determination

    def determine_json(self, case: Case, canonical: Canonical, evaluate: Callable[[], Determination]) -> bytes:
        """``determine(…).to_json(indent=None)`` as UTF-8, filled in from stored JSON fragments on a hit.

        The fragments (`_Template`) are kept because benchmarks/test_bench_batch.py's cached JSON path takes
        about a third of the time of restoring the model and writing it; tests/test_batch_cache.py checks that
        both give the same bytes."""
        entry = self._get(canonical.key)
        if entry is not None:
            if entry.template is None:
                assert entry.model is not None
                entry.template = _Template(entry.model.determination)
            return entry.template.fill(case, _Restore.of(case, canonical))
        determination = evaluate()
        template = _Template(_to_labels(determination, canonical))
        self._put(canonical.key, _Entry(template=template, size=template.size))
        return determination.to_json(indent=None).encode("utf-8")

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

    def _put(self, key: bytes, entry: _Entry, fresh: bool = True) -> None:
        with self._lock:
            if fresh and self.keep_fresh:
                self._fresh.append((key, entry))
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
            key=result_order,
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
                key=missing_order,
            ),
        ),
        rules_in_force=sorted(
            (
                r.model_copy(
                    update={
                        "violation": violations[r.violation],
                        "lighter_new": sorted(people[p] for p in r.lighter_new),
                    }
                )
                for r in determination.rules_in_force
            ),
            key=in_force_order,
        ),
        notes=sorted(
            (
                n.model_copy(update={"person": person(n.person), "violation": violation(n.violation)})
                for n in determination.notes
            ),
            key=note_order,
        ),
        trace=sorted(
            (
                step.model_copy(update={"person": person(step.person), "violation": violation(step.violation)})
                for step in determination.trace
            ),
            key=step_order,
        ),
    )


class _Stored:
    """A determination in labels, with the id-free part of each trace step's order worked out once."""

    def __init__(self, determination: Determination) -> None:
        self.determination = determination
        self.tails = [(s.rule, s.effect, repr(tuple(s.facts.items()))) for s in determination.trace]

    def restore(self, case: Case, canonical: Canonical) -> Determination:
        """A fresh determination for ``case`` (nothing mutable is shared with the stored one), its lists in the
        orders `accountrules.models` declares."""
        stored = self.determination
        restore = _Restore.of(case, canonical)
        people = []
        for r in stored.people:
            pid = restore.people[r.person]
            people.append(assemble(PersonResult, {**_copied(r), "person": pid, "name": restore.names.get(pid, "")}))
        people.sort(key=result_order)
        in_force = [
            assemble(
                RulesInForce,
                {
                    **_copied(r),
                    "violation": restore.violations[r.violation],
                    "lighter_new": sorted(restore.people[p] for p in r.lighter_new),
                },
            )
            for r in stored.rules_in_force
        ]
        in_force.sort(key=in_force_order)
        notes = [
            Note(
                code=n.code,
                message=n.message,
                person=restore.person(n.person),
                violation=restore.violation(n.violation),
            )
            for n in stored.notes
        ]
        notes.sort(key=note_order)
        keyed = []
        for step, tail in zip(stored.trace, self.tails, strict=True):
            person, violation = restore.person(step.person), restore.violation(step.violation)
            restored = assemble(TraceStep, {**_copied(step), "person": person, "violation": violation})
            keyed.append((trace_order(person, violation, *tail), restored))
        keyed.sort(key=lambda item: item[0])
        dual = stored.dual_investigation
        missing = [
            assemble(MissingLink, {"person": restore.people[m.person], "violation": restore.violations[m.violation]})
            for m in dual.missing
        ]
        missing.sort(key=missing_order)
        dual_investigation = {
            **_copied(dual),
            "examined": sorted(restore.people[p] for p in dual.examined),
            "missing": missing,
        }
        return assemble(
            Determination,
            {
                **_copied(stored),
                "case_id": case.case_id,
                "people": people,
                "organization": assemble(Organization, {**_copied(stored.organization), "unit": case.unit.name}),
                "dual_investigation": assemble(DualInvestigation, dual_investigation),
                "rules_in_force": in_force,
                "notes": notes,
                "trace": [step for _, step in keyed],
            },
        )


def _copied(model: Any) -> dict[str, Any]:
    """A model's field values, its lists and dicts copied (the models inside them are frozen)."""
    return {
        name: list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
        for name, value in model.__dict__.items()
    }
