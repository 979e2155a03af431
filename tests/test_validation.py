"""Bad input is refused with a message naming the place and the fix: through the library and `accountrules evaluate`."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accountrules import AccountRulesError, CaseValidationError, Engine
from accountrules.cli import app
from accountrules.validation import MAX_CASE_BYTES, load_case, parse_case, parse_case_text

BASE: dict[str, Any] = {
    "case_id": "2023-017",
    "unit": {"name": "某县民政局", "level": "county"},
    "people": [
        {"id": "p1", "name": "张某", "roles": ["principal_leader"]},
        {"id": "p2", "name": "李某", "roles": ["leader_in_charge"], "oversees": ["poverty_alleviation"]},
        {"id": "p3", "name": "王某", "roles": ["staff"]},
    ],
    "violations": [
        {"id": "v1", "kind": "corruption", "severity": "serious", "area": "poverty_alleviation", "offenders": ["p3"]}
    ],
    "conduct": [
        {"person": "p2", "violation": "v1", "acts": ["concealed"]},
        {"person": "p1", "violation": "v1", "acts": ["failed_to_implement"]},
    ],
}

ACTS = (
    "discovered_proactively, investigated_resolutely, supported_investigation, reported, remedied, confessed, "
    "exposed_others, returned_gains, pilot_error, force_majeure, failed_to_implement, failed_to_stop, dereliction, "
    "not_investigated, concealed, shielded, obstructed, defied_orders, obstructed_inquiry, coerced_others, "
    "refused_restitution, reoffended"
)
AREAS = (
    "poverty_alleviation, agricultural_subsidies, land_requisition, housing, education, healthcare, work_safety, "
    "environment, construction, law_enforcement, cadre_selection, finance, administrative_approval, other"
)
BATCH_HINT = (
    "the input is larger than 5 MB, the most one case may take; is this an archive of cases? "
    "Put one case per line and use `accountrules batch`."
)


def edited(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """A copy of BASE with ``change`` applied to it."""
    case = copy.deepcopy(BASE)
    change(case)
    return case


def decision(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(case: dict[str, Any]) -> None:
        case["decisions"] = [{"id": "d1", "violation": "v1", **fields}]

    return change


# (test id, the case as a dict, the problems expected, each "path: message")
BAD_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "wrong-type-bool",
        edited(lambda c: c["violations"][0].update(lifesaving_funds="yes")),
        ['violations[0].lifesaving_funds: expected true or false, got "yes"'],
    ),
    (
        "wrong-type-amount-text",
        edited(lambda c: c["violations"][0].update(amount_cny="320000")),
        ['violations[0].amount_cny: expected a number, got "320000"'],
    ),
    (
        "wrong-type-amount-bool",
        edited(lambda c: c["violations"][0].update(amount_cny=True)),
        ["violations[0].amount_cny: expected a number, got true"],
    ),
    (
        "wrong-type-count",
        edited(lambda c: c.update(unit_record={"violations_in_period": "4"})),
        ['unit_record.violations_in_period: expected a whole number, got "4"'],
    ),
    (
        "wrong-type-list",
        edited(lambda c: c["people"][0].update(roles="principal_leader")),
        ['people[0].roles: expected a list, got "principal_leader"'],
    ),
    (
        "wrong-type-object",
        edited(lambda c: c.update(unit="某县民政局")),
        ['unit: expected an object, got "某县民政局"'],
    ),
    (
        "wrong-type-date",
        edited(lambda c: c.update(decided_on="2023/09/01")),
        ['decided_on: expected a date written YYYY-MM-DD, got "2023/09/01"'],
    ),
    (
        "wrong-type-id",
        edited(lambda c: c.update(case_id=17)),
        ["case_id: expected a string, got 17"],
    ),
    (
        "id-with-space",
        edited(lambda c: c["people"][2].update(id="p 3")),
        ['people[2].id: an id is one word without spaces or control characters; got "p 3"'],
    ),
    (
        "wrong-type-number",
        edited(lambda c: c["violations"][0].update(amount_cny="三十二万")),
        ['violations[0].amount_cny: expected a number, got "三十二万"'],
    ),
    (
        "form-out-of-range",
        edited(lambda c: c.update(recorded={"p3": {"form": 5}})),
        ["recorded.p3.form: must be at most 4; got 5"],
    ),
    (
        "negative-amount",
        edited(lambda c: c["violations"][0].update(amount_cny=-1)),
        ["violations[0].amount_cny: must be at least 0; got -1"],
    ),
    (
        "missing-field",
        edited(lambda c: c.pop("unit")),
        ["unit: required field is missing; add it"],
    ),
    (
        "no-offenders",
        edited(lambda c: c["violations"][0].update(offenders=[])),
        ["violations[0].offenders: must not be empty; list at least one"],
    ),
    (
        "unknown-field",
        edited(lambda c: c["people"][0].update(persnally_clean=True)),
        [
            "people[0].persnally_clean: unknown field 'persnally_clean'; remove it or correct its name. "
            "Did you mean 'personally_clean'?"
        ],
    ),
    (
        "unknown-field-in-conduct",
        edited(lambda c: c["conduct"][0].update(act=["reported"])),
        ["conduct[0].act: unknown field 'act'; remove it or correct its name. Did you mean 'acts'?"],
    ),
    (
        "unknown-field-in-recorded",
        edited(lambda c: c.update(recorded={"p3": {"form": 3, "mesure": "expulsion"}})),
        ["recorded.p3.mesure: unknown field 'mesure'; remove it or correct its name. Did you mean 'measure'?"],
    ),
    (
        "unknown-field-without-suggestion",
        edited(lambda c: c.update(reviewer="赵某")),
        ["reviewer: unknown field 'reviewer'; remove it or correct its name."],
    ),
    (
        "unknown-act",
        edited(lambda c: c["conduct"][0].update(acts=["concealment"])),
        [f"conduct[0].acts[0]: 'concealment' is not one of {ACTS}. Did you mean 'concealed'?"],
    ),
    (
        "unknown-area-prefix",
        edited(lambda c: c["violations"][0].update(area="poverty")),
        [f"violations[0].area: 'poverty' is not one of {AREAS}. Did you mean 'poverty_alleviation'?"],
    ),
    (
        "unknown-severity",
        edited(lambda c: c["violations"][0].update(severity="severe")),
        ["violations[0].severity: 'severe' is not one of minor, ordinary, serious, grave."],
    ),
    (
        "unknown-role-not-a-string",
        edited(lambda c: c["people"][0].update(roles=[5])),
        [
            "people[0].roles[0]: 5 is not one of principal_leader, leader_in_charge, team_member, "
            "discipline_inspection, staff."
        ],
    ),
    (
        "dangling-offender",
        edited(lambda c: c["violations"][0]["offenders"].append("p9")),
        ["violations[0].offenders[1]: no person 'p9' (people are: p1, p2, p3)."],
    ),
    (
        "dangling-conduct-person",
        edited(lambda c: c["conduct"][1].update(person="p11")),
        ["conduct[1].person: no person 'p11' (people are: p1, p2, p3). Did you mean 'p1'?"],
    ),
    (
        "dangling-conduct-violation",
        edited(lambda c: c["conduct"][0].update(violation="v2")),
        ["conduct[0].violation: no violation 'v2' (violations are: v1)."],
    ),
    (
        "dangling-recorded-person",
        edited(lambda c: c.update(recorded={"p7": {"form": 1}})),
        ["recorded.p7: no person 'p7' (people are: p1, p2, p3)."],
    ),
    (
        "duplicate-person-id",
        edited(lambda c: c["people"].append({"id": "p2", "name": "赵某"})),
        ["people[3].id: duplicate id 'p2' (first at people[1])"],
    ),
    (
        "duplicate-violation-id",
        edited(lambda c: c["violations"].append(dict(c["violations"][0]))),
        ["violations[1].id: duplicate id 'v1' (first at violations[0])"],
    ),
    (
        "duplicate-decision-id",
        edited(
            lambda c: c.update(
                decisions=[
                    {"id": "d1", "violation": "v1", "participants": ["p1"]},
                    {"id": "d1", "violation": "v1", "participants": ["p2"]},
                ]
            )
        ),
        ["decisions[1].id: duplicate id 'd1' (first at decisions[0])"],
    ),
    (
        "act-listed-twice",
        edited(lambda c: c["conduct"][0].update(acts=["concealed", "reported", "concealed"])),
        ["conduct[0].acts[2]: 'concealed' is listed twice (first at conduct[0].acts[0]); keep one"],
    ),
    (
        "second-conduct-entry",
        edited(lambda c: c["conduct"].append({"person": "p2", "violation": "v1", "acts": ["reported"]})),
        ["conduct[2]: second entry for (p2, v1) (first at conduct[0]); merge the acts into one entry"],
    ),
    (
        "offender-obstructed",
        edited(lambda c: c["conduct"].append({"person": "p3", "violation": "v1", "acts": ["obstructed"]})),
        ["conduct[2].acts[0]: p3 offended in v1: record obstruction by the offender as obstructed_inquiry"],
    ),
    (
        "offender-failure-act",
        edited(
            lambda c: c["conduct"].append({"person": "p3", "violation": "v1", "acts": ["confessed", "failed_to_stop"]})
        ),
        [
            "conduct[2].acts[1]: p3 offended in v1: an offender's own entry may hold only confessed, remedied, "
            "exposed_others, returned_gains, defied_orders, obstructed_inquiry, coerced_others, refused_restitution, "
            "reoffended"
        ],
    ),
    (
        "advocate-not-participant",
        edited(decision(participants=["p1", "p2"], advocates=["p3"])),
        ["decisions[0].advocates[0]: 'p3' is not a participant; add them to participants"],
    ),
    (
        "objector-not-participant",
        edited(decision(participants=["p1", "p2"], objectors=["p3"])),
        ["decisions[0].objectors[0]: 'p3' is not a participant; add them to participants"],
    ),
    (
        "advocate-and-objector",
        edited(decision(participants=["p1", "p2"], advocates=["p2"], objectors=["p2"])),
        ["decisions[0].objectors[0]: 'p2' is both an advocate and an objector; keep one"],
    ),
    (
        "decision-dangling-participant",
        edited(decision(participants=["p1", "p4"], objectors=["p4"])),
        [
            "decisions[0].participants[1]: no person 'p4' (people are: p1, p2, p3).",
            "decisions[0].objectors[0]: no person 'p4' (people are: p1, p2, p3).",
        ],
    ),
    (
        "recorded-measure-of-another-form",
        edited(lambda c: c.update(recorded={"p2": {"form": 2, "measure": "admonishment"}})),
        [
            "recorded.p2.measure: 'admonishment' is a form-1 measure, not form 2; "
            "form 2 has warning, serious_warning, post_adjustment"
        ],
    ),
    (
        "date-with-time",
        edited(lambda c: c["violations"][0].update(began_on="2023-03-01T00:00:00")),
        ['violations[0].began_on: expected a date written YYYY-MM-DD, got "2023-03-01T00:00:00"'],
    ),
    (
        "date-as-number",
        edited(lambda c: c["people"][0].update(in_office={"from": 20200101})),
        ["people[0].in_office.from: expected a date written YYYY-MM-DD, got 20200101"],
    ),
    (
        "date-not-in-calendar",
        edited(lambda c: c["violations"][0].update(ended_on="2023-02-30")),
        ['violations[0].ended_on: "2023-02-30" is not a day of the calendar; write a real date as YYYY-MM-DD'],
    ),
    (
        "tenure-ends-before-it-starts",
        edited(lambda c: c["people"][1].update(in_office={"from": "2022-05-01", "to": "2021-12-31"})),
        ["people[1].in_office.from: 2022-05-01 is after in_office.to 2021-12-31; swap or correct them"],
    ),
    (
        "conduct-ends-before-it-begins",
        edited(lambda c: c["violations"][0].update(began_on="2023-06-02", ended_on="2023-06-01")),
        ["violations[0].began_on: 2023-06-02 is after ended_on 2023-06-01; swap or correct them"],
    ),
    (
        "unknown-field-in-tenure",
        edited(lambda c: c["people"][0].update(in_office={"form": "2020-01-01"})),
        ["people[0].in_office.form: unknown field 'form'; remove it or correct its name. Did you mean 'from'?"],
    ),
    (
        "negative-deaths",
        edited(lambda c: c["violations"][0].update(consequences={"deaths": -1})),
        ["violations[0].consequences.deaths: must be at least 0; got -1"],
    ),
    (
        "fractional-loss",
        edited(lambda c: c["violations"][0].update(consequences={"direct_loss_cny": 1.5})),
        ["violations[0].consequences.direct_loss_cny: expected a whole number, got 1.5"],
    ),
    (
        "party-member-not-bool",
        edited(lambda c: c["people"][2].update(party_member="no")),
        ['people[2].party_member: expected true or false, got "no"'],
    ),
    (
        "recorded-measures-twice",
        edited(lambda c: c.update(recorded={"p3": {"form": 3, "measures": ["expulsion", "expulsion"]}})),
        ["recorded.p3.measures[1]: 'expulsion' is listed twice (first at recorded.p3.measures[0]); keep one"],
    ),
    (
        "unknown-government-sanction",
        edited(lambda c: c.update(recorded={"p3": {"form": 3, "government_sanction": "gov_dismisal"}})),
        [
            "recorded.p3.government_sanction: 'gov_dismisal' is not one of gov_warning, gov_demerit, "
            "gov_major_demerit, gov_demotion, gov_removal, gov_dismissal. Did you mean 'gov_dismissal'?"
        ],
    ),
    (
        "offender-pilot-error-on-corruption",
        edited(lambda c: c["conduct"].append({"person": "p3", "violation": "v1", "acts": ["pilot_error"]})),
        [
            "conduct[2].acts[0]: p3 offended in v1: pilot_error (容错) is open to an offender only on a "
            "dereliction or other_discipline violation, and this one is corruption"
        ],
    ),
    (
        "several-problems-at-once",
        edited(lambda c: (c["people"][0].update(roles=["boss"]), c.update(titel="某案"))),
        [
            "people[0].roles[0]: 'boss' is not one of principal_leader, leader_in_charge, team_member, "
            "discipline_inspection, staff.",
            "titel: unknown field 'titel'; remove it or correct its name. Did you mean 'title'?",
        ],
    ),
]

# (test id, the file's bytes, the problems expected)
BAD_TEXTS: list[tuple[str, bytes, list[str]]] = [
    (
        "malformed-json",
        b'{\n  "case_id": "2023-017",\n  "unit": {"name": }\n}\n',
        ["line 3 column 20: not valid JSON: Expecting value"],
    ),
    (
        "trailing-comma",
        b'{\n  "case_id": "2023-017",\n  "unit": {"name": "x",}\n}\n',
        # the wording is Python's own, and Python 3.13 words this mistake better
        ["line 3 column 23: not valid JSON: Illegal trailing comma before end of object"]
        if sys.version_info >= (3, 13)
        else ["line 3 column 24: not valid JSON: Expecting property name enclosed in double quotes"],
    ),
    ("unterminated-json", b'{"case_id": "2023-017"', ["line 1 column 23: not valid JSON: Expecting ',' delimiter"]),
    ("empty-file", b"", ["the input is empty; expected one JSON object (a case)"]),
    ("blank-file", b"\n  \n", ["the input is empty; expected one JSON object (a case)"]),
    ("array", b"[1, 2]", ["expected a JSON object (a case), got an array"]),
    ("string", b'"2023-017"', ["expected a JSON object (a case), got a string"]),
    ("null", b"null", ["expected a JSON object (a case), got null"]),
    (
        "deeply-nested",
        b"[" * 100_000 + b"]" * 100_000,
        ["the JSON is nested too deeply to be a case; check the file is the right one"],
    ),
    (
        "deeply-nested-inside-a-case",
        b'{"case_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        ["the JSON is nested too deeply to be a case; check the file is the right one"],
    ),
    (
        "not-utf8",
        '{\n  "case_id": "2023-017",\n  "title": "某县民政局"\n}\n'.encode("gbk"),
        # 某 is C4 B3 in GBK, which happens to be valid UTF-8; 县 (CF D8) is the first invalid sequence.
        ["line 3 byte 41: not UTF-8 text; save the case file as UTF-8"],
    ),
    (
        "nan",
        json.dumps(edited(lambda c: c["violations"][0].update(amount_cny=1)))
        .replace('"amount_cny": 1', '"amount_cny": NaN')
        .encode(),
        ["not valid JSON: NaN is not a JSON number; write a number or leave the field out"],
    ),
    (
        "duplicate-key",
        b'{"case_id": "2023-017", "conduct": [], "conduct": []}',
        ["the key 'conduct' appears twice in one object; keep one"],
    ),
]


def problems_of(exc: pytest.ExceptionInfo[CaseValidationError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def run_evaluate(runner: CliRunner, target: str) -> tuple[int, str, str, BaseException | None]:
    result = runner.invoke(app, ["evaluate", target, "--format", "json"])
    return result.exit_code, result.stdout, result.stderr, result.exception


def assert_refused(runner: CliRunner, target: str, source: str, expected: list[str]) -> None:
    """Exit 1, nothing on stdout, each problem on stderr as ``Error: SOURCE: PATH: MESSAGE``, no traceback."""
    code, stdout, stderr, exception = run_evaluate(runner, target)
    assert (code, stdout) == (1, "")
    assert stderr == "".join(f"Error: {source}: {line}\n" for line in expected)
    assert isinstance(exception, SystemExit)


@pytest.mark.parametrize(("case", "expected"), [(c, e) for _, c, e in BAD_CASES], ids=[i for i, _, _ in BAD_CASES])
def test_library_refuses_bad_case(case: dict[str, Any], expected: list[str]) -> None:
    """`parse_case` names every problem of a bad case at its JSON path."""
    with pytest.raises(CaseValidationError) as exc:
        parse_case(case)
    assert problems_of(exc) == expected
    assert str(exc.value) == "\n".join(expected)


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in BAD_TEXTS], ids=[i for i, _, _ in BAD_TEXTS])
def test_library_refuses_bad_text(text: bytes, expected: list[str]) -> None:
    """`parse_case_text` refuses text that is not one JSON object, with line and column where there is one."""
    with pytest.raises(CaseValidationError) as exc:
        parse_case_text(text)
    assert problems_of(exc) == expected


@pytest.mark.parametrize(("case", "expected"), [(c, e) for _, c, e in BAD_CASES], ids=[i for i, _, _ in BAD_CASES])
def test_cli_refuses_bad_case(runner: CliRunner, tmp_path: Path, case: dict[str, Any], expected: list[str]) -> None:
    """`accountrules evaluate` prints each problem after ``Error: FILE:`` and exits 1."""
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case, ensure_ascii=False, indent=2), encoding="utf-8")
    assert_refused(runner, str(path), str(path), expected)


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in BAD_TEXTS], ids=[i for i, _, _ in BAD_TEXTS])
def test_cli_refuses_bad_text(runner: CliRunner, tmp_path: Path, text: bytes, expected: list[str]) -> None:
    """`accountrules evaluate` refuses a file that is not one JSON object, and exits 1."""
    path = tmp_path / "case.json"
    path.write_bytes(text)
    assert_refused(runner, str(path), str(path), expected)


def test_cli_refuses_bad_stdin(runner: CliRunner) -> None:
    """A bad case on stdin is named ``<stdin>``; bytes that are not UTF-8 are reported, not a crash."""
    result = runner.invoke(app, ["evaluate", "-", "--format", "json"], input=b'{"title": "\xff')
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: <stdin>: line 1 byte 11: not UTF-8 text; save the case file as UTF-8\n"


def test_library_evaluate_refuses_bad_case(engine: Engine) -> None:
    """`Engine.evaluate` raises the same error, which is also a ValueError and an AccountRulesError."""
    with pytest.raises(CaseValidationError) as exc:
        engine.evaluate(edited(lambda c: c["conduct"][0].update(violation="v2")))
    assert isinstance(exc.value, ValueError)
    assert isinstance(exc.value, AccountRulesError)
    assert problems_of(exc) == ["conduct[0].violation: no violation 'v2' (violations are: v1)."]


def test_the_base_case_is_valid(engine: Engine) -> None:
    """The case every bad input is made from is itself valid, so each test isolates one fault."""
    assert [p.person for p in engine.evaluate(BASE).people] == ["p1", "p2", "p3"]


def write_oversized(path: Path) -> None:
    """A 50 MB file that would take long to parse and fail differently if it were parsed at all."""
    chunk = b"[" * (1024 * 1024)
    with path.open("wb") as out:
        for _ in range(50):
            out.write(chunk)


def test_library_refuses_a_50_mb_file_unparsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`load_case` refuses a file above the limit from its size alone, pointing to `accountrules batch`."""
    path = tmp_path / "archive.json"
    write_oversized(path)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the oversized file was read"))
    with pytest.raises(CaseValidationError) as exc:
        load_case(path)
    assert problems_of(exc) == [BATCH_HINT]
    assert exc.value.source == str(path)


