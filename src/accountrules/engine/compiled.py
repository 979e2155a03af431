"""A second way to match a pack's rules: each stage's rules compiled to one Python function of nested loops.

durable_rules is the engine of record; this runtime answers the same question — which rules match which facts —
without its per-case costs (a session per stage, the facts sent as JSON, a Python action per rule, the session
cleared after). It is generated from the same `Rule` objects that `accountrules.engine.durable` compiles onto
durable_rules, so the conditions are still the YAML rules' conditions, read once more; nothing about the domain
is written here. Its matches go through the same `distinct` as durable_rules' matches do, which builds the
firings, keeps one per (rule, effect) and sorts them, so both runtimes give equal firings when they match the same
facts.

How a rule becomes loops: its positive patterns in order, each a loop over the facts of its type (over an index
by value when the pattern tests a field for equality with a constant or with an earlier pattern's field); the
pattern's other conditions filter the loop; each negated pattern is an ``any`` over its facts that skips the
match. tests/test_compiled.py proves both runtimes give the same firings over the whole space ``rules verify``
enumerates and on generated cases; benchmarks/engines_agree.py compares whole determinations on large archives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from accountrules.engine.durable import runtime_for
from accountrules.engine.firings import Firing, distinct
from accountrules.rulepack.pack import RulePack, once_per_pack
from accountrules.rulepack.spec import Pattern, Ref, Rule, Test

#: The runtimes a caller may choose, the engine of record first.
ENGINES = ("durable", "compiled")
DEFAULT_ENGINE = "durable"

#: Type → its facts; (type, field) → value → facts of that type with that value.
Facts = dict[str, list[dict[str, Any]]]
Index = dict[tuple[str, str], dict[Any, list[dict[str, Any]]]]
Matcher = Callable[[Facts, Index], list[tuple[str, list[dict[str, dict[str, Any]]]]]]

_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class _Source:
    """The Python text of one stage: constants are passed in by name, never written into the text."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        #: The (type, field) pairs some loop reads by value.
        self.indexes: set[tuple[str, str]] = set()

    def constant(self, value: Any) -> str:
        name = f"k{len(self.constants)}"
        self.constants[name] = value
        return name


def _operand(value: Any, variables: dict[str, str], source: _Source) -> str:
    if isinstance(value, Ref):
        return f"{variables[value.alias]}[{value.field!r}]"
    return source.constant(value)


def _test(test: Test, var: str, variables: dict[str, str], source: _Source) -> str:
    """One condition as a Python expression over the fact bound to ``var``."""
    here = f"{var}[{test.field!r}]"
    if test.op in _COMPARE:
        return f"({here} {_COMPARE[test.op]} {_operand(test.value, variables, source)})"
    if test.op == "in":
        return f"({here} in {source.constant(tuple(test.value))})"
    if test.op == "not_in":
        return f"({here} not in {source.constant(tuple(test.value))})"
    if test.op == "any":
        branches = [_all(alternative, var, variables, source) for alternative in test.value]
        return "(" + " or ".join(branches) + ")"
    raise ValueError(f"unknown operator {test.op!r}")


def _all(tests: Iterable[Test], var: str, variables: dict[str, str], source: _Source) -> str:
    parts = [_test(t, var, variables, source) for t in tests]
    return "(" + " and ".join(parts) + ")" if parts else "True"


def _loop(pattern: Pattern, var: str, variables: dict[str, str], source: _Source) -> tuple[str, list[Test]]:
    """What to loop over for ``pattern`` and the conditions left to test: an index by value when the pattern
    tests a field for equality (with an earlier pattern's field first, else with a constant)."""
    keyed = [t for t in pattern.tests if t.op == "eq"]
    keyed.sort(key=lambda t: not isinstance(t.value, Ref))
    if not keyed:
        return f"F.get({pattern.fact!r}, ())", list(pattern.tests)
    key = keyed[0]
    source.indexes.add((pattern.fact, key.field))
    rest = [t for t in pattern.tests if t is not key]
    lookup = f"I[{(pattern.fact, key.field)!r}].get({_operand(key.value, variables, source)}, ())"
    return lookup, rest


