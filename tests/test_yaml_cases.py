"""Case files in YAML: read wherever a case is read, validated as JSON cases are, errors with the YAML line;
`accountrules new` prints a template that validates as it stands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accountrules.cli import app as cli_app
from accountrules.errors import CaseValidationError
from accountrules.server import create_app
from accountrules.tooling.casefile import parse_case_yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"

#: The example of the specification with one mistake: the severity on line 11.
BROKEN = """\
case_id: "2023-017"
unit: {name: 某县民政局, level: county}
people:
  - {id: p1, roles: [principal_leader], personally_clean: true}
  - {id: p2, roles: [leader_in_charge], oversees: [poverty_alleviation]}
  - {id: p3, roles: [staff]}
violations:
  - id: v1
    kind: corruption
    area: poverty_alleviation
    severity: huge
    offenders: [p3]
conduct:
  - {person: p2, violation: v1, acts: [concealed]}
"""


def spec_example_yaml() -> str:
    return yaml.safe_dump(json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8")), allow_unicode=True)


def test_new_prints_a_template_that_evaluates(tmp_path: Path) -> None:
    """`accountrules new > case.yaml` gives a case that `accountrules evaluate case.yaml` accepts."""
    runner = CliRunner()
    template = runner.invoke(cli_app, ["new"])
    assert template.exit_code == 0
    assert template.stdout.startswith("# 问责案件 An accountability case")
    case = tmp_path / "case.yaml"
    case.write_text(template.stdout, encoding="utf-8")
    evaluated = runner.invoke(cli_app, ["evaluate", str(case), "--format", "json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["case_id"] == "2024-001"


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_a_yaml_case_evaluates_as_its_json(tmp_path: Path, suffix: str) -> None:
    """The specification's example written as YAML gives the bytes of the JSON file."""
    case = tmp_path / f"case{suffix}"
    case.write_text(spec_example_yaml(), encoding="utf-8")
    runner = CliRunner()
    from_yaml = runner.invoke(cli_app, ["evaluate", str(case), "--format", "json"])
    from_json = runner.invoke(cli_app, ["evaluate", str(SPEC_EXAMPLE), "--format", "json"])
    assert (from_yaml.exit_code, from_yaml.stdout_bytes) == (0, from_json.stdout_bytes)


def test_explain_reads_a_yaml_case(tmp_path: Path) -> None:
    """`accountrules explain` takes a YAML case too."""
    case = tmp_path / "case.yaml"
    case.write_text(spec_example_yaml(), encoding="utf-8")
    runner = CliRunner()
    from_yaml = runner.invoke(cli_app, ["explain", str(case), "--person", "p2", "--format", "json"])
    from_json = runner.invoke(cli_app, ["explain", str(SPEC_EXAMPLE), "--person", "p2", "--format", "json"])
    assert (from_yaml.exit_code, from_yaml.stdout_bytes) == (0, from_json.stdout_bytes)


