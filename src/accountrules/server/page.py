"""The web page at ``/``: one HTML file, its script and its style sheet, shipped in ``accountrules/server/page``
and served by the app itself (nothing is fetched from another origin; the Content-Security-Policy says so to the
browser). The page builds its form from ``GET /v1/schema/case`` and calls the ``/v1`` API."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

from fastapi import FastAPI
from starlette.responses import Response

#: The page's files, by the name the page asks for, with their media types.
ASSETS = {"page.js": "text/javascript; charset=utf-8", "page.css": "text/css; charset=utf-8"}

#: The paths of the page; they are open without a token (the page asks for the token and sends it to the API).
PAGE_PATHS = frozenset({"/", *(f"/page/{name}" for name in ASSETS)})

#: The browser may load scripts, styles and data only from the service itself.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@cache
def _read(name: str) -> bytes:
    return resources.files("accountrules.server").joinpath("page").joinpath(name).read_bytes()


def add_page(app: FastAPI) -> None:
    """Serve the page at ``/`` and its files under ``/page/``."""

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        return Response(_read("index.html"), media_type="text/html; charset=utf-8", headers=HEADERS)

    for name, media_type in ASSETS.items():
        app.add_api_route(f"/page/{name}", _asset(name, media_type), methods=["GET"], include_in_schema=False)


def _asset(name: str, media_type: str) -> Callable[[], Response]:
    def asset() -> Response:
        return Response(_read(name), media_type=media_type, headers=HEADERS)

    return asset
