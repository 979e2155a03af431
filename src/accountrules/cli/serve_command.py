"""``accountrules serve``: the HTTP service (needs the ``server`` extra)."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from accountrules.cli.common import (
    DEFAULT_MAX_WORK,
    EngineOption,
    MaxWorkOption,
    RuleEngine,
    RulesOption,
    fail,
    user_errors,
)


def register(app: typer.Typer) -> None:
    """Add the serve command to ``app``."""
    app.command("serve")(serve)


def serve(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address to listen on; one other than loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        Optional[int],  # noqa: UP045 - typer reads this annotation at run time on Python 3.10
        typer.Option(help="Worker processes, each evaluating one case at a time (default: the number of cores)."),
    ] = None,
    rules: RulesOption = None,
    token: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            metavar="TOKEN",
            help="Require Authorization: Bearer TOKEN on every endpoint but /healthz.",
            envvar="ACCOUNTRULES_TOKEN",
        ),
    ] = None,
    cors_origin: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--cors-origin", metavar="ORIGIN", help="An origin a browser may call the API from (repeat for more)."
        ),
    ] = None,
    max_work: MaxWorkOption = DEFAULT_MAX_WORK,
    runtime: EngineOption = RuleEngine.durable,
) -> None:
    """服务 Serve the web page at / and the JSON API under /v1 over HTTP (127.0.0.1:8000 by default)."""
    try:
        from accountrules.server.run import serve as run_service
    except ImportError as exc:
        raise fail(
            f"the service needs the server extra ({exc.name} is not installed): pip install 'accountrules[server]'"
        ) from None
    with user_errors():
        run_service(
            host,
            port,
            workers or os.cpu_count() or 1,
            str(rules) if rules else None,
            token,
            tuple(cors_origin or ()),
            max_work,
            runtime.value,
        )
