"""``accountrules serve``: the app over worker processes under uvicorn's supervisor, which replaces a worker that
ends (durable_rules evaluates one case at a time per process, so processes are what run cases in parallel)."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from accountrules.engine.compiled import DEFAULT_ENGINE
from accountrules.errors import UsageError
from accountrules.server.worker import (
    CORS_VARIABLE,
    ENGINE_VARIABLE,
    MAX_WORK_VARIABLE,
    RULES_VARIABLE,
    TOKEN_VARIABLE,
)

FACTORY = "accountrules.server.worker:app_from_environment"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_settings(host: str, port: int, workers: int, token: str | None) -> None:
    """Refuse settings that would expose the service or cannot work."""
    if not is_loopback(host) and not token:
        raise UsageError(
            f"--host {host} accepts connections from other machines, so it needs --token TOKEN "
            "(clients then send Authorization: Bearer TOKEN); or leave --host out to serve on 127.0.0.1"
        )
    if token is not None and len(token) < 16:
        raise UsageError("--token is shorter than 16 characters; use a long random value")
    if workers < 1:
        raise UsageError(f"--workers {workers}: give at least 1")
    if not 0 < port < 65536:
        raise UsageError(f"--port {port}: give a port between 1 and 65535")


def serve(
    host: str,
    port: int,
    workers: int,
    rules: str | None = None,
    token: str | None = None,
    cors_origins: tuple[str, ...] = (),
    max_work: int | None = None,
    runtime: str = DEFAULT_ENGINE,
) -> None:
    """Run the service until interrupted (Ctrl-C or SIGTERM); settings reach the workers through the
    environment. ``runtime`` matches the rules in every worker (`Engine.with_runtime`)."""
    check_settings(host, port, workers, token)
    from accountrules.api import Engine

    # a broken pack or an unknown runtime is an error before any worker starts
    (Engine.from_path(rules) if rules else Engine.default()).with_runtime(runtime)
    os.environ[RULES_VARIABLE] = rules or ""
    os.environ[TOKEN_VARIABLE] = token or ""
    os.environ[CORS_VARIABLE] = "\n".join(cors_origins)
    os.environ[MAX_WORK_VARIABLE] = "" if max_work is None else str(max_work)
    os.environ[ENGINE_VARIABLE] = runtime
    config = uvicorn.Config(FACTORY, factory=True, host=host, port=port, workers=workers, server_header=False)
    Multiprocess(config, sockets=[_bound(config, host, port)]).run()


def _bound(config: uvicorn.Config, host: str, port: int) -> socket.socket:
    """The listening socket of ``config``; an address that cannot be listened on (in use, not this machine's)
    is a `UsageError` saying why, where uvicorn would log the reason and exit with its own start-up status."""
    reasons: list[str] = []

    def keep(record: logging.LogRecord) -> bool:
        reasons.append(record.getMessage())
        return False  # said once, in the error below

    errors = logging.getLogger("uvicorn.error")
    errors.addFilter(keep)
    try:
        return config.bind_socket()
    except SystemExit:
        reason = reasons[-1] if reasons else "it could not be bound"
        raise UsageError(
            f"--port {port}: cannot listen on {host}:{port} ({reason}); "
            "choose another --port, or a --host that is an address of this machine"
        ) from None
    finally:
        errors.removeFilter(keep)
