"""What a rule firing records: its effect with every reference replaced by the matched facts' values.

Firings are collected by an `Evaluation` that the engine owns for the duration of one case; durable_rules
may call an action more than once for the same effect (``$or`` branches, two acts feeding one candidate),
so the collection keeps one firing per (rule, effect).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from accountrules.rulepack.policy import Policy
from accountrules.rulepack.spec import FindingEffect, Ref, Rule, TableRange

Matched = dict[str, dict[str, Any]]


@dataclass(frozen=True, order=True)
class Firing:
    """One distinct effect of one rule. ``what`` is the effect's content beyond its target."""

    rule: str
    effect: str
    person: str | None
    violation: str | None
    decision: str | None
    what: tuple[Any, ...]
    facts: str = field(compare=False)

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.rule, self.effect, self.person, self.violation, self.decision, self.what)

    def facts_dict(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.facts)
        return loaded


def _value(value: Any, matched: Matched) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        ref = Ref.parse(value)
        return matched[ref.alias][ref.field]
    return value


def make_firing(rule: Rule, matched: Matched, policy: Policy) -> Firing:
    """Apply ``rule``'s effect to the facts it matched."""
    effect = rule.effect
    facts = {key: matched[alias][name] for key, alias, name in rule.fact_keys}
    person = _value(getattr(effect, "person", None), matched)
    violation = _value(getattr(effect, "violation", None), matched)
    decision = _value(getattr(effect, "decision", None), matched)
    what: tuple[Any, ...]
    if isinstance(effect, FindingEffect):
        if isinstance(effect.range, TableRange):
            index = sum(int(_value(term, matched)) for term in effect.range.index)
            lo, hi = policy.table_range(effect.range.table, index)
        else:
            lo, hi = effect.range
        what = (effect.kind, effect.responsibility, effect.scope, lo, hi)
    elif rule.effect_kind == "modifier":
        what = (effect.kind, tuple(effect.applies_to))
    elif rule.effect_kind == "tally":
        what = (effect.name, _value(effect.token, matched), tuple(effect.applies_to))
    elif rule.effect_kind == "refusal":
        what = (_value(effect.kind, matched), tuple(effect.applies_to))
    elif rule.effect_kind == "organization":
        what = (effect.measure,)
    else:  # missing, publicize: the target says it all
        what = ()
    return Firing(rule.id, rule.effect_kind, person or None, violation or None, decision or None, what,
                  json.dumps(facts, sort_keys=True, ensure_ascii=False))


class Evaluation:
    """The firings of one stage of one case. Owned by the engine, filled by actions on whichever thread."""

    def __init__(self, policy: Policy, rules: dict[str, Rule]) -> None:
        self.policy = policy
        self.rules = rules
        self._firings: dict[tuple[Any, ...], Firing] = {}
        self.errors: list[str] = []
        self.done = threading.Event()
        self._lock = threading.Lock()

    def record(self, rule_id: str, matched: Matched) -> None:
        firing = make_firing(self.rules[rule_id], matched, self.policy)
        with self._lock:
            known = self._firings.get(firing.key)
            if known is None or firing.facts < known.facts:
                self._firings[firing.key] = firing

    def fail(self, rule_id: str, error: BaseException) -> None:
        with self._lock:
            self.errors.append(f"rule '{rule_id}': {type(error).__name__}: {error}")

    def firings(self) -> list[Firing]:
        with self._lock:
            return sorted(self._firings.values())
