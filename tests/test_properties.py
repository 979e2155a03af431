"""Laws that hold for every valid case: determinism, order independence, coverage and monotonicity (D11)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accountrules import Determination, Engine
from accountrules.vocabulary import FORM_MEASURES
from tests.strategies import (
    AGGRAVATING_ACTS,
    FAILURE_ACTS,
    LEADER_MITIGATING_ACTS,
    OFFENDER_MITIGATING_ACTS,
    SEVERITIES,
    cases,
)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Monotonicity needs more examples to meet the rarer combinations.
MONOTONE = settings(PROPERTY, max_examples=150)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def ranks(determination: Determination) -> dict[str, tuple[int, int]]:
    """(form, position of the measure in its form) for every person with a result; -1 when the measure shown is
    not the one D11 compared: V3 removed a non-member's party measure (the note ``no_party_measure``), leaving
    nothing or a measure combined with it, which may be another finding's (SPEC §9.3: comparisons use the
    measure before the removal)."""
    removed = {note.person for note in determination.notes if note.code == "no_party_measure"}
    out = {}
    for p in determination.people:
        if p.form is None:
            continue
        shown = FORM_MEASURES[p.form]
        out[p.person] = (p.form, shown.index(p.measure) if p.measure in shown and p.person not in removed else -1)
    return out


def with_act(case: dict[str, Any], person: str, violation: str, act: str) -> dict[str, Any]:
    """``case`` with ``act`` added to the conduct entry of (person, violation), creating it if needed."""
    changed = copy.deepcopy(case)
    for entry in changed["conduct"]:
        if entry["person"] == person and entry["violation"] == violation:
            if act not in entry["acts"]:
                entry["acts"].append(act)
            return changed
    changed["conduct"].append({"person": person, "violation": violation, "acts": [act]})
    return changed


def never_lower(engine: Engine, before: dict[str, Any], after: dict[str, Any]) -> None:
    old, new = ranks(engine.evaluate(before)), ranks(engine.evaluate(after))
    for person, rank in old.items():
        assert new[person] >= rank, f"{person} went from {rank} to {new[person]}"


def never_higher(engine: Engine, before: dict[str, Any], after: dict[str, Any]) -> None:
    old, new = ranks(engine.evaluate(before)), ranks(engine.evaluate(after))
    for person, rank in old.items():
        assert new[person] <= rank, f"{person} went from {rank} to {new[person]}"


def shuffled(case: dict[str, Any], seed: int) -> dict[str, Any]:
    """The same case with every list in another order."""
    rng = random.Random(seed)
    out = copy.deepcopy(case)
    for key in ("people", "violations", "conduct", "decisions"):
        rng.shuffle(out[key])
    for person in out["people"]:
        rng.shuffle(person["roles"])
        rng.shuffle(person["oversees"])
    for violation in out["violations"]:
        rng.shuffle(violation["offenders"])
    for entry in out["conduct"]:
        rng.shuffle(entry["acts"])
    for decision in out["decisions"]:
        for key in ("participants", "advocates", "objectors"):
            rng.shuffle(decision[key])
    return out


@PROPERTY
@given(case=cases())
def test_the_same_case_gives_the_same_bytes(engine: Engine, case: dict[str, Any]) -> None:
    """Evaluating a case twice gives byte-identical JSON."""
    assert engine.evaluate(case).to_json() == engine.evaluate(copy.deepcopy(case)).to_json()


@PROPERTY
@given(case=cases(), seed=st.integers(0, 2**16))
def test_the_order_of_input_lists_does_not_matter(engine: Engine, case: dict[str, Any], seed: int) -> None:
    """Shuffling people, violations, conduct, decisions and every list inside them changes no byte."""
    assert engine.evaluate(shuffled(case, seed)).to_json() == engine.evaluate(case).to_json()


@PROPERTY
@given(case=cases())
def test_every_offender_is_held_at_form_one_or_more(engine: Engine, case: dict[str, Any]) -> None:
    """微错必究: no offender's result is below the first form, unless their own honest pilot error exempted them."""
    people = {p.person: p for p in engine.evaluate(case).people}
    pilots = {(c["person"], c["violation"]) for c in case["conduct"] if "pilot_error" in c["acts"]}
    for violation in case["violations"]:
        for offender in violation["offenders"]:
            result = people[offender]
            assert result.form is not None
            if result.form == 0:
                assert (offender, violation["id"]) in pilots
                assert [m.kind for m in result.modifiers] == ["exempt"]
            else:
                assert result.form >= 1


