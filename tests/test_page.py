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
from accountrules.models import Case
from accountrules.render.explanation import explanation_text
from accountrules.server import create_app
from accountrules.tooling.explain import explain
from accountrules.validation import parse_case
from accountrules.vocabulary import Role, UnitLevel, form_label, meaning, measure_label

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
    assert [row[5] for row in rows] == [
        "2 第二种形态 second form",
        "3 第三种形态 third form",
        "3 第三种形态 third form",
    ]
    steps = page.execute_script(
        "return Array.from(document.querySelectorAll('#trace li code:first-child')).map(c => c.textContent)"
    )
    assert steps == [s.rule for s in determination.trace]
    assert page.find_element("id", "organization").text == (
        "组织 Organization: 某县民政局 — 全面领导责任 overall leadership responsibility; "
        "检查 written self-examination; 通报 circulated notice"
    )
    assert page.find_element("id", "dual").text == "一案双查 Dual investigation: 完整 complete; 已倒查 examined p1; p2"
    assert [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []


def typed(page: Any, path: str, text: str) -> None:
    """``text`` typed into the input of the field at ``path`` (emptied first)."""
    box = field(page, path).find_element("css selector", "input")
    box.clear()
    box.send_keys(text)


def chosen(page: Any, path: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(field(page, path).find_element("css selector", "select")).select_by_value(value)


def ticked(page: Any, path: str, value: str) -> None:
    field(page, path).find_element("css selector", f'input[value="{value}"]').click()


def added(page: Any, path: str) -> None:
    """Press the add button of the list at ``path``."""
    field(page, path).find_element("css selector", ":scope > button").click()


def test_a_new_case_filled_in_the_form_is_evaluated(page: Any, engine: Engine) -> None:
    """A case typed into an empty form gets the determination the library gives the same case."""
    page.find_element("id", "new-case").click()
    typed(page, "case_id", "2024-001")
    typed(page, "unit.name", "某镇人民政府")
    chosen(page, "unit.level", "township")
    typed(page, "decided_on", "2024-05-01")
    added(page, "people")
    added(page, "people")
    typed(page, "people[0].id", "p1")
    ticked(page, "people[0].roles", "principal_leader")
    typed(page, "people[1].id", "p2")
    ticked(page, "people[1].roles", "staff")
    added(page, "violations")
    typed(page, "violations[0].id", "v1")
    chosen(page, "violations[0].kind", "harming_public_interest")
    chosen(page, "violations[0].severity", "ordinary")
    chosen(page, "violations[0].area", "agricultural_subsidies")
    typed(page, "violations[0].offenders", "p2")
    field(page, "violations[0].lifesaving_funds").find_element("css selector", "input").click()
    added(page, "conduct")
    typed(page, "conduct[0].person", "p1")
    typed(page, "conduct[0].violation", "v1")
    ticked(page, "conduct[0].acts", "failed_to_stop")
    evaluated(page)
    case = {
        "case_id": "2024-001",
        "unit": {"name": "某镇人民政府", "level": "township"},
        "decided_on": "2024-05-01",
        "people": [{"id": "p1", "roles": ["principal_leader"]}, {"id": "p2", "roles": ["staff"]}],
        "violations": [
            {
                "id": "v1",
                "kind": "harming_public_interest",
                "severity": "ordinary",
                "area": "agricultural_subsidies",
                "offenders": ["p2"],
                "lifesaving_funds": True,
            }
        ],
        "conduct": [{"person": "p1", "violation": "v1", "acts": ["failed_to_stop"]}],
    }
    determination = engine.evaluate(case)
    assert page.execute_script("return document.getElementById('result-case').textContent") == "2024-001"
    assert [(row[0], row[5], row[6]) for row in people_cells(page)] == [
        (p.person, f"{p.form} {form_label(p.form)}", measure_label(p.measure or "none")) for p in determination.people
    ]
    assert len(determination.people) == 2


def test_a_validation_problem_is_shown_next_to_its_field(page: Any) -> None:
    """An offender who is not in the case: the service's problem appears inside the field of the offenders, and
    nowhere else."""
    load_example(page, "spec-example")
    typed(page, "violations[0].offenders", "p9")
    page.find_element("id", "evaluate").click()
    wait(page, "return document.querySelector('.problem')")
    case = spec_case()
    case["violations"][0]["offenders"] = ["p9"]
    with pytest.raises(ValueError, match="p9") as raised:
        parse_case(case)
    (problem,) = raised.value.problems  # type: ignore[attr-defined]
    shown = page.execute_script(
        "return Array.from(document.querySelectorAll('.problem'))"
        ".map(p => [p.closest('[data-path]').dataset.path, p.textContent]);"
    )
    assert shown == [["violations[0].offenders", f"{problem.path}: {problem.message}"]]
    assert page.find_element("id", "result").get_attribute("hidden") == "true"


def test_the_explanation_of_a_person_is_what_explain_prints(page: Any, engine: Engine) -> None:
    """Pressing a person's explain button shows, below their row, the text `accountrules explain` prints."""
    load_example(page, "spec-example")
    evaluated(page)
    page.find_element("css selector", 'button[data-person="p1"]').click()
    shown = wait(page, "const e = document.querySelector('pre.explanation'); return e && e.textContent")
    assert shown == explanation_text(explain(engine, parse_case(spec_case()), "p1"))


def downloaded(folder: Path, name: str) -> bytes:
    """The bytes of a finished download (chromium writes a .crdownload file first)."""
    for _ in range(WAIT * 10):
        if (folder / name).exists() and not list(folder.glob("*.crdownload")):
            break
        time.sleep(0.1)
    return (folder / name).read_bytes()


def test_the_case_and_the_determination_are_downloaded(page: Any, engine: Engine, tmp_path: Path) -> None:
    """The determination downloads as the bytes `accountrules evaluate --format json` prints; the case downloads
    as JSON that validates to the case that was loaded."""
    page.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    load_example(page, "spec-example")
    evaluated(page)
    page.find_element("id", "download-determination").click()
    page.find_element("id", "download-case").click()
    determination = downloaded(tmp_path, "2023-017-determination.json")
    case = downloaded(tmp_path, "2023-017.json")
    assert determination == (engine.evaluate(spec_case()).to_json() + "\n").encode()
    assert parse_case(json.loads(case)) == parse_case(spec_case())


def test_a_yaml_file_is_loaded_into_the_form(page: Any, engine: Engine, tmp_path: Path) -> None:
    """A YAML case file chosen from disk fills the form, and evaluating it gives its determination."""
    import yaml

    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(spec_case(), allow_unicode=True), encoding="utf-8")
    page.find_element("id", "file").send_keys(str(path))
    wait(page, "return document.getElementById('status').textContent.includes('case.yaml')")
    assert field(page, "unit.name").find_element("css selector", "input").get_attribute("value") == "某县民政局"
    evaluated(page)
    assert [row[0] for row in people_cells(page)] == ["p1", "p2", "p3"]


def test_a_broken_yaml_file_is_refused_with_its_line(page: Any, tmp_path: Path) -> None:
    """A YAML file that is not a case says which line is wrong, and the form stays as it was."""
    path = tmp_path / "broken.yaml"
    path.write_text("case_id: x\nunit: [unclosed\n", encoding="utf-8")
    page.find_element("id", "file").send_keys(str(path))
    shown = wait(page, "const t = document.getElementById('status').textContent; return t.includes('broken') && t")
    assert shown.startswith("broken.yaml: line 3: not valid YAML")


def test_no_asset_is_fetched_from_another_origin(page: Any, service: str) -> None:
    """After loading and evaluating an example, every resource the browser fetched came from the service."""
    load_example(page, "spec-example")
    evaluated(page)
    fetched = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert fetched
    assert [name for name in fetched if not name.startswith(service + "/")] == []
    assert {name.split("?")[0].removeprefix(service) for name in fetched} >= {
        "/page/page.css",
        "/page/page.js",
        "/v1/schema/case",
        "/v1/evaluate",
    }


def test_with_a_token_the_page_asks_for_it_and_then_works(driver: Any, engine: Engine) -> None:
    """The page of a service with a token loads, says a token is needed, and evaluates once it is entered."""
    server, thread, base = started(create_app(engine, token=TOKEN))
    try:
        driver.get(base + "/")
        said = wait(driver, "return document.getElementById('status').textContent")
        assert said.startswith("需要令牌 A token is needed")
        box = driver.find_element("id", "token")
        box.send_keys(TOKEN)
        driver.find_element("id", "example").click()  # leaving the token's box tells the page it changed
        wait(driver, "return document.body.dataset.ready === 'true'")
        load_example(driver, "spec-example")
        evaluated(driver)
        assert [row[0] for row in people_cells(driver)] == ["p1", "p2", "p3"]
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT)


