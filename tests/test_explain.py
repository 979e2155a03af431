"""Explanations: why a person got their result, why other rules did not apply, and what would change it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.cli import app
from accountrules.errors import AccountRulesError, UnknownPersonError
from accountrules.tooling.explain import Change, Explanation
from tests.strategies import cases

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"
TINY = Path(__file__).resolve().parent / "packs" / "tiny"

SMALL: dict[str, Any] = {
    "case_id": "x-1",
    "unit": {"name": "某县", "level": "county"},
    "people": [{"id": "p1", "name": "甲", "roles": ["staff"]}, {"id": "p2", "name": "乙", "roles": ["team_member"]}],
    "violations": [{"id": "v1", "kind": "four_winds", "severity": "ordinary", "area": "other", "offenders": ["p1"]}],
    "conduct": [{"person": "p1", "violation": "v1", "acts": ["confessed"]}],
}

MISSING_LEADER: dict[str, Any] = {
    "case_id": "x-2",
    "unit": {"name": "某镇", "level": "township"},
    "people": [{"id": "p1", "roles": ["staff"]}, {"id": "p4", "name": "金某", "roles": ["discipline_inspection"]}],
    "violations": [{"id": "v1", "kind": "four_winds", "severity": "minor", "area": "education", "offenders": ["p1"]}],
}


def spec_example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    return data


def people_of(case: dict[str, Any]) -> list[str]:
    return [p["id"] for p in case["people"]]


def applied(case: dict[str, Any], change: Change) -> dict[str, Any]:
    """The change written into the case, independently of the library's own `apply_change`."""
    data = copy.deepcopy(case)
    if change.op in {"add_act", "remove_act", "record_conduct"}:
        conduct = data.setdefault("conduct", [])
        entries = [c for c in conduct if (c["person"], c["violation"]) == (change.person, change.violation)]
        if not entries:
            entries = [{"person": change.person, "violation": change.violation, "acts": []}]
            conduct.append(entries[0])
        acts = entries[0].setdefault("acts", [])
        if change.op == "add_act":
            acts.append(change.value)
        elif change.op == "remove_act":
            acts.remove(change.value)
        else:
            entries[0]["acts"] = list(change.value)
    elif change.op in {"set_flag", "clear_flag", "set_severity"}:
        [violation] = [v for v in data["violations"] if v["id"] == change.violation]
        violation[str(change.field)] = change.value
    elif change.op == "set_unit_record":
        data.setdefault("unit_record", {})[str(change.field)] = change.value
    elif change.op == "set_field":  # a later field, named by its dotted path inside the violation (V11)
        [target] = [v for v in data["violations"] if v["id"] == change.violation]
        *parents, leaf = str(change.field).split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = change.value
    else:
        assert change.op == "set_personally_clean"
        [person] = [p for p in data["people"] if p["id"] == change.person]
        person["personally_clean"] = change.value
    return data


def outcome(engine: Engine, case: dict[str, Any], person: str) -> tuple[int | None, str | None]:
    result = next((p for p in engine.evaluate(case).people if p.person == person), None)
    return (result.form, result.measure) if result else (None, None)


def summary(e: Explanation) -> dict[str, Any]:
    return {
        "why": [(r.part, r.rule, r.violation, r.effect) for r in e.why],
        "up": [(c.description, c.form_after, c.measure_after) for c in e.up],
        "down": [(c.description, c.form_after, c.measure_after) for c in e.down],
    }