def in_office(person: dict[str, Any], violation: dict[str, Any], decided_on: str | None) -> bool:
    """V10: the tenure overlaps the conduct, both ends inclusive; an undated violation overlaps every tenure."""
    tenure = person.get("in_office") or {}
    began, ended = violation.get("began_on"), violation.get("ended_on")
    if began is None and ended is None:
        return True
    ended = ended or began or decided_on
    began = began or ended
    start, end = tenure.get("from"), tenure.get("to")
    return (start is None or start <= ended) and (end is None or began <= end)


def linked(case: dict[str, Any]) -> set[tuple[str, str]]:
    """(person, violation) pairs D1 links (with V5 and V10), computed independently of the rule pack."""
    pairs = set()
    with_conduct = {(c["person"], c["violation"]) for c in case["conduct"]}
    for v in case["violations"]:
        for p in case["people"]:
            if p["id"] in v["offenders"]:
                continue
            roles = set(p["roles"])
            leader = "principal_leader" in roles or "discipline_inspection" in roles or v["area"] in p["oversees"]
            if (leader and in_office(p, v, case.get("decided_on"))) or (p["id"], v["id"]) in with_conduct:
                pairs.add((p["id"], v["id"]))
    return pairs


@PROPERTY
@given(case=cases())
def test_every_linked_leader_is_examined_or_missing(engine: Engine, case: dict[str, Any]) -> None:
    """一案双查: each linked (person, violation) is examined or listed as missing; nobody else is missing."""
    dual = engine.evaluate(case).dual_investigation
    missing = {(m.person, m.violation) for m in dual.missing}
    for person, violation in linked(case):
        assert person in dual.examined or (person, violation) in missing
    assert missing <= linked(case)
    assert dual.complete is (not missing)


@MONOTONE
@given(case=cases(), data=st.data())
def test_adding_a_failure_act_never_lowers_anyone(engine: Engine, case: dict[str, Any], data: st.DataObject) -> None:
    """D11: a further failure act never lowers any person's (form, measure)."""
    pairs = [(p["id"], v["id"]) for p in case["people"] for v in case["violations"] if p["id"] not in v["offenders"]]
    assume(pairs)
    person, violation = data.draw(st.sampled_from(pairs))
    act = data.draw(st.sampled_from(FAILURE_ACTS))
    never_lower(engine, case, with_act(case, person, violation, act))


@MONOTONE
@given(case=cases(), data=st.data())
def test_adding_an_aggravating_act_never_lowers_anyone(
    engine: Engine, case: dict[str, Any], data: st.DataObject
) -> None:
    """D11: a further aggravating act, by an offender or a leader, never lowers anyone."""
    pairs = [(p["id"], v["id"]) for p in case["people"] for v in case["violations"]]
    person, violation = data.draw(st.sampled_from(pairs))
    act = data.draw(st.sampled_from(AGGRAVATING_ACTS))
    never_lower(engine, case, with_act(case, person, violation, act))


@MONOTONE
@given(case=cases(), data=st.data())
def test_raising_a_severity_never_lowers_anyone(engine: Engine, case: dict[str, Any], data: st.DataObject) -> None:
    """D11: a more serious violation never lowers anyone."""
    index = data.draw(st.integers(0, len(case["violations"]) - 1))
    current = SEVERITIES.index(case["violations"][index]["severity"])
    assume(current < len(SEVERITIES) - 1)
    raised = copy.deepcopy(case)
    raised["violations"][index]["severity"] = data.draw(st.sampled_from(SEVERITIES[current + 1 :]))
    never_lower(engine, case, raised)