def test_library_refuses_oversized_text() -> None:
    """Text above the limit is refused before it is parsed."""
    with pytest.raises(CaseValidationError) as exc:
        parse_case_text(b" " * (MAX_CASE_BYTES + 1))
    assert problems_of(exc) == [BATCH_HINT]


def test_cli_refuses_a_50_mb_file(runner: CliRunner, tmp_path: Path) -> None:
    """`accountrules evaluate` refuses a 50 MB file with the pointer to `accountrules batch`."""
    path = tmp_path / "archive.json"
    write_oversized(path)
    assert_refused(runner, str(path), str(path), [BATCH_HINT])


def test_cli_refuses_oversized_stdin(runner: CliRunner) -> None:
    """Oversized input on stdin is refused the same way."""
    result = runner.invoke(app, ["evaluate", "-"], input=b"[" * (MAX_CASE_BYTES + 10))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: <stdin>: {BATCH_HINT}\n")


def test_library_refuses_a_directory(tmp_path: Path) -> None:
    """A directory is not a case file."""
    with pytest.raises(CaseValidationError) as exc:
        load_case(tmp_path)
    assert str(exc.value) == f"{tmp_path}: is a directory; give a case file"


def test_cli_refuses_a_directory(runner: CliRunner, tmp_path: Path) -> None:
    """`accountrules evaluate DIR` exits 1 with the same message."""
    assert_refused(runner, str(tmp_path), str(tmp_path), ["is a directory; give a case file"])


