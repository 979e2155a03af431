"""Archives with SPEC §9's fields (`CorpusSpec.v2`): valid cases that reach the paths §9 adds, on which both
runtimes decide alike; without the share, archives are drawn exactly as before it existed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from typing import Any

import pytest

from accountrules import Engine
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.validation import parse_case_text

#: Digests of archives written by the generator before `CorpusSpec.v2` existed (commit 0bb759f).
DRAWN_BEFORE = {
    "all different": (
        CorpusSpec(cases=200, seed=7, patterns=None, recorded=False),
        "9772bc36b6333ff975959dd7a8f787ca9024e999552cdbf3ee05e06226bab622",
    ),
    "repeated, recorded, injected": (
        CorpusSpec(cases=150, seed=7, drift=0.1, discretion=0.1, omissions=0.05, bad=0.02),
        "b77972be7c3224292db7e35a828b249710f003f4a8d03caa0b5aea3da2feae3b",
    ),
}
NOTE_CODES = [
    "amount_over_threshold",
    "before_earliest_version",
    "force_majeure_with_failure",
    "no_decided_on",
    "no_party_measure",
]
LEADER_ROLES = {"principal_leader", "leader_in_charge", "discipline_inspection", "team_member"}


def texts(spec: CorpusSpec, engine: Engine | None = None) -> list[str]:
    return [g.text for g in generate(spec, engine)]


@pytest.fixture(scope="module")
def archive() -> list[dict[str, Any]]:
    """Three hundred all-different cases, every one given §9's fields."""
    return [json.loads(t) for t in texts(CorpusSpec(cases=300, seed=5, patterns=None, recorded=False, v2=1.0))]


