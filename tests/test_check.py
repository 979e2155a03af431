"""Consistency checks of recorded decisions: verdicts, omitted leaders, like cases recorded unlike, summaries."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from accountrules import Engine
from accountrules.batch import ConsistencyReport, check_consistency
from accountrules.batch.check import deviation, recommended_band
from accountrules.batch.synth import CorpusSpec, Generated, generate
from accountrules.models import PersonResult

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"

DRIFT = CorpusSpec(cases=300, seed=17, patterns=25, drift=0.15, discretion=0.1, omissions=0.08)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def drifted(engine: Engine) -> list[Generated]:
    """A synthetic archive with drift, discretion and omissions injected, and the record of each injection."""
    return list(generate(DRIFT, engine))


@pytest.fixture(scope="module")
def report(engine: Engine, drifted: list[Generated]) -> ConsistencyReport:
    return check_consistency([g.text for g in drifted], engine)


def result(form: int | None, rng: tuple[int, int] | None, modifier: str | None = None) -> PersonResult:
    modifiers = [{"kind": modifier, "rule": "R", "cites": []}] if modifier else []
    return PersonResult.model_validate(
        {
            "person": "p",
            "name": "",
            "responsibility": "direct",
            "scope": "individual",
            "range": rng,
            "form": form,
            "measure": None,
            "modifiers": modifiers,
            "refused": [],
            "findings": [],
            "measures": [],
            "government_sanction": None,
            "waiting_period_months": None,
            "former": False,
        }
    )


# ---------------------------------------------------------------------------------------------------------------
# the band of accepted forms


@pytest.mark.parametrize(
    ("form", "rng", "modifier", "band"),
    [
        (2, (2, 3), None, (2, 3)),  # no modifier: anywhere in the range
        (3, (2, 3), "top_of_range", (3, 3)),  # 顶格: the top only
        (3, (2, 3), "heavier", (3, 3)),
        (1, (1, 2), "lighter", (1, 1)),
        (0, (1, 2), "reduced", (0, 0)),  # 减轻 below the range
        (3, (1, 2), "increased", (3, 3)),  # 加重 above it
        (0, (1, 1), "exempt", (0, 0)),
        (None, None, None, None),  # undetermined
    ],
)
def test_the_band_is_the_range_or_the_form_a_modifier_placed(
    form: int | None, rng: tuple[int, int] | None, modifier: str | None, band: tuple[int, int] | None
) -> None:
    """`recommended_band` follows D11: a deciding modifier names one form."""
    assert recommended_band(result(form, rng, modifier)) == band


@pytest.mark.parametrize(("recorded", "expected"), [(0, -2), (1, -1), (2, 0), (3, 0), (4, 1)])
def test_deviation_counts_forms_outside_the_band(recorded: int, expected: int) -> None:
    """Below the band negative, above it positive, inside it zero."""
    assert deviation(recorded, (2, 3)) == expected


# ---------------------------------------------------------------------------------------------------------------
# an archive with injected drift


def test_every_drifted_person_is_found_and_nobody_else(report: ConsistencyReport, drifted: list[Generated]) -> None:
    """The people flagged too lenient or too harsh are exactly those whose record was moved out of range."""
    injected = {
        (i.case_id, i.person, i.kind) for g in drifted for i in g.injected if i.kind in ("too_lenient", "too_harsh")
    }
    flagged = {(p.case_id, p.person, p.verdict) for p in report.flagged}
    assert len(injected) > 20
    assert flagged == injected


def test_discretion_inside_the_range_is_not_flagged(report: ConsistencyReport, drifted: list[Generated]) -> None:
    """People recorded at another form inside their range are within (and there were some)."""
    discretion = {(i.case_id, i.person) for g in drifted for i in g.injected if i.kind == "discretion"}
    assert len(discretion) > 5
    assert not discretion & {(p.case_id, p.person) for p in report.flagged}


def test_every_omitted_leader_is_found_and_nobody_else(report: ConsistencyReport, drifted: list[Generated]) -> None:
    """Leaders left out of the record are exactly those removed from it, with the rules that hold them."""
    injected = {(i.case_id, i.person, i.recommended) for g in drifted for i in g.injected if i.kind == "omitted"}
    found = {(o.case_id, o.person, o.recommended_form) for o in report.omitted_leaders}
    assert len(injected) > 5
    assert found == injected
    assert all(o.rules and o.trace for o in report.omitted_leaders)


def test_inconsistent_groups_are_the_patterns_recorded_unlike(
    report: ConsistencyReport, drifted: list[Generated]
) -> None:
    """Each inconsistent group is one pattern; every pattern with a changed record beside an untouched case is
    among them, and none without a changed record is."""
    pattern_of = {g.case_id: g.pattern for g in drifted}
    changed = Counter(
        g.pattern for g in drifted if any(i.kind in ("too_lenient", "too_harsh", "discretion") for i in g.injected)
    )
    clean = Counter(g.pattern for g in drifted if not g.injected)
    flagged = set()
    for group in report.groups:
        patterns = {pattern_of[c] for c in group.case_ids}
        assert len(patterns) == 1
        flagged |= patterns
        assert group.spread == max(s.spread for s in group.slots) > 0
    assert {p for p in changed if clean[p]} <= flagged <= set(changed)
    assert [g.spread for g in report.groups] == sorted((g.spread for g in report.groups), reverse=True)


def test_the_summary_adds_up(report: ConsistencyReport, drifted: list[Generated]) -> None:
    """Counts, tallies and the score follow from the records and what was injected."""
    kinds = Counter(i.kind for g in drifted for i in g.injected)
    recorded = sum(len(json.loads(g.text)["recorded"]) for g in drifted)
    s = report.summary
    assert (s.records, s.bad_records, s.cases, s.cases_with_record) == (300, 0, 300, 300)
    assert (s.people_checked, s.too_lenient, s.too_harsh, s.undetermined) == (
        recorded,
        kinds["too_lenient"],
        kinds["too_harsh"],
        0,
    )
    assert s.within == recorded - kinds["too_lenient"] - kinds["too_harsh"]
    assert s.omitted_leaders == kinds["omitted"]
    assert s.score == round(100 * s.within / (recorded + kinds["omitted"]), 1)
    years = Counter(json.loads(g.text)["decided_on"][:4] for g in drifted)
    assert {t.key: t.cases for t in report.by_year} == dict(years)
    levels = Counter(json.loads(g.text)["unit"]["level"] for g in drifted)
    assert {t.key: t.cases for t in report.by_unit_level} == dict(levels)
    assert sum(t.too_lenient for t in report.by_year) == kinds["too_lenient"]
    assert sum(t.omitted for t in report.by_unit_level) == kinds["omitted"]
    assert sum(report.deviations.values()) == recorded
    assert report.deviations.get("0") == s.within
    assert s.inconsistent


def test_workers_give_the_same_report(engine: Engine, drifted: list[Generated], report: ConsistencyReport) -> None:
    """Two worker processes find what one process finds."""
    assert check_consistency([g.text for g in drifted], engine, workers=2) == report


# ---------------------------------------------------------------------------------------------------------------
# small archives with known answers


def spec_case(recorded: dict[str, Any], case_id: str = "2023-017") -> dict[str, Any]:
    case = load(SPEC_EXAMPLE)
    case["case_id"] = case_id
    case["recorded"] = recorded
    return case


FAITHFUL = {
    "p1": {"form": 2, "measure": "warning"},
    "p2": {"form": 3, "measure": "expulsion"},
    "p3": {"form": 3, "measure": "expulsion"},
}


def test_a_faithful_record_is_consistent(engine: Engine) -> None:
    """Every person recorded as recommended: all within, no groups, score 100, not inconsistent."""
    report = check_consistency([spec_case(FAITHFUL)], engine)
    assert [(p.person, p.verdict) for p in report.flagged] == []
    assert (report.summary.within, report.summary.score, report.summary.inconsistent) == (3, 100.0, False)
    assert report.groups == []
    assert report.omitted_leaders == []


def test_the_spec_example_record_is_lenient_and_leaves_out_its_principal_leader(engine: Engine) -> None:
    """SPEC §3's record: p2 (concealment of life-saving funds, heavier: 3) got form 1, p1 (form 2) is not in
    it."""
    report = check_consistency([load(SPEC_EXAMPLE)], engine)
    [p2] = report.flagged
    assert (p2.person, p2.verdict, p2.recorded_form, p2.band, p2.deviation, p2.modifier) == (
        "p2",
        "too_lenient",
        1,
        (3, 3),
        -2,
        "heavier",
    )
    assert p2.rules == ["L-COVER-UP", "L-LIFESAVING"]
    assert [s.rule for s in p2.trace] == ["L-COMBINED-POST-ADJUSTMENT", "L-COVER-UP", "L-LIFESAVING"]
    assert [(o.person, o.responsibility, o.recommended_form) for o in report.omitted_leaders] == [
        ("p1", "principal_leadership", 2)
    ]
    s = report.summary
    assert (s.people_checked, s.within, s.too_lenient, s.omitted_leaders, s.score) == (2, 1, 1, 1, 33.3)


def test_each_checked_person_shows_recorded_and_recommended_measures_and_government_sanction(
    engine: Engine,
) -> None:
    """Beside the forms, a checked person lists the record's measures and government sanction and the
    recommended ones, as the record and the determination give them."""
    case = load(SPEC_EXAMPLE)
    case["recorded"]["p3"] = {"form": 3, "measures": ["expulsion"], "government_sanction": "gov_dismissal"}
    case["recorded"]["p2"] = {"form": 2, "measure": "serious_warning", "government_sanction": "gov_demerit"}
    report = check_consistency([case], engine, keep_within=True)
    shown = {
        p.person: (
            p.recorded_measures,
            p.recorded_government_sanction,
            p.recommended_measures,
            p.recommended_government_sanction,
        )
        for p in [*report.flagged, *report.within]
    }
    assert shown["p3"] == (["expulsion"], "gov_dismissal", ["expulsion"], "gov_dismissal")
    assert shown["p2"] == (
        ["serious_warning"],
        "gov_demerit",
        ["removal_from_party_post", "post_adjustment"],
        "gov_removal",
    )
    [omitted] = report.omitted_leaders
    assert (omitted.person, omitted.recommended_measures, omitted.recommended_government_sanction) == (
        "p1",
        ["warning"],
        None,
    )


def test_someone_the_rules_hold_not_responsible_recorded_with_a_form_is_too_harsh(engine: Engine) -> None:
    """A person with no finding at all recorded at form 1 is too harsh against [0,0], with no rules."""
    case = spec_case({**FAITHFUL, "p4": {"form": 1}})
    case["people"].append({"id": "p4", "name": "赵某", "roles": ["staff"]})
    [p4] = check_consistency([case], engine).flagged
    assert (p4.verdict, p4.band, p4.recommended_form, p4.responsibility, p4.rules) == (
        "too_harsh",
        (0, 0),
        0,
        "none",
        [],
    )


def test_a_recorded_person_the_rules_cannot_decide_is_undetermined_not_inconsistent(engine: Engine) -> None:
    """A linked leader with nothing on file is undetermined: counted, listed, but no inconsistency."""
    case = spec_case({**FAITHFUL, "p4": {"form": 1}})
    case["people"].append({"id": "p4", "name": "赵某", "roles": ["discipline_inspection"]})
    report = check_consistency([case], engine)
    assert [(p.person, p.verdict, p.band) for p in report.flagged] == [("p4", "undetermined", None)]
    assert (report.summary.undetermined, report.summary.incomplete_dual_investigation) == (1, 1)
    assert not report.summary.inconsistent


def test_a_case_without_a_record_still_counts_its_leader_not_looked_back_on(engine: Engine) -> None:
    """A valid case with no recorded outcome whose linked leader has nothing on file counts as incomplete."""
    case = json.loads((ROOT / "examples" / "cases" / "06-missing-leader.json").read_text(encoding="utf-8"))
    summary = check_consistency([case], engine).summary
    assert (summary.cases, summary.cases_with_record, summary.incomplete_dual_investigation) == (1, 0, 1)


def test_like_cases_recorded_unlike_form_one_group(engine: Engine) -> None:
    """The SPEC example twice under other names, the offender recorded 3 and 2: one group, spread 1."""
    first = spec_case(FAITHFUL, "A-1")
    second = copy.deepcopy(spec_case({**FAITHFUL, "p3": {"form": 2}}, "A-2"))
    text = json.dumps(second, ensure_ascii=False)
    for old, new in (('"p3"', '"x9"'), ('"p1"', '"x2"'), ('"v1"', '"w1"')):
        text = text.replace(old, new)
    report = check_consistency([first, json.loads(text)], engine)
    [group] = report.groups
    assert (group.cases, group.spread, group.case_ids) == (2, 1, ["A-1", "A-2"])
    [slot] = group.slots
    assert (slot.roles, slot.offender, slot.people, slot.forms, slot.examples) == (
        ["staff"],
        True,
        2,
        {"2": 1, "3": 1},
        {"2": ["A-2"], "3": ["A-1"]},
    )
    assert [(p.case_id, p.person, p.verdict) for p in report.flagged] == [("A-2", "x9", "too_lenient")]
    assert report.summary.like_case_groups == 1


def test_cases_without_a_record_are_counted_but_not_checked(engine: Engine) -> None:
    """A case with no ``recorded`` adds to the cases, not to the people checked."""
    case = load(SPEC_EXAMPLE)
    del case["recorded"]
    s = check_consistency([case], engine).summary
    assert (s.cases, s.cases_with_record, s.people_checked, s.score, s.inconsistent) == (1, 0, 0, None, False)


def test_bad_records_are_reported_and_the_rest_still_checked(engine: Engine) -> None:
    """A malformed record is listed with its index; the good case beside it is checked."""
    report = check_consistency(["{oops", spec_case(FAITHFUL)], engine)
    assert [(b.index, b.line, b.case_id) for b in report.bad_records] == [(0, None, None)]
    assert (report.summary.records, report.summary.bad_records, report.summary.within) == (2, 1, 3)


def test_the_json_follows_its_schema(report: ConsistencyReport) -> None:
    """``--json`` validates against `ConsistencyReport`'s JSON Schema, and reads back as the same report."""
    schema = ConsistencyReport.model_json_schema(by_alias=True)
    Draft202012Validator.check_schema(schema)
    data = json.loads(report.to_json())
    Draft202012Validator(schema).validate(data)
    assert data["schema"] == "accountrules.check/1"
    assert list(data) == [
        "schema",
        "rulepack",
        "summary",
        "by_year",
        "by_unit_level",
        "by_violation_kind",
        "by_version",
        "deviations",
        "flagged",
        "within",
        "omitted_leaders",
        "groups",
        "bad_records",
    ]
    assert ConsistencyReport.model_validate_json(report.to_json()) == report