# ---------------------------------------------------------------------------------------------------------------
# Every person of every example


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_counterfactual_moves_the_form_when_applied(engine: Engine, example: Path) -> None:
    """For every person of every example: each change shown, written into the case and evaluated, gives the
    form it claims, in the direction it claims; the form before is the person's result."""
    case = json.loads(example.read_text(encoding="utf-8"))
    checked = 0
    for pid in people_of(case):
        e = engine.explain(case, pid)
        assert (e.result.form if e.result else None) == outcome(engine, case, pid)[0]
        for direction, changes in ((1, e.up), (-1, e.down)):
            for change in changes:
                after = outcome(engine, applied(case, change), pid)
                assert after == (change.form_after, change.measure_after), change.description
                assert after[0] is not None
                moved = after[0] - (change.form_before or 0)
                assert moved * direction > 0, change.description
                checked += 1
        for need in e.needed:
            for option in need.options:
                assert outcome(engine, applied(case, option), pid) == (option.form_after, option.measure_after)
                checked += 1
    assert checked > 0


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_person_of_the_examples_is_explained(engine: Engine, example: Path) -> None:
    """Why: the deciding rule is among the person's findings and its modifier is shown; why not: no rule listed
    fired for the person; undetermined people get what is still needed."""
    case = json.loads(example.read_text(encoding="utf-8"))
    d = engine.evaluate(case)
    for pid in people_of(case):
        e = engine.explain(case, pid)
        result = next((p for p in d.people if p.person == pid), None)
        assert e.result == result
        fired_for_person = {s.rule for s in d.trace if s.person == pid} | {r.rule for r in e.why}
        assert not {w.rule for w in e.why_not} & fired_for_person
        if result is None:
            assert (e.status, e.why) == ("not_involved", [])
        elif result.form is None:
            missing = sorted(m.violation for m in d.dual_investigation.missing if m.person == pid)
            assert (e.status, [n.violation for n in e.needed]) == ("undetermined", missing)
            assert all(n.options for n in e.needed)
        else:
            decided = [r for r in e.why if r.part == "decided"]
            assert len(decided) == 1
            assert decided[0].rule in result.findings
            for modifier in result.modifiers:
                assert modifier.rule in {r.rule for r in e.why if r.part in {"placed", "counted"}}
            refusals = {r.rule for r in result.refused if r.kind != "outweighed"}
            assert refusals <= {r.rule for r in e.why if r.part == "refused"}


# ---------------------------------------------------------------------------------------------------------------
# Exact explanations


def test_merged_offender_is_placed_by_the_merge(engine: Engine) -> None:
    """Example 18's director: decided by his heavier violation, placed by 合并处理 (the policy's own step, cited as
    the version of that violation numbers it), his other violation shown as not the heaviest."""
    case = json.loads((ROOT / "examples" / "cases" / "18-several-violations-merged.json").read_text(encoding="utf-8"))
    why = [(r.part, r.rule, r.violation, r.cites, r.facts, r.effect, r.note) for r in engine.explain(case, "p2").why]
    assert why[:2] == [
        (
            "decided",
            "O-SEVERITY-ORDINARY",
            "v2",
            ["speech:P20", "disc2015:18", "disc2015:36", "disc2018:19", "disc2018:37", "disc2023:39"],
            {"severity": "ordinary", "suspected_crime": False},
            "direct [2,2]",
            "decides the result: range [2,2]; 合并处理: 2 violations merged, the heaviest measure "
            "严重警告 serious warning raised one grade to form 3, 撤销党内职务 removal from party post",
        ),
        (
            "placed",
            "D11-MERGE",
            "v2",
            ["disc2023:24"],
            {"violations": 2, "heaviest": "form 2: serious_warning"},
            "form 3: removal_from_party_post",
            "increased: the heaviest of 2 violations (v1, v2) raised one grade, "
            "严重警告 serious warning → 撤销党内职务 removal from party post",
        ),
    ]
    assert [reason[:3] for reason in why[2:]] == [
        ("placed", "O-PUBLIC-INTEREST", "v2"),
        ("finding", "O-SEVERITY-ORDINARY", "v1"),
    ]


def test_spec_example_leader_who_concealed(engine: Engine) -> None:
    """p2 concealed life-saving funds: decided by L-COVER-UP, placed by L-LIFESAVING; clearing the flag or
    removing the concealment moves the form down, and nothing single moves it up."""
    e = engine.explain(spec_example(), "p2")
    assert summary(e) == {
        "why": [
            ("decided", "L-COVER-UP", "v1", "direct [2,3]"),
            ("placed", "L-COMBINED-POST-ADJUSTMENT", "v1", "also: post_adjustment"),
            ("placed", "L-LIFESAVING", "v1", "heavier"),
        ],
        "up": [],
        "down": [
            ("clear v1.lifesaving_funds (群众救命钱 life-saving funds)", 2, "serious_warning"),
            ("remove 瞒案不报、掩盖问题 concealed from p2's conduct on v1", 0, "none"),
        ],
    }
    assert e.why[0].cites == ["speech:P20"]
    assert (
        e.why[0].note == "decides the result: range [2,3]; 从重 heavier: highest form 3 → form 3, "
        "撤销党内职务 removal from party post"
    )


