"""Hypothesis strategies for valid cases (SPEC §3), small enough to evaluate many times."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from accountrules.vocabulary import (
    AGGRAVATING_ACTS,
    FAILURE_ACTS,
    OFFENDER_ACTS,
    PILOT_ERROR_KINDS,
    Act,
    Area,
    Role,
    Severity,
    ViolationKind,
    values,
)

__all__ = ["AGGRAVATING_ACTS", "FAILURE_ACTS", "cases"]

ROLES = values(Role)
AREAS = values(Area)
KINDS = values(ViolationKind)
SEVERITIES = values(Severity)
ACTS = values(Act)
LEADER_MITIGATING_ACTS = (
    "discovered_proactively",
    "investigated_resolutely",
    "supported_investigation",
    "reported",
    "remedied",
    "pilot_error",
    "force_majeure",
)
OFFENDER_MITIGATING_ACTS = ("confessed", "remedied", "exposed_others", "returned_gains")
#: Dates around the days the regulations changed, so that tenures and conduct periods meet and miss each other.
DATES = ("2015-06-01", "2018-09-30", "2018-10-01", "2019-08-31", "2019-09-01", "2023-12-31", "2024-01-01")
FLAGS = ("lifesaving_funds", "suspected_crime", "long_term_spread", "first_offence", "minor_error", "many_participants")


def period(draw: st.DrawFn) -> tuple[str | None, str | None]:
    """Two dates in order, either of which may be left open."""
    first, second = sorted(draw(st.lists(st.sampled_from(DATES), min_size=2, max_size=2)))
    return (first if draw(st.booleans()) else None, second if draw(st.booleans()) else None)


def subset(draw: st.DrawFn, items: tuple[str, ...] | list[str], max_size: int | None = None) -> list[str]:
    chosen: list[str] = draw(st.lists(st.sampled_from(list(items)), unique=True, max_size=max_size or len(items)))
    return chosen


@st.composite
def cases(draw: st.DrawFn, max_people: int = 6, max_violations: int = 3) -> dict[str, Any]:
    """A valid case with up to ``max_people`` people and ``max_violations`` violations."""
    n_people = draw(st.integers(2, max_people))
    people = []
    for i in range(1, n_people + 1):
        roles = [draw(st.sampled_from(ROLES))] + (subset(draw, ROLES, 1) if draw(st.integers(0, 3)) == 0 else [])
        roles = sorted(set(roles))
        oversees = subset(draw, AREAS, 3) if "leader_in_charge" in roles else []
        person: dict[str, Any] = {
            "id": f"p{i}",
            "name": f"人员{i}",
            "roles": roles,
            "oversees": oversees,
            "personally_clean": draw(st.booleans()),
        }
        for flag in ("party_member", "public_official", "party_post"):
            if draw(st.integers(0, 4)) == 0:
                person[flag] = draw(st.booleans())
        if draw(st.integers(0, 3)) == 0:
            start, end = period(draw)
            person["in_office"] = {"from": start, "to": end}
        people.append(person)
    ids = [p["id"] for p in people]
    violations = []
    for j in range(1, draw(st.integers(1, max_violations)) + 1):
        offenders = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
        violation: dict[str, Any] = {
            "id": f"v{j}",
            "kind": draw(st.sampled_from(KINDS)),
            "severity": draw(st.sampled_from(SEVERITIES)),
            "area": draw(st.sampled_from(AREAS)),
            "offenders": offenders,
        }
        for flag in FLAGS:
            if draw(st.integers(0, 4)) == 0:
                violation[flag] = True
        if draw(st.integers(0, 2)) == 0:
            began, ended = period(draw)
            violation.update({k: d for k, d in (("began_on", began), ("ended_on", ended)) if d is not None})
        if draw(st.integers(0, 3)) == 0:
            violation["consequences"] = {
                "deaths": draw(st.sampled_from([0, 1, 3, 10])),
                "serious_injuries": draw(st.sampled_from([0, 1, 10, 50])),
                "direct_loss_cny": draw(st.sampled_from([0, 9_999_999, 10_000_000, 50_000_000])),
            }
        violations.append(violation)
    conduct = []
    for v in violations:
        for pid in ids:
            if draw(st.integers(0, 2)) == 0:
                continue
            if pid in v["offenders"]:
                own = (*OFFENDER_ACTS, "pilot_error") if v["kind"] in PILOT_ERROR_KINDS else OFFENDER_ACTS
                acts = subset(draw, own, 2)
            else:  # half of the leaders' entries hold a failure, so that leader findings are common
                acts = subset(draw, ACTS, 2) + ([draw(st.sampled_from(FAILURE_ACTS))] if draw(st.booleans()) else [])
            conduct.append({"person": pid, "violation": v["id"], "acts": sorted(set(acts))})
    decisions = []
    for k in range(1, draw(st.integers(0, 2)) + 1):
        participants = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
        advocates = draw(st.lists(st.sampled_from(participants), max_size=1, unique=True))
        others = [p for p in participants if p not in advocates]
        objectors = draw(st.lists(st.sampled_from(others), max_size=1, unique=True)) if others else []
        decisions.append(
            {
                "id": f"d{k}",
                "violation": draw(st.sampled_from([v["id"] for v in violations])),
                "participants": participants,
                "advocates": advocates,
                "objectors": objectors,
            }
        )
    return {
        "case_id": "prop",
        **({"decided_on": draw(st.sampled_from(DATES))} if draw(st.booleans()) else {}),
        "title": "性质测试",
        "unit": {"name": "某单位", "level": draw(st.sampled_from(["county", "city", "township"]))},
        "people": people,
        "violations": violations,
        "conduct": conduct,
        "decisions": decisions,
        "unit_record": {
            "violations_in_period": draw(st.integers(0, 4)),
            "major_corruption_in_period": draw(st.integers(0, 3)),
            "long_term_spread": draw(st.integers(0, 5)) == 0,
        },
    }
