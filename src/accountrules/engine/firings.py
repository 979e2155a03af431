"""What a rule firing records: its effect with every reference replaced by the matched facts' values.

Actions only store what durable_rules matched; after the stage has run, `Evaluation.firings` turns the
matches into `Firing`s with a builder compiled once per rule. durable_rules may deliver the same effect more
than once (``$or`` branches, two acts feeding one candidate), so one firing is kept per (rule, effect).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from accountrules.errors import EvaluationError
from accountrules.rulepack.policy import Policy, table_row
from accountrules.rulepack.spec import FindingEffect, Ref, Rule, TableRange

Matched = dict[str, dict[str, Any]]
Getter = Callable[[Matched], Any]


class FindingWhat(NamedTuple):
    """What a finding rule found: a kind from the policy, a responsibility and scope, and a range of forms."""

    kind: str
    responsibility: str
    scope: str
    low: int
    high: int


class ModifierWhat(NamedTuple):
    """A modifier (从轻, 顶格, …) and the kinds of finding it applies to."""

    kind: str
    applies_to: tuple[str, ...]


class TallyWhat(NamedTuple):
    """One counted item (an act) of a tally that the policy turns into a modifier."""

    name: str
    token: str
    applies_to: tuple[str, ...]


class RefusalWhat(NamedTuple):
    """A mitigation refused (recorded, never applied) and the kinds of finding that record it."""

    kind: str
    applies_to: tuple[str, ...]


class OrganizationWhat(NamedTuple):
    """A measure taken against the unit's leadership team."""

    measure: str


class MeasureWhat(NamedTuple):
    """A measure recommended beside the deciding one, on findings that reach (least_form, least_measure)."""

    add: str
    least_form: int
    least_measure: str
    applies_to: tuple[str, ...]


class NoteWhat(NamedTuple):
    """A note for the people who decide; it changes no result."""

    code: str


class Nothing(NamedTuple):
    """A missing link or publicity: the target says it all."""


#: The content of a firing beyond its target, one shape per effect kind; tuples, so firings still sort.
What = FindingWhat | ModifierWhat | TallyWhat | RefusalWhat | MeasureWhat | NoteWhat | OrganizationWhat | Nothing
#: The effects that adjust the findings they apply to.
Adjustment = ModifierWhat | TallyWhat | RefusalWhat | MeasureWhat


class Firing(NamedTuple):
    """One distinct effect of one rule. ``what`` is the effect's content beyond its target.

    Firings order by their key (rule, effect, target, content); two distinct firings never share a key, so the
    trailing ``facts`` never decides an order.
    """

    rule: str
    effect: str
    person: str | None
    violation: str | None
    decision: str | None
    what: What
    #: The facts the rule's conditions read, as sorted (name, value) pairs.
    facts: tuple[tuple[str, Any], ...]

    @property
    def key(self) -> tuple[Any, ...]:
        return self[:6]

    def facts_dict(self) -> dict[str, Any]:
        return dict(self.facts)

    @property
    def found(self) -> FindingWhat:
        """The content of a ``finding`` firing."""
        assert isinstance(self.what, FindingWhat), self
        return self.what

    @property
    def adjustment(self) -> Adjustment:
        """The content of a ``modifier``, ``tally``, ``refusal`` or ``measure`` firing."""
        assert isinstance(self.what, (ModifierWhat, TallyWhat, RefusalWhat, MeasureWhat)), self
        return self.what

    @property
    def measure(self) -> str:
        """The measure of an ``organization`` firing."""
        assert isinstance(self.what, OrganizationWhat), self
        return self.what.measure


def describe(f: Firing) -> str:
    """How a trace step names what a firing did: ``direct [2,3]``, ``top_of_range``, ``refused: first_offence``."""
    what = f.what
    if isinstance(what, FindingWhat):
        return f"{what.responsibility} [{what.low},{what.high}]"
    if isinstance(what, TallyWhat):
        return f"{what.name}: {what.token}"
    if isinstance(what, RefusalWhat):
        return f"refused: {what.kind}"
    if isinstance(what, ModifierWhat):
        return what.kind
    if isinstance(what, OrganizationWhat):
        return what.measure
    if isinstance(what, MeasureWhat):
        return f"also: {what.add}"
    if isinstance(what, NoteWhat):
        return f"note: {what.code}"
    return f.effect