def test_a_group_of_like_cases_is_named_by_its_violations_in_words(engine: Engine) -> None:
    """A group of like cases reads as its violations (kind, severity, area, flags, bilingual), not as a hash."""
    faithful = load(SPEC_EXAMPLE)
    faithful["case_id"] = "A-1"
    faithful["recorded"] = {**faithful["recorded"], "p2": {"form": 3, "measure": "expulsion"}}
    [group] = check_consistency([faithful, load(SPEC_EXAMPLE)], engine).groups
    assert group.pattern == (
        "贪污贿赂等腐败 corruption, 较重 fairly serious, 脱贫攻坚 poverty alleviation, 群众救命钱 life-saving funds, "
        "初犯 first offence"
    )


def test_like_people_who_read_the_same_are_numbered() -> None:
    """Two kinds of like people with the same roles and acts are told apart by 甲 and 乙, not shown twice alike."""
    from accountrules.batch.check import Group, Slot
    from accountrules.render.common import group_line

    def slot(forms: dict[str, int]) -> Slot:
        return Slot(roles=["staff"], offender=True, acts=["confessed"], people=2, forms=forms, examples={}, spread=1)

    group = Group(
        signature="s",
        pattern="p",
        cases=2,
        spread=1,
        slots=[slot({"1": 1, "2": 1}), slot({"2": 1, "3": 1})],
        case_ids=[],
    )
    assert (
        group_line(group)
        == "一般干部（违纪人）：主动交代（甲）: 1×1, 2×1; 一般干部（违纪人）：主动交代（乙）: 2×1, 3×1"
    )


def test_the_report_names_band_and_range_apart() -> None:
    """The JSON Schema calls a person's range 幅度 (as evaluate shows it) and the forms a check accepts 档 band."""
    from accountrules.batch.check import ConsistencyReport

    person = ConsistencyReport.model_json_schema(by_alias=True)["$defs"]["PersonCheck"]["properties"]
    assert (person["range"]["description"][:8], person["band"]["description"][:6]) == ("幅度 range", "档 band")
