"""The facts a rule may read: the flat, scalar view of a case that the engine asserts into durable_rules.

durable_rules joins facts on scalar fields but cannot reach into nested lists, so a case becomes one fact per
role, overseen area, offender, conduct entry, act, participant and violation flag. Rules in the ``facts`` stage
read the case; rules in the ``resolved`` stage read what resolution produced (candidates, results,
organisation measures) beside the case.
"""

from __future__ import annotations

from dataclasses import dataclass

from accountrules.vocabulary import (
    Act,
    Area,
    OrgMeasure,
    Responsibility,
    Role,
    Severity,
    UnitLevel,
    ViolationFlag,
    ViolationKind,
    values,
)


@dataclass(frozen=True)
class FieldType:
    """``id`` (joins only), ``bool``, ``int`` or ``enum`` with its values."""

    kind: str
    choices: tuple[str, ...] = ()
    doc: str = ""


ID = FieldType("id")
BOOL = FieldType("bool")
INT = FieldType("int")


def enum(literal: object, doc: str = "") -> FieldType:
    return FieldType("enum", values(literal), doc)


#: Finding kinds are declared by the pack's policy; this placeholder is replaced when a pack is loaded.
FINDING_KIND = FieldType("enum", (), "a finding kind declared in the pack's policy")

_VIOLATION_FLAGS = dict.fromkeys(values(ViolationFlag), BOOL)

CASE_FACTS: dict[str, dict[str, FieldType]] = {
    "case": {
        "unit_level": enum(UnitLevel),
        "violations_in_period": INT,
        "major_corruption_in_period": INT,
        "long_term_spread": FieldType("bool", (), "the unit's flag or the flag on any violation"),
    },
    "person": {"p": ID, "personally_clean": BOOL},
    "role": {"p": ID, "role": enum(Role)},
    "oversees": {"p": ID, "area": enum(Area)},
    "violation": {
        "v": ID,
        "kind": enum(ViolationKind),
        "severity": enum(Severity),
        "s": FieldType("int", (), "severity index; suspected_crime counts as the policy's crime severity"),
        "area": enum(Area),
        **_VIOLATION_FLAGS,
    },
    "flag": {"v": ID, "flag": enum(ViolationFlag, "one fact per flag that is true")},
    "offender": {"p": ID, "v": ID},
    "conduct": {"p": ID, "v": ID},
    "act": {"p": ID, "v": ID, "act": enum(Act)},
    "participant": {"d": ID, "v": ID, "p": ID, "advocate": BOOL, "objector": BOOL},
}

RESOLVED_FACTS: dict[str, dict[str, FieldType]] = {
    "candidate": {
        "p": ID,
        "v": FieldType("id", (), "empty for findings on no violation"),
        "kind": FINDING_KIND,
        "responsibility": enum(Responsibility),
    },
    "result": {"p": ID, "v": ID, "kind": FINDING_KIND, "form": INT},
    "org": {"measure": enum(OrgMeasure)},
}

STAGES = ("facts", "resolved")


def facts_for_stage(stage: str, finding_kinds: tuple[str, ...]) -> dict[str, dict[str, FieldType]]:
    """The fact types (and their fields) that rules of ``stage`` may read."""
    if stage == "facts":
        return CASE_FACTS
    kinds = FieldType("enum", finding_kinds, FINDING_KIND.doc)
    resolved = {
        name: {f: (kinds if t is FINDING_KIND else t) for f, t in fields.items()}
        for name, fields in RESOLVED_FACTS.items()
    }
    return {**CASE_FACTS, **resolved}
