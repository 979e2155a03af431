"""The vocabulary's groups are SPEC §2's, and every value has a bilingual label."""

from __future__ import annotations

from accountrules.vocabulary import (
    AGGRAVATING_ACTS,
    FAILURE_ACTS,
    FAVOURABLE_ACTS,
    LABELS,
    OFFENDER_ACTS,
    PUBLIC_INTEREST_AREAS,
    Act,
    Area,
    Measure,
    ModifierKind,
    RefusalKind,
    Responsibility,
    Role,
    Severity,
    ViolationKind,
    values,
)


def test_acts_fall_into_spec_groups() -> None:
    """Failures and aggravations are SPEC §2's lists; the favourable acts are the rest, and nothing is in two."""
    assert FAILURE_ACTS == (
        "failed_to_implement",
        "failed_to_stop",
        "dereliction",
        "not_investigated",
        "concealed",
        "shielded",
        "obstructed",
    )
    assert AGGRAVATING_ACTS == (
        "defied_orders",
        "obstructed_inquiry",
        "coerced_others",
        "refused_restitution",
        "reoffended",
    )
    assert sorted(FAVOURABLE_ACTS + FAILURE_ACTS + AGGRAVATING_ACTS) == sorted(values(Act))
    assert len(set(FAVOURABLE_ACTS + FAILURE_ACTS + AGGRAVATING_ACTS)) == 22


def test_offender_acts_are_favourable_or_aggravating() -> None:
    """An offender records their own mitigation or aggravation, never a leader's failure (SPEC §3)."""
    assert set(OFFENDER_ACTS) == {"confessed", "remedied", "exposed_others", "returned_gains", *AGGRAVATING_ACTS}


def test_the_ten_public_interest_areas() -> None:
    """speech:P12's areas: the first ten of SPEC §2's list."""
    assert PUBLIC_INTEREST_AREAS == (
        "poverty_alleviation",
        "agricultural_subsidies",
        "land_requisition",
        "housing",
        "education",
        "healthcare",
        "work_safety",
        "environment",
        "construction",
        "law_enforcement",
    )
    assert set(values(Area)) - set(PUBLIC_INTEREST_AREAS) == {
        "cadre_selection",
        "finance",
        "administrative_approval",
        "other",
    }


def test_every_value_has_a_chinese_and_an_english_label() -> None:
    """User-facing output prints 中文 first and English beside, for every enum value."""
    unlabelled = [
        value
        for literal in (Role, Area, ViolationKind, Severity, Act, Responsibility, Measure, ModifierKind, RefusalKind)
        for value in values(literal)
        if value not in LABELS or LABELS[value][0] == LABELS[value][1] or not all(LABELS[value])
    ]
    assert unlabelled == []
