"""`rules verify`: the fact space a pack spans, and each check catching a pack broken that way."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.cli import app
from accountrules.rulepack import RulePack, load_default, load_pack
from accountrules.rulepack.policy import ConsequenceFloor
from accountrules.tooling.space import Dim, Template, classes_of, departures, templates
from accountrules.tooling.verify import (
    VerifyReport,
    condition_signature,
    duplicate_conditions,
    reversed_rule_order,
    verify,
    version_view,
)
from accountrules.validation import parse_case

#: Whole-pack verification takes minutes of CPU: CI runs it once, on the main Python.
pytestmark = pytest.mark.slow

PACKS = Path(__file__).resolve().parent / "packs"
#: Enough cases per template to reach every counterexample of the broken packs, few enough to run quickly.
SMALL_CAP = 300


def failed(report: VerifyReport) -> list[str]:
    return [c.name for c in report.checks if not c.passed]


def check(report: VerifyReport, name: str) -> Any:
    return next(c for c in report.checks if c.name == name)


def person(d: Any, pid: str) -> Any:
    return next((p for p in d.people if p.person == pid), None)


@pytest.fixture(scope="module")
def broken() -> dict[str, tuple[RulePack, VerifyReport]]:
    """Each broken pack and its report (verified once for the module)."""
    out = {}
    for name in ("gap", "dead_rule", "order_dependent", "lenient"):
        pack = load_pack(PACKS / name)
        out[name] = (pack, verify(pack, cap=SMALL_CAP, order_sample=200 if name == "order_dependent" else 30))
    # a leader's non-monotone step needs a base with one departure and a step with two: every pair of classes
    pack = load_pack(PACKS / "non_monotone")
    # (with five role classes the pair lies two departures from the plain case: a cap that reaches them)
    out["non_monotone"] = (pack, verify(pack, only=["look-back"], order_sample=50, cap=9000))
    return out


# ---------------------------------------------------------------------------------------------------------------
# The space


def test_default_pack_classes() -> None:
    """The classes the conditions of the default pack's newest version tell apart, field by field (disc2018's
    heavier treatment in poverty relief alone splits poverty relief from farm subsidies in the versions before)."""
    classes = classes_of(version_view(load_default(), "acct2019+disc2023"))
    assert [c.values for c in classes.areas] == [
        ("poverty_alleviation", "agricultural_subsidies"),
        (
            "land_requisition",
            "housing",
            "education",
            "healthcare",
            "work_safety",
            "environment",
            "construction",
            "law_enforcement",
            "cadre_selection",
            "finance",
            "administrative_approval",
            "other",
        ),
    ]
    assert [c.values for c in classes.kinds] == [
        ("corruption",),
        ("four_winds", "cadre_selection", "dereliction", "other_discipline"),
        ("harming_public_interest",),
    ]
    assert [str(c) for c in classes.severities] == ["minor", "ordinary", "serious", "grave"]
    assert [str(c) for c in classes.violations_in_period] == ["0–2", "≥3"]
    assert [str(c) for c in classes.major_corruption_in_period] == ["0–1", "2", "≥3"]
    assert [c.values for c in classes.roles] == [
        ("staff",),
        ("principal_leader",),
        ("leader_in_charge",),
        ("team_member",),
        ("discipline_inspection",),
    ]


def test_default_pack_act_classes() -> None:
    """Acts split by the rules of the newest version that name them and by SPEC's groups; tallied classes count
    up to two acts."""
    classes = classes_of(version_view(load_default(), "acct2019+disc2023"))
    assert [(c.values, most) for c, most in classes.acts] == [
        (("discovered_proactively", "investigated_resolutely", "supported_investigation", "reported"), 2),
        (("remedied",), 1),
        (("confessed", "exposed_others", "returned_gains"), 2),
        (("pilot_error",), 1),
        (("force_majeure",), 1),
        (("failed_to_implement",), 1),
        (("failed_to_stop", "dereliction"), 1),
        (("not_investigated",), 1),
        (("concealed", "shielded"), 1),
        (("obstructed",), 1),
        (("defied_orders", "coerced_others", "refused_restitution", "reoffended"), 2),
        (("obstructed_inquiry",), 1),
    ]


def test_the_earliest_version_splits_acts_by_its_own_rules() -> None:
    """Under acct2016+disc2015 leader mitigations and 容错 change nothing, refusing restitution does not
    aggravate, and coercing others and reoffending are told apart (V1)."""
    classes = classes_of(version_view(load_default(), "acct2016+disc2015"))
    assert [(c.values, most) for c, most in classes.acts] == [
        (
            (
                "discovered_proactively",
                "investigated_resolutely",
                "supported_investigation",
                "reported",
                "pilot_error",
                "force_majeure",
            ),
            1,
        ),
        (("remedied", "confessed", "exposed_others", "returned_gains"), 2),
        (("failed_to_implement",), 1),
        (("failed_to_stop", "dereliction"), 1),
        (("not_investigated",), 1),
        (("concealed", "shielded"), 1),
        (("obstructed",), 1),
        (("defied_orders", "obstructed_inquiry", "refused_restitution"), 1),
        (("coerced_others",), 1),
        (("reoffended",), 1),
    ]


def test_a_pack_that_names_a_role_splits_its_class() -> None:
    """The gap pack names team_member: it is told apart from staff, and staff becomes the plain role."""
    roles = classes_of(load_pack(PACKS / "gap")).roles
    assert [c.values for c in roles][:2] == [("staff",), ("principal_leader",)]
    assert ("team_member",) in [c.values for c in roles]


def graded(pack: RulePack) -> list[tuple[str, list[int]]]:
    """The consequence counts a pack's space varies, each with its values."""
    return [(item.path, [c.rep for c in options]) for item, options in classes_of(pack).graded]