class FiringBuilder:
    """Builds the `Firing` of one rule from one match; compiled once per rule."""

    def __init__(self, rule: Rule, policy: Policy) -> None:
        self.rule = rule.id
        self.effect_kind = rule.effect_kind
        self.fact_keys = tuple(sorted(rule.fact_keys))
        self._spec, self._policy = rule, policy
        code = _Code(_in_match)
        shown = _target(rule, code)
        #: The person, violation and decision a firing of one match is on (None where the effect names none).
        self.person: Getter = code.function("person", shown[0])
        self.violation: Getter = code.function("violation", shown[1])
        self.decision: Getter = code.function("decision", shown[2])
        what = _what(rule, policy, code)
        #: What the effect holds beyond its target, read from one match.
        self.what: Callable[[Matched], What] = code.function("what", what)
        #: The firing of one match: what ``person``, ``violation``, ``decision`` and ``what`` read from it, and the
        #: facts of ``fact_keys`` (one function made for the rule, called straight for every match).
        self.build: Callable[[Matched], Firing] = code.function("build", self._firing(code, shown, what))

    def inline(self, fact: Callable[[str], str], prefix: str) -> tuple[str, dict[str, Any]]:
        """The expression of the firing of one match, for a runtime that builds firings in its own loops:
        ``fact`` gives the text that names the fact matched by an alias; the constants the expression reads are
        returned by name, each name starting with ``prefix``."""
        code = _Code(fact, prefix)
        return self._firing(code, _target(self._spec, code), _what(self._spec, self._policy, code)), code.namespace

    def _firing(self, code: _Code, shown: list[str], what: str) -> str:
        facts = "".join(f"({key!r}, {code.fact(alias)}[{name!r}]), " for key, alias, name in self.fact_keys)
        return (
            f"_new(Firing, ({code.constant(self.rule)}, {code.constant(self.effect_kind)}, "
            f"{', '.join(shown)}, {what}, ({facts})))"
        )


def _in_match(alias: str) -> str:
    """The fact matched by ``alias``, in a match given as {alias: fact}."""
    return f"m[{alias!r}]"


def _target(rule: Rule, code: _Code) -> list[str]:
    """The expressions of the person, violation and decision a firing is on."""
    return [f"({code.value(getattr(rule.effect, name, None))} or None)" for name in ("person", "violation", "decision")]


class _Code:
    """Python expressions over one match, made into functions for a rule: references read straight from the facts
    matched (a firing is built for every match, so calls of getters would add up), constants passed by name, never
    written into the text. Names and aliases come from the pack's validated rules.

    Args:
        fact: the text that names the fact an alias matched (by default in a match ``m`` given as {alias: fact}).
        prefix: how the names of constants start.
    """

    def __init__(self, fact: Callable[[str], str] = _in_match, prefix: str = "c") -> None:
        self.fact = fact
        self.prefix = prefix
        #: ``tuple.__new__``: makes a named tuple from its fields without a call of its Python ``__new__``.
        self.namespace: dict[str, Any] = {"_new": tuple.__new__, "Firing": Firing}
        self.constants = 0

    def constant(self, value: Any) -> str:
        name = f"{self.prefix}{self.constants}"
        self.constants += 1
        self.namespace[name] = value
        return name

    def value(self, value: Any) -> str:
        """A ``$alias.field`` reference read from the fact matched, or a constant."""
        if isinstance(value, str) and value.startswith("$"):
            ref = Ref.parse(value)
            return f"{self.fact(ref.alias)}[{ref.field!r}]"
        return self.constant(value)

    def function(self, name: str, expression: str) -> Callable[[Matched], Any]:
        """``name(m)``, returning ``expression``."""
        exec(f"def {name}(m):\n return {expression}", self.namespace)  # made from the rule's own references only
        function: Callable[[Matched], Any] = self.namespace.pop(name)
        return function


