"""The web page at ``/`` in a real browser: the service runs in this process on a free port, Debian's chromium
loads the page from it (the ``driver`` fixture of conftest.py), and the tests use the page as an officer would:
load an example or a file, fill in the form, evaluate, read the result, download.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine
from accountrules.render.explanation import explanation_text
from accountrules.server import create_app
from accountrules.tooling.explain import explain
from accountrules.validation import parse_case

ROOT = Path(__file__).resolve().parent.parent
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"
TOKEN = "a-long-enough-page-token"
WAIT = 60  # seconds the browser may take on a loaded machine before a wait gives up

pytestmark = pytest.mark.slow


def started(app: Any) -> tuple[Any, threading.Thread, str]:
    """``app`` served by uvicorn in a thread on a free port of 127.0.0.1."""
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    for _ in range(WAIT * 20):
        if server.started:
            break
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def service(engine: Engine) -> Iterator[str]:
    """The service's app (no token) on a free port, stopped after the module."""
    server, thread, base = started(create_app(engine))
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT)


def wait(driver: Any, script: str, *args: Any) -> Any:
    """The first truthy value of ``script`` in the page, polled until it comes."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(script, *args))


@pytest.fixture
def page(driver: Any, service: str) -> Any:
    """The page, freshly loaded and ready (its form built from the case's schema), the console log emptied."""
    driver.get_log("browser")
    driver.get(service + "/")
    wait(driver, "return document.body.dataset.ready === 'true'")
    return driver


def spec_case() -> dict[str, Any]:
    case: dict[str, Any] = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    return case


def load_example(page: Any, name: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(page.find_element("id", "example")).select_by_value(name)
    page.find_element("id", "load-example").click()
    wait(page, "return document.getElementById('status').textContent.includes(arguments[0])", name)


def evaluated(page: Any) -> Any:
    """Press Evaluate and wait for the determination to be drawn."""
    page.execute_script("document.getElementById('result').hidden = true")
    page.find_element("id", "evaluate").click()
    wait(page, "return !document.getElementById('result').hidden")
    return page


def field(page: Any, path: str) -> Any:
    """The field of the form for a JSON path of the case."""
    return page.find_element("css selector", f'[data-path="{path}"]')


def people_cells(page: Any) -> list[list[str]]:
    rows: list[list[str]] = page.execute_script(
        "return Array.from(document.querySelectorAll('#people tbody tr:not(.explanation)'))"
        ".map(tr => Array.from(tr.cells).slice(0, -1).map(td => td.textContent));"
    )
    return rows


def test_the_page_evaluates_an_example_without_console_errors(page: Any, engine: Engine) -> None:
    """Loading the spec example and evaluating it draws one row per person and one item per trace step, with
    nothing logged at warning level or above."""
    load_example(page, "spec-example")
    evaluated(page)
    determination = engine.evaluate(spec_case())
    rows = people_cells(page)
    assert [row[0] for row in rows] == [p.person for p in determination.people]
    assert [row[5] for row in rows] == ["2 第二种形态 second form", "3 第三种形态 third form", "3 第三种形态 third form"]
    steps = page.execute_script("return Array.from(document.querySelectorAll('#trace li code:first-child'))"
                                ".map(c => c.textContent)")
    assert steps == [s.rule for s in determination.trace]
    assert page.find_element("id", "organization").text == (
        "组织 Organization: 某县民政局 — 全面领导责任 overall leadership; 检查 inspection; 通报 public notice"
    )
    assert page.find_element("id", "dual").text == "一案双查 Dual investigation: 完整 complete; 已倒查 examined p1; p2"
    assert [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
