"""The rest of the /v1 API in process: explain, batch, check, rules and schemas answer what the CLI prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accountrules.cli import app as cli_app
from accountrules.server import Limits, create_app

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples" / "cases").glob("*.json"))
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def cli(*args: str) -> bytes:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code in (0, 1, 3), result.output
    return result.stdout_bytes


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Three example cases, a line that is not JSON and a case without people, one per line."""
    lines = [json.dumps(json.loads(c.read_text(encoding="utf-8")), ensure_ascii=False) for c in CASES[:3]]
    spec = json.dumps(json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8")))
    lines += ['{"case_id": "broken"', json.dumps({"case_id": "empty"}), spec]
    path = tmp_path / "archive.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_explain_answers_what_the_cli_prints(client: TestClient) -> None:
    """POST /v1/explain?person=p2 returns `accountrules explain --person p2 --format json`'s bytes."""
    answer = client.post("/v1/explain", params={"person": "p2"}, content=SPEC_EXAMPLE.read_bytes())
    assert answer.status_code == 200
    assert answer.content == cli("explain", str(SPEC_EXAMPLE), "--person", "p2", "--format", "json")


def test_explain_of_an_unknown_person_is_422_naming_the_person(client: TestClient) -> None:
    """A person not in the case is 422 with the path `person` and the people there are."""
    answer = client.post("/v1/explain", params={"person": "p9"}, content=SPEC_EXAMPLE.read_bytes())
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert problem["path"] == "person"
    assert problem["message"].startswith("no person 'p9' in case 2023-017 (people are: ")


def test_batch_answers_the_lines_the_cli_writes(client: TestClient, archive: Path) -> None:
    """POST /v1/batch returns `accountrules batch`'s lines, error records included, in input order."""
    answer = client.post("/v1/batch", content=archive.read_bytes(), headers={"Content-Type": "application/x-ndjson"})
    assert (answer.status_code, answer.headers["content-type"]) == (200, "application/x-ndjson")
    assert answer.content == cli("batch", str(archive), "--workers", "0")
    assert len(answer.content.splitlines()) == 6


def test_a_batch_record_over_the_case_limit_is_an_error_record() -> None:
    """A record longer than the limit of one case becomes an error record, the others are evaluated."""
    lines = [b"x" * (5 * 1024 * 1024 + 10), json.dumps(json.loads(SPEC_EXAMPLE.read_text())).encode()]
    with TestClient(create_app()) as test_client:
        answer = test_client.post("/v1/batch", content=b"\n".join(lines) + b"\n")
    first, second = answer.content.splitlines()
    assert json.loads(first)["line"] == 1
    assert json.loads(first)["error"].startswith("the record is larger than 5 MB")
    assert json.loads(second)["case_id"] == "2023-017"


def test_an_archive_over_its_limit_is_413() -> None:
    """An archive larger than max_archive_bytes is refused with 413."""
    with TestClient(create_app(limits=Limits(max_archive_bytes=1000))) as test_client:
        answer = test_client.post("/v1/batch", content=b"{}\n" * 400)
    assert answer.status_code == 413


def test_check_answers_the_report_the_cli_prints(client: TestClient, archive: Path) -> None:
    """POST /v1/check returns `accountrules check --format json`'s consistency report."""
    answer = client.post("/v1/check", content=archive.read_bytes())
    assert answer.status_code == 200
    assert answer.content == cli("check", str(archive), "--format", "json", "--workers", "0")


def test_rules_list_the_pack_as_the_cli_does(client: TestClient) -> None:
    """GET /v1/rules is `accountrules rules list --format json`."""
    assert client.get("/v1/rules").content == cli("rules", "list", "--format", "json")


def test_one_rule_is_shown_as_the_cli_does(client: TestClient) -> None:
    """GET /v1/rules/O-LIFESAVING is `accountrules rules show O-LIFESAVING --format json`."""
    assert client.get("/v1/rules/O-LIFESAVING").content == cli("rules", "show", "O-LIFESAVING", "--format", "json")


def test_an_unknown_rule_is_404_with_a_suggestion(client: TestClient) -> None:
    """GET /v1/rules/O-LIFESAVIN is 404 and suggests the rule meant."""
    answer = client.get("/v1/rules/O-LIFESAVIN")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no rule 'O-LIFESAVIN' in pack 'default'. Did you mean 'O-LIFESAVING'?"}


@pytest.mark.parametrize("which", ["case", "determination"])
def test_schemas_are_the_cli_schemas(client: TestClient, which: str) -> None:
    """GET /v1/schema/{which} is `accountrules schema {which}`."""
    assert client.get(f"/v1/schema/{which}").content == cli("schema", which)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("/v1/explain", {"path": "person", "message": "required; add ?person=…"}),
        (
            "/v1/explain?person=p1&format=pdf",
            {"path": "format", "message": "'pdf' is not one of text, json, markdown, html."},
        ),
    ],
)
def test_a_bad_query_parameter_is_an_error_object(client: TestClient, url: str, problem: dict[str, str]) -> None:
    """A missing or unknown query parameter is 422 with `error` and `problems`, as every error of the service."""
    answer = client.post(url, content=SPEC_EXAMPLE.read_bytes())
    assert answer.status_code == 422
    assert answer.json() == {"error": "the request's parameters are not valid", "problems": [problem]}


def test_an_unknown_endpoint_is_an_error_object(client: TestClient) -> None:
    """GET of a path the service does not have: 404 with `error` saying where the endpoints are listed."""
    answer = client.get("/v1/nothing")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no endpoint GET /v1/nothing; the endpoints are listed at /openapi.json"}


def test_a_wrong_method_is_an_error_object_naming_the_right_one(client: TestClient) -> None:
    """GET /v1/evaluate: 405 with `error` naming the method to use, and the Allow header."""
    answer = client.get("/v1/evaluate")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json() == {"error": "GET is not allowed on /v1/evaluate; use POST"}