def _what(rule: Rule, policy: Policy, code: _Code) -> str:
    """The expression of a rule's `What` over one match."""
    effect = rule.effect
    if isinstance(effect, FindingEffect):
        kind, responsibility, scope = effect.kind, effect.responsibility, effect.scope
        if isinstance(effect.range, TableRange):
            # the finding of each row of the table, looked up at the sum of the index's terms as table_range does
            rows = tuple(FindingWhat(kind, responsibility, scope, *row) for row in policy.tables[effect.range.table])
            total = " + ".join(f"int({code.value(term)})" for term in effect.range.index)
            return f"{code.constant(rows)}[{code.constant(table_row)}({total}, {code.constant(len(rows))})]"
        return code.constant(FindingWhat(kind, responsibility, scope, *effect.range))
    if rule.effect_kind == "modifier":
        return code.constant(ModifierWhat(effect.kind, tuple(effect.applies_to)))
    if rule.effect_kind == "tally":
        name, token, targets = code.value(effect.name), code.value(effect.token), tuple(effect.applies_to)
        return f"_new({code.constant(TallyWhat)}, ({name}, {token}, {code.constant(targets)}))"
    if rule.effect_kind == "refusal":
        refused, targets = code.value(effect.kind), tuple(effect.applies_to)
        return f"_new({code.constant(RefusalWhat)}, ({refused}, {code.constant(targets)}))"
    if rule.effect_kind == "measure":
        form, least = effect.at_least or (0, "none")
        return code.constant(MeasureWhat(effect.add, form, least, tuple(effect.applies_to)))
    if rule.effect_kind == "note":
        return code.constant(NoteWhat(effect.code))
    if rule.effect_kind == "organization":
        return code.constant(OrganizationWhat(effect.measure))
    return code.constant(Nothing())


def _first_facts(a: tuple[tuple[str, Any], ...], b: tuple[tuple[str, Any], ...]) -> bool:
    """Whether facts ``a`` sort before ``b`` (values of one field may differ in type across matches)."""
    try:
        return a < b
    except TypeError:
        return repr(a) < repr(b)


class Evaluation:
    """The matches of one stage of one case. Owned by the engine, filled by actions on whichever thread."""

    def __init__(self, builders: dict[str, FiringBuilder]) -> None:
        self.builders = builders
        self._matches: list[tuple[str, Matched]] = []
        self.errors: list[str] = []
        #: Whether Ctrl-C (KeyboardInterrupt) came while one of the stage's actions ran.
        self.interrupted = False
        self.done = threading.Event()
        self._lock = threading.Lock()

    def record(self, rule_id: str, matches: list[Matched]) -> None:
        with self._lock:
            self._matches.extend((rule_id, m) for m in matches)

    def fail(self, rule_id: str, error: BaseException) -> None:
        with self._lock:
            self.errors.append(f"rule '{rule_id}': {type(error).__name__}: {error}")

    def firings(self) -> list[Firing]:
        """The distinct firings, sorted; of equal effects, the one whose facts sort first is kept."""
        with self._lock:
            matches = [(rule_id, [matched]) for rule_id, matched in self._matches]
        return distinct(self.builders, matches)


#: What reading a field a matched fact lacks, or cannot convert, raises while a firing is built.
UNREADABLE = (KeyError, TypeError, ValueError)


def unreadable(rule_id: str, error: Exception) -> EvaluationError:
    """The error of a rule whose firing could not be built from the facts it matched."""
    return EvaluationError(f"rule '{rule_id}' matched facts it cannot read: {error!r}")


def distinct(builders: dict[str, FiringBuilder], matched: Iterable[tuple[str, list[Matched]]]) -> list[Firing]:
    """The distinct firings of the matches of each rule (rule id, its matches), sorted; of equal effects, the one
    whose facts sort first is kept."""
    firings: list[Firing] = []
    for rule_id, matches in matched:
        if not matches:
            continue
        build = builders[rule_id].build
        for match in matches:
            try:
                firings.append(build(match))
            except UNREADABLE as exc:
                raise unreadable(rule_id, exc) from None
    return first_of_each(firings)


def first_of_each(firings: Iterable[Firing]) -> list[Firing]:
    """One firing per effect (its rule, effect, target and content), sorted; of equal effects, the one whose facts
    sort first."""
    kept: dict[tuple[Any, ...], Firing] = {}
    for firing in firings:
        key = firing[:6]
        known = kept.get(key)
        if known is None or _first_facts(firing.facts, known.facts):
            kept[key] = firing
    # two kept firings differ in their keys, so they sort as their keys do (their facts never decide)
    return sorted(kept.values())