def with_floors(*floors: ConsequenceFloor) -> RulePack:
    """The default pack with other accident grades in its policy."""
    pack = load_default()
    return dataclasses.replace(pack, policy=pack.policy.model_copy(update={"consequence_floors": list(floors)}))


def test_default_pack_grades_consequences_by_its_policy() -> None:
    """Each consequence count takes none, then each threshold of the default policy's accident grades and the
    value just below it."""
    assert graded(load_default()) == [
        ("violations[].consequences.deaths", [0, 1, 2, 3, 9, 10]),
        ("violations[].consequences.serious_injuries", [0, 1, 9, 10, 49, 50]),
        ("violations[].consequences.direct_loss_cny", [0, 9_999_999, 10_000_000, 49_999_999, 50_000_000]),
    ]


def test_a_pack_with_other_accident_grades_gets_their_values() -> None:
    """Other thresholds give other values; a count no grade reads is left at none."""
    pack = with_floors(
        ConsequenceFloor(severity="ordinary", deaths=2),
        ConsequenceFloor(severity="grave", deaths=5, direct_loss_cny=1_000_000),
    )
    assert graded(pack) == [
        ("violations[].consequences.deaths", [0, 1, 2, 4, 5]),
        ("violations[].consequences.direct_loss_cny", [0, 999_999, 1_000_000]),
    ]


def test_a_pack_without_accident_grades_has_no_consequences_template() -> None:
    """No consequence floors: no count is varied and no template crosses them."""
    pack = with_floors()
    names = [t.name for t in templates(pack)]
    assert (graded(pack), names) == ([], ["offence", "merge", "offender", "look-back", "decision"])


def test_the_consequences_template_crosses_the_grades_with_what_they_are_read_with() -> None:
    """The counts, each step a rise, crossed in full with the severity given and a suspected crime (no claim of
    their own there)."""
    template = next(t for t in templates(version_view(load_default(), "acct2019+disc2023")) if t.name == "consequences")
    assert [(d.name, len(d.options), d.direction) for d in template.dims] == [
        ("violation.severity", 4, 0),
        ("violation.suspected_crime", 2, 0),
        ("violation.consequences.deaths", 6, 1),
        ("violation.consequences.serious_injuries", 6, 1),
        ("violation.consequences.direct_loss_cny", 5, 1),
    ]
    assert (template.core, template.product) == (frozenset({"violation.severity", "violation.suspected_crime"}), 1440)


def test_templates_build_valid_cases() -> None:
    """Every case of the plain and one-departure sets of every template is a valid case."""
    for template in templates(load_default()):
        for assignment in template.assignments(1):
            parse_case(template.case(assignment))


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(2, 4), min_size=1, max_size=6),
    core=st.integers(0, 2),
    k=st.integers(0, 4),
)
def test_within_counts_the_assignments(sizes: list[int], core: int, k: int) -> None:
    """`within(k)` is the number of assignments listed, all distinct, core crossed in full, fewest departures
    outside the core first."""
    dims = tuple(Dim(f"d{i}", tuple(range(n)), tuple(map(str, range(n)))) for i, n in enumerate(sizes))
    template = Template("t", "t", dims, dict, frozenset(d.name for d in dims[:core]))
    listed = template.assignments(k)
    assert len(listed) == len(set(listed)) == template.within(k)
    assert all(departures(a[core:]) <= k for a in listed)
    assert [departures(a) for a in listed] == sorted(departures(a) for a in listed)
    if k >= len(sizes):
        assert len(listed) == template.product