def test_cli_refuses_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    """A path that does not exist is named, with the fix."""
    path = tmp_path / "nope.json"
    assert_refused(runner, str(path), str(path), ["no such file; check the path"])


def test_a_byte_order_mark_is_accepted(engine: Engine, tmp_path: Path) -> None:
    """A UTF-8 file saved with a byte-order mark (as some editors do) is read normally."""
    path = tmp_path / "case.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(BASE, ensure_ascii=False).encode())
    assert load_case(path).case_id == "2023-017"


def test_an_archive_given_to_evaluate_is_named_as_one(runner: CliRunner, tmp_path: Path) -> None:
    """`evaluate` on a file of several JSON lines says it looks like an archive and names `accountrules batch`."""
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(BASE) + "\n" + json.dumps(BASE) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(path), "--format", "json"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: {path}: line 2 column 1: not valid JSON: Extra data; the text holds 2 JSON lines, like an archive "
        f"of cases: evaluate it with `accountrules batch {path}`\n"
    )


def test_a_path_given_as_case_text_is_named_as_one(engine: Engine) -> None:
    """`Engine.evaluate` given a file's path says a path was passed and shows how to read the file."""
    with pytest.raises(CaseValidationError) as exc:
        engine.evaluate("/data/case.json")
    assert problems_of(exc) == [
        "line 1 column 1: not valid JSON: Expecting value; '/data/case.json' looks like the path of a file, not a "
        "case's JSON text: read the file, e.g. engine.evaluate(Path('/data/case.json').read_text()), or "
        "load_case('/data/case.json') from accountrules.validation"
    ]


