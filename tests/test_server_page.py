"""The page's files and the endpoints it calls, through FastAPI's test client (the browser tests are in
test_page.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accountrules.cli import app as cli_app
from accountrules.server import Limits, create_app
from accountrules.server.page import POLICY
from accountrules.server.worker import ENGINE_VARIABLE, MAX_WORK_VARIABLE, app_from_environment
from accountrules.vocabulary import FORM_LABELS, LABELS, MEANINGS, Area, Role

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "examples" / "cases"
SPEC_EXAMPLE = CASES / "spec-example.json"
TOKEN = "a-long-enough-test-token"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/page/page.js", "text/javascript; charset=utf-8"),
        ("/page/page.css", "text/css; charset=utf-8"),
    ],
)
def test_the_page_and_its_files_are_served_with_a_same_origin_policy(
    client: TestClient, path: str, media_type: str
) -> None:
    """The page, its script and its style sheet come with their media type and a policy allowing only this
    origin."""
    answer = client.get(path)
    assert (answer.status_code, answer.headers["content-type"]) == (200, media_type)
    assert answer.headers["content-security-policy"] == POLICY


def test_the_page_names_no_other_origin(client: TestClient) -> None:
    """Neither the page nor its files refer to any address outside the service."""
    texts = [client.get(path).text for path in ("/", "/page/page.js", "/page/page.css")]
    assert [t for t in texts if "http:" in t or "https:" in t or "//" in t.replace("// ", "")] == []


def test_the_page_is_open_and_the_api_it_calls_is_not() -> None:
    """With a token the page and its files load without it (the page asks for it); its API calls need it."""
    with TestClient(create_app(token=TOKEN)) as test_client:
        statuses = [test_client.get(path).status_code for path in ("/", "/page/page.js", "/v1/examples")]
    assert statuses == [200, 200, 401]


def test_the_examples_are_the_shipped_cases(client: TestClient) -> None:
    """GET /v1/examples lists every example case by name with its title, in the order of their names."""
    expected = [
        {"name": path.stem, "title": json.loads(path.read_text(encoding="utf-8"))["title"]}
        for path in sorted(CASES.glob("*.json"))
    ]
    assert client.get("/v1/examples").json() == expected


def test_an_example_is_its_file(client: TestClient) -> None:
    """GET /v1/examples/NAME answers the example's file, byte for byte."""
    answer = client.get("/v1/examples/spec-example")
    assert (answer.status_code, answer.content) == (200, SPEC_EXAMPLE.read_bytes())


@pytest.mark.parametrize("name", ["nothing", "..%2Fexpected%2Fspec-example", "%2Fetc%2Fpasswd"])
def test_an_unknown_example_is_404(client: TestClient, name: str) -> None:
    """A name that is not an example, even one shaped like a path, is 404 and reads no file."""
    answer = client.get(f"/v1/examples/{name}")
    assert answer.status_code == 404


def test_the_vocabulary_is_the_one_declared(client: TestClient) -> None:
    """GET /v1/vocabulary answers every value's labels, every form's, and each enumeration's meanings, as
    vocabulary.py declares them."""
    answer = client.get("/v1/vocabulary").json()
    assert answer == {
        "labels": {value: list(pair) for value, pair in LABELS.items()},
        "forms": {str(form): list(pair) for form, pair in FORM_LABELS.items()},
        "meanings": list(MEANINGS.values()),
    }


def test_a_yaml_case_is_read_back_as_json(client: TestClient) -> None:
    """POST /v1/case with a YAML case answers the same case in JSON, only the fields it gives."""
    body = "case_id: c1\nunit: {name: 某局, level: county}\npeople: [{id: p1}]\n"
    body += "violations: [{id: v1, kind: four_winds, severity: minor, area: other, offenders: [p1]}]\n"
    answer = client.post("/v1/case", content=body.encode(), headers={"Content-Type": "application/yaml"})
    assert answer.json() == {
        "case_id": "c1",
        "unit": {"name": "某局", "level": "county"},
        "people": [{"id": "p1"}],
        "violations": [{"id": "v1", "kind": "four_winds", "severity": "minor", "area": "other", "offenders": ["p1"]}],
    }


def test_a_broken_yaml_case_is_400_with_its_line(client: TestClient) -> None:
    """POST /v1/case with YAML that does not parse is 400 naming the line."""
    answer = client.post("/v1/case", content=b"case_id: x\nunit: [open\n", headers={"Content-Type": "text/yaml"})
    assert answer.status_code == 400
    assert [p["line"] for p in answer.json()["problems"]] == [3]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_explain_answers_the_view_the_cli_prints(client: TestClient, fmt: str) -> None:
    """POST /v1/explain?format=text (or markdown) answers what `accountrules explain --format …` prints."""
    printed = CliRunner().invoke(cli_app, ["explain", str(SPEC_EXAMPLE), "--person", "p2", "--format", fmt])
    answer = client.post(f"/v1/explain?person=p2&format={fmt}", content=SPEC_EXAMPLE.read_bytes())
    assert (printed.exit_code, answer.status_code) == (0, 200)
    assert answer.text == printed.stdout