def test_reversed_rule_order_reverses_the_ids() -> None:
    """The twin pack lists the same rules in the reverse order of ids, and maps back."""
    pack = load_default()
    twin, back = reversed_rule_order(pack)
    assert [back[r.id] for r in twin.rules] == [r.id for r in reversed(pack.rules)]
    assert twin.digest != pack.digest


# ---------------------------------------------------------------------------------------------------------------
# The default pack


@pytest.mark.slow
def test_default_pack_passes_every_check() -> None:
    """The default pack: complete, monotone, refusals recorded, order-invariant, no dead or duplicate rule."""
    report = verify(load_default())
    assert (report.ok, failed(report)) == (True, [])
    assert [c.template for c in report.space.templates] == [
        "offence",
        "consequences",
        "merge",
        "offender",
        "look-back",
        "decision",
    ]
    offence = report.space.templates[0]
    assert (offence.depth, offence.cases) == (None, offence.product)
    assert report.space.cases == sum(c.cases for c in report.space.templates) > 5000
    assert report.in_force == "acct2019+disc2023"
    assert check(report, "dead_rules").checked == len(load_default().rules_in("acct2019+disc2023"))
    assert check(report, "monotonicity").checked > 10000
    assert check(report, "refusals").checked > 500


@pytest.mark.slow
@pytest.mark.parametrize("version", ["acct2016+disc2015", "acct2016+disc2018", "acct2019+disc2018"])
def test_default_pack_passes_every_check_in_older_versions(version: str) -> None:
    """Each older version of the default pack, its own rules over its own space: every check passes."""
    report = verify(load_default(), cap=2000, in_force=version)
    assert (report.in_force, report.ok, failed(report)) == (version, True, [])
    assert check(report, "dead_rules").checked == len(load_default().rules_in(version))


def test_no_duplicate_conditions_in_the_default_pack() -> None:
    """Every rule of the default pack has conditions of its own."""
    assert duplicate_conditions(load_default()) == []


# ---------------------------------------------------------------------------------------------------------------
# Broken packs


def test_gap_is_caught(broken: dict[str, tuple[RulePack, VerifyReport]]) -> None:
    """Staff who failed to stop a problem get nothing: completeness fails with that smallest case, and the case
    reproduces the gap."""
    _, report = broken["gap"]
    assert "completeness" in failed(report)
    example = check(report, "completeness").counterexample
    assert (
        example.message
        == "p2 is linked to v1 (has conduct on it) but gets no finding on it and is not listed as missing"
    )
    assert example.case["conduct"] == [{"person": "p2", "violation": "v1", "acts": ["failed_to_stop"]}]
    assert example.departures == 1
    d = Engine.from_path(PACKS / "gap").evaluate(example.case)
    assert person(d, "p2") is None
    assert person(Engine.default().evaluate(example.case), "p2").form == 1


def test_non_monotone_rule_is_caught(broken: dict[str, tuple[RulePack, VerifyReport]]) -> None:
    """A range typo makes a suspected crime lower a person's form: monotonicity fails, and the before and after
    cases show it."""
    _, report = broken["non_monotone"]
    assert failed(report) == ["monotonicity"]
    assert check(report, "dead_rules").skipped
    example = check(report, "monotonicity").counterexample
    assert example.message == "setting v1.suspected_crime lowers p2 from form 2 (warning) to form 1 (reminder)"
    engine = Engine.from_path(PACKS / "non_monotone")
    before, after = engine.evaluate(example.case), engine.evaluate(example.after)
    assert (person(before, "p2").form, person(after, "p2").form) == (2, 1)
    assert example.after["violations"][0]["suspected_crime"] is True


