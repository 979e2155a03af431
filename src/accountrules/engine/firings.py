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
from accountrules.rulepack.policy import Policy
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


def _getter(value: Any) -> Getter:
    """Read a ``$alias.field`` reference from the matched facts, or return a constant."""
    if isinstance(value, str) and value.startswith("$"):
        ref = Ref.parse(value)
        alias, name = ref.alias, ref.field
        return lambda matched: matched[alias][name]
    return lambda matched: value


def _optional(value: Any) -> Getter:
    get = _getter(value)
    return lambda matched: get(matched) or None


class FiringBuilder:
    """Builds the `Firing` of one rule from one match; compiled once per rule."""

    def __init__(self, rule: Rule, policy: Policy) -> None:
        effect = rule.effect
        self.rule = rule.id
        self.effect_kind = rule.effect_kind
        self.fact_keys = tuple(sorted(rule.fact_keys))
        self.person = _optional(getattr(effect, "person", None))
        self.violation = _optional(getattr(effect, "violation", None))
        self.decision = _optional(getattr(effect, "decision", None))
        self.what = self._what(rule, policy)
        targets = [getattr(effect, name, None) for name in ("person", "violation", "decision")]
        #: The firing of one match: what ``person``, ``violation``, ``decision`` and ``what`` read from it, and the
        #: facts of ``fact_keys`` (one function made for the rule, called straight for every match).
        self.build: Callable[[Matched], Firing] = _compile_build(
            self.rule, self.effect_kind, targets, self.what, self.fact_keys
        )

    @staticmethod
    def _what(rule: Rule, policy: Policy) -> Callable[[Matched], What]:
        effect = rule.effect
        if isinstance(effect, FindingEffect):
            kind, responsibility, scope = effect.kind, effect.responsibility, effect.scope
            if isinstance(effect.range, TableRange):
                table = effect.range.table
                terms = [_getter(t) for t in effect.range.index]

                def found(m: Matched) -> What:
                    low, high = policy.table_range(table, sum(int(t(m)) for t in terms))
                    return FindingWhat(kind, responsibility, scope, low, high)

                return found
            fixed = FindingWhat(kind, responsibility, scope, *effect.range)
            return lambda m: fixed
        if rule.effect_kind == "modifier":
            modifier = ModifierWhat(effect.kind, tuple(effect.applies_to))
            return lambda m: modifier
        if rule.effect_kind == "tally":
            name, token, targets = _getter(effect.name), _getter(effect.token), tuple(effect.applies_to)
            return lambda m: TallyWhat(name(m), token(m), targets)
        if rule.effect_kind == "refusal":
            refused, targets = _getter(effect.kind), tuple(effect.applies_to)
            return lambda m: RefusalWhat(refused(m), targets)
        if rule.effect_kind == "measure":
            form, least = effect.at_least or (0, "none")
            added = MeasureWhat(effect.add, form, least, tuple(effect.applies_to))
            return lambda m: added
        if rule.effect_kind == "note":
            code = NoteWhat(effect.code)
            return lambda m: code
        if rule.effect_kind == "organization":
            measure = OrganizationWhat(effect.measure)
            return lambda m: measure
        nothing = Nothing()
        return lambda m: nothing


def _compile_build(
    rule: str,
    kind: str,
    targets: list[Any],
    what: Callable[[Matched], What],
    keys: tuple[tuple[str, str, str], ...],
) -> Callable[[Matched], Firing]:
    """`FiringBuilder.build` as one function made for the rule: its references read straight from the match
    (a firing is built for every match, so the calls of the getters above add up). Names and aliases come from
    the pack's validated rules; constants are passed by name."""
    namespace: dict[str, Any] = {"Firing": Firing, "rule": rule, "kind": kind, "what": what}
    shown = []
    for number, value in enumerate(targets):
        if isinstance(value, str) and value.startswith("$"):
            ref = Ref.parse(value)
            shown.append(f"(m[{ref.alias!r}][{ref.field!r}] or None)")
        else:
            namespace[f"target{number}"] = value or None
            shown.append(f"target{number}")
    facts = "".join(f"({key!r}, m[{alias!r}][{name!r}]), " for key, alias, name in keys)
    source = f"def build(m):\n return Firing(rule, kind, {', '.join(shown)}, what(m), ({facts}))"
    exec(source, namespace)  # code made from the rule's own references only
    build: Callable[[Matched], Firing] = namespace["build"]
    return build


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


def distinct(builders: dict[str, FiringBuilder], matched: Iterable[tuple[str, list[Matched]]]) -> list[Firing]:
    """The distinct firings of the matches of each rule (rule id, its matches), sorted; of equal effects, the one
    whose facts sort first is kept."""
    kept: dict[tuple[Any, ...], Firing] = {}
    for rule_id, matches in matched:
        if not matches:
            continue
        build = builders[rule_id].build
        for match in matches:
            try:
                firing = build(match)
            except (KeyError, TypeError, ValueError) as exc:
                raise EvaluationError(f"rule '{rule_id}' matched facts it cannot read: {exc!r}") from None
            key = firing[:6]
            known = kept.get(key)
            if known is None or _first_facts(firing.facts, known.facts):
                kept[key] = firing
    return [kept[key] for key in sorted(kept)]
