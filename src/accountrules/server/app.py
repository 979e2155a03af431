"""The FastAPI app of the service.

Every answer of ``/v1/evaluate`` is the bytes ``accountrules evaluate --format json`` prints: the one writer,
`Determination.to_json()`, and the final newline. Bad input is 400 (not JSON), 413 (too large) or 422 (not a
valid case, with each problem's path and message); a failure of the rule engine is 500 with an error id that the
server's log repeats beside the traceback, which never reaches the client. No endpoint reads or writes a path
taken from a request; the rule pack is fixed when the app is made.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import signal
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response, StreamingResponse

from accountrules.api import Engine
from accountrules.batch.api import check_consistency, stream
from accountrules.batch.check import ConsistencyReport
from accountrules.batch.records import jsonl_records
from accountrules.engine.evaluate import Engine as CoreEngine
from accountrules.errors import CaseValidationError, Problem, UnknownPersonError, UnknownRuleError, UsageError
from accountrules.models import Case, Determination
from accountrules.render.rules import RuleList, RuleSheet, rule_list, rule_sheet
from accountrules.render.views import Format, Report, formats, view
from accountrules.server.examples import examples
from accountrules.server.page import PAGE_PATHS, add_page
from accountrules.tooling.casefile import parse_case_yaml
from accountrules.tooling.explain import Explanation, explain
from accountrules.validation import MAX_CASE_BYTES, CaseLimits, allowed_values, parse_case_text, suggest_value
from accountrules.vocabulary import FORM_LABELS, LABELS, MEANINGS

log = logging.getLogger("accountrules.server")

JSON_TYPE = "application/json"
NDJSON_TYPE = "application/x-ndjson"
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})

#: The paths open without a token: the health check and the page (which sends the token to the API).
OPEN_PATHS = frozenset({"/healthz", *PAGE_PATHS})


@dataclass(frozen=True)
class Limits:
    """How much one request may ask of the service."""

    #: The largest body of a single case, the CLI's limit for one case file (and of each record of an archive).
    max_case_bytes: int = MAX_CASE_BYTES
    #: The largest archive sent to /v1/batch or /v1/check (spooled to a temporary file, read record by record).
    max_archive_bytes: int = 1024 * 1024 * 1024
    #: The most work one case may ask for, people × violations (the CLI's ``--max-work``; 0: no limit); None keeps
    #: the engine's own `CaseLimits`.
    max_work: int | None = None


class _RequestProblem(Exception):
    """A request the service answers with ``status`` and a JSON body naming what is wrong."""

    def __init__(self, status: int, error: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.problems = tuple(problems)

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.error}
        if self.problems:
            body["problems"] = [_problem(p) for p in self.problems]
        return JSONResponse(body, status_code=self.status)


def _parameter_problem(error: Any) -> Problem:
    """One query or path parameter FastAPI refused, in the words of the service's other problems."""
    name = str(error["loc"][-1])
    if error["type"] == "missing":
        return Problem(name, f"required; add ?{name}=…")
    if error["type"] == "enum":
        allowed = allowed_values(error)
        return Problem(
            name, f"'{error['input']}' is not one of {', '.join(allowed)}.{suggest_value(error['input'], allowed)}"
        )
    message = str(error["msg"])
    return Problem(name, message[:1].lower() + message[1:])


def _route_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """A path the service does not have (404) or a method it does not answer there (405), as an error object."""
    path = request.url.path
    if exc.status_code == 404 and exc.detail == "Not Found":
        error = f"no endpoint {request.method} {path}; the endpoints are listed at /openapi.json"
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        error = f"{request.method} is not allowed on {path}; use {allowed}"
    else:
        error = str(exc.detail)
    return JSONResponse({"error": error}, status_code=exc.status_code, headers=exc.headers)


def _problem(problem: Problem) -> dict[str, Any]:
    shown: dict[str, Any] = {"path": problem.path, "message": problem.message}
    if problem.line is not None:
        shown["line"] = problem.line
    return shown