def test_spec_example_why_not_names_the_fact_that_excluded_the_rule(engine: Engine) -> None:
    """The nearest misses for p2 come first, each with the condition that failed."""
    e = engine.explain(spec_example(), "p2")
    nearest = [(w.rule, w.met, w.conditions, w.condition, w.lacking) for w in e.why_not[:2]]
    assert nearest == [
        (
            "DQ-MISSING-IN-CHARGE",
            3,
            6,
            "not conduct: person=p2, violation=v1",
            "excluded: conduct(person=p2, violation=v1) exists",
        ),
        (
            "M-NO-FAILURE",
            2,
            3,
            "not act: person=p2, violation=v1, act in [failed_to_implement, failed_to_stop, dereliction, "
            "not_investigated, concealed, shielded, obstructed]",
            "excluded: act(person=p2, violation=v1, act=concealed) exists",
        ),
    ]


def test_spec_example_principal_leader(engine: Engine) -> None:
    """p1: the leader finding decides; the unit finding and the refused clean record are shown beside it."""
    e = engine.explain(spec_example(), "p1")
    assert summary(e)["why"] == [
        ("decided", "L-IMPLEMENT-PRINCIPAL", "v1", "principal_leadership [2,2]"),
        ("finding", "U-MANY-PROBLEMS-SERIOUS", None, "principal_leadership [1,2]"),
        ("refused", "X-PERSONALLY-CLEAN", None, "refused: personally_clean"),
    ]
    assert (e.up[0].description, e.up[0].form_after) == ("add 瞒案不报、掩盖问题 concealed to p1's conduct on v1", 3)
    # without the leader finding the unit finding still holds p1 at the first form: the clean record spares nothing
    down = {c.description: c.form_after for c in e.down}
    assert down["remove 责任不落实、工作不力 failed to implement from p1's conduct on v1"] == 1


def test_missing_leader_is_told_what_to_record(engine: Engine) -> None:
    """An undetermined discipline-inspection head: the missing link, and what each record of conduct would give."""
    e = engine.explain(MISSING_LEADER, "p4")
    assert (e.status, summary(e)) == (
        "undetermined",
        {"why": [("missing", "DQ-MISSING-DISCIPLINE", "v1", "missing")], "up": [], "down": []},
    )
    [need] = e.needed
    options = [(o.value, o.form_after, o.measure_after, o.findings_after) for o in need.options]
    assert options == [
        ([], 0, "none", ["M-NO-FAILURE"]),
        (["failed_to_implement"], 1, "admonishment", ["L-IMPLEMENT-SUPERVISORY"]),
        (["failed_to_stop"], 1, "admonishment", ["L-STOP-SUPERVISORY"]),
        (["dereliction"], 1, "admonishment", ["L-STOP-SUPERVISORY"]),
        (["not_investigated"], 2, "warning", ["L-NOT-INVESTIGATED-LIGHT"]),
        (["concealed"], 2, "serious_warning", ["L-COVER-UP"]),
        (["shielded"], 2, "serious_warning", ["L-COVER-UP"]),
        (["obstructed"], 3, "removal_from_party_post", ["L-OBSTRUCTED"]),
    ]


def test_person_outside_the_determination(engine: Engine) -> None:
    """A team member with nothing recorded is not involved; the first change that involves them is a failure."""
    e = engine.explain(SMALL, "p2")
    assert (e.status, e.result, e.why, e.down) == ("not_involved", None, [], [])
    assert (e.up[0].description, e.up[0].form_before, e.up[0].form_after) == (
        "add 责任不落实、工作不力 failed to implement to p2's conduct on v1",
        None,
        1,
    )