@pytest.fixture(scope="module")
def determinations(archive: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The archive's determinations by the compiled runtime, as JSON."""
    compiled = Engine.default().with_runtime("compiled")
    return [json.loads(compiled.evaluate_valid(parse_case_text(json.dumps(c))).to_json(indent=None)) for c in archive]


@pytest.mark.parametrize("name", DRAWN_BEFORE)
def test_archives_without_v2_are_drawn_as_before(name: str, engine: Engine) -> None:
    """With the default share 0 the generator writes, byte for byte, what it wrote before the field existed."""
    spec, digest = DRAWN_BEFORE[name]
    text = "".join(t + "\n" for t in texts(spec, engine if spec.recorded else None))
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == digest


def test_cases_the_variation_skips_are_the_default_ones() -> None:
    """With half the cases varied, each case the variation's own draw skips is the default archive's case of the
    same number, and each case it takes differs from it."""
    default = texts(CorpusSpec(cases=60, seed=3, patterns=None, recorded=False))
    half = texts(CorpusSpec(cases=60, seed=3, patterns=None, recorded=False, v2=0.5))
    skipped = [random.Random(f"3:v2:{n}").random() >= 0.5 for n in range(60)]
    assert [a == b for a, b in zip(default, half, strict=True)] == skipped
    assert 20 < sum(skipped) < 40


def test_every_varied_case_is_valid(archive: list[dict[str, Any]]) -> None:
    """Every case parses and validates, its dates in order: tenures and conduct periods, conduct never after the
    decision."""
    for case in archive:
        parse_case_text(json.dumps(case))
        decided = case.get("decided_on")
        for v in case["violations"]:
            began, ended = v.get("began_on"), v.get("ended_on")
            assert began is None or ended is None or began <= ended
            assert decided is None or all(d <= decided for d in (began, ended) if d is not None)
        for p in case["people"]:
            tenure = p.get("in_office") or {}
            assert tenure.get("from") is None or tenure.get("to") is None or tenure["from"] <= tenure["to"]


def test_the_variation_states_membership_office_and_posts(archive: list[dict[str, Any]]) -> None:
    """Non-members, non-officials, staff who hold a party post and leaders who hold none all occur."""
    people = [p for c in archive for p in c["people"]]
    assert any(p.get("party_member") is False for p in people)
    assert any(p.get("public_official") is False for p in people)
    assert any(p.get("party_post") is True and p["roles"] == ["staff"] for p in people)
    assert any(p.get("party_post") is False and LEADER_ROLES & set(p["roles"]) for p in people)


def test_conduct_is_dated_on_both_sides_of_every_version_change(archive: list[dict[str, Any]]) -> None:
    """Conduct ends on the day before and on the first day of each version after the earliest, and before the
    earliest version's first day."""
    ends = {v.get("ended_on") or v.get("began_on") for c in archive for v in c["violations"]}
    for first in ("2018-10-01", "2019-09-01", "2024-01-01"):
        day = dt.date.fromisoformat(first)
        assert {first, (day - dt.timedelta(days=1)).isoformat()} <= ends
    assert any(e is not None and e < "2016-01-01" for e in ends)


def test_the_variation_reaches_every_note_and_reason(determinations: list[dict[str, Any]]) -> None:
    """Every note code of SPEC §9.2, every reason for the rules in force and every version of the conduct occur,
    and some person gets the lighter newer version."""
    notes = sorted({n["code"] for d in determinations for n in d["notes"]})
    in_force = [r for d in determinations for r in d["rules_in_force"]]
    assert notes == NOTE_CODES
    assert sorted({r["why"] for r in in_force}) == ["conduct_date", "continuing", "no_date"]
    assert sorted({r["conduct"] for r in in_force}) == [
        "acct2016+disc2015",
        "acct2016+disc2018",
        "acct2019+disc2018",
        "acct2019+disc2023",
    ]
    assert any(r["lighter_new"] for r in in_force)


def test_consequences_fall_on_both_sides_of_every_accident_grade(archive: list[dict[str, Any]]) -> None:
    """Deaths, serious injuries and direct loss each take the values just under and at every grade's floor."""
    seen = [v["consequences"] for c in archive for v in c["violations"] if "consequences" in v]
    assert {0, 1, 2, 3, 9, 10} <= {s["deaths"] for s in seen}
    assert {0, 1, 9, 10, 49, 50} <= {s["serious_injuries"] for s in seen}
    assert {9_999_999, 10_000_000, 49_999_999, 50_000_000} <= {s["direct_loss_cny"] for s in seen}


def test_a_tenure_that_excludes_a_violation_unlinks_its_leader(
    archive: list[dict[str, Any]], determinations: list[dict[str, Any]]
) -> None:
    """Some leader linked to a violation by role, with a tenure outside its conduct and nothing on record for it,
    occurs, and none of them is listed as missing (V10)."""
    unlinked = 0
    for case, determination in zip(archive, determinations, strict=True):
        missing = {(m["person"], m["violation"]) for m in determination["dual_investigation"]["missing"]}
        recorded = {(e["person"], e["violation"]) for e in case["conduct"]}
        recorded |= {(p, d["violation"]) for d in case.get("decisions", ()) for p in d["participants"]}
        for v in case["violations"]:
            end = v.get("ended_on") or v.get("began_on")
            start = v.get("began_on") or end
            if end is None:  # conduct with no date of its own overlaps every tenure
                continue
            for p in case["people"]:
                tenure = p.get("in_office") or {}
                outside = (tenure.get("to") or "9999") < start or (tenure.get("from") or "0000") > end
                role = "principal_leader" in p["roles"] or v["area"] in p.get("oversees", ())
                if outside and role and p["id"] not in v["offenders"] and (p["id"], v["id"]) not in recorded:
                    unlinked += 1
                    assert (p["id"], v["id"]) not in missing
    assert unlinked > 0


def test_offenders_pilot_error_and_leaders_force_majeure_exempt(
    archive: list[dict[str, Any]], determinations: list[dict[str, Any]]
) -> None:
    """Some offender's pilot error and some leader's force majeure without a failure each leave the person at form
    0, exempted (V6)."""
    exempted: set[tuple[str, str]] = set()
    for case, determination in zip(archive, determinations, strict=True):
        offenders = {v["id"]: v["offenders"] for v in case["violations"]}
        exempt = {
            p["person"]
            for p in determination["people"]
            if p["form"] == 0 and [m["kind"] for m in p["modifiers"]] == ["exempt"]
        }
        for entry in case["conduct"]:
            if entry["person"] in exempt and entry["acts"] in (["pilot_error"], ["force_majeure"]):
                by = "offender" if entry["person"] in offenders[entry["violation"]] else "leader"
                exempted.add((entry["acts"][0], by))
    assert {("pilot_error", "offender"), ("force_majeure", "leader")} <= exempted


def test_both_runtimes_decide_varied_cases_alike() -> None:
    """Four hundred all-different cases with §9's fields get the same determination, byte for byte, from
    durable_rules and from the compiled runtime."""
    engine = Engine.default()
    durable, compiled = engine.with_runtime("durable"), engine.with_runtime("compiled")
    spec = CorpusSpec(cases=400, seed=13, patterns=None, recorded=False, v2=1.0)
    differ = []
    for text in texts(spec):
        case = parse_case_text(text)
        if compiled.evaluate_valid(case).to_json(indent=None) != durable.evaluate_valid(case).to_json(indent=None):
            differ.append(case.case_id)
    assert differ == []


def test_overseers_of_any_role_are_looked_back_on(
    archive: list[dict[str, Any]], determinations: list[dict[str, Any]]
) -> None:
    """Staff members and team members who oversee a violation's area bear a leadership failure there as V5 says:
    a staff member directly, a team member as the leader in charge."""
    rules: dict[str, set[str]] = {"staff": set(), "team_member": set()}
    for case, determination in zip(archive, determinations, strict=True):
        people = {p["id"]: p for p in case["people"]}
        for result in determination["people"]:
            person = people[result["person"]]
            if person.get("oversees") and person["roles"] in (["staff"], ["team_member"]):
                rules[person["roles"][0]] |= {r for r in result["findings"] if r.startswith(("L-STOP", "L-IMPLEMENT"))}
    assert rules["staff"] & {"L-STOP-STAFF", "L-IMPLEMENT-STAFF"}
    assert rules["team_member"] & {"L-STOP-IN-CHARGE", "L-IMPLEMENT-IN-CHARGE"}
