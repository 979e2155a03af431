"""合并处理 (rules/policy.yaml `merge`): several violations of one offender, the heaviest sanction raised one grade."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.cli import app
from accountrules.errors import RulePackError
from accountrules.rulepack.pack import default_pack_path, load_pack
from accountrules.vocabulary import FORM_MEASURES
from tests.strategies import AGGRAVATING_ACTS, OFFENDER_MITIGATING_ACTS, cases
from tests.test_properties import never_lower, ranks

MONOTONE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCALE = ("warning", "serious_warning", "removal_from_party_post", "probation", "expulsion")
#: One violation of a member at each grade a violation can call for, with the offender's acts that place it there.
KINDS = ("four_winds", "corruption", "dereliction", "other_discipline")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def offender_case(violations: list[dict[str, Any]], person: dict[str, Any], decided_on: str = "2022-05-01") -> Any:
    """A case of one offender ``p1`` (and nobody linked to look back on) with ``violations``, each given as the
    violation's own fields and ``acts``, the offender's conduct on it."""
    return {
        "case_id": "merge",
        "decided_on": decided_on,
        "unit": {"name": "某县交通局", "level": "county"},
        "people": [{"id": "p1", "roles": ["staff"], **person}],
        "violations": [
            {"id": f"v{i}", "area": "other", "offenders": ["p1"], **{k: x for k, x in v.items() if k != "acts"}}
            for i, v in enumerate(violations, 1)
        ],
        "conduct": [
            {"person": "p1", "violation": f"v{i}", "acts": v["acts"]} for i, v in enumerate(violations, 1) if v["acts"]
        ],
    }


def result(engine: Engine, case: dict[str, Any]) -> tuple[int, str]:
    person = engine.evaluate(case).people[0]
    return person.form, person.measure  # type: ignore[return-value]


def grade(form_measure: tuple[int, str]) -> tuple[int, int]:
    form, measure = form_measure
    return form, FORM_MEASURES[form].index(measure)


@st.composite
def violation(draw: st.DrawFn) -> dict[str, Any]:
    """A violation that calls for a party sanction or less (no suspected crime), with some of the offender's acts."""
    acts = draw(st.lists(st.sampled_from([*AGGRAVATING_ACTS, *OFFENDER_MITIGATING_ACTS]), unique=True, max_size=2))
    return {
        "kind": draw(st.sampled_from(KINDS)),
        "severity": draw(st.sampled_from(["minor", "ordinary", "serious", "grave"])),
        "lifesaving_funds": draw(st.booleans()),
        "acts": sorted(acts),
    }


@PROPERTY
@given(first=violation(), second=violation(), post=st.booleans())
def test_two_sanctioned_violations_are_one_grade_above_the_heavier_alone(
    engine: Engine, first: dict[str, Any], second: dict[str, Any], post: bool
) -> None:
    """A member with two violations that each call for a second- or third-form measure is given the first grade
    above the heavier of them alone (a removal from a post they do not hold passed over; an adjustment of post at
    the top of the second form sits above a serious warning), never past expulsion; otherwise the heavier alone
    stands."""
    person = {"party_post": post}
    alone = [result(engine, offender_case([v], person)) for v in (first, second)]
    both = result(engine, offender_case([first, second], person))
    heavier = max(alone, key=grade)
    grades = [grade((2 if m in FORM_MEASURES[2] else 3, m)) for m in SCALE if post or m != "removal_from_party_post"]
    if all(grades[0] <= grade(each) <= grades[-1] for each in alone):
        above = next((g for g in grades if g > grade(heavier)), grade(heavier))
        assert grade(both) == above
    else:
        assert both == heavier


@MONOTONE
@given(case=cases(), data=st.data())
def test_adding_a_violation_never_lowers_anyone(engine: Engine, case: dict[str, Any], data: st.DataObject) -> None:
    """D11 with 合并处理: a further violation of any offender never lowers any person's (form, measure)."""
    more = copy.deepcopy(case)
    offenders = data.draw(st.lists(st.sampled_from([p["id"] for p in case["people"]]), min_size=1, max_size=2))
    added = data.draw(violation())
    del added["acts"]
    more["violations"].append({"id": "v9", "area": "other", "offenders": sorted(set(offenders)), **added})
    never_lower(engine, case, more)


def test_the_grade_is_raised_once_however_many_violations(engine: Engine) -> None:
    """Three violations at a warning give a serious warning, as two do: the heaviest is raised one grade."""
    ordinary = {"kind": "four_winds", "severity": "ordinary", "acts": []}
    cases_ = [offender_case([ordinary] * n, {}) for n in (1, 2, 3)]
    assert [result(engine, c) for c in cases_] == [(2, "warning"), (2, "serious_warning"), (2, "serious_warning")]