def create_app(
    engine_or_pack: Engine | str | Path | None = None,
    *,
    token: str | None = None,
    cors_origins: Sequence[str] = (),
    limits: Limits | None = None,
    exit_when_stalled: bool = False,
) -> FastAPI:
    """The service's ASGI app.

    Args:
        engine_or_pack: an `Engine`, the directory of a rule pack, or None for the pack shipped with accountrules;
            fixed for the life of the app.
        token: when given, every endpoint but ``/healthz`` needs ``Authorization: Bearer TOKEN``.
        cors_origins: origins a browser may call the API from; none by default.
        limits: the size limits of a request (`Limits()` by default).
        exit_when_stalled: end this process (SIGTERM) after answering, once the rule engine has stalled, so that
            the supervisor of ``accountrules serve`` starts a fresh worker. Leave off when the app is mounted.
    """
    bounds = limits or Limits()
    engine = _engine(engine_or_pack)
    if bounds.max_work is not None:
        engine = engine.with_limits(CaseLimits(max_work=bounds.max_work))
    app = FastAPI(
        title="accountrules",
        summary="问责规则引擎: who bears what responsibility for a violation case, and why. "
        "It recommends; people decide.",
        version=engine.pack.version,
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if token is not None:
        _require_token(app, token)

    @app.exception_handler(_RequestProblem)
    async def request_problem(request: Request, exc: _RequestProblem) -> Response:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> Response:
        return _RequestProblem(
            422, "the request's parameters are not valid", [_parameter_problem(e) for e in exc.errors()]
        ).response()

    @app.exception_handler(StarletteHTTPException)
    async def no_route(request: Request, exc: StarletteHTTPException) -> Response:
        return _route_problem(request, exc)

    @app.exception_handler(CaseValidationError)
    async def too_much_work(request: Request, exc: CaseValidationError) -> Response:
        return _invalid(exc).response()  # a valid case asking for more work than the limits allow (CaseLimitError)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        return _failure(exc, engine, exit_when_stalled)

    @app.get("/healthz", summary="健康 Health: whether this worker can evaluate cases")
    def healthz() -> JSONResponse:
        healthy = engine.healthy
        return JSONResponse({"status": "ok" if healthy else "stalled"}, status_code=200 if healthy else 503)

    @app.post(
        "/v1/evaluate",
        summary="评估案件 Evaluate one case",
        description="The determination, byte for byte what `accountrules evaluate --format json` prints.",
        openapi_extra=_case_body(),
        responses={200: {"model": Determination}, **_ERROR_RESPONSES},
        response_class=Response,
    )
    async def evaluate(request: Request) -> Response:
        case = await _read_case(request, bounds)
        determination = await run_in_threadpool(engine.evaluate_valid, case)
        return Response(determination.to_json() + "\n", media_type=JSON_TYPE)

    @app.post(
        "/v1/explain",
        summary="解释 Explain one person's result",
        description="The explanation, as `accountrules explain CASE --person ID --format json` prints it "
        "(`format=text` or `markdown`: the other views it prints).",
        openapi_extra=_case_body(),
        responses={200: {"model": Explanation}, **_ERROR_RESPONSES},
        response_class=Response,
    )
    async def explain_person(
        request: Request, person: str, fmt: Annotated[Format, Query(alias="format")] = Format.json
    ) -> Response:
        if fmt not in formats("explanation"):
            shown = ", ".join(f.value for f in formats("explanation"))
            raise _RequestProblem(422, "no such view", [Problem("format", f"an explanation is shown as {shown}")])
        case = await _read_case(request, bounds)
        try:
            explanation = await run_in_threadpool(explain, engine, case, person)
        except UnknownPersonError as exc:
            raise _RequestProblem(422, "the person is not in the case", [Problem("person", str(exc))]) from None
        if fmt is Format.json:
            return _json_view("explanation", explanation)
        return Response(view("explanation", fmt)(explanation), media_type=_TEXT_TYPES[fmt])

    @app.post(
        "/v1/batch",
        summary="批量评估 Evaluate an archive of cases",
        description="One case per line in, one JSON line per record out, in input order: the determination or "
        '`{"line": N, "case_id": …, "error": …}`, exactly as `accountrules batch` writes them.',
        openapi_extra=_archive_body(),
        responses={200: {"content": {NDJSON_TYPE: {}}}, **_ERROR_RESPONSES},
        response_class=StreamingResponse,
    )
    async def batch(request: Request) -> StreamingResponse:
        spool = await _spool(request, bounds)
        return StreamingResponse(_batch_lines(engine, spool), media_type=NDJSON_TYPE)

    @app.post(
        "/v1/check",
        summary="一致性检查 Check recorded decisions against the rules",
        description="The consistency report, as `accountrules check ARCHIVE --format json` prints it.",
        openapi_extra=_archive_body(),
        responses={200: {"model": ConsistencyReport}, **_ERROR_RESPONSES},
        response_class=Response,
    )
    async def check(request: Request) -> Response:
        spool = await _spool(request, bounds)
        try:
            report = await run_in_threadpool(check_consistency, jsonl_records(spool), engine)
        finally:
            spool.close()
        return _json_view("consistency", report)

    @app.get("/v1/rules", summary="规则 The rules of the pack", responses={200: {"model": RuleList}})
    def rules() -> Response:
        return _json_view("rules", rule_list(engine.pack))

    @app.get(
        "/v1/rules/{rule_id}",
        summary="规则 One rule: basis, citations, conditions and effect",
        responses={200: {"model": RuleSheet}, 404: {"description": "No rule with this id."}},
    )
    def rule(rule_id: str) -> Response:
        try:
            found = engine.pack.rule(rule_id)
        except UnknownRuleError as exc:
            raise _RequestProblem(404, str(exc)) from None
        return _json_view("rule", rule_sheet(found, engine.pack))

    @app.post(
        "/v1/case",
        summary="读取案件 Read a case",
        description="The case, validated, as JSON (a YAML case comes back as the same case in JSON); the page "
        "loads YAML files through it.",
        openapi_extra=_case_body(),
        responses={200: {"model": Case}, **_ERROR_RESPONSES},
        response_class=Response,
    )
    async def read_case(request: Request) -> Response:
        case = await _read_case(request, bounds)
        shown = case.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return Response(json.dumps(shown, ensure_ascii=False, indent=2) + "\n", media_type=JSON_TYPE)

    @app.get("/v1/examples", summary="示例案件 The example cases shipped with accountrules")
    def example_list() -> JSONResponse:
        return JSONResponse([{"name": e.name, "title": e.title} for e in examples().values()])

    @app.get(
        "/v1/examples/{name}",
        summary="示例案件 One example case, as its file holds it",
        responses={404: {"description": "No example of this name."}},
    )
    def example(name: str) -> Response:
        found = examples().get(name)
        if found is None:
            raise _RequestProblem(404, f"no example '{name}'; GET /v1/examples lists them")
        return Response(found.text, media_type=JSON_TYPE)

    @app.get(
        "/v1/vocabulary",
        summary="词汇 Every vocabulary value and form with its labels (中文, English), and what the values of each "
        "enumeration mean in practice",
    )
    def vocabulary() -> JSONResponse:
        return JSONResponse(
            {
                "labels": LABELS,
                "forms": {str(form): pair for form, pair in FORM_LABELS.items()},
                "meanings": list(MEANINGS.values()),
            }
        )

    @app.get("/v1/schema/case", summary="JSON Schema of a case")
    def case_schema() -> Response:
        return _schema(Case)

    @app.get("/v1/schema/determination", summary="JSON Schema of a determination")
    def determination_schema() -> Response:
        return _schema(Determination)

    add_page(app)
    app.openapi = _openapi_with_models(app)  # type: ignore[method-assign]
    return app


def _engine(engine_or_pack: Engine | str | Path | None) -> Engine:
    if isinstance(engine_or_pack, Engine):
        return engine_or_pack
    if isinstance(engine_or_pack, CoreEngine):  # evaluates, but cannot explain
        raise UsageError(
            "create_app takes accountrules.Engine (the engine with explain), the folder of a rule pack, or None; "
            "got accountrules.engine.Engine: build it with accountrules.Engine.default() or Engine.from_path(folder)"
        )
    if engine_or_pack is None:
        return Engine.default()
    return Engine.from_path(engine_or_pack)


def _require_token(app: FastAPI, token: str) -> None:
    expected = f"Bearer {token}".encode()

    @app.middleware("http")
    async def bearer(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path in OPEN_PATHS or request.method == "OPTIONS":
            return await call_next(request)
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"error": "missing or wrong token; send the header Authorization: Bearer TOKEN"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await call_next(request)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` (by Content-Length or by count)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> _RequestProblem:
    return _RequestProblem(
        413,
        f"the body is larger than {limit // 1024 // 1024} MB, the most one case may take; "
        "send an archive of cases to /v1/batch, one case per line",
    )


async def _read_case(request: Request, bounds: Limits) -> Case:
    """The case in the body: YAML when the Content-Type says so, else JSON."""
    body = await _read_body(request, bounds.max_case_bytes)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_yaml = media_type in YAML_TYPES
    try:
        return await run_in_threadpool(parse_case_yaml if is_yaml else parse_case_text, body)
    except CaseValidationError as exc:
        raise _invalid(exc, "YAML" if is_yaml else "JSON") from None


def _json_view(report: Report, value: Any) -> Response:
    """``value`` in the JSON view the CLI prints for ``--format json``."""
    return Response(view(report, Format.json)(value), media_type=JSON_TYPE)


def _schema(model: type[Case] | type[Determination]) -> Response:
    """The JSON Schema as ``accountrules schema`` prints it."""
    return Response(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2) + "\n", media_type=JSON_TYPE)


async def _spool(request: Request, bounds: Limits) -> Any:
    """The body in a temporary file (in memory while small), refused with 413 past ``max_archive_bytes``; the
    records are then read one at a time, each bounded by the limit of one case."""
    limit = bounds.max_archive_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _archive_too_large(limit)
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - closed by whoever reads it
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _archive_too_large(limit)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _archive_too_large(limit: int) -> _RequestProblem:
    return _RequestProblem(413, f"the archive is larger than {limit // 1024 // 1024} MB, the most one request may take")


def _batch_lines(engine: Engine, spool: Any) -> Iterator[bytes]:
    """The lines ``accountrules batch`` writes, one per record, in order."""
    with spool:
        for _, ok, value in stream(engine, jsonl_records(spool), mode="json"):
            yield (value if ok else value.to_json().encode("utf-8")) + b"\n"


def _invalid(exc: CaseValidationError, language: str = "JSON") -> _RequestProblem:
    """400 when the body is not a JSON (or YAML) document at all, 422 when it is one but not a valid case."""
    unreadable = any(_unreadable(p) for p in exc.problems)
    error = f"the body is not a {language} document" if unreadable else "the case is not valid"
    return _RequestProblem(400 if unreadable else 422, error, exc.problems)


def _unreadable(problem: Problem) -> bool:
    return (
        problem.path.startswith("line ")
        or problem.message.startswith(("not valid JSON", "not valid YAML", "not UTF-8"))
        or "anchors and aliases" in problem.message
        or "appears twice in one mapping" in problem.message
        or problem.message.startswith("the input is empty")
        or "appears twice in one object" in problem.message
        or "nested too deeply" in problem.message
        or "levels deep;" in problem.message
        or "once its aliases (*name) are expanded" in problem.message
    )


def _failure(exc: Exception, engine: Engine, exit_when_stalled: bool) -> Response:
    """500 with an error id; the traceback goes to the log under that id, never to the client."""
    error_id = uuid.uuid4().hex[:12]
    log.error("error %s: %s", error_id, exc, exc_info=exc)
    stalled = not engine.healthy
    task = BackgroundTask(_end_worker) if stalled and exit_when_stalled else None
    body = {"error": "the evaluation failed; the server's log has the details under this id", "error_id": error_id}
    return JSONResponse(body, status_code=500, background=task)


def _end_worker() -> None:
    """End this worker process gracefully; the supervisor of ``accountrules serve`` starts another."""
    log.error("the rule engine stalled: ending worker process %d so that a fresh one replaces it", os.getpid())
    os.kill(os.getpid(), signal.SIGTERM)


_TEXT_TYPES = {Format.text: "text/plain; charset=utf-8", Format.markdown: "text/markdown; charset=utf-8"}

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not a JSON document."},
    401: {"description": "A token is required and was missing or wrong."},
    413: {"description": "The body is larger than the limit of one case (5 MB)."},
    422: {"description": "The case is not valid: each problem names its JSON path and the fix."},
    500: {"description": "The evaluation failed; the body carries an error id to find in the server's log."},
}


def _case_body() -> dict[str, Any]:
    case = {"schema": {"$ref": "#/components/schemas/Case"}}
    return {"requestBody": {"required": True, "content": {JSON_TYPE: case, "application/yaml": case}}}


def _archive_body() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                NDJSON_TYPE: {"schema": {"type": "string", "description": "One case per line (JSON Lines), UTF-8."}}
            },
        }
    }


def _openapi_with_models(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The app's OpenAPI document, with the case model (read from the raw body) among its schemas."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes, description=None
            )
            _, defs = models_json_schema([(Case, "validation")], ref_template="#/components/schemas/{model}")
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in defs.get("$defs", {}).items():
                schemas.setdefault(name, schema)
            app.openapi_schema = document
        return app.openapi_schema

    return openapi