def _rule(rule: Rule, number: int, source: _Source) -> str:
    """The function that returns every match of ``rule`` as {alias: fact}."""
    name = f"rule{number}"
    lines = [f"def {name}(F, I):", " out = []"]
    variables: dict[str, str] = {}
    indent = " "
    for position, pattern in enumerate(rule.positive()):
        var = f"f{position}"
        over, rest = _loop(pattern, var, variables, source)
        lines.append(f"{indent}for {var} in {over}:")
        indent += " "
        variables[pattern.alias] = var
        if rest:
            lines.append(f"{indent}if not {_all(rest, var, variables, source)}:")
            lines.append(f"{indent} continue")
    for position, pattern in enumerate(rule.negative()):
        var = f"n{position}"
        over, rest = _loop(pattern, var, variables, source)
        lines.append(f"{indent}if any({_all(rest, var, variables, source)} for {var} in {over}):")
        lines.append(f"{indent} continue")
    matched = ", ".join(f"{alias!r}: {var}" for alias, var in variables.items())
    lines.append(f"{indent}out.append({{{matched}}})")
    lines.append(" return out")
    source.lines.extend(lines)
    return name


def compile_stage(rules: Iterable[Rule]) -> tuple[Matcher, tuple[tuple[str, str], ...], str]:
    """A function from a stage's facts (by type) and indexes to each rule's matches, the indexes it reads, and
    its source (for reading when a firing differs)."""
    source = _Source()
    calls = []
    for number, rule in enumerate(rules):
        calls.append((rule.id, _rule(rule, number, source)))
    source.lines.append("def match(F, I):")
    source.lines.append(" return [" + ", ".join(f"({rid!r}, {fn}(F, I))" for rid, fn in calls) + "]")
    text = "\n".join(source.lines)
    namespace: dict[str, Any] = dict(source.constants)
    exec(compile(text, "<compiled rules>", "exec"), namespace)  # code made from the pack's conditions only
    matcher: Matcher = namespace["match"]
    return matcher, tuple(sorted(source.indexes)), text


class _CompiledStage:
    def __init__(self, rules: tuple[Rule, ...], builders: Any, fields: dict[str, tuple[str, ...]]) -> None:
        self.match, self.indexes, self.source = compile_stage(rules)
        self.builders = builders
        self.fields = fields


class CompiledRuntime:
    """The stages of one rule pack as compiled Python; the same `run` as `DurableRuntime`. Holds no state
    between calls, so it is safe to share between threads."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        durable = runtime_for(pack)  # the builders and the fields read come from the engine of record's stages
        self.stages = {
            name: _CompiledStage(pack.stage_rules(name), stage.builders, stage.fields)
            for name, stage in durable.stages.items()
        }

    @property
    def broken(self) -> str:
        """Never broken: there is no session to clear."""
        return ""

    def run(self, stage: str, facts: Iterable[dict[str, Any]]) -> list[Firing]:
        """The distinct firings of ``stage``'s rules over ``facts``, as `DurableRuntime.run` gives them."""
        compiled = self.stages[stage]
        fields = compiled.fields
        by_type: Facts = {}
        for fact in facts:
            kind = fact["t"]
            if kind in fields:
                by_type.setdefault(kind, []).append(fact)
        index: Index = {}
        for kind, name in compiled.indexes:
            values: dict[Any, list[dict[str, Any]]] = {}
            for fact in by_type.get(kind, ()):
                values.setdefault(fact[name], []).append(fact)
            index[(kind, name)] = values
        matched = compiled.match(by_type, index)
        return distinct(compiled.builders, ((rule_id, m) for rule_id, matches in matched for m in matches))


@once_per_pack
def compiled_for(pack: RulePack) -> CompiledRuntime:
    """The one compiled runtime of ``pack`` in this process."""
    return CompiledRuntime(pack)
