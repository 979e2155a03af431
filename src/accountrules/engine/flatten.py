"""A case as flat scalar facts (see `accountrules.rulepack.facts` for the vocabulary of each type)."""

from __future__ import annotations

from typing import Any

from accountrules.models import Case
from accountrules.rulepack.policy import Policy
from accountrules.vocabulary import ViolationFlag, values

Fact = dict[str, Any]

_FLAGS = values(ViolationFlag)


def fact_id(*parts: str) -> str:
    """A fact's identity from its content: durable_rules refuses two facts with the same identity."""
    return "\x1f".join(parts)


def severity_index(policy: Policy, severity: str, suspected_crime: bool) -> int:
    index = policy.severity_index[severity]  # type: ignore[index]
    if suspected_crime:
        index = max(index, policy.severity_index[policy.crime_severity])
    return index


def flatten(case: Case, policy: Policy) -> list[Fact]:
    """The facts of the ``facts`` stage, in a canonical order that does not depend on the input's order."""
    spread = case.unit_record.long_term_spread or any(v.long_term_spread for v in case.violations)
    facts: list[Fact] = [
        {
            "t": "case",
            "id": "case",
            "unit_level": case.unit.level,
            "violations_in_period": case.unit_record.violations_in_period,
            "major_corruption_in_period": case.unit_record.major_corruption_in_period,
            "long_term_spread": spread,
        }
    ]
    for person in case.people:
        facts.append(
            {
                "t": "person",
                "id": fact_id("person", person.id),
                "p": person.id,
                "personally_clean": person.personally_clean,
            }
        )
        facts.extend(
            {"t": "role", "id": fact_id("role", person.id, r), "p": person.id, "role": r} for r in person.roles
        )
        facts.extend(
            {"t": "oversees", "id": fact_id("oversees", person.id, a), "p": person.id, "area": a}
            for a in person.oversees
        )
    for violation in case.violations:
        flags = {flag: bool(getattr(violation, flag)) for flag in _FLAGS}
        facts.append(
            {
                "t": "violation",
                "id": fact_id("violation", violation.id),
                "v": violation.id,
                "kind": violation.kind,
                "severity": violation.severity,
                "s": severity_index(policy, violation.severity, violation.suspected_crime),
                "area": violation.area,
                **flags,
            }
        )
        facts.extend(
            {"t": "flag", "id": fact_id("flag", violation.id, f), "v": violation.id, "flag": f}
            for f, on in flags.items()
            if on
        )
        facts.extend(
            {"t": "offender", "id": fact_id("offender", violation.id, p), "p": p, "v": violation.id}
            for p in violation.offenders
        )
    for entry in case.conduct:
        facts.append(
            {
                "t": "conduct",
                "id": fact_id("conduct", entry.person, entry.violation),
                "p": entry.person,
                "v": entry.violation,
            }
        )
        facts.extend(
            {
                "t": "act",
                "id": fact_id("act", entry.person, entry.violation, a),
                "p": entry.person,
                "v": entry.violation,
                "act": a,
            }
            for a in entry.acts
        )
    for decision in case.decisions:
        advocates, objectors = set(decision.advocates), set(decision.objectors)
        facts.extend(
            {
                "t": "participant",
                "id": fact_id("participant", decision.id, p),
                "d": decision.id,
                "v": decision.violation,
                "p": p,
                "advocate": p in advocates,
                "objector": p in objectors,
            }
            for p in decision.participants
        )
    facts.sort(key=lambda f: (f["t"], f["id"]))
    return facts
