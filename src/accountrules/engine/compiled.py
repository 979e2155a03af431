"""A second way to match a pack's rules: each stage's rules compiled to one Python function of nested loops.

durable_rules is the engine of record; this runtime answers the same question — which rules match which facts —
without its per-case costs (a session per stage, the facts sent as JSON, a Python action per rule, the session
cleared after). It is generated from the same `Rule` objects that `accountrules.engine.durable` compiles onto
durable_rules, so the conditions are still the YAML rules' conditions, read once more; nothing about the domain
is written here. Each match is made into its firing where the loops find it, by the expression of the same
`FiringBuilder` that builds durable_rules' matches, and the firings go through the same `first_of_each`, which
keeps one per (rule, effect) and sorts them, so both runtimes give equal firings when they match the same facts.

How a rule becomes loops: its positive patterns in order, each a loop over the facts of its type (over an index
by value when the pattern tests a field for equality with a constant or with an earlier pattern's field); the
pattern's other conditions filter the loop; each negated pattern skips the match as soon as the loops have bound
every pattern it reads: a look-up in the set of its facts' values when it only tests fields for equality, else an
``any`` over its facts (by value of those it tests for equality). Rules that open the same loop, or make the same
test, inside the same loops and tests share it (each constant has one name, so equal tests read alike): the acts of
a case are looped over once for every rule that starts from an act, not once per rule. The facts of a case are
sorted by type, and the indexes and sets the rules read filled, in one pass at the start of the stage's function.
tests/test_compiled.py proves both runtimes give the same firings over the whole space ``rules verify``
enumerates and on generated cases; benchmarks/engines_agree.py compares whole determinations on large archives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from accountrules.engine.durable import stage_rules_for
from accountrules.engine.firings import UNREADABLE, Firing, FiringBuilder, first_of_each, unreadable
from accountrules.rulepack.pack import RulePack, once_per_pack
from accountrules.rulepack.spec import Pattern, Ref, Rule, Test, leaf_tests

#: The runtimes a caller may choose, the engine of record first.
ENGINES = ("durable", "compiled")
DEFAULT_ENGINE = "durable"

#: A stage's facts in, the firings of every match of its rules out (one per match, not yet made distinct).
Matcher = Callable[[Iterable[dict[str, Any]]], list[Firing]]

_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class _Source:
    """The Python text of one stage: constants are passed in by name, never written into the text. The facts of a
    type, indexes and sets the rules read are local names of ``match``, given out here and filled at its start."""

    def __init__(self) -> None:
        #: The rules' part of ``match``: their loops, those that several rules open alike opened once.
        self.loops = _Branch()
        self.constants: dict[str, Any] = {}
        #: The name of each constant by its ``repr``, so that rules testing the same value read the same name (and
        #: the loops they open over it are alike).
        self.named: dict[tuple[type, str], str] = {}
        #: The (type, field) pairs some loop reads by value, and (type, fields) for a look-up by several values.
        self.indexes: dict[tuple[str, Any], str] = {}
        #: The (type, fields) whose values a negated pattern looks up.
        self.sets: dict[tuple[str, tuple[str, ...]], str] = {}
        #: The types some loop runs over.
        self.kinds: dict[str, str] = {}

    def constant(self, value: Any) -> str:
        key = (type(value), repr(value))
        name = self.named.get(key)
        if name is None:
            name = self.named[key] = f"k{len(self.named)}"
            self.constants[name] = value
        return name

    def index(self, key: tuple[str, Any]) -> str:
        """The name of the index ``key``: (type, field), or (type, fields) for a look-up by several values."""
        return self.indexes.setdefault(key, f"i{len(self.indexes)}")

    def set_of(self, key: tuple[str, tuple[str, ...]]) -> str:
        """The name of the set of the values of (type, fields)."""
        return self.sets.setdefault(key, f"s{len(self.sets)}")

    def facts_of(self, kind: str) -> str:
        """The name of the facts of type ``kind``."""
        return self.kinds.setdefault(kind, f"t{len(self.kinds)}")


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
        return source.facts_of(pattern.fact), list(pattern.tests)
    key = keyed[0]
    rest = [t for t in pattern.tests if t is not key]
    lookup = f"{source.index((pattern.fact, key.field))}.get({_operand(key.value, variables, source)}, ())"
    return lookup, rest


def _present(pattern: Pattern, var: str, variables: dict[str, str], source: _Source) -> str:
    """Whether some fact matches the negated ``pattern``: its tested values looked up in a set when it tests only
    equalities, else an ``any`` over the facts that have the values it tests for equality (an index by them all)."""
    keyed = [t for t in pattern.tests if t.op == "eq"]
    if not keyed:
        over, rest = _loop(pattern, var, variables, source)
        return f"any({_all(rest, var, variables, source)} for {var} in {over})"
    fields = tuple(t.field for t in keyed)
    values = "(" + "".join(f"{_operand(t.value, variables, source)}, " for t in keyed) + ")"
    if len(keyed) == len(pattern.tests):
        return f"{values} in {source.set_of((pattern.fact, fields))}"
    rest = [t for t in pattern.tests if t.op != "eq"]
    over = f"{source.index((pattern.fact, fields))}.get({values}, ())"
    return f"any({_all(rest, var, variables, source)} for {var} in {over})"


def _reads(pattern: Pattern) -> set[str]:
    """The aliases of the patterns whose fields ``pattern``'s conditions read."""
    return {t.value.alias for t in leaf_tests(pattern.tests) if isinstance(t.value, Ref)}


