"""The bundled examples evaluate to their reviewed determinations and to the key facts derived by hand from SPEC §4."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest

from accountrules import Determination, Engine

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CASES = sorted((EXAMPLES / "cases").glob("*.json"))


class Key(NamedTuple):
    """What SPEC §4 dictates for one person: responsibility, form, measure, deciding modifier, refusals."""

    responsibility: str
    form: int | None
    measure: str | None
    modifier: str | None = None
    refused: tuple[str, ...] = ()  # kinds, ``outweighed:<mitigation>`` for D11 refusals
    scope: str = "individual"


class Unit(NamedTuple):
    """The organisation's measures (D12), publicity (D13) and the dual investigation's missing links (D1)."""

    measures: tuple[str, ...]
    publicize: bool
    missing: tuple[tuple[str, str], ...] = ()


# Derived by hand from SPEC §4, one comment per person giving the arithmetic.
PEOPLE: dict[str, dict[str, Key]] = {
    "spec-example": {
        # serious → T2 [2,2]; D5 unit finding [1,2] is lighter; personally_clean refused.
        "p1": Key("principal_leadership", 2, "warning", refused=("personally_clean",)),
        # concealed [2,3] + life-saving funds → heavier (V7: the top of the range is for the takers).
        "p2": Key("direct", 3, "removal_from_party_post", "heavier"),
        # serious [2,3]; top_of_range beats heavier; first offence refused.
        "p3": Key("direct", 3, "expulsion", "top_of_range", ("first_offence",)),
    },
    "01-lifesaving-concealment": {
        # the principal leader concealed: [2,3], heavier (V7), the lightest measure of form 3.
        "p1": Key("direct", 3, "removal_from_party_post", "heavier"),
        # failed_to_implement, serious → T2 [2,2].
        "p2": Key("principal_leadership", 2, "warning"),
        # serious [2,3], top of range; the confession (lighter) is outweighed.
        "p3": Key("direct", 3, "expulsion", "top_of_range", ("outweighed:lighter",)),
        # discipline-inspection head, failed_to_stop → T3 [2,3], lowest form.
        "p4": Key("supervisory", 2, "warning"),
    },
    "02-clean-principal-troubled-unit": {
        # credit [0,0], but three violations in the period → unit finding [1,1] with no modifiers.
        # a leader held to account in the first form is admonished (S-ACCOUNTABILITY-FIRST-FORM).
        "p1": Key("principal_leadership", 1, "admonishment", refused=("personally_clean",)),
        "p2": Key("direct", 1, "reminder"),
    },
    "03-collective-decision": {
        # ordinary (s=1): principal leader and advocate T2 [2,2]; participant T1 [1,2] capped at 1, admonished
        # (S-ACCOUNTABILITY-FIRST-FORM); objector none.
        "p1": Key("principal_leadership", 2, "warning", scope="collective"),
        "p2": Key("principal_leadership", 2, "warning", scope="collective"),
        "p3": Key("important_leadership", 1, "admonishment", scope="collective"),
        "p4": Key("none", 0, "none", scope="collective"),
        # the offender: ordinary [2,2].
        "p5": Key("direct", 2, "warning"),
    },
    "04-pilot-error-force-majeure": {
        # failures with pilot_error on a dereliction violation and no cover-up → exempt, form 0 (V6).
        "p1": Key("principal_leadership", 0, "none", "exempt"),
        "p2": Key("principal_leadership", 0, "none", "exempt"),
        # offenders are not exempted: ordinary [2,2], one mitigating act → lighter, still 2; minor [1,1] → 1.
        "p3": Key("direct", 2, "warning", "lighter"),
        # dereliction beside force_majeure: duty was not done, nothing exempts (V6); in charge of construction,
        # minor → T(0+1) [1,2], lowest form, admonished (S-ACCOUNTABILITY-FIRST-FORM).
        "p4": Key("principal_leadership", 1, "admonishment"),
        "p5": Key("direct", 1, "reminder"),
    },
    "05-obstructed-investigation": {
        "p1": Key("principal_leadership", 2, "warning"),
        # obstructed → [3,3].
        "p2": Key("direct", 3, "removal_from_party_post"),
        # serious [2,3]; obstructed_inquiry → increased (3 at most), preferred over the tied heavier.
        # V9: staff hold no party post, so 撤销党内职务 becomes (2, serious_warning) before D11 compares.
        "p3": Key("direct", 2, "serious_warning", "increased"),
        "p4": Key("none", 0, "none"),
    },
    "06-missing-leader": {
        # minor (s=0) → T0 [1,1], admonished (S-ACCOUNTABILITY-FIRST-FORM).
        "p1": Key("principal_leadership", 1, "admonishment"),
        # linked (in charge of education; discipline inspection) with nothing on record.
        "p2": Key("undetermined", None, None),
        # minor [1,1]; education is no area where an article makes heavier mandatory (V8).
        "p3": Key("direct", 1, "reminder"),
        "p4": Key("undetermined", None, None),
    },
    "07-suspected-crime": {
        # suspected crime counts as grave (s=3): failed_to_implement T3 [2,3], kept in the second form with a
        # serious warning (S-WIDER-RANGE-SERIOUS-WARNING); failed_to_stop T4 [3,3].
        "p1": Key("principal_leadership", 2, "serious_warning"),
        "p2": Key("principal_leadership", 3, "removal_from_party_post"),
        # [4,4]; construction is no area of V8's mandatory heavier.
        "p3": Key("direct", 4, "case_transfer"),
    },
    "08-petty-corruption-many-participants": {
        # failed_to_stop, ordinary → T2 [2,2].
        "p1": Key("principal_leadership", 2, "warning"),
        # ordinary [2,2]: decided in 2022 under disc2018, whose mandatory heavier covers poverty relief, not
        # farm subsidies (V8); first offence and many participants refused.
        "p2": Key("direct", 2, "warning", None, ("first_offence", "many_participants")),
        # confessed → lighter, the lowest form of [2,2]: one mitigating act does not reach the first form.
        "p3": Key("direct", 2, "warning", "lighter", ("first_offence", "many_participants")),
        "p4": Key("direct", 2, "warning", None, ("first_offence", "many_participants")),
    },
    "09-aggravation-outweighs": {
        # T1 [1,2] and one mitigating act → lighter, form 1, the lighter accountability measure 通报
        # (S-ACCOUNTABILITY-FIRST-FORM's first).
        "p1": Key("principal_leadership", 1, "public_criticism", "lighter"),
        # T2 [2,2], defied_orders → heavier, the form's heavier party sanction; reported (lighter) outweighed.
        "p2": Key("principal_leadership", 2, "serious_warning", "heavier", ("outweighed:lighter",)),
        # ordinary [2,2], two aggravations → increased → 3; two mitigations (reduced) outweighed.
        # V9: staff hold no party post, so 撤销党内职务 becomes (2, serious_warning) before D11 compares.
        "p3": Key("direct", 2, "serious_warning", "increased", ("outweighed:reduced",)),
    },
    "10-discipline-inspection-supervisory": {
        "p1": Key("none", 0, "none"),
        "p2": Key("principal_leadership", 2, "warning"),
        # discipline-inspection head, failed_to_implement, serious → T2 [2,2].
        "p3": Key("supervisory", 2, "warning"),
        # team member, failed_to_stop → T3 [2,3] capped at 2.
        "p4": Key("important_leadership", 2, "warning"),
        # serious [2,3], lowest form with a serious warning (S-WIDER-RANGE-SERIOUS-WARNING): healthcare is no
        # area of V8's mandatory heavier.
        "p5": Key("direct", 2, "serious_warning"),
    },
    "11-long-term-spread-reorganization": {
        # grave (s=3) + long-term spread → T4 [3,3]; personally_clean refused by D5.
        "p1": Key("principal_leadership", 3, "removal_from_party_post", refused=("personally_clean",)),
        # grave [3,3]; land requisition is no area of V8's mandatory heavier.
        "p2": Key("direct", 3, "removal_from_party_post"),
        # V9: staff hold no party post, so 撤销党内职务 becomes (2, serious_warning) before D11 compares.
        "p3": Key("direct", 2, "serious_warning"),
    },
    "12-leader-credit": {
        "p1": Key("none", 0, "none"),
        "p2": Key("none", 0, "none"),
        "p3": Key("none", 0, "none"),
        # ordinary [2,2], two mitigations → reduced, one form below: the first form.
        "p4": Key("direct", 1, "reminder", "reduced"),
    },
    "13-case-left-uninvestigated": {
        # T1 [1,2], admonished (S-ACCOUNTABILITY-FIRST-FORM).
        "p1": Key("principal_leadership", 1, "admonishment"),
        # not_investigated: serious [2,3] (a serious warning, S-WIDER-RANGE-SERIOUS-WARNING) and ordinary [2,2].
        "p2": Key("direct", 2, "serious_warning"),
        # team member overseeing the area, failed_to_implement, ordinary → principal leadership T1 [1,2] (V5),
        # admonished.
        "p3": Key("principal_leadership", 1, "admonishment"),
        # serious [2,3], lowest form with a serious warning (V8: no mandatory heavier in this area).
        "p4": Key("direct", 2, "serious_warning"),
        # ordinary [2,2].
        "p5": Key("direct", 2, "warning"),
    },
    "14-leaders-of-other-areas": {
        # ordinary → T1 [1,2], lowest form, admonished; v2's entry holds only credit ([0,0]).
        "p1": Key("principal_leadership", 1, "admonishment"),
        "p2": Key("none", 0, "none"),
        # in charge of housing, not of v1 (construction) or v2: important leadership, capped at the lowest
        # form; v1 failed_to_implement T1 → 1, v2 failed_to_stop serious T3 [2,3] → [2,2].
        "p3": Key("important_leadership", 2, "warning"),
        # discipline-inspection head who also leads finance: supervisory; v1 failed_to_stop T2 [2,2], v2
        # failed_to_implement T2 [2,2].
        "p4": Key("supervisory", 2, "warning"),
        # ordinary [2,2]; construction is no area of V8's mandatory heavier.
        "p5": Key("direct", 2, "warning"),
        # serious [2,3], a serious warning; administrative approval is not a public-interest area.
        "p6": Key("direct", 2, "serious_warning"),
    },
    "15-rules-in-force": {
        # v1 (conduct 2017: acct2016+disc2015) serious → T2 [2,2]; v2 (2019: acct2016+disc2018) ordinary
        # T1 → 1; the decision version (acct2019+disc2018) gives the same, so the conduct version stands.
        "p1": Key("principal_leadership", 2, "warning"),
        # acct2016 has no mitigation: [2,2] → 2; acct2019 (decision) counts two mitigating acts → reduced → 1,
        # strictly lighter, so the decision version applies (从轻); 减轻 takes the first form's lighter
        # accountability measure, 通报.
        "p2": Key("principal_leadership", 1, "public_criticism", "reduced"),
        # a fairly serious corrupt act sits in [3,3]. disc2015: coercing is one aggravating act (heavier),
        # reoffending heavier only, refusing restitution nothing → heavier → the form's heavier measure, 留党察看;
        # disc2018 would count three → increased, held at 3 → 留党察看 too: a tie keeps the conduct version.
        "p3": Key("direct", 3, "probation", "heavier"),
        # ordinary [2,2]; disc2018: two aggravating acts → increased → 3; no party post (V9) → (2, serious_warning).
        "p4": Key("direct", 2, "serious_warning", "increased"),
        # serious [2,3] → (2, serious_warning); not a member (V3): the party measure is removed, measure null.
        "p5": Key("direct", 2, None),
    },
    "16-work-safety-accident": {
        # reported on both violations, nothing failed → none.
        "p1": Key("none", 0, "none"),
        # team member overseeing work safety (V5), failed_to_stop; 3 deaths raise minor to serious (V11):
        # T(2+1) [2,3], lowest form with a serious warning (S-WIDER-RANGE-SERIOUS-WARNING).
        "p3": Key("principal_leadership", 2, "serious_warning"),
        # the offender: serious after V11 [2,3], confessed → lighter, the warning below the serious warning.
        "p4": Key("direct", 2, "warning", "lighter"),
        # a staff member's own failure: D3's range with direct responsibility (V5); failed_to_stop T3 [2,3],
        # a serious warning.
        "p5": Key("direct", 2, "serious_warning"),
        "p6": Key("none", 0, "none"),
        # the offender's honest pilot error on an other_discipline violation → exempt below the floor (V6).
        "p7": Key("direct", 0, "none", "exempt"),
        # force majeure with no failure → D4's none finding, exempt deciding (V6).
        "p8": Key("none", 0, "none", "exempt"),
        # staff, failed_to_implement: T(2) [2,2], direct (V5).
        "p9": Key("direct", 2, "warning"),
        # team member of no area, failed_to_implement: T(2) [2,2], important leadership.
        "p10": Key("important_leadership", 2, "warning"),
    },
    "17-public-interest-by-version": {
        # failed_to_implement, serious → T2 [2,2], under each violation's version.
        "p1": Key("principal_leadership", 2, "warning"),
        # overseeing both areas, failed_to_stop → T3 [2,3] on each, lowest form with a serious warning; on v1
        # acct2016 counts no mitigation and acct2019's (at decision) lighter gives the warning, strictly lighter,
        # so the decision version applies there; v2's serious warning decides.
        "p2": Key("principal_leadership", 2, "serious_warning"),
        # v1 ended 2019-05-31 (acct2016+disc2018): poverty relief is heavier under disc2018 (disc2018:112, V8):
        # serious [2,3] at its upper end, 撤销党内职务, which staff without a party post receive as
        # (2, serious_warning) (V9).
        "p3": Key("direct", 2, "serious_warning", "heavier"),
        # v2 ended 2024-03-31 (acct2019+disc2023): farm subsidies are heavier from disc2023 (disc2023:122, V8).
        "p4": Key("direct", 2, "serious_warning", "heavier"),
    },
    "18-several-violations-merged": {
        # failed_to_stop on v2 (ordinary, s 1) → T2 [2,2]; credit (none) on the four others.
        "p1": Key("principal_leadership", 2, "warning"),
        # v1 ordinary [2,2] → warning; v2 ordinary in farm subsidies, heavier from disc2023 (V8) → serious warning;
        # two violations at a party sanction: 合并处理 raises the heavier one grade, to 撤销党内职务 (he holds a party
        # post), decided by 加重 (disc2023:24).
        "p2": Key("direct", 3, "removal_from_party_post", "increased"),
        # v3 and v4 ordinary → warning each; merged: one grade up, 严重警告, within the second form.
        "p3": Key("direct", 2, "serious_warning", "increased"),
        # v3 → warning; v5 minor [1,1] is no party sanction, so nothing is merged: the warning stands.
        "p4": Key("direct", 2, "warning"),
    },
}

UNITS: dict[str, Unit] = {
    "spec-example": Unit(("inspection", "public_notice"), True),
    "01-lifesaving-concealment": Unit(("inspection", "public_notice"), True),
    "02-clean-principal-troubled-unit": Unit(("inspection",), False),
    "03-collective-decision": Unit(("inspection",), True),
    "04-pilot-error-force-majeure": Unit(("inspection",), False),
    "05-obstructed-investigation": Unit(("inspection",), True),
    "06-missing-leader": Unit(("inspection",), False, (("p2", "v1"), ("p4", "v1"))),
    "07-suspected-crime": Unit(("inspection",), True),
    "08-petty-corruption-many-participants": Unit(("inspection",), True),
    "09-aggravation-outweighs": Unit(("inspection",), True),
    "10-discipline-inspection-supervisory": Unit(("inspection",), True),
    "11-long-term-spread-reorganization": Unit(("inspection", "public_notice", "reorganization"), True),
    "12-leader-credit": Unit((), False),
    "13-case-left-uninvestigated": Unit(("inspection",), True, (("p1", "v1"),)),
    "14-leaders-of-other-areas": Unit(("inspection",), True),
    "15-rules-in-force": Unit(("inspection",), True),
    # p2 left office before either violation began: not linked, not missing (V10).
    "16-work-safety-accident": Unit(("inspection",), True),
    "17-public-interest-by-version": Unit(("inspection",), True),
    # a leadership failure at the second form: self-examination, publicised (D12, D13).
    "18-several-violations-merged": Unit(("inspection",), True),
}


def evaluate(engine: Engine, case_file: Path) -> Determination:
    return engine.evaluate(case_file.read_text(encoding="utf-8"))


def key_of(determination: Determination, person: str) -> Key:
    result = determination.person(person)
    refused = tuple(f"{r.kind}:{r.detail}" if r.detail else r.kind for r in result.refused)
    modifier = result.modifiers[0].kind if result.modifiers else None
    return Key(result.responsibility, result.form, result.measure, modifier, refused, result.scope)


@pytest.mark.parametrize("case_file", CASES, ids=lambda p: p.stem)
def test_example_gives_its_reviewed_determination(engine: Engine, case_file: Path) -> None:
    """Each example evaluates to the bytes stored in examples/expected/ (what the CLI prints with --format json)."""
    expected_file = EXAMPLES / "expected" / case_file.name
    expected = expected_file.read_text(encoding="utf-8")
    got = evaluate(engine, case_file).to_json() + "\n"
    stored_digest = json.loads(expected)["rulepack"]["digest"]
    if got != expected and got == expected.replace(stored_digest, engine.pack.digest):
        pytest.fail(
            f"only the rule pack's digest changed; the determination is the same. Regenerate with "
            f"`accountrules evaluate {case_file.relative_to(EXAMPLES.parent)} --format json > "
            f"{expected_file.relative_to(EXAMPLES.parent)}`"
        )
    assert got == expected


@pytest.mark.parametrize(
    ("example", "person"), [(example, person) for example, people in PEOPLE.items() for person in people]
)
def test_example_person_matches_spec(engine: Engine, example: str, person: str) -> None:
    """Responsibility, form, measure, modifier and refusals of each person are what SPEC §4 dictates."""
    determination = evaluate(engine, EXAMPLES / "cases" / f"{example}.json")
    assert key_of(determination, person) == PEOPLE[example][person]


@pytest.mark.parametrize("example", list(UNITS))
def test_example_unit_matches_spec(engine: Engine, example: str) -> None:
    """The organisation's measures, publicity and the missing links are what SPEC §4 dictates."""
    determination = evaluate(engine, EXAMPLES / "cases" / f"{example}.json")
    expected = UNITS[example]
    missing = tuple((m.person, m.violation) for m in determination.dual_investigation.missing)
    got = Unit(tuple(determination.organization.measures), determination.publicize, missing)
    assert got == expected
    assert determination.dual_investigation.complete == (not expected.missing)
    assert determination.organization.responsibility == ("overall_leadership" if expected.measures else "none")


def test_every_example_has_an_expected_determination_and_hand_derived_facts() -> None:
    """Cases, expected files and the hand-derived facts above name the same examples, at least nine of them."""
    cases = {p.stem for p in CASES}
    assert {p.stem for p in (EXAMPLES / "expected").glob("*.json")} == cases
    assert set(PEOPLE) == cases
    assert set(UNITS) == cases
    assert len(cases) >= 9


def test_every_person_of_every_example_has_hand_derived_facts(engine: Engine) -> None:
    """No person in an example's determination is left without a hand-derived expectation."""
    for case_file in CASES:
        listed = [p.person for p in evaluate(engine, case_file).people]
        assert listed == sorted(PEOPLE[case_file.stem]), case_file.name


def test_examples_fire_every_rule_of_the_default_pack(engine: Engine) -> None:
    """Together the examples exercise every rule of the default pack (add an example for a new rule)."""
    fired = {step.rule for case_file in CASES for step in evaluate(engine, case_file).trace}
    assert sorted(rule.id for rule in engine.pack.rules if rule.id not in fired) == []
