"""SPEC §9.1's input fields: accepted, defaulted as the contract says, shown by the schema, and harmless to
version-1 cases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from accountrules import Engine
from accountrules.cli import app
from accountrules.models import Case
from accountrules.validation import parse_case

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "cases"


def case(**changes: Any) -> dict[str, Any]:
    """A small version-1 case, with top-level fields replaced by ``changes``."""
    base: dict[str, Any] = {
        "case_id": "f-1",
        "unit": {"name": "某县水利局", "level": "county"},
        "people": [
            {"id": "p1", "roles": ["principal_leader"]},
            {"id": "p2", "roles": ["staff"]},
            {"id": "p3"},
        ],
        "violations": [
            {"id": "v1", "kind": "dereliction", "severity": "ordinary", "area": "work_safety", "offenders": ["p2"]}
        ],
    }
    return {**base, **changes}


def person(data: dict[str, Any], index: int, **fields: Any) -> dict[str, Any]:
    data["people"][index].update(fields)
    return data


def violation(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data["violations"][0].update(fields)
    return data


def test_people_default_to_party_members_and_public_officials() -> None:
    """party_member and public_official default to true."""
    people = parse_case(case()).people
    assert [(p.party_member, p.public_official) for p in people] == [(True, True)] * 3


def test_party_post_defaults_by_role() -> None:
    """party_post defaults to true for a leader role and to false for staff or no role."""
    assert [p.holds_party_post for p in parse_case(case()).people] == [True, False, False]


def test_party_post_given_wins_over_the_role() -> None:
    """An explicit party_post overrides the default of the role."""
    data = person(person(case(), 0, party_post=False), 1, party_post=True)
    assert [p.holds_party_post for p in parse_case(data).people] == [False, True, False]


def test_tenure_reads_from_and_to_with_open_ends() -> None:
    """in_office takes from/to dates, either of which may be null."""
    tenure = parse_case(person(case(), 0, in_office={"from": "2019-03-01", "to": None})).people[0].in_office
    assert tenure is not None
    assert (tenure.start, tenure.end) == (dt.date(2019, 3, 1), None)


def test_tenure_of_one_day_is_valid() -> None:
    """in_office.from equal to in_office.to is one day in office, not an error."""
    tenure = parse_case(person(case(), 0, in_office={"from": "2020-01-01", "to": "2020-01-01"})).people[0].in_office
    assert tenure is not None
    assert tenure.start == tenure.end == dt.date(2020, 1, 1)


def test_conduct_period_ends_on_began_on_when_ended_on_is_absent() -> None:
    """ended_on defaults to began_on before decided_on."""
    parsed = parse_case(violation(case(decided_on="2023-09-01"), began_on="2021-05-04"))
    assert parsed.violations[0].period(parsed.decided_on) == (dt.date(2021, 5, 4), dt.date(2021, 5, 4))


def test_conduct_period_begins_on_ended_on_when_began_on_is_absent() -> None:
    """began_on defaults to ended_on."""
    parsed = parse_case(violation(case(decided_on="2023-09-01"), ended_on="2022-12-31"))
    assert parsed.violations[0].period(parsed.decided_on) == (dt.date(2022, 12, 31), dt.date(2022, 12, 31))


def test_undated_conduct_takes_decided_on() -> None:
    """A violation with neither date runs on the case's decided_on and counts as undated."""
    parsed = parse_case(case(decided_on="2023-09-01"))
    v = parsed.violations[0]
    assert (v.period(parsed.decided_on), v.dated) == ((dt.date(2023, 9, 1), dt.date(2023, 9, 1)), False)


def test_conduct_without_any_date_has_no_period() -> None:
    """No began_on, no ended_on and no decided_on: no period at all."""
    parsed = parse_case(case())
    assert parsed.violations[0].period(parsed.decided_on) is None


def test_consequences_default_to_zero() -> None:
    """consequences default to no deaths, no serious injuries and no direct loss."""
    c = parse_case(case()).violations[0].consequences
    assert (c.deaths, c.serious_injuries, c.direct_loss_cny, c.any) == (0, 0, 0, False)