class _Branch:
    """A place in ``match``'s loops: the firings made here (each rule's, named by a comment), then the tests and
    the loops that rules go on with from here, each by its ``if`` or ``for`` line. Rules that go on alike share
    the branch, so a loop or test common to several is run once for all of them."""

    def __init__(self) -> None:
        self.firings: list[list[str]] = []
        self.inner: dict[str, _Branch] = {}

    def into(self, line: str) -> _Branch:
        """The branch inside ``line``, a ``for`` or an ``if``."""
        return self.inner.setdefault(line, _Branch())

    def lines(self, indent: str) -> list[str]:
        lines = [indent + line for firing in self.firings for line in firing]
        for line, branch in self.inner.items():
            # a test that only leads to another is written as one: ``if a and b:``
            while line.startswith("if ") and not branch.firings and len(branch.inner) == 1:
                ((then, inner),) = branch.inner.items()
                if not then.startswith("if "):
                    break
                line, branch = f"{line[:-1]} and {then[3:]}", inner
            lines.append(indent + line)
            lines.extend(branch.lines(indent + " "))
        return lines


def _rule(rule: Rule, builder: FiringBuilder, number: int, source: _Source) -> None:
    """The loops of ``match`` that append the firing of every match of ``rule`` to ``out``, each made by
    ``builder``'s expression over the facts the loops bound; a loop another rule opens alike (over the same facts,
    inside the same loops and tests) is shared."""
    variables: dict[str, str] = {}
    positive = rule.positive()
    place = {p.alias: position for position, p in enumerate(positive)}
    # a negated pattern only filters: it is tested as soon as every pattern it reads is bound
    negated: dict[int, list[tuple[int, Pattern]]] = {}
    for number_, pattern in enumerate(rule.negative()):
        at = max((place[alias] for alias in _reads(pattern) if alias in place), default=0)
        negated.setdefault(at, []).append((number_, pattern))
    branch = source.loops
    for position, pattern in enumerate(positive):
        var = f"f{position}"
        over, rest = _loop(pattern, var, variables, source)
        variables[pattern.alias] = var
        branch = branch.into(f"for {var} in {over}:")
        for test in rest:
            branch = branch.into(f"if {_test(test, var, variables, source)}:")
        for n, absent in negated.get(position, ()):
            branch = branch.into(f"if not {_present(absent, f'n{n}', variables, source)}:")
    firing, constants = builder.inline(variables.__getitem__, f"r{number}_")
    source.constants.update(constants)
    branch.firings.append(
        [
            f"# rule {rule.id}",
            "try:",
            f" out.append({firing})",
            "except _UNREADABLE as exc:",
            f" raise _unreadable({source.constant(rule.id)}, exc) from None",
        ]
    )


