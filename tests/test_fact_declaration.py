"""A field declared once in a case model reaches every consumer of the fact vocabulary.

A throwaway model adds ``deaths`` to a violation and a throwaway pack reads it in one rule; nothing else is
written for it. Flattening, the cache key, the verify space, explain's condition evaluator and moves, the
labels, `rules verify` and the archive generator must all see it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import Field

from accountrules.batch.synth import PRIORS, CorpusSpec, generate
from accountrules.engine import Engine
from accountrules.engine.cache import FactPlan
from accountrules.engine.flatten import flatten
from accountrules.models import Case, Readable, Violation
from accountrules.rulepack import RulePack, load_pack
from accountrules.rulepack.conditions import FactIndex, matches
from accountrules.rulepack.facts import FACTS, FactSchema
from accountrules.tooling.explain import explain
from accountrules.tooling.space import classes_of, templates
from accountrules.tooling.verify import verify
from accountrules.validation import parse_case

PACKS = Path(__file__).resolve().parent / "packs"


class AccidentViolation(Violation):
    deaths: Annotated[int, Readable(("死亡人数", "deaths")), Field(ge=0)] = 0


class AccidentCase(Case):
    violations: list[AccidentViolation] = Field(min_length=1)  # type: ignore[assignment]


SCHEMA: FactSchema = FACTS.with_model(AccidentCase)

RULE = """\
rules:
  - id: A-DEATHS
    title: {zh: "造成人员死亡", en: "deaths caused"}
    cites: [speech:P20]
    basis: An ordinary violation that cost three lives or more is treated at the top of its range.
    when:
      - offender: {as: o}
      - violation: {violation: $o.violation, deaths: {">=": 3}}
    then:
      modifier: {kind: top_of_range, person: $o.person, violation: $o.violation, applies_to: [offence]}
"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> RulePack:
    """The tiny pack with one more rule, which reads ``violation.deaths``."""
    root = tmp_path_factory.mktemp("accident")
    shutil.copytree(PACKS / "tiny", root, dirs_exist_ok=True)
    (root / "deaths.yaml").write_text(RULE, encoding="utf-8")
    return load_pack(root, facts=SCHEMA)


def case(deaths: int) -> Case:
    data: dict[str, Any] = {
        "case_id": "accident",
        "unit": {"name": "某单位", "level": "county"},
        "people": [{"id": "p1", "roles": ["staff"]}],
        "violations": [
            {"id": "v1", "kind": "dereliction", "severity": "ordinary", "area": "work_safety", "offenders": ["p1"]}
        ],
    }
    if deaths:
        data["violations"][0]["deaths"] = deaths
    return parse_case(data, model=AccidentCase)


def test_the_shipped_model_has_no_such_field() -> None:
    """The shipped packs cannot read the field: it exists only in the throwaway model."""
    assert "deaths" not in FACTS.types["violation"]
    assert SCHEMA.types["violation"]["deaths"].kind == "int"


def test_flatten_emits_the_field(pack: RulePack) -> None:
    """The violation's fact holds the field's value."""
    facts = flatten(case(4), pack.policy, pack.facts)
    assert [f["deaths"] for f in facts if f["t"] == "violation"] == [4]


def test_the_field_has_its_declared_label() -> None:
    """The label given in the model is the field's label."""
    assert SCHEMA.label("violations[].deaths") == ("死亡人数", "deaths")
    assert SCHEMA.label("deaths") == ("死亡人数", "deaths")


def test_the_cache_key_changes_with_the_field(pack: RulePack) -> None:
    """Two cases that differ only in the field have different keys, read straight from the case."""
    plan = FactPlan.for_pack(pack)
    assert plan.fields["violation"] == ("deaths", "severity", "severity_rank", "violation")
    assert plan.canonical(case(0)).key != plan.canonical(case(4)).key


def test_the_verify_space_varies_the_field(pack: RulePack) -> None:
    """The space splits the field at the rule's threshold, and a template varies it."""
    classes = classes_of(pack)
    assert [(i.path, [str(c) for c in options]) for i, options in classes.others] == [
        ("violations[].deaths", ["0–2", "≥3"])
    ]
    dims = {d.name: d for t in templates(pack) for d in t.dims}
    assert dims["violation.deaths"].options == (0, 3)


def test_a_template_case_carries_the_field(pack: RulePack) -> None:
    """Turning the dimension on writes the field into the violation of the case built."""
    template = next(t for t in templates(pack) if any(d.name == "violation.deaths" for d in t.dims))
    assignment = tuple(int(d.name == "violation.deaths") for d in template.dims)
    assert [v.get("deaths") for v in template.case(assignment)["violations"]] == [3]


def test_the_condition_evaluator_reads_the_field(pack: RulePack) -> None:
    """Explain's Python evaluator of conditions matches the rule exactly when the field meets it."""
    rule = pack.rule("A-DEATHS")
    assert matches(rule, FactIndex(flatten(case(2), pack.policy, pack.facts))) == []
    assert len(matches(rule, FactIndex(flatten(case(3), pack.policy, pack.facts)))) == 1


def test_explain_moves_the_field(pack: RulePack) -> None:
    """Explain offers setting the field past the threshold as a change that raises the form."""
    explanation = explain(Engine(pack), case(0), "p1")
    moved = [c for c in explanation.up if c.field == "deaths"]
    assert [(c.op, c.value, c.form_before, c.form_after, c.description) for c in moved] == [
        ("set_field", 3, 1, 2, "set v1.deaths to 3")
    ]


def test_verify_does_not_call_the_rule_dead(pack: RulePack) -> None:
    """`rules verify` reaches the rule in the space: the dead-rule check passes."""
    report = verify(pack, order_sample=5)
    dead = next(c for c in report.checks if c.name == "dead_rules")
    assert dead.problems == []
    assert dead.note == ""


def test_the_archive_generator_draws_the_field(pack: RulePack) -> None:
    """Generated archives give the field every value its type allows (0 to 3: it declares no samples), though
    the generator has no prior for it."""
    assert "violations[].deaths" not in PRIORS
    records = generate(CorpusSpec(cases=40, seed=1, patterns=8), Engine(pack))
    cases = [parse_case(json.loads(r.text), model=AccidentCase) for r in records]
    assert sorted({v.deaths for c in cases for v in c.violations}) == [0, 1, 2, 3]