def test_non_monotone_accident_grade_is_caught() -> None:
    """A grave range typo makes ten deaths lighten the offender against nine: the consequences template finds it,
    and the before and after cases show it."""
    report = verify(load_pack(PACKS / "non_monotone_grade"), only=["consequences"], order_sample=20)
    assert failed(report) == ["monotonicity"]
    example = check(report, "monotonicity").counterexample
    assert example.message.startswith("raising v1.consequences.deaths from 9 to 10 lowers p1 from form ")
    assert (example.case["violations"][0]["consequences"], example.after["violations"][0]["consequences"]) == (
        {"deaths": 9},
        {"deaths": 10},
    )
    engine = Engine.from_path(PACKS / "non_monotone_grade")
    before, after = engine.evaluate(example.case), engine.evaluate(example.after)
    assert person(before, "p1").form > person(after, "p1").form


def test_dead_rule_is_caught(broken: dict[str, tuple[RulePack, VerifyReport]]) -> None:
    """A rule no valid case can meet is named with its file and line."""
    _, report = broken["dead_rule"]
    assert failed(report) == ["dead_rules"]
    assert check(report, "dead_rules").problems == [
        "O-OWN-CASE-BURIED (offence.yaml:3) never fires: no case of the space nor 900 random cases meets its conditions"
    ]


def test_order_dependent_rule_is_caught(broken: dict[str, tuple[RulePack, VerifyReport]]) -> None:
    """Two rules tie and the order of rule ids picks the winner: the counterexample decides collective with the
    rules in one order and individual in the other."""
    pack, report = broken["order_dependent"]
    assert failed(report) == ["order"]
    example = check(report, "order").counterexample
    assert example.message == (
        "listing the rules in another order changes p2: important_leadership/collective [1, 1] form 1 "
        "(admonishment) → important_leadership/individual [1, 1] form 1 (admonishment): the tie between "
        "L-IMPLEMENT-IMPORTANT, L-IMPLEMENT-TEAM is broken by the order of rule ids, not by the policy"
    )
    twin, _ = reversed_rule_order(pack)
    as_listed = Engine(pack).evaluate(example.case)
    reversed_ = Engine(twin).evaluate(example.case)
    assert (person(as_listed, "p2").scope, person(reversed_, "p2").scope) == ("collective", "individual")


def test_lenient_rule_is_caught(broken: dict[str, tuple[RulePack, VerifyReport]]) -> None:
    """Treating a first offence as mitigation changes the determination: the D6 refusal check fails."""
    _, report = broken["lenient"]
    assert failed(report) == ["refusals"]
    example = check(report, "refusals").counterexample
    assert example.message.startswith("setting v1.first_offence changes the determination: p1: ")
    engine = Engine.from_path(PACKS / "lenient")
    before, after = engine.evaluate(example.case), engine.evaluate(example.after)
    assert person(before, "p1").refused != person(after, "p1").refused
    assert person(after, "p1").modifiers != person(before, "p1").modifiers or (
        [r.kind for r in person(after, "p1").refused] != ["first_offence"]
    )


def test_duplicate_conditions_are_caught(tmp_path: Path) -> None:
    """A copy of a rule under another id, with its patterns reordered and renamed, is a duplicate."""
    (tmp_path / "pack.yaml").write_text('name: dup\nversion: "1"\nextends: default\n', encoding="utf-8")
    (tmp_path / "extra.yaml").write_text(
        """rules:
  - id: L-COVER-UP-AGAIN
    title: {zh: "重复", en: "again"}
    cites: [speech:P20]
    basis: The same conditions as L-COVER-UP.
    when:
      - act: {as: a, act: [shielded, concealed]}
    then:
      finding: {kind: leader, person: $a.person, violation: $a.violation, responsibility: direct, range: [2, 2]}
""",
        encoding="utf-8",
    )
    pack = load_pack(tmp_path)
    assert condition_signature(pack.rule("L-COVER-UP")) == condition_signature(pack.rule("L-COVER-UP-AGAIN"))
    assert duplicate_conditions(pack) == [
        f"L-COVER-UP (leaders.yaml:{pack.rule('L-COVER-UP').line}) and L-COVER-UP-AGAIN (extra.yaml:2) have the same "
        "conditions and both give a finding; merge them or tell them apart"
    ]


# ---------------------------------------------------------------------------------------------------------------
# Command line


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None})


