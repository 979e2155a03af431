"""The app of one worker process of ``accountrules serve``, made from the settings ``serve`` leaves in the
environment (each worker is a fresh process started by uvicorn's supervisor)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from accountrules.api import Engine
from accountrules.server.app import Limits, create_app

#: Where ``serve`` leaves its settings for the worker processes.
RULES_VARIABLE = "ACCOUNTRULES_SERVE_RULES"
TOKEN_VARIABLE = "ACCOUNTRULES_SERVE_TOKEN"
CORS_VARIABLE = "ACCOUNTRULES_SERVE_CORS_ORIGINS"
MAX_WORK_VARIABLE = "ACCOUNTRULES_SERVE_MAX_WORK"
ENGINE_VARIABLE = "ACCOUNTRULES_SERVE_ENGINE"


def app_from_environment() -> FastAPI:
    """The app with the rule pack, runtime, token, CORS origins and work limit ``serve`` was given; ends itself if
    its engine stalls."""
    origins = [o for o in os.environ.get(CORS_VARIABLE, "").split("\n") if o]
    max_work = os.environ.get(MAX_WORK_VARIABLE)
    rules = os.environ.get(RULES_VARIABLE)
    engine = Engine.from_path(rules) if rules else Engine.default()
    return create_app(
        engine.with_runtime(os.environ.get(ENGINE_VARIABLE) or engine.runtime),
        token=os.environ.get(TOKEN_VARIABLE) or None,
        cors_origins=origins,
        limits=Limits(max_work=int(max_work)) if max_work else None,
        exit_when_stalled=True,
    )