def test_outranked_candidate_is_shown(engine: Engine) -> None:
    """A candidate that lost to a heavier one is part of the why, saying what outranked it."""
    case = copy.deepcopy(SMALL)
    case["conduct"].append({"person": "p2", "violation": "v1", "acts": ["failed_to_implement", "concealed"]})
    e = engine.explain(case, "p2")
    assert [(r.part, r.rule, r.note) for r in e.why] == [
        (
            "decided",
            "L-COVER-UP",
            "decides the result: range [2,3]; no modifier: the lowest form of [2,3], the measure "
            "S-WIDER-RANGE-SERIOUS-WARNING starts at 严重警告 serious warning",
        ),
        (
            "placed",
            "L-COMBINED-POST-ADJUSTMENT",
            "adds 组织调整 organisational adjustment beside 严重警告 serious warning",
        ),
        ("outranked", "L-IMPLEMENT-IMPORTANT", "outranked by L-COVER-UP (direct [2,3])"),
    ]


def test_unknown_person() -> None:
    """Explaining someone not in the case names the people there and the closest id."""
    with pytest.raises(UnknownPersonError) as info:
        Engine.default().explain(spec_example(), "p22")
    assert isinstance(info.value, AccountRulesError)
    assert str(info.value) == "no person 'p22' in case 2023-017 (people are: p1, p2, p3). Did you mean 'p2'?"


# ---------------------------------------------------------------------------------------------------------------
# Command line


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None})


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(SMALL, ensure_ascii=False), encoding="utf-8")
    return path


def test_cli_explain_text(runner: CliRunner, small_file: Path) -> None:
    """`explain --format text` with a small pack: exact output, exit 0."""
    result = runner.invoke(app, ["explain", str(small_file), "--person", "p1", "--rules", str(TINY)])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "解释 Explanation: 甲 p1 — case x-1 (rule pack tiny 1)\n"
        "结果 Result: 直接责任 direct responsibility, 个人责任 individual; 第一种形态 first form [1,2], "
        "谈话提醒 reminder talk; 从轻 lighter (M-CONFESSED)\n"
        "适用规定 Rules in force: v1: acct2019+disc2023 (无行为日期 no date)\n"
        "\n"
        "为何 Why\n"
        "  1. 决定 decides  [O-ORDINARY] 一般违纪 / an ordinary violation  (speech:P20)\n"
        "     v1: severity=ordinary → direct [1,2]\n"
        "     decides the result: range [1,2]; 从轻 lighter: lowest form 1 → form 1, 谈话提醒 reminder talk\n"
        "  2. 计入 counts  [M-CONFESSED] 主动交代 / confessed  (disc2023:17)\n"
        "     v1: act=confessed → mitigation: confessed\n"
        "     counts toward mitigation (confessed)\n"
        "\n"
        "为何不 Why not: 2 rules that could have named p1 did not\n"
        "  - no act fact with person=p1, act=defied_orders: A-DEFIED\n"
        "  - no act fact with person=p1, act=failed_to_implement: L-PRINCIPAL\n"
        "\n"
        "如何改变 What would change the form (each change re-evaluated through the engine)\n"
        "  ↑ 加重 up: add 对三令五申的要求不执行 defied repeated orders to p1's conduct on v1: "
        "form 1 (谈话提醒 reminder talk) → form 2 (警告 warning) (O-ORDINARY)\n"
        "  ↓ 减轻 down: no single change found 未找到\n"
    )


def test_cli_explain_json_is_the_library_explanation(runner: CliRunner, engine: Engine) -> None:
    """`explain --format json` prints exactly `engine.explain(...).to_json()`."""
    result = runner.invoke(app, ["explain", str(SPEC_EXAMPLE), "--person", "p3", "--format", "json"])
    expected = engine.explain(spec_example(), "p3").to_json() + "\n"
    assert (result.exit_code, result.stdout, result.stderr) == (0, expected, "")