def test_consequences_given_are_read() -> None:
    """consequences take the three counts given."""
    data = violation(case(), consequences={"deaths": 3, "serious_injuries": 2, "direct_loss_cny": 12_000_000})
    c = parse_case(data).violations[0].consequences
    assert (c.deaths, c.serious_injuries, c.direct_loss_cny, c.any) == (3, 2, 12_000_000, True)


def test_offender_of_dereliction_may_record_pilot_error() -> None:
    """An offender's own entry on a dereliction violation may hold pilot_error (SPEC §9.3 V6)."""
    parsed = parse_case(case(conduct=[{"person": "p2", "violation": "v1", "acts": ["pilot_error", "confessed"]}]))
    assert parsed.conduct[0].acts == ["pilot_error", "confessed"]


def test_offender_of_other_discipline_may_record_pilot_error() -> None:
    """An offender's own entry on an other_discipline violation may hold pilot_error."""
    data = violation(case(conduct=[{"person": "p2", "violation": "v1", "acts": ["pilot_error"]}]))
    data["violations"][0]["kind"] = "other_discipline"
    assert parse_case(data).conduct[0].acts == ["pilot_error"]


def test_recorded_measures_and_government_sanction_are_kept() -> None:
    """recorded holds every measure taken, in the order given, and the government sanction."""
    recorded = {"p2": {"form": 2, "measure": "serious_warning", "measures": ["post_adjustment", "serious_warning"]}}
    recorded["p2"]["government_sanction"] = "gov_demerit"
    kept = parse_case(case(recorded=recorded)).recorded["p2"]
    assert (kept.measures, kept.government_sanction) == (["post_adjustment", "serious_warning"], "gov_demerit")


def test_dates_given_as_python_dates_are_accepted() -> None:
    """From Python, a ``date`` stands for its YYYY-MM-DD text."""
    parsed = parse_case(violation(case(decided_on=dt.date(2023, 9, 1)), began_on=dt.date(2023, 1, 2)))
    assert (parsed.decided_on, parsed.violations[0].began_on) == (dt.date(2023, 9, 1), dt.date(2023, 1, 2))


def test_a_case_with_new_fields_survives_its_own_json() -> None:
    """Serialising a case writes in_office as from/to, and the text parses back to the same case."""
    data = person(case(), 0, in_office={"from": "2019-03-01", "to": "2024-02-29"})
    parsed = parse_case(violation(data, began_on="2020-01-01", consequences={"deaths": 1}))
    text = parsed.model_dump_json()
    assert '"in_office":{"from":"2019-03-01","to":"2024-02-29"}' in text
    assert Case.model_validate(json.loads(text)) == parsed


def test_schema_shows_the_new_fields() -> None:
    """`accountrules schema case` lists each §9.1 field with its type."""
    result = CliRunner().invoke(app, ["schema", "case"])
    defs = json.loads(result.stdout)["$defs"]
    assert result.exit_code == 0
    assert set(defs["Tenure"]["properties"]) == {"from", "to"}
    assert defs["Tenure"]["properties"]["from"]["anyOf"][0] == {"format": "date", "type": "string"}
    assert set(defs["Consequences"]["properties"]) == {"deaths", "serious_injuries", "direct_loss_cny"}
    assert {"party_member", "public_official", "party_post", "in_office"} <= set(defs["Person"]["properties"])
    assert {"began_on", "ended_on", "consequences"} <= set(defs["Violation"]["properties"])
    assert defs["Recorded"]["properties"]["government_sanction"]["anyOf"][0]["enum"] == [
        "gov_warning",
        "gov_demerit",
        "gov_major_demerit",
        "gov_demotion",
        "gov_removal",
        "gov_dismissal",
    ]


def test_version_one_examples_stay_valid_with_defaults(engine: Engine) -> None:
    """Every bundled example case parses, and spelling out §9.1's defaults where a case leaves them out changes
    nothing."""
    for path in sorted(EXAMPLES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        spelled = json.loads(json.dumps(data))
        for p in spelled["people"]:
            p.setdefault("party_member", True)
            p.setdefault("public_official", True)
            p.setdefault("in_office", {"from": None, "to": None})
        for v in spelled["violations"]:
            v.setdefault("consequences", {"deaths": 0, "serious_injuries": 0, "direct_loss_cny": 0})
        assert engine.evaluate(spelled).to_json() == engine.evaluate(data).to_json(), path.name