def test_a_yaml_problem_names_its_line_and_path(tmp_path: Path) -> None:
    """An invalid value is reported with the YAML line, the JSON path and the fix, exit 1."""
    case = tmp_path / "broken.yaml"
    case.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["evaluate", str(case)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {case}: line 11: violations[0].severity: 'huge' is not one of ")


def test_yaml_syntax_errors_name_the_line() -> None:
    """A YAML syntax error is a validation problem on its line."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml("case_id: x\nunit: [a,\n", "case.yaml")
    [problem] = info.value.problems
    assert (problem.line, problem.message.startswith("not valid YAML")) == (3, True)


def test_a_control_character_is_one_problem_on_its_line() -> None:
    """A character YAML does not allow (here NUL) is one problem, on its line, saying what to remove."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml("case_id: x\nunit: \x00\n", "case.yaml")
    assert str(info.value) == (
        "case.yaml: line 2: not valid YAML: the character #x0000 is not allowed in YAML (control characters are "
        "not allowed); remove it"
    )


def test_anchors_and_aliases_are_refused() -> None:
    """A case using & and * is refused (aliases could multiply the data)."""
    text = "case_id: x\nunit: &u {name: a, level: county}\nother: *u\n"
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml(text)
    assert str(info.value) == "line 2: anchors and aliases (& and *) are not used in a case; write the value out"


def test_deep_nesting_is_refused() -> None:
    """YAML nested far deeper than a case is refused before it is built."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml("a: " + "[" * 100 + "]" * 100)
    assert info.value.problems[0].message == "nested more than 32 levels deep; a case never needs that"


def test_a_repeated_key_is_refused_with_its_line() -> None:
    """A key repeated in one mapping is an error on the line of the second."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml("case_id: a\ntitle: b\ncase_id: c\n")
    assert str(info.value) == "line 3: key 'case_id' appears twice in one mapping"


def test_the_api_evaluates_a_yaml_body() -> None:
    """POST /v1/evaluate with Content-Type application/yaml evaluates the YAML case."""
    runner = CliRunner()
    printed = runner.invoke(cli_app, ["evaluate", str(SPEC_EXAMPLE), "--format", "json"]).stdout_bytes
    with TestClient(create_app()) as client:
        answer = client.post(
            "/v1/evaluate", content=spec_example_yaml().encode(), headers={"Content-Type": "application/yaml"}
        )
    assert (answer.status_code, answer.content) == (200, printed)


def test_the_api_names_the_yaml_line_of_a_problem() -> None:
    """A YAML case with a mistake is 422 with the path, the message and the line."""
    with TestClient(create_app()) as client:
        answer = client.post("/v1/evaluate", content=BROKEN.encode(), headers={"Content-Type": "application/yaml"})
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert (problem["path"], problem["line"]) == ("violations[0].severity", 11)


def test_a_yaml_case_that_is_not_utf8_names_its_line() -> None:
    """Bytes that are not UTF-8 are a problem on the line they are on, from the same reader as the rule packs."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml(b"case_id: x\ntitle: \xff\n")
    assert str(info.value) == "line 2: not UTF-8 text (invalid start byte at byte 18); save the file as UTF-8"


#: The template's opening without its case_id: an unquoted date beside a missing field.
UNQUOTED_DATE = """\
decided_on: 2024-06-30
title: 某案
"""


def test_a_missing_field_beside_an_unquoted_date_is_a_problem_not_a_crash() -> None:
    """A YAML case with `decided_on: 2024-06-30` unquoted and a required field left out names what is missing."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml(UNQUOTED_DATE)
    assert str(info.value).splitlines() == [
        "line 1: case_id: required field is missing; add it",
        "line 1: unit: required field is missing; add it",
        "line 1: people: required field is missing; add it",
        "line 1: violations: required field is missing; add it",
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "2024-02-30",
            'line 8: decided_on: "2024-02-30" is not a day of the calendar; write a real date as YYYY-MM-DD',
        ),
        ("2024-06-30 12:00:00", 'line 8: decided_on: expected a date written YYYY-MM-DD, got "2024-06-30 12:00:00"'),
    ],
)
def test_an_unquoted_date_is_read_as_the_text_a_json_case_holds(written: str, message: str) -> None:
    """An unquoted day that is not in the calendar, or a date with a time, is the problem a JSON case gets."""
    runner = CliRunner()
    template = runner.invoke(cli_app, ["new"]).stdout
    assert "\ndecided_on: 2024-06-30 " in template
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml(template.replace("\ndecided_on: 2024-06-30 ", f"\ndecided_on: {written} ", 1))
    assert str(info.value) == message


def test_an_unquoted_date_is_an_id_like_any_text() -> None:
    """`case_id: 2024-01-01` is the id "2024-01-01", as in JSON."""
    case = parse_case_yaml(spec_example_yaml().replace("case_id: 2023-017", "case_id: 2024-01-01", 1))
    assert case.case_id == "2024-01-01"


@pytest.mark.parametrize("tag", ["!!binary aGVsbG8=", "!!set {a: null}", "!!omap [a: 1]", "!!pairs [a: 1]"])
def test_yaml_tags_beyond_json_values_are_refused_on_their_line(tag: str) -> None:
    """Binary data, sets and ordered pairs have no JSON counterpart: refused with their line, not a crash."""
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml(f"title: x\ncase_id: {tag}\n")
    assert str(info.value) == (
        f"line 2: {tag.split()[0]} is not read in a case; write the value as plain text, a number, a list or a mapping"
    )


def test_a_python_tag_is_refused_and_never_run(tmp_path: Path) -> None:
    """`!!python/object/apply:os.system` is refused with its line; nothing runs."""
    marker = tmp_path / "ran"
    with pytest.raises(CaseValidationError) as info:
        parse_case_yaml(f'case_id: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert str(info.value) == (
        "line 1: !!python/object/apply:os.system is not read in a case; "
        "write the value as plain text, a number, a list or a mapping"
    )
    assert not marker.exists()


def test_the_command_line_reports_a_missing_field_beside_an_unquoted_date(tmp_path: Path) -> None:
    """`accountrules evaluate` on the template without its case_id: exit 1 and the problem, no unexpected failure."""
    runner = CliRunner()
    template = runner.invoke(cli_app, ["new"]).stdout
    case = tmp_path / "case.yaml"
    case.write_text("\n".join(line for line in template.splitlines() if not line.startswith("case_id:")))
    result = runner.invoke(cli_app, ["evaluate", str(case)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {case}: line 6: case_id: required field is missing; add it\n"


def test_the_api_answers_422_to_an_unquoted_impossible_date() -> None:
    """POST /v1/evaluate of a YAML case with `decided_on: 2024-02-30` is 422 naming the line, never 500."""
    body = spec_example_yaml() + "decided_on: 2024-02-30\n"
    body = body.replace("decided_on: '2023-09-01'\n", "", 1)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        answer = client.post("/v1/evaluate", content=body.encode(), headers={"Content-Type": "application/yaml"})
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert problem["path"] == "decided_on"
    assert problem["message"] == '"2024-02-30" is not a day of the calendar; write a real date as YYYY-MM-DD'
