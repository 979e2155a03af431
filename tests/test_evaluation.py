"""The one evaluation result that explanations and verification read: both stages, the outcomes, the determination."""

from __future__ import annotations

import io
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


def test_the_trace_says_why_important_leadership_is_held_at_its_lowest_form(engine: Engine) -> None:
    """A participant of a collective decision with 重要领导责任 [1,2]: the table's range is [1,1], and the trace has
    the policy's step that holds it there, with its citation, right beside the finding's own step."""
    determination = engine.evaluate(load_case(ROOT / "examples" / "cases" / "03-collective-decision.json"))
    steps = [(s.rule, s.facts, s.effect, s.cites) for s in determination.trace if s.person == "p3"]
    assert (determination.person("p3").range, steps) == (
        (1, 1),
        [
            ("C-PARTICIPANT", steps[0][1], "important_leadership [1,2]", steps[0][3]),
            (
                "D3-CAP",
                {"responsibility": "important_leadership", "range": "[1,2]"},
                "important_leadership [1,1]",
                ["acct2019:6"],
            ),
            (
                "S-ACCOUNTABILITY-FIRST-FORM",
                {"responsibility": "important_leadership", "range": "[1,1]"},
                "form 1: admonishment",
                ["acct2019:8"],
            ),
        ],
    )


def test_the_trace_cites_the_measure_scale_that_chose_a_result(engine: Engine) -> None:
    """A principal leader admonished for a troubled unit gets the scale's step, with its citation; the offender,
    whose reminder no scale chose, gets none."""
    determination = engine.evaluate(load_case(ROOT / "examples" / "cases" / "02-clean-principal-troubled-unit.json"))
    scale_steps = [(s.person, s.violation, s.effect, s.cites) for s in determination.trace if s.rule.startswith("S-")]
    assert (determination.person("p1").measure, scale_steps) == (
        "admonishment",
        [("p1", None, "form 1: admonishment", ["acct2019:8"])],
    )


def test_no_scale_step_for_a_finding_that_does_not_decide(engine: Engine) -> None:
    """SPEC §3's principal leader: the unit finding [1,2] would be admonished, but the leader finding's 警告
    decides, so the trace holds no measure-scale step."""
    determination = engine.evaluate(load_case(ROOT / "examples" / "cases" / "spec-example.json"))
    assert (determination.person("p1").measure, [s.rule for s in determination.trace if s.rule.startswith("S-")]) == (
        "warning",
        [],
    )


def test_the_cap_step_reads_in_the_text_trace(engine: Engine) -> None:
    """The text view of the trace shows the cap step's title, its range held and its citation."""
    from rich.console import Console

    from accountrules.render.text import determination_text

    determination = engine.evaluate(load_case(ROOT / "examples" / "cases" / "03-collective-decision.json"))
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(determination_text(determination))
    text = console.export_text()
    assert "[D3-CAP] 重要领导责任按幅度下限认定 / important leadership held at the lowest form of its range" in text
    assert "range=[1,2] → important_leadership [1,1]  (acct2019:6; acct2019+disc2018)" in text


def test_the_trace_steps_share_their_set_of_fields_given_and_a_copy_changes_only_its_own(engine: Engine) -> None:
    """Steps built with every field share one set of fields given; `model_copy` with an update gives the copy a
    set of its own and leaves the steps' set as it was."""
    first, second, *_ = engine.evaluate(load_case(SPEC_EXAMPLE)).trace
    every = {"rule", "title", "cites", "person", "violation", "facts", "effect", "version"}
    assert first.model_fields_set is second.model_fields_set
    assert first.model_fields_set == every
    copied = first.model_copy(update={"effect": "changed"})
    assert (copied.effect, copied.model_fields_set is first.model_fields_set) == ("changed", False)
    assert second.model_fields_set == every
