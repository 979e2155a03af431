"""Who a violation links (SPEC D1) comes from the pack's ``missing`` rules: verify and explain follow a pack
that changes it (tests/packs/linkage links team members to every violation, discipline-inspection heads to none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine
from accountrules.rulepack import RulePack, load_default, load_pack
from accountrules.tooling.explain import explain
from accountrules.tooling.verify import linked_people, verify
from accountrules.validation import parse_case

PACKS = Path(__file__).resolve().parent / "packs"


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(PACKS / "linkage")


def case(**extra: Any) -> dict[str, Any]:
    """A principal leader p1, a discipline-inspection head p2, a team member p3 and a staff offender p4."""
    data: dict[str, Any] = {
        "case_id": "linkage",
        "unit": {"name": "某县某局", "level": "county"},
        "people": [
            {"id": "p1", "roles": ["principal_leader"]},
            {"id": "p2", "roles": ["discipline_inspection"]},
            {"id": "p3", "roles": ["team_member"]},
            {"id": "p4", "roles": ["staff"]},
        ],
        "violations": [
            {"id": "v1", "kind": "four_winds", "severity": "ordinary", "area": "finance", "offenders": ["p4"]}
        ],
    }
    data.update(extra)
    return data


def test_the_default_pack_links_principal_and_discipline_heads() -> None:
    """The default pack's missing rules link the principal leader and the discipline-inspection head."""
    assert linked_people(case(), load_default()) == {
        ("p1", "v1"): "linked by DQ-MISSING-PRINCIPAL",
        ("p2", "v1"): "linked by DQ-MISSING-DISCIPLINE",
    }


def test_a_pack_changes_who_is_linked(pack: RulePack) -> None:
    """The linkage pack links the team member and no longer the discipline-inspection head."""
    assert linked_people(case(), pack) == {
        ("p1", "v1"): "linked by DQ-MISSING-PRINCIPAL",
        ("p3", "v1"): "linked by DQ-MISSING-TEAM",
    }


def test_conduct_and_decisions_link_whatever_the_pack(pack: RulePack) -> None:
    """Recorded conduct links its person; an offender is never linked to their own violation."""
    data = case(conduct=[{"person": "p2", "violation": "v1", "acts": []}, {"person": "p4", "violation": "v1"}])
    assert linked_people(data, pack)[("p2", "v1")] == "has conduct on it"
    assert ("p4", "v1") not in linked_people(data, pack)


def test_verify_finds_the_custom_linkage_complete(pack: RulePack) -> None:
    """Nobody the pack does not link is required to be missing: completeness holds for the linkage pack."""
    report = verify(pack, cap=300, order_sample=5, only=["look-back"])
    completeness = next(c for c in report.checks if c.name == "completeness")
    assert completeness.problems == []
    assert completeness.counterexample is None


def test_explain_moves_on_every_violation_the_pack_links(pack: RulePack) -> None:
    """The team member recorded on v1 only is linked to v2 as well: explain offers recording a failure on v2."""
    v2 = {"id": "v2", "kind": "four_winds", "severity": "ordinary", "area": "housing", "offenders": ["p4"]}
    data = case(conduct=[{"person": "p3", "violation": "v1", "acts": ["failed_to_stop"]}])
    data["violations"].append(v2)
    explanation = explain(Engine(pack), parse_case(data), "p3")
    assert sorted({c.violation for c in explanation.up if c.op == "add_act"}) == ["v1", "v2"]
    assert [n.violation for n in explanation.needed] == ["v2"]


def test_explain_keeps_to_the_person_s_violations_in_the_default_pack() -> None:
    """In the default pack the same team member is linked to v1 only (by their conduct)."""
    v2 = {"id": "v2", "kind": "four_winds", "severity": "ordinary", "area": "housing", "offenders": ["p4"]}
    data = case(conduct=[{"person": "p3", "violation": "v1", "acts": ["failed_to_stop"]}])
    data["violations"].append(v2)
    explanation = explain(Engine.default(), parse_case(data), "p3")
    assert sorted({c.violation for c in explanation.up if c.op == "add_act"}) == ["v1"]
    assert explanation.needed == []
