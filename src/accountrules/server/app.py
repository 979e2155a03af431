"""The FastAPI app of the service.

Every answer of ``/v1/evaluate`` is the bytes ``accountrules evaluate --format json`` prints: the one writer,
`Determination.to_json()`, and the final newline. Bad input is 400 (not JSON), 413 (too large) or 422 (not a
valid case, with each problem's path and message); a failure of the rule engine is 500 with an error id that the
server's log repeats beside the traceback, which never reaches the client. No endpoint reads or writes a path
taken from a request; the rule pack is fixed when the app is made.
"""

from __future__ import annotations

import hmac
import logging
import os
import signal
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from accountrules.api import Engine
from accountrules.errors import CaseValidationError, Problem
from accountrules.models import Case, Determination
from accountrules.validation import MAX_CASE_BYTES, parse_case_text

log = logging.getLogger("accountrules.server")

JSON_TYPE = "application/json"

#: The parts of the API open without a token.
OPEN_PATHS = frozenset({"/healthz"})


@dataclass(frozen=True)
class Limits:
    """How much one request may ask of the service."""

    #: The largest body of a single case, the CLI's limit for one case file.
    max_case_bytes: int = MAX_CASE_BYTES


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
            body["problems"] = [{"path": p.path, "message": p.message} for p in self.problems]
        return JSONResponse(body, status_code=self.status)


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
    engine = _engine(engine_or_pack)
    bounds = limits or Limits()
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

    app.openapi = _openapi_with_models(app)  # type: ignore[method-assign]
    return app


def _engine(engine_or_pack: Engine | str | Path | None) -> Engine:
    if isinstance(engine_or_pack, Engine):
        return engine_or_pack
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
    body = await _read_body(request, bounds.max_case_bytes)
    try:
        return await run_in_threadpool(parse_case_text, body)
    except CaseValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: CaseValidationError) -> _RequestProblem:
    """400 when the body is not a JSON document at all, 422 when it is one but not a valid case."""
    unreadable = any(_unreadable(p) for p in exc.problems)
    error = "the body is not a JSON document" if unreadable else "the case is not valid"
    return _RequestProblem(400 if unreadable else 422, error, exc.problems)


def _unreadable(problem: Problem) -> bool:
    return (
        problem.path.startswith("line ")
        or problem.message.startswith("not valid JSON")
        or problem.message.startswith("the input is empty")
        or "appears twice in one object" in problem.message
        or "nested too deeply" in problem.message
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


_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not a JSON document."},
    401: {"description": "A token is required and was missing or wrong."},
    413: {"description": "The body is larger than the limit of one case (5 MB)."},
    422: {"description": "The case is not valid: each problem names its JSON path and the fix."},
    500: {"description": "The evaluation failed; the body carries an error id to find in the server's log."},
}


def _case_body() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {JSON_TYPE: {"schema": {"$ref": "#/components/schemas/Case"}}},
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
