"""A case as flat scalar facts, compiled from the declaration of every fact kind (`accountrules.rulepack.facts`).

The loops of the declaration become the loops of one Python function per schema: `flatten` builds the facts the
engine asserts, and `compile_reader` builds the cache's reader, which appends the asserted values of the facts
a pack reads straight to a key without building the facts at all. Both come from the same walk over the same
declaration, so a new field reaches both or neither.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from accountrules.models import Case
from accountrules.rulepack.facts import FACTS, ID_FIELDS, FactKind, FactSchema
from accountrules.rulepack.policy import Policy

Fact = dict[str, Any]

#: What separates the parts of a fact's identity.
_SEPARATOR = "\x1f"


def fact_id(*parts: str) -> str:
    """A fact's identity from its content: durable_rules refuses two facts with the same identity."""
    return _SEPARATOR.join(parts)


#: `fact_id` of the parts given as one tuple, without a call of a Python function (facts are made per case).
fact_id_of: Callable[[Iterable[str]], str] = _SEPARATOR.join


def flatten(case: Case, policy: Policy, schema: FactSchema = FACTS) -> list[Fact]:
    """The facts of the ``facts`` stage, in a canonical order that does not depend on the input's order."""
    return _flattener(schema)(case, policy)


#: The canonical order of facts: by type, then identity.
_order: Callable[[Fact], tuple[str, str]] = operator.itemgetter("t", "id")


Emit = Callable[[FactKind, str], list[str]]


def _program(schema: FactSchema, head: list[str], emit: Emit, wanted: Callable[[FactKind], bool]) -> list[str]:
    """``head`` and then the declaration's loops, with ``emit``'s lines for each kind that is ``wanted`` (a loop
    none of whose kinds is wanted is left out)."""
    lines = list(head)

    def needed(kind: FactKind) -> bool:
        return wanted(kind) or any(needed(child) for child in schema.children(kind.name))

    def walk(parent: str | None, indent: str) -> None:
        for kind in schema.children(parent):
            if not needed(kind):
                continue
            inner = indent
            for var, iterable in kind.loops:
                lines.append(f"{inner}for {var} in {iterable}:")
                inner += " "
            if kind.when:
                lines.append(f"{inner}if {kind.when}:")
                inner += " "
            if wanted(kind):
                lines.extend(emit(kind, inner))
            walk(kind.name, inner)

    walk(None, " ")
    return lines


def _namespace(schema: FactSchema) -> dict[str, Any]:
    return {**schema.derivations, "FLAGS": schema.flags, "_identity": fact_id_of, "_order": _order}


def _compile(source: list[str], namespace: dict[str, Any], name: str) -> Callable[..., Any]:
    exec("\n".join(source), namespace)  # code made from the declaration's expressions only
    function: Callable[..., Any] = namespace[name]
    return function


@functools.cache
def _flattener(schema: FactSchema) -> Callable[[Case, Policy], list[Fact]]:
    def emit(kind: FactKind, indent: str) -> list[str]:
        # `fact_id` written out: a join of the parts, or the kind's name alone
        identity = f"_identity(({', '.join([repr(kind.name), *kind.identity])}))" if kind.identity else repr(kind.name)
        items = [f'"t": {kind.name!r}', f'"id": {identity}']
        items += [f"{name!r}: {f.expression}" for name, f in kind.fields.items()]
        return [f"{indent}append({{{', '.join(items)}}})"]

    head = ["def flatten(case, policy):", " facts = []", " append = facts.append"]
    source = _program(schema, head, emit, lambda kind: True)
    source += [" facts.sort(key=_order)", " return facts"]
    return _compile(source, _namespace(schema), "flatten")


Reader = Callable[[Case, Policy, Mapping[str, str], Mapping[str, str], dict[str, list[Any]], list[Any]], None]


def compile_reader(schema: FactSchema, fields: Mapping[str, Sequence[str]]) -> Reader:
    """A function ``read(case, policy, violations, decisions, profiles, common)`` that appends, for every fact
    of a kind in ``fields``, the tuple (kind, its values of ``fields[kind]`` but ``person``) to its person's profile
    (``profiles[person]``), or to ``common`` when the fields hold no ``person``. Violation and decision ids are replaced
    by their labels in ``violations`` and ``decisions``."""
    relabel = {name: f"{name}s" for name in ID_FIELDS if name != "person"}

    def emit(kind: FactKind, indent: str) -> list[str]:
        names = fields[kind.name]
        exprs = [repr(kind.name)]
        for name in names:
            if name == "person":
                continue
            expression = kind.fields[name].expression
            exprs.append(f"{relabel[name]}[{expression}]" if name in relabel else expression)
        target = f"profiles[{kind.fields['person'].expression}]" if "person" in names else "common"
        return [f"{indent}{target}.append(({', '.join(exprs)},))"]

    head = ["def read(case, policy, violations, decisions, profiles, common):"]
    source = _program(schema, head, emit, lambda kind: kind.name in fields)
    if len(source) == 1:
        source.append(" pass")
    return _compile(source, _namespace(schema), "read")