def schema_paths(schema: dict[str, Any], defs: dict[str, Any], path: str = "") -> list[str]:
    """The JSON path of every field of ``schema``, lists taken at their first item, maps left at the map."""
    found = []
    for key, prop in schema["properties"].items():
        here = f"{path}.{key}" if path else key
        found.append(here)
        options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
        target = options[0]
        target = defs[target["$ref"].split("/")[-1]] if "$ref" in target else target
        items = target.get("items", {})
        if "$ref" in items:
            found += schema_paths(defs[items["$ref"].split("/")[-1]], defs, f"{here}[0]")
        elif "properties" in target:
            found += schema_paths(target, defs, here)
    return found


def test_the_form_has_a_field_for_every_field_of_a_case(page: Any) -> None:
    """With one item added to each list, the form holds exactly one field per property of the case's schema."""
    page.find_element("id", "new-case").click()
    for path in ("people", "violations", "conduct", "decisions"):
        added(page, path)
    shown = page.execute_script(
        "return Array.from(document.querySelectorAll('#case-form [data-path]')).map(e => e.dataset.path)"
        ".filter(p => p && !/\\]$/.test(p));"
    )
    schema = Case.model_json_schema()
    assert sorted(shown) == sorted(schema_paths(schema, schema["$defs"]))