def test_the_trace_cites_the_article_of_each_version(engine: Engine) -> None:
    """The step says which violations were merged and cites 合并处理 as the version judging the finding numbers it;
    the deciding modifier is 加重 by that step."""
    ordinary = {"kind": "four_winds", "severity": "ordinary", "acts": []}
    shown = []
    for day in ("2017-05-01", "2019-05-01", "2024-05-01"):
        dated = {**ordinary, "ended_on": day}
        determination = engine.evaluate(offender_case([dated, dated], {}, decided_on=day))
        step = next(s for s in determination.trace if s.rule == "D11-MERGE")
        person = determination.people[0]
        shown.append((step.version, step.cites, step.violation, step.facts, step.effect, person.modifiers[0].cites))
    facts = {"violations": 2, "heaviest": "form 2: warning"}
    assert shown == [
        ("acct2016+disc2015", ["disc2015:23"], "v1", facts, "form 2: serious_warning", ["disc2015:23"]),
        ("acct2016+disc2018", ["disc2018:23"], "v1", facts, "form 2: serious_warning", ["disc2018:23"]),
        ("acct2019+disc2023", ["disc2023:24"], "v1", facts, "form 2: serious_warning", ["disc2023:24"]),
    ]
    assert [(m.kind, m.rule) for m in determination.people[0].modifiers] == [("increased", "D11-MERGE")]


def test_one_violation_gives_no_step(engine: Engine) -> None:
    """An offender of one violation, or of two at a measure below a party sanction, has no merge step."""
    ordinary = {"kind": "four_winds", "severity": "ordinary", "acts": []}
    minor = {"kind": "four_winds", "severity": "minor", "acts": []}
    for case in (offender_case([ordinary], {}), offender_case([minor, minor], {})):
        assert [s.rule for s in engine.evaluate(case).trace if s.rule == "D11-MERGE"] == []


def test_both_engines_merge_alike() -> None:
    """durable_rules and the compiled runtime give the same bytes for merged offenders."""
    serious = {"kind": "four_winds", "severity": "serious", "acts": []}
    case = offender_case([serious, {**serious, "kind": "corruption", "severity": "ordinary"}], {"party_member": False})
    durable = Engine.default()
    compiled = durable.with_runtime("compiled")
    assert durable.evaluate(case).to_json() == compiled.evaluate(case).to_json()
    assert ranks(durable.evaluate(case)) == {"p1": (3, -1)}


def test_rules_show_merge(tmp_path: Path) -> None:
    """`rules show merge` shows the policy's entry, its scale and its citation as the day's version numbers it."""
    runner = CliRunner()
    shown = runner.invoke(app, ["rules", "show", "merge", "--as-of", "2019-05-01", "--format", "json"])
    assert shown.exit_code == 0
    sheet = __import__("json").loads(shown.stdout)
    assert (sheet["id"], sheet["source"], [c["id"] for c in sheet["cites"]]) == (
        "D11-MERGE",
        "policy.yaml: merge",
        ["disc2018:23"],
    )
    assert runner.invoke(app, ["rules", "show", "D11-MERGE"]).exit_code == 0


def test_the_government_articles_the_merge_names_are_catalogued() -> None:
    """The government side of 合并处理 names the articles on several acts of a public official (gov2020 art 15,
    civ2007 art 10: the heaviest sanction, none raised), and both are in the pack's catalogue."""
    shown = CliRunner().invoke(app, ["rules", "show", "merge", "--format", "json"])
    named = re.findall(r"\b(?:gov2020|civ2007):\d+", " ".join(__import__("json").loads(shown.stdout)["when"]))
    assert named == ["gov2020:15", "civ2007:10"]
    catalogue = load_pack(default_pack_path()).citations
    assert [catalogue[cite].verified for cite in named] == [True, True]


def broken_policy(tmp_path: Path, old: str, new: str) -> tuple[int, str]:
    policy = (default_pack_path() / "policy.yaml").read_text(encoding="utf-8")
    assert old in policy
    root = tmp_path / "p"
    root.mkdir()
    (root / "pack.yaml").write_text('name: test\nversion: "1"\nextends: default\n', encoding="utf-8")
    (root / "policy.yaml").write_text(policy.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulePackError) as info:
        load_pack(root)
    where, line, message = str(info.value).split(":", 2)
    assert where == str(root.resolve() / "policy.yaml")
    return int(line), message.strip()


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (
            "scale: [warning, serious_warning, removal",
            "scale: [serious_warning, warning, removal",
            (43, "merge: scale: give each measure once, lightest first (form, then the form's own order)"),
        ),
        (
            "scale: [warning,",
            "scale: [admonishment,",
            (43, "merge: scale: 'admonishment' is not a sanction of the second or third form"),
        ),
        (
            "  kinds: [offence]\n  at_least",
            "  kinds: [offense]\n  at_least",
            (
                48,
                "merge.kinds: kind 'offense' is not one of the policy's finding_kinds "
                "(offence, leader, credit, unit, decision)",
            ),
        ),
        ("  at_least: 2", "  at_least: 1", (49, "merge.at_least: input should be greater than or equal to 2")),
        (
            "  modifier: increased",
            "  modifier: lighter",
            (
                51,
                "merge.modifier: 'lighter' is not one of the policy's aggravations (top_of_range, increased, heavier)",
            ),
        ),
        (
            "cites: [disc2015:23, disc2018:23, disc2023:24]",
            "cites: [disc2015:233]",
            (43, "merge: cites 'disc2015:233', which is not in the citation catalogue. Did you mean 'disc2015:23'?"),
        ),
    ],
)
def test_a_broken_merge_entry_names_file_and_key(tmp_path: Path, old: str, new: str, error: tuple[int, str]) -> None:
    """A broken `merge` entry is refused with the file, its line and the key at fault."""
    assert broken_policy(tmp_path, old, new) == error
