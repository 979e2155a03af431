"""The vocabulary's groups are SPEC §2's, and every value has a bilingual label."""

from __future__ import annotations

import pytest

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
    form_label,
    measure_label,
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


# SPEC §9.3 V12: the regulations' own terms and standard English.
V12_LABELS = {
    "none": ("不承担责任", "no responsibility"),
    "inspection": ("检查", "written self-examination"),
    "public_notice": ("通报", "circulated notice"),
    "law_enforcement": ("涉法涉诉", "law- and litigation-related matters"),
    "probation": ("留党察看", "probation within the Party"),
    "minor": ("情节轻微", "minor"),
    "ordinary": ("一般", "ordinary"),
    "serious": ("较重", "fairly serious"),
    "grave": ("严重", "grave"),
}


@pytest.mark.parametrize("value", sorted(V12_LABELS))
def test_labels_use_the_regulations_terms(value: str) -> None:
    """Each label SPEC §9.3 V12 names reads as the regulations word it."""
    assert LABELS[value] == V12_LABELS[value]


def test_no_label_reads_irresponsible() -> None:
    """No label uses 不负责任, which reads "irresponsible"."""
    assert [value for value, (zh, _) in LABELS.items() if "不负责任" in zh] == []


@pytest.mark.parametrize(
    ("deciding", "words"),
    [
        ("exempt", "免予问责 exempted"),
        ("reduced", "免予问责 exempted"),
        (None, "不予问责 not held accountable"),
        ("lighter", "不予问责 not held accountable"),
    ],
)
def test_form_zero_reads_by_what_decided_it(deciding: str | None, words: str) -> None:
    """Form 0 reads 免予问责 when exempt or reduced decided it, 不予问责 otherwise."""
    assert (measure_label("none", deciding), form_label(0, deciding)) == (words, words)


def test_other_measures_ignore_the_deciding_modifier() -> None:
    """A measure other than none keeps its own label whatever decided it."""
    assert measure_label("warning", "exempt") == "警告 warning"