def _prepare(kinds: Iterable[str], source: _Source) -> list[str]:
    """The start of ``match``: the facts of ``kinds`` (those the stage's rules read) by type, and the indexes and
    sets the rules read, filled in one pass under the names ``source`` gave out; facts of other kinds are left
    out, as from durable_rules."""
    kinds = sorted(set(kinds))
    lines: list[str] = []
    by_kind: dict[str, list[str]] = {kind: [] for kind in kinds}
    left_out: list[str] = []
    for kind, name in source.kinds.items():
        lines.append(f" {name} = []")
        by_kind.get(kind, left_out).append(f"{name}.append(fact)")
    for (kind, field), name in source.indexes.items():
        lines.append(f" {name} = {{}}")
        key = f"fact[{field!r}]" if isinstance(field, str) else "(" + "".join(f"fact[{f!r}], " for f in field) + ")"
        by_kind.get(kind, left_out).append(f"{name}.setdefault({key}, []).append(fact)")
    for (kind, fields), name in source.sets.items():
        lines.append(f" {name} = set()")
        by_kind.get(kind, left_out).append(f"{name}.add((" + "".join(f"fact[{f!r}], " for f in fields) + "))")
    lines.append(" for fact in facts:")
    lines.append("  t = fact['t']")
    branches = [kind for kind in kinds if by_kind[kind]]
    for number, kind in enumerate(branches):
        lines.append(f"  {'if' if number == 0 else 'elif'} t == {kind!r}:")
        lines.extend(f"   {line}" for line in by_kind[kind])
    if not branches:
        lines.append("  pass")
    return lines


def compile_stage(
    rules: Iterable[Rule], builders: dict[str, FiringBuilder], kinds: Iterable[str] = ()
) -> tuple[Matcher, str]:
    """A function from a stage's facts to the firing of every match of its rules (each made by the rule's
    builder in ``builders``), reading the facts of ``kinds`` (and of the kinds the rules index), and its source
    (for reading when a firing differs)."""
    source = _Source()
    for number, rule in enumerate(rules):
        _rule(rule, builders[rule.id], number, source)
    lines = ["def match(facts):", *_prepare(kinds, source), " out = []", *source.loops.lines(" "), " return out"]
    text = "\n".join(lines)
    namespace: dict[str, Any] = {**source.constants, "_UNREADABLE": UNREADABLE, "_unreadable": unreadable}
    exec(compile(text, "<compiled rules>", "exec"), namespace)  # code made from the pack's conditions only
    matcher: Matcher = namespace["match"]
    return matcher, text


class _CompiledStage:
    def __init__(self, rules: tuple[Rule, ...], builders: dict[str, FiringBuilder], fields: dict[str, Any]) -> None:
        self.match, self.source = compile_stage(rules, builders, fields)
        self.builders = builders
        self.fields = fields


class CompiledRuntime:
    """The stages of one rule pack as compiled Python; the same `run` as `DurableRuntime`. Holds no state
    between calls, so it is safe to share between threads."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        # the builders and the fields read are the engine of record's; making them starts no durable_rules Host
        stages = stage_rules_for(pack)
        self.stages = {name: _CompiledStage(s.rules, s.builders, s.fields) for name, s in stages.items()}

    @property
    def broken(self) -> str:
        """Never broken: there is no session to clear."""
        return ""

    def run(self, stage: str, facts: Iterable[dict[str, Any]]) -> list[Firing]:
        """The distinct firings of ``stage``'s rules over ``facts``, as `DurableRuntime.run` gives them."""
        return first_of_each(self.stages[stage].match(facts))


@once_per_pack
def compiled_for(pack: RulePack) -> CompiledRuntime:
    """The one compiled runtime of ``pack`` in this process."""
    return CompiledRuntime(pack)
