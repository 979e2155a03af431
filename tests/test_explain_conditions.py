"""The Python evaluator of pack conditions behind "why not" agrees with durable_rules on which rules fire."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from accountrules.engine import Engine
from accountrules.engine.firings import FiringBuilder
from accountrules.engine.flatten import Fact, flatten
from accountrules.rulepack import RulePack, load_pack
from accountrules.rulepack.conditions import FactIndex, first_miss, matches
from accountrules.tooling.space import templates
from accountrules.validation import parse_case
from tests.strategies import cases

ROOT = Path(__file__).resolve().parent.parent
PACKS = Path(__file__).resolve().parent / "packs"
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))


def python_firings(pack: RulePack, stage: str, facts: list[Fact]) -> set[tuple[Any, ...]]:
    index = FactIndex(facts)
    out = set()
    for rule in pack.stage_rules(stage):
        builder = FiringBuilder(rule, pack.policy)
        out.update(builder.build(m).key for m in matches(rule, index))
    return out


def compare(engine: Engine, case: dict[str, Any]) -> tuple[list[str], int]:
    """Every firing one evaluator finds and the other does not, over both stages; and how many durable found."""
    evaluation = engine.evaluation(parse_case(case))
    out = []
    found = 0
    for stage, (facts, firings) in (("facts", evaluation.first), ("resolved", evaluation.second)):
        durable = {f.key for f in firings}
        python = python_firings(engine.pack, stage, facts)
        found += len(durable)
        out += [f"{stage}: durable_rules only {k}" for k in sorted(durable - python, key=repr)]
        out += [f"{stage}: Python only {k}" for k in sorted(python - durable, key=repr)]
    return out, found


def disagreements(engine: Engine, case: dict[str, Any]) -> list[str]:
    return compare(engine, case)[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_agrees_on_generated_cases(engine: Engine, case: dict[str, Any]) -> None:
    """On generated cases (several people, violations and decisions), both find the same firings."""
    assert disagreements(engine, case) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_agrees_on_the_examples(engine: Engine, example: Path) -> None:
    """On every example case, both find the same (non-empty) firings."""
    diffs, found = compare(engine, json.loads(example.read_text(encoding="utf-8")))
    assert (diffs, found > 0) == ([], True)


@pytest.mark.parametrize("pack_dir", ["provincial", "gap", "order_dependent", "dead_rule", "lenient"])
def test_agrees_over_a_custom_packs_space(pack_dir: str) -> None:
    """Over random cases of each custom pack's own fact space (seeded), both find the same firings."""
    pack = load_pack(PACKS / pack_dir)
    engine = Engine(pack)
    rng = random.Random(7)
    for template in templates(pack):
        for _ in range(25):
            assignment = tuple(rng.randrange(len(d.options)) for d in template.dims)
            assert disagreements(engine, template.case(assignment)) == [], template.describe(assignment)


def test_first_miss_is_none_exactly_when_the_rule_matches(engine: Engine) -> None:
    """For every rule and person of the SPEC example, `first_miss` finds no miss iff the rule matches them."""
    case = json.loads((ROOT / "examples" / "cases" / "spec-example.json").read_text(encoding="utf-8"))
    index = FactIndex(flatten(parse_case(case), engine.policy))
    checked = 0
    for rule in engine.pack.stage_rules("facts"):
        person = getattr(rule.effect, "person", "")
        alias, _, field = person[1:].partition(".")
        for pid in ("p1", "p2", "p3"):
            bind = {alias: {field: pid}}
            assert (first_miss(rule, index, bind) is None) == bool(matches(rule, index, bind)), (rule.id, pid)
            checked += 1
    assert checked == 3 * len(engine.pack.stage_rules("facts"))