def test_a_determination_given_as_a_case_is_named_as_one(engine: Engine) -> None:
    """A determination handed back where a case belongs gets one problem saying what it is, not a field list."""
    determination = json.loads(engine.evaluate(BASE).model_dump_json())
    with pytest.raises(CaseValidationError) as exc:
        parse_case(determination)
    assert problems_of(exc) == [
        "this is a determination (what `accountrules evaluate` or `batch` writes), not a case; give the case it "
        "was made from"
    ]


def test_a_case_with_a_stray_trace_keeps_its_field_problems() -> None:
    """A case that also carries a determination's field is still a case: the unknown field is named."""
    with pytest.raises(CaseValidationError) as exc:
        parse_case({**BASE, "trace": []})
    assert problems_of(exc) == ["trace: unknown field 'trace'; remove it or correct its name."]


@pytest.mark.parametrize(("value", "shown"), [(dt.date(2024, 6, 30), '"2024-06-30"'), (b"x", "\"b'x'\"")])
def test_a_python_value_json_cannot_write_is_shown_in_the_problem(value: object, shown: str) -> None:
    """A dict given to the library with a date or bytes where a string belongs is a problem that shows the value,
    not a TypeError from writing it."""
    data = copy.deepcopy(BASE)
    data["case_id"] = value
    with pytest.raises(CaseValidationError) as info:
        Engine.default().evaluate(data)
    assert str(info.value) == f"case_id: expected a string, got {shown}"