def test_cli_explain_unknown_person(runner: CliRunner) -> None:
    """An unknown person: `Error:` on stderr, exit 1, nothing on stdout."""
    result = runner.invoke(app, ["explain", str(SPEC_EXAMPLE), "--person", "p22"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: {SPEC_EXAMPLE}: no person 'p22' in case 2023-017 (people are: p1, p2, p3). Did you mean 'p2'?\n",
    )


def test_cli_explain_requires_a_person(runner: CliRunner) -> None:
    """Without --person the command says so and exits 2 (a usage error)."""
    result = runner.invoke(app, ["explain", str(SPEC_EXAMPLE)])
    assert result.exit_code == 2
    assert "Missing option '--person'" in result.stderr


def test_cli_explain_bad_case_file(runner: CliRunner, tmp_path: Path) -> None:
    """A case file that is not valid JSON: `Error:` naming the file, exit 1."""
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = runner.invoke(app, ["explain", str(bad), "--person", "p1"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"Error: {bad}: line 1 column 2: not valid JSON")


# ---------------------------------------------------------------------------------------------------------------
# What would change it, re-evaluated on as little of the case as decides it


@pytest.mark.parametrize("case_file", EXAMPLES, ids=lambda p: p.stem)
def test_the_shortcut_explains_every_example_as_the_whole_case_does(engine: Engine, case_file: Path) -> None:
    """Each person of each example: re-evaluating changes on the small cases that decide them gives the very
    explanation that re-evaluating the whole case does."""
    from accountrules.tooling.explain import explain
    from accountrules.validation import load_case

    case = load_case(case_file)
    differ = [p.id for p in case.people if explain(engine, case, p.id) != explain(engine, case, p.id, shortcut=False)]
    assert differ == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=cases(max_people=5, max_violations=3), pick=st.integers(min_value=0, max_value=4))
def test_the_shortcut_explains_any_case_as_the_whole_case_does(data: dict[str, Any], pick: int) -> None:
    """For any case and person, the shortcut's explanation equals the one from re-evaluating the whole case."""
    from accountrules.tooling.explain import explain
    from accountrules.validation import parse_case

    engine = Engine.default()
    case = parse_case(data)
    person = case.people[pick % len(case.people)].id
    assert explain(engine, case, person) == explain(engine, case, person, shortcut=False)


def _scaled(people: int, violations: int) -> dict[str, Any]:
    """A principal leader (p1) who failed to implement on every violation, one staff offender per violation, and
    the rest staff with nothing on file."""
    return {
        "case_id": f"scaled-{people}x{violations}",
        "unit": {"name": "某县", "level": "county"},
        "people": [{"id": "p1", "roles": ["principal_leader"]}]
        + [{"id": f"p{i}", "roles": ["staff"]} for i in range(2, people + 1)],
        "violations": [
            {
                "id": f"v{j}",
                "kind": "corruption",
                "severity": ("minor", "ordinary", "serious")[j % 3],
                "area": "education",
                "offenders": [f"p{j + 1}"],
            }
            for j in range(1, violations + 1)
        ],
        "conduct": [
            {"person": "p1", "violation": f"v{j}", "acts": ["failed_to_implement"]} for j in range(1, violations + 1)
        ],
    }


def _work_of_explaining(monkeypatch: pytest.MonkeyPatch, people: int, violations: int) -> int:
    """People × violations summed over every case the explanation of p1 evaluates."""
    from accountrules.engine.evaluate import Engine as CoreEngine
    from accountrules.validation import CaseLimits, parse_case

    work = [0]

    def counted(method: Any) -> Any:
        def run(self: Any, case: Any, *args: Any, **kwargs: Any) -> Any:
            work[0] += len(case.people) * len(case.violations)
            return method(self, case, *args, **kwargs)

        return run

    monkeypatch.setattr(CoreEngine, "evaluate_valid", counted(CoreEngine.evaluate_valid))
    monkeypatch.setattr(CoreEngine, "evaluation", counted(CoreEngine.evaluation))
    engine = Engine.default().with_limits(CaseLimits(max_work=0))
    engine.explain(parse_case(_scaled(people, violations)), "p1")
    return work[0]


def test_explaining_grows_with_the_case_as_evaluating_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twice the people and twice the violations (four times the case's work): explaining a leader linked to
    every violation evaluates about four times the work, not eight (a whole case per change)."""
    small = _work_of_explaining(monkeypatch, 40, 8)
    large = _work_of_explaining(monkeypatch, 80, 16)
    assert large / small < 4.5
