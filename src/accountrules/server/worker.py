"""The app of one worker process of ``accountrules serve``, made from the settings ``serve`` leaves in the
environment (each worker is a fresh process started by uvicorn's supervisor)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from accountrules.server.app import create_app

#: Where ``serve`` leaves its settings for the worker processes.
RULES_VARIABLE = "ACCOUNTRULES_SERVE_RULES"
TOKEN_VARIABLE = "ACCOUNTRULES_SERVE_TOKEN"
CORS_VARIABLE = "ACCOUNTRULES_SERVE_CORS_ORIGINS"


def app_from_environment() -> FastAPI:
    """The app with the rule pack, token and CORS origins ``serve`` was given; ends itself if its engine stalls."""
    origins = [o for o in os.environ.get(CORS_VARIABLE, "").split("\n") if o]
    return create_app(
        os.environ.get(RULES_VARIABLE) or None,
        token=os.environ.get(TOKEN_VARIABLE) or None,
        cors_origins=origins,
        exit_when_stalled=True,
    )