def test_a_measure_v3_removed_is_not_compared_when_another_finding_decides(engine: Engine) -> None:
    """A staff non-member's offence raised to grave is (2, serious_warning) under V9, as their leader finding was,
    and now decides: the post adjustment that finding carried beside the removed party measure is gone, and
    neither result's shown measure is the one D11 compared, so both rank as form 2 alone."""
    case: dict[str, Any] = {
        "case_id": "v3-v9",
        "unit": {"name": "某单位", "level": "county"},
        "people": [
            {"id": "p1", "roles": ["principal_leader"]},
            {"id": "p3", "roles": ["staff"], "party_member": False},
        ],
        "violations": [
            {"id": "v1", "kind": "four_winds", "severity": "serious", "area": "other", "offenders": ["p3"]},
            {"id": "v2", "kind": "corruption", "severity": "serious", "area": "other", "offenders": ["p1"]},
        ],
        "conduct": [{"person": "p3", "violation": "v2", "acts": ["not_investigated"]}],
    }
    raised = copy.deepcopy(case)
    raised["violations"][0]["severity"] = "grave"
    before, after = engine.evaluate(case), engine.evaluate(raised)
    shown = [(p.form, p.measures) for d in (before, after) for p in d.people if p.person == "p3"]
    assert shown == [(2, ["post_adjustment"]), (2, [])]
    assert (ranks(before)["p3"], ranks(after)["p3"]) == ((2, -1), (2, -1))
    never_lower(engine, case, raised)


@MONOTONE
@given(
    case=cases(),
    data=st.data(),
    flag=st.sampled_from(["lifesaving_funds", "suspected_crime", "long_term_spread", "unit_long_term_spread"]),
)
def test_setting_an_aggravating_flag_never_lowers_anyone(
    engine: Engine, case: dict[str, Any], data: st.DataObject, flag: str
) -> None:
    """D11: life-saving funds, a suspected crime or long-term spread never lower anyone."""
    flagged = copy.deepcopy(case)
    if flag == "unit_long_term_spread":
        flagged["unit_record"]["long_term_spread"] = True
    else:
        index = data.draw(st.integers(0, len(case["violations"]) - 1))
        flagged["violations"][index][flag] = True
    never_lower(engine, case, flagged)


@MONOTONE
@given(case=cases(), data=st.data())
def test_adding_a_mitigating_act_never_raises_anyone(engine: Engine, case: dict[str, Any], data: st.DataObject) -> None:
    """D11: a further mitigating act (a leader's credit, an offender's confession, 容错) never raises anyone."""
    pairs = [(p["id"], v["id"]) for p in case["people"] for v in case["violations"]]
    person, violation = data.draw(st.sampled_from(pairs))
    offender = any(person in v["offenders"] for v in case["violations"] if v["id"] == violation)
    act = data.draw(st.sampled_from(OFFENDER_MITIGATING_ACTS if offender else LEADER_MITIGATING_ACTS))
    never_higher(engine, case, with_act(case, person, violation, act))


@MONOTONE
@given(case=cases(), data=st.data())
def test_more_consequences_never_lower_anyone(engine: Engine, case: dict[str, Any], data: st.DataObject) -> None:
    """V11: more deaths, serious injuries or direct loss never lower any person's (form, measure)."""
    index = data.draw(st.integers(0, len(case["violations"]) - 1))
    worse = copy.deepcopy(case)
    consequences = worse["violations"][index].setdefault("consequences", {})
    count = data.draw(st.sampled_from(["deaths", "serious_injuries", "direct_loss_cny"]))
    more = [1, 5_000_000, 40_000_000] if count == "direct_loss_cny" else [1, 2, 7, 40]
    consequences[count] = consequences.get(count, 0) + data.draw(st.sampled_from(more))
    never_lower(engine, case, worse)
