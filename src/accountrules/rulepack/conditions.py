"""A rule's conditions evaluated in Python over the same flat facts, to say why a rule did *not* fire.

The engine decides with durable_rules; this module never decides anything. It answers a question durable_rules
cannot: for a rule that did not fire for a person, which of its conditions failed, and on which facts. Its
matches agree with durable_rules' over generated cases (``tests/test_explain_conditions.py``).

Semantics, as the engine compiles them: positive patterns join in order, each test comparing a field with a
constant, a list of constants or a field of an earlier pattern; negated patterns are checked after every
positive one (the engine asserts them after its ``go`` fact), each requiring that no fact meets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accountrules.rulepack.spec import Pattern, Ref, Rule, Test

Fact = Mapping[str, Any]
Matched = dict[str, dict[str, Any]]


def _operand(value: Any, matched: Matched) -> Any:
    return matched[value.alias][value.field] if isinstance(value, Ref) else value


def test_holds(test: Test, fact: Fact, matched: Matched) -> bool:
    """Whether one condition holds for ``fact``, given the facts matched by earlier patterns."""
    if test.op == "any":
        return any(all(test_holds(t, fact, matched) for t in alternative) for alternative in test.value)
    if test.field not in fact:
        return False
    value = fact[test.field]
    operand = _operand(test.value, matched)
    if test.op == "eq":
        return bool(value == operand)
    if test.op == "ne":
        return bool(value != operand)
    if test.op == "in":
        return value in operand
    if test.op == "not_in":
        return value not in operand
    if test.op == "lt":
        return bool(value < operand)
    if test.op == "le":
        return bool(value <= operand)
    if test.op == "gt":
        return bool(value > operand)
    if test.op == "ge":
        return bool(value >= operand)
    raise ValueError(f"unknown operator {test.op!r}")


def pattern_holds(pattern: Pattern, fact: Fact, matched: Matched) -> bool:
    return fact.get("t") == pattern.fact and all(test_holds(t, fact, matched) for t in pattern.tests)


class FactIndex:
    """Facts by type."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        self.by_type: dict[str, list[Fact]] = {}
        for fact in facts:
            self.by_type.setdefault(str(fact["t"]), []).append(fact)

    def of(self, fact_type: str) -> list[Fact]:
        return self.by_type.get(fact_type, [])


def matches(rule: Rule, index: FactIndex, bind: Mapping[str, Mapping[str, Any]] | None = None) -> list[Matched]:
    """Every way the rule's conditions are met; ``bind`` adds equalities (alias → field → value)."""
    return [m for m in _positive(rule.positive(), index, bind or {}, {}) if _negations_hold(rule, index, m)]


def _positive(
    patterns: Sequence[Pattern], index: FactIndex, bind: Mapping[str, Mapping[str, Any]], matched: Matched
) -> Iterable[Matched]:
    if not patterns:
        yield matched
        return
    pattern, rest = patterns[0], patterns[1:]
    required = bind.get(pattern.alias, {})
    for fact in index.of(pattern.fact):
        if all(fact.get(k) == v for k, v in required.items()) and pattern_holds(pattern, fact, matched):
            yield from _positive(rest, index, bind, {**matched, pattern.alias: dict(fact)})


def links(rules: Iterable[Rule], index: FactIndex) -> dict[tuple[str, str], str]:
    """SPEC D1's links as a pack declares them: (person, violation) → the first ``missing`` rule whose positive
    conditions hold for them, that is, the rule that would list the person as missing were nothing recorded.
    Its negated conditions (no conduct, no offence, no part in a decision) say when the link is satisfied."""
    out: dict[tuple[str, str], str] = {}
    for rule in rules:
        if rule.effect_kind != "missing":
            continue
        person, violation = Ref.parse(rule.effect.person), Ref.parse(rule.effect.violation)
        for matched in _positive(rule.positive(), index, {}, {}):
            key = (str(matched[person.alias][person.field]), str(matched[violation.alias][violation.field]))
            out.setdefault(key, rule.id)
    return out


def _negations_hold(rule: Rule, index: FactIndex, matched: Matched) -> bool:
    return not any(any(pattern_holds(p, f, matched) for f in index.of(p.fact)) for p in rule.negative())


@dataclass(frozen=True)
class Miss:
    """Where a rule's conditions stopped: the pattern that failed and what the matching had reached."""

    pattern: Pattern
    #: How many patterns were met before it (positives in order, then negations).
    met: int
    #: The facts matched by the patterns before it.
    matched: Matched
    #: For a positive pattern, the facts of its type closest to meeting it; for a negated one, the facts that
    #: met it (so excluded the rule).
    near: tuple[Fact, ...]


def first_miss(rule: Rule, index: FactIndex, bind: Mapping[str, Mapping[str, Any]] | None = None) -> Miss | None:
    """The furthest the rule's conditions get before failing, or None when they are met."""
    best: Miss | None = None
    for miss in _misses(rule, rule.positive(), index, bind or {}, {}, 0):
        if miss is None:
            return None
        if best is None or miss.met > best.met:
            best = miss
    return best


def _misses(
    rule: Rule,
    patterns: Sequence[Pattern],
    index: FactIndex,
    bind: Mapping[str, Mapping[str, Any]],
    matched: Matched,
    met: int,
) -> Iterable[Miss | None]:
    if not patterns:
        for pattern in rule.negative():
            excluding = tuple(f for f in index.of(pattern.fact) if pattern_holds(pattern, f, matched))
            if excluding:
                yield Miss(pattern, met, matched, excluding)
                return
            met += 1
        yield None
        return
    pattern, rest = patterns[0], patterns[1:]
    required = bind.get(pattern.alias, {})
    candidates = [f for f in index.of(pattern.fact) if all(f.get(k) == v for k, v in required.items())]
    passing = [f for f in candidates if pattern_holds(pattern, f, matched)]
    if not passing:
        yield Miss(pattern, met, matched, _closest(pattern, candidates, matched))
        return
    for fact in passing:
        yield from _misses(rule, rest, index, bind, {**matched, pattern.alias: dict(fact)}, met + 1)


def _closest(pattern: Pattern, candidates: list[Fact], matched: Matched) -> tuple[Fact, ...]:
    """The candidates that meet the pattern's joins and most of its other conditions, at most three; none when
    no candidate meets the joins (no such fact for the people and violations matched so far)."""
    joins = [t for t in pattern.tests if isinstance(t.value, Ref)]
    joined = [f for f in candidates if all(test_holds(t, f, matched) for t in joins)]
    if not joined:
        return ()

    def score(fact: Fact) -> int:
        return sum(1 for t in pattern.tests if test_holds(t, fact, matched))

    top = max(score(f) for f in joined)
    return tuple(f for f in joined if score(f) == top)[:3]


def failing_tests(pattern: Pattern, fact: Fact, matched: Matched) -> list[Test]:
    return [t for t in pattern.tests if not test_holds(t, fact, matched)]