def test_cli_verify_failure_writes_runnable_counterexamples(runner: CliRunner, tmp_path: Path) -> None:
    """A failing pack: exit 1; each check with its verdict; the counterexample files, valid and runnable."""
    out = tmp_path / "ce"
    args = [
        "rules",
        "verify",
        "--rules",
        str(PACKS / "lenient"),
        "--max-cases",
        str(SMALL_CAP),
        "--out",
        str(out),
        "--as-of",
        "2024-01-01",
    ]
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (1, "")
    head, checks = result.stdout.split("\n\n", 1)
    assert head.startswith("规则包校验 Verify rule pack: lenient 1 (")
    rules = len(load_pack(PACKS / "lenient").rules_in("acct2019+disc2023"))
    assert checks == (
        f"✓ 完整性 completeness: every offender and linked person has a result — {figure(checks, 0)} cases\n"
        f"✓ 单调性 monotonicity (D11) — {figure(checks, 1)} pairs\n"
        f"✗ 不予从宽 refusals of D5 and D6: recorded, changing nothing else — {figure(checks, 2)} pairs\n"
        "    setting v1.first_offence changes the determination: p1: direct/individual [1, 1] form 1 (criticism) "
        "heavier → direct/individual [1, 1] form 1 (criticism) heavier refused outweighed:lighter\n"
        f"    反例 counterexample: {out / 'refusals.json'} → after: {out / 'refusals-after.json'}\n"
        "    (template offender, 0 departures from its plain case)\n"
        f"✓ 顺序无关 order invariance: facts asserted, rules listed in other orders — {figure(checks, 6)} cases\n"
        f"✓ 无死规则 every rule fires somewhere in the space — {rules} rules\n"
        f"{checks.splitlines()[8]}\n"
        f"✓ 无重复条件 no two rules with the same conditions and kind of effect — {rules} rules\n"
        "\n"
        "未通过 FAILED: 1 of 6 checks\n"
    )
    assert checks.splitlines()[8].startswith("    ")
    assert sorted(p.name for p in out.iterdir()) == ["refusals-after.json", "refusals.json"]
    for file in out.iterdir():
        parse_case(json.loads(file.read_text(encoding="utf-8")))
    lenient = ["-f", "json", "--rules", str(PACKS / "lenient")]
    runs = [
        runner.invoke(app, ["evaluate", str(out / name), *lenient]) for name in ("refusals.json", "refusals-after.json")
    ]
    refused = [[x["kind"] for x in json.loads(r.stdout)["people"][0]["refused"]] for r in runs]
    assert refused == [[], ["first_offence", "outweighed"]]


def figure(checks: str, line: int) -> str:
    """The figure a check line shows: it depends on the size of the space, not on the verdict."""
    return checks.splitlines()[line].rsplit("— ", 1)[1].split()[0]


def test_cli_verify_json_reports_the_space(runner: CliRunner) -> None:
    """`--format json`: the pack, the space covered, the time, and every check with its verdict."""
    result = runner.invoke(
        app,
        [
            "rules",
            "verify",
            "--rules",
            str(PACKS / "dead_rule"),
            "--max-cases",
            "200",
            "-f",
            "json",
            "--as-of",
            "2024-01-01",
        ],
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["pack"]["name"], data["ok"]) == ("dead-rule", False)
    assert [c["name"] for c in data["checks"] if not c["passed"]] == ["dead_rules"]
    assert data["space"]["cases"] == sum(t["cases"] for t in data["space"]["templates"]) > 0
    assert data["seconds"] > 0
    assert data["evaluations"] >= data["space"]["cases"]


def test_cli_verify_without_counterexamples_leaves_no_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure with no counterexample to write (a dead rule) creates no temporary folder."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = runner.invoke(app, ["rules", "verify", "--rules", str(PACKS / "dead_rule"), "--max-cases", "200"])
    assert (result.exit_code, sorted(p.name for p in tmp_path.iterdir())) == (1, [])


def test_cli_verify_help(runner: CliRunner) -> None:
    """`rules verify --help` exits 0 and names --rules."""
    result = runner.invoke(app, ["rules", "verify", "--help"])
    assert result.exit_code == 0
    assert "--rules" in result.stdout


def test_verify_refuses_a_huge_number_of_cases() -> None:
    """`rules verify --max-cases` beyond a million is an error line and exit 1, not an enumeration without end."""
    from typer.testing import CliRunner

    from accountrules.cli import app

    result = CliRunner().invoke(app, ["rules", "verify", "--max-cases", "99999999999999999999"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "Error: --max-cases 99999999999999999999: give at most 1,000,000\n",
    )