def test_explain_refuses_a_view_it_does_not_have(client: TestClient) -> None:
    """format=html is 422 naming the views an explanation has."""
    answer = client.post("/v1/explain?person=p2&format=html", content=SPEC_EXAMPLE.read_bytes())
    assert (answer.status_code, answer.json()["problems"]) == (
        422,
        [{"path": "format", "message": "an explanation is shown as text, json, markdown"}],
    )


@pytest.mark.parametrize("model", ["case", "determination"])
def test_every_field_is_described_chinese_first(client: TestClient, model: str) -> None:
    """Each property of the case's schema, and of the determination's top level, person results, rules in force
    and notes, has a description that starts with its Chinese term, which the page shows as the field's label."""
    schema = client.get(f"/v1/schema/{model}").json()
    if model == "determination":  # the parts the page draws as tables; the others have headings of their own
        schema["$defs"] = {k: schema["$defs"][k] for k in ("PersonResult", "RulesInForce", "Note")}
    objects = [("", schema), *((f"{name}.", sub) for name, sub in schema["$defs"].items())]
    unlabelled = [
        prefix + key
        for prefix, obj in objects
        for key, prop in obj.get("properties", {}).items()
        if not ("\u4e00" <= prop.get("description", " ")[0] <= "\u9fff")
    ]
    assert unlabelled == []


def test_a_case_over_the_work_limit_is_422_naming_the_limit() -> None:
    """With Limits(max_work=2), a case of 3 people × 1 violation is 422 with the limit's message, not 500."""
    with TestClient(create_app(limits=Limits(max_work=2))) as test_client:
        answer = test_client.post("/v1/evaluate", content=SPEC_EXAMPLE.read_bytes())
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {
            "path": "",
            "message": "the case has 3 people × 1 violations = 3, more than the 2 one case may take; split the case, "
            "or raise the limit (--max-work, or CaseLimits(max_work=…) in the library)",
        }
    ]


def test_serve_passes_max_work_to_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app a worker of `serve --max-work 2` makes from the environment refuses a case of work 3."""
    monkeypatch.setenv(MAX_WORK_VARIABLE, "2")
    with TestClient(app_from_environment()) as test_client:
        refused = test_client.post("/v1/evaluate", content=SPEC_EXAMPLE.read_bytes())
    monkeypatch.setenv(MAX_WORK_VARIABLE, "3")
    with TestClient(app_from_environment()) as test_client:
        accepted = test_client.post("/v1/evaluate", content=SPEC_EXAMPLE.read_bytes())
    assert (refused.status_code, accepted.status_code) == (422, 200)


def test_serve_passes_the_engine_to_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app a worker of `serve --engine compiled` makes from the environment matches with the compiled runtime,
    and answers with the bytes durable_rules gives."""
    monkeypatch.setenv(ENGINE_VARIABLE, "compiled")
    compiled = app_from_environment()
    with TestClient(compiled) as test_client:
        fast = test_client.post("/v1/evaluate", content=SPEC_EXAMPLE.read_bytes())
    monkeypatch.delenv(ENGINE_VARIABLE)
    durable = app_from_environment()
    with TestClient(durable) as test_client:
        of_record = test_client.post("/v1/evaluate", content=SPEC_EXAMPLE.read_bytes())
    assert (compiled.state.engine.runtime, durable.state.engine.runtime) == ("compiled", "durable")
    assert (fast.status_code, fast.content) == (200, of_record.content)


def test_a_yaml_case_nested_too_deeply_is_400(client: TestClient) -> None:
    """YAML nested deeper than a case is refused by the YAML reader as a body that is not a case document."""
    body = ("a: " + "[" * 40 + "]" * 40 + "\n").encode()
    answer = client.post("/v1/evaluate", content=body, headers={"Content-Type": "application/yaml"})
    assert (answer.status_code, answer.json()["problems"]) == (
        400,
        [{"path": "", "message": "nested more than 32 levels deep; a case never needs that", "line": 1}],
    )


def test_each_value_in_the_form_says_what_it_means(client: TestClient) -> None:
    """The meanings the page looks up for a role and an area are the ones declared for those enumerations."""
    meanings = client.get("/v1/vocabulary").json()["meanings"]
    roles = next(m for m in meanings if {"principal_leader", "staff"} <= set(m))
    areas = next(m for m in meanings if {"housing", "finance"} <= set(m))
    assert (roles, areas) == (MEANINGS[Role], MEANINGS[Area])
