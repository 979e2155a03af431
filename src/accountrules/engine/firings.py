"""What a rule firing records: its effect with every reference replaced by the matched facts' values.

Actions only store what durable_rules matched; after the stage has run, `Evaluation.firings` turns the
matches into `Firing`s with a builder compiled once per rule. durable_rules may deliver the same effect more
than once (``$or`` branches, two acts feeding one candidate), so one firing is kept per (rule, effect).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from accountrules.errors import EvaluationError
from accountrules.rulepack.policy import Policy
from accountrules.rulepack.spec import FindingEffect, Ref, Rule, TableRange

Matched = dict[str, dict[str, Any]]
Getter = Callable[[Matched], Any]


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
    what: tuple[Any, ...]
    #: The facts the rule's conditions read, as sorted (name, value) pairs.
    facts: tuple[tuple[str, Any], ...]

    @property
    def key(self) -> tuple[Any, ...]:
        return self[:6]

    def facts_dict(self) -> dict[str, Any]:
        return dict(self.facts)


def describe(f: Firing) -> str:
    """How a trace step names what a firing did: ``direct [2,3]``, ``top_of_range``, ``refused: first_offence``."""
    if f.effect == "finding":
        return f"{f.what[1]} [{f.what[3]},{f.what[4]}]"
    if f.effect == "tally":
        return f"{f.what[0]}: {f.what[1]}"
    if f.effect == "refusal":
        return f"refused: {f.what[0]}"
    if f.effect in {"modifier", "organization"}:
        return str(f.what[0])
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

    @staticmethod
    def _what(rule: Rule, policy: Policy) -> Callable[[Matched], tuple[Any, ...]]:
        effect = rule.effect
        if isinstance(effect, FindingEffect):
            head = (effect.kind, effect.responsibility, effect.scope)
            if isinstance(effect.range, TableRange):
                table = effect.range.table
                terms = [_getter(t) for t in effect.range.index]
                return lambda m: (*head, *policy.table_range(table, sum(int(t(m)) for t in terms)))
            fixed = (*head, *effect.range)
            return lambda m: fixed
        if rule.effect_kind == "modifier":
            modifier = (effect.kind, tuple(effect.applies_to))
            return lambda m: modifier
        if rule.effect_kind in {"tally", "refusal"}:
            first = _getter(effect.name) if rule.effect_kind == "tally" else _getter(effect.kind)
            token = _getter(effect.token) if rule.effect_kind == "tally" else None
            targets = tuple(effect.applies_to)
            if token is None:
                return lambda m: (first(m), targets)
            return lambda m: (first(m), token(m), targets)
        if rule.effect_kind == "organization":
            measure = (effect.measure,)
            return lambda m: measure
        return lambda m: ()  # missing, publicize: the target says it all

    def build(self, matched: Matched) -> Firing:
        facts = tuple((key, matched[alias][name]) for key, alias, name in self.fact_keys)
        return Firing(
            self.rule,
            self.effect_kind,
            self.person(matched),
            self.violation(matched),
            self.decision(matched),
            self.what(matched),
            facts,
        )


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
        kept: dict[tuple[Any, ...], Firing] = {}
        with self._lock:
            matches = list(self._matches)
        for rule_id, matched in matches:
            try:
                firing = self.builders[rule_id].build(matched)
            except (KeyError, TypeError, ValueError) as exc:
                raise EvaluationError(f"rule '{rule_id}' matched facts it cannot read: {exc!r}") from None
            key = firing[:6]
            known = kept.get(key)
            if known is None or _first_facts(firing.facts, known.facts):
                kept[key] = firing
        return [kept[key] for key in sorted(kept)]
