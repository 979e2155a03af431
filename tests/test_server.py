"""The HTTP service in process: the /v1 API's bytes, its errors and its token, through FastAPI's test client."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.cli import app as cli_app
from accountrules.server import Limits, create_app

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples" / "cases").glob("*.json"))
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"
TOKEN = "a-long-enough-test-token"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def spec_case() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_evaluate_answers_the_bytes_the_cli_prints(client: TestClient, case: Path) -> None:
    """POST /v1/evaluate returns exactly what `accountrules evaluate --format json` prints for the case."""
    printed = CliRunner().invoke(cli_app, ["evaluate", str(case), "--format", "json"])
    assert printed.exit_code == 0
    answer = client.post("/v1/evaluate", content=case.read_bytes(), headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.headers["content-type"]) == (200, "application/json")
    assert answer.content == printed.stdout_bytes


def test_malformed_json_is_400_naming_the_line(client: TestClient) -> None:
    """A body that is not JSON is 400 with the line and column of the mistake."""
    answer = client.post("/v1/evaluate", content=b'{"case_id": "x",\n  unit: 1}')
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "the body is not a JSON document",
        "problems": [
            {"path": "line 2 column 3", "message": "not valid JSON: Expecting property name enclosed in double quotes"}
        ],
    }


def test_invalid_case_is_422_with_the_problems_of_validation(client: TestClient) -> None:
    """A JSON case that breaks the contract is 422 with each problem's JSON path and message."""
    case = spec_case()
    case["violations"][0]["severity"] = "huge"
    answer = client.post("/v1/evaluate", json=case)
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "the case is not valid"
    assert [p["path"] for p in body["problems"]] == ["violations[0].severity"]


def test_a_body_over_five_megabytes_is_413(client: TestClient) -> None:
    """A body larger than the CLI's 5 MB case limit is refused with 413 before it is parsed."""
    answer = client.post("/v1/evaluate", content=b" " * (5 * 1024 * 1024 + 1))
    assert answer.status_code == 413
    assert answer.json()["error"].startswith("the body is larger than 5 MB")


def test_a_streamed_body_is_counted_against_the_limit() -> None:
    """A body sent without Content-Length is refused with 413 once it passes the limit."""
    small = create_app(limits=Limits(max_case_bytes=100))

    def chunks() -> Iterator[bytes]:
        yield from [b" " * 60, b" " * 60]

    with TestClient(small) as test_client:
        answer = test_client.post("/v1/evaluate", content=chunks())
    assert answer.status_code == 413


def test_a_failed_evaluation_is_500_with_an_error_id_and_no_traceback(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception inside the engine is answered 500 with an error id; the body holds no traceback."""

    def fail(case: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(engine, "evaluate_valid", fail)
    answer = client.post("/v1/evaluate", content=SPEC_EXAMPLE.read_bytes())
    assert answer.status_code == 500
    body = answer.json()
    assert sorted(body) == ["error", "error_id"]
    assert len(body["error_id"]) == 12
    assert "secret" not in answer.text
    assert "Traceback" not in answer.text


def test_a_stalled_worker_ends_itself_after_answering(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the rule engine has stalled, the worker answers 500 and sends itself SIGTERM (the supervisor
    replaces it)."""
    sent: list[tuple[int, int]] = []

    def fail(case: object) -> None:
        raise RuntimeError("stalled")

    monkeypatch.setattr(engine, "evaluate_valid", fail)
    monkeypatch.setattr(type(engine), "healthy", property(lambda self: False))
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))
    with TestClient(create_app(engine, exit_when_stalled=True), raise_server_exceptions=False) as test_client:
        answer = test_client.post("/v1/evaluate", content=SPEC_EXAMPLE.read_bytes())
        health = test_client.get("/healthz")
    assert (answer.status_code, health.status_code, health.json()) == (500, 503, {"status": "stalled"})
    assert sent == [(os.getpid(), signal.SIGTERM)]


def test_healthz_answers_ok(client: TestClient) -> None:
    """GET /healthz is 200 while the engine can evaluate."""
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_without_the_token_every_endpoint_but_healthz_is_401() -> None:
    """With a token set, /v1/evaluate needs it; /healthz does not."""
    with TestClient(create_app(token=TOKEN)) as test_client:
        refused = test_client.post("/v1/evaluate", content=SPEC_EXAMPLE.read_bytes())
        wrong = test_client.post(
            "/v1/evaluate", content=SPEC_EXAMPLE.read_bytes(), headers={"Authorization": "Bearer wrong"}
        )
        health = test_client.get("/healthz")
        schema = test_client.get("/openapi.json")
    assert (refused.status_code, wrong.status_code, health.status_code, schema.status_code) == (401, 401, 200, 401)


def test_with_the_token_the_case_is_evaluated() -> None:
    """The right bearer token lets a request through."""
    with TestClient(create_app(token=TOKEN)) as test_client:
        answer = test_client.post(
            "/v1/evaluate", content=SPEC_EXAMPLE.read_bytes(), headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert answer.status_code == 200


def test_cors_is_closed_unless_an_origin_is_given(client: TestClient) -> None:
    """Without --cors-origin no Access-Control-Allow-Origin header is sent; with one, that origin is allowed."""
    origin = {"Origin": "https://cases.example.org"}
    closed = client.get("/healthz", headers=origin)
    with TestClient(create_app(cors_origins=["https://cases.example.org"])) as test_client:
        opened = test_client.get("/healthz", headers=origin)
    assert "access-control-allow-origin" not in closed.headers
    assert opened.headers["access-control-allow-origin"] == "https://cases.example.org"


def test_openapi_describes_the_case_and_the_determination(client: TestClient) -> None:
    """/openapi.json names the case as the body of /v1/evaluate and holds both models' schemas."""
    document = client.get("/openapi.json").json()
    body = document["paths"]["/v1/evaluate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Case"}
    assert {"Case", "Determination", "Person", "Violation"} <= set(document["components"]["schemas"])


def test_serve_on_a_public_address_without_a_token_exits_1() -> None:
    """`serve --host 0.0.0.0` without --token refuses to start with a clear Error:."""
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0"], env={"ACCOUNTRULES_TOKEN": None})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --host 0.0.0.0 accepts connections from other machines, so it needs")


def test_serve_hands_the_chosen_engine_to_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --engine compiled` starts the service with the compiled runtime; without it, with durable_rules."""
    from accountrules.server import run

    started: list[str] = []
    monkeypatch.setattr(run, "serve", lambda *settings: started.append(settings[-1]))
    chosen = CliRunner().invoke(cli_app, ["serve", "--engine", "compiled"], env={"ACCOUNTRULES_TOKEN": None})
    default = CliRunner().invoke(cli_app, ["serve"], env={"ACCOUNTRULES_TOKEN": None})
    assert (chosen.exit_code, default.exit_code, started) == (0, 0, ["compiled", "durable"])


def test_serve_refuses_a_short_token() -> None:
    """A token shorter than 16 characters is refused."""
    result = CliRunner().invoke(cli_app, ["serve", "--token", "short"], env={"ACCOUNTRULES_TOKEN": None})
    assert result.exit_code == 1
    assert result.stderr == "Error: --token is shorter than 16 characters; use a long random value\n"