def test_a_missing_field_beside_a_python_date_is_named() -> None:
    """A required field left out of a dict that holds a date object is reported as missing."""
    data = copy.deepcopy(BASE)
    del data["unit"]
    data["decided_on"] = dt.date(2024, 6, 30)
    with pytest.raises(CaseValidationError) as info:
        parse_case(data)
    assert str(info.value) == "unit: required field is missing; add it"


def test_an_amount_too_large_for_a_number_says_so() -> None:
    """amount_cny written with 400 digits is refused as too large, not as "not a number"."""
    text = json.dumps(BASE).replace('"offenders": ["p3"]', '"offenders": ["p3"], "amount_cny": 1' + "0" * 400)
    with pytest.raises(CaseValidationError) as info:
        parse_case_text(text)
    assert str(info.value) == (
        "violations[0].amount_cny: the number is too large (more than 1.8e308); write the real value"
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (bytearray(b"{}"), "expected a JSON object (a case), got a bytearray; pass JSON text as str or bytes"),
        (
            Path("case.json"),
            "expected a JSON object (a case), got a path; read the file with load_case(path) from "
            "accountrules.validation",
        ),
    ],
)
def test_the_library_names_a_wrong_kind_of_case(given: object, message: str) -> None:
    """Bytes in a bytearray, or a path, given as a case: the message says what was given and what to give."""
    with pytest.raises(CaseValidationError) as info:
        Engine.default().evaluate(given)  # type: ignore[arg-type]
    assert str(info.value) == message


@pytest.mark.parametrize("text", ['case_id: "2024-001"\ntitle: x\n', "# 问责案件\ncase_id: x\n"])
def test_yaml_given_as_json_text_says_where_yaml_is_read(text: str) -> None:
    """YAML piped to `evaluate -` (or given as JSON text) is named as YAML, with where YAML is read."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_text(text, "<stdin>")
    assert str(info.value) == (
        "<stdin>: line 1 column 1: not valid JSON: Expecting value; this looks like YAML, which is read only from "
        "a file named .yaml or .yml (standard input and the lines of an archive are JSON): save it as case.yaml"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            gzip.compress(b"{}"),
            "gzip-compressed data, not a case's text; decompress it, or give the file to "
            "`accountrules batch`, which reads .gz",
        ),
        ("{}".encode("utf-16"), "UTF-16 text; save the case file as UTF-8"),
    ],
)
def test_compressed_or_utf16_bytes_are_named_for_what_they_are(raw: bytes, message: str) -> None:
    """A gzip file or a UTF-16 file given as one case says what it is and what to do, not only 'not UTF-8'."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_text(raw)
    assert str(info.value) == message
