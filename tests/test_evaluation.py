"""The one evaluation result that explanations and verification read: both stages, the outcomes, the determination."""

from __future__ import annotations

from pathlib import Path

from accountrules import Engine
from accountrules.engine import Engine as CoreEngine
from accountrules.engine.flatten import Fact
from accountrules.validation import load_case

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"


def test_an_evaluation_holds_the_determination_evaluate_gives(engine: Engine) -> None:
    """`evaluation(case).determination` has the same bytes as `evaluate(case)`."""
    case = load_case(SPEC_EXAMPLE)
    assert engine.evaluation(case).determination.to_json() == engine.evaluate(case).to_json()


def test_an_evaluation_holds_the_outcome_of_every_person_with_a_finding(engine: Engine) -> None:
    """The outcomes are keyed by person, each with the form the determination gives that person."""
    evaluation = engine.evaluation(load_case(SPEC_EXAMPLE))
    forms = {pid: outcome.best.form for pid, outcome in evaluation.outcomes.items() if outcome.best is not None}
    assert forms == {"p1": 2, "p2": 3, "p3": 3}


def test_the_second_stage_sees_the_first_stages_facts_and_the_resolved_ones(engine: Engine) -> None:
    """Stage ``resolved`` is given every fact of stage ``facts`` plus candidates, results and org measures."""
    evaluation = engine.evaluation(load_case(SPEC_EXAMPLE))
    first, second = evaluation.first.facts, evaluation.second.facts
    assert second[: len(first)] == first
    assert sorted({f["t"] for f in second[len(first) :]}) == ["candidate", "org", "result"]


def test_every_trace_step_comes_from_a_firing_of_the_evaluation(engine: Engine) -> None:
    """Each rule in the trace fired in one of the two stages."""
    evaluation = engine.evaluation(load_case(SPEC_EXAMPLE))
    fired = {f.rule for f in evaluation.firings}
    assert {step.rule for step in evaluation.determination.trace} <= fired
    assert "P-PUBLICIZE-FORM" in {f.rule for f in evaluation.second.firings}


def test_arrange_orders_the_facts_of_each_stage_and_changes_nothing(engine: Engine) -> None:
    """``arrange`` is given each stage's facts once; asserting them reversed gives the same bytes."""
    case = load_case(SPEC_EXAMPLE)
    given: list[int] = []

    def reverse(facts: list[Fact]) -> list[Fact]:
        given.append(len(facts))
        return facts[::-1]

    evaluation = engine.evaluation(case, reverse)
    assert given == [len(evaluation.first.facts), len(evaluation.second.facts)]
    assert evaluation.determination.to_json() == engine.evaluate(case).to_json()


def test_the_core_engine_shows_no_stage_or_resolver() -> None:
    """Stages and resolution are the engine's own: its public names are the ways to evaluate and to build it."""
    public = sorted(name for name in dir(CoreEngine) if not name.startswith("_"))
    assert public == [
        "default",
        "evaluate",
        "evaluate_valid",
        "evaluation",
        "from_path",
        "healthy",
        "with_cache",
        "with_limits",
        "with_runtime",
    ]