def test_a_hostile_name_is_shown_as_text(page: Any) -> None:
    """A name made of markup is shown as written in the table and never run."""
    load_example(page, "spec-example")
    typed(page, "people[1].name", '<img src=x onerror="window.pwned = 1">')
    evaluated(page)
    assert [row[1] for row in people_cells(page)] == ["张某", '<img src=x onerror="window.pwned = 1">', "王某"]
    assert page.execute_script("return [window.pwned === undefined, document.querySelectorAll('img').length]") == [
        True,
        0,
    ]


def test_every_field_of_the_determination_is_drawn(page: Any, engine: Engine) -> None:
    """The people table has a column per field of a person's result, headed by its Chinese term and name; the
    further lists of the determination (rules in force, notes) are drawn as tables, one row per entry."""
    load_example(page, "spec-example")
    evaluated(page)
    determination = engine.evaluate(spec_case())
    schema = determination.model_json_schema(mode="serialization")
    person = schema["$defs"]["PersonResult"]["properties"]
    headers = page.execute_script(
        "return Array.from(document.querySelectorAll('#people thead th')).map(th => th.textContent)"
    )
    assert headers == [f"{p['description'].split()[0]} {k.replace('_', ' ')}" for k, p in person.items()] + [
        "解释 Explanation"
    ]
    tables = page.execute_script(
        "return Array.from(document.querySelectorAll('#more table')).map(t => [t.id, t.tBodies[0].rows.length])"
    )
    assert tables == [["rules_in_force", len(determination.rules_in_force)], ["notes", len(determination.notes)]]
    notes = page.execute_script(
        "return Array.from(document.querySelectorAll('#notes tbody tr'))"
        ".map(tr => Array.from(tr.cells).map(td => td.textContent));"
    )
    assert notes == [[n.code, n.message, n.person or "—", n.violation or "—"] for n in determination.notes]
    assert notes


def test_a_value_of_the_form_says_what_it_means(page: Any) -> None:
    """Hovering a unit level or a role in the form shows what the vocabulary says it means."""
    level = page.execute_script(
        'return document.querySelector(\'[data-path="unit.level"] option[value="county"]\').title'
    )
    assert level == meaning("county", UnitLevel) != ""
    added(page, "people")
    title = page.execute_script(
        'return document.querySelector(\'[data-path="people[0].roles"] input[value="staff"]\').parentNode.title'
    )
    assert title == meaning("staff", Role) != ""
