"""The HTML report in a real browser: Debian's chromium, headless, with no network.

It must load without console errors, draw its charts, show its Chinese text with real glyphs, filter its table
and link to the traces. With ``CI=true`` these tests run and never skip; elsewhere they skip when chromium
or chromedriver is not installed (``apt-get install chromium chromium-driver fonts-noto-cjk``).
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine
from accountrules.batch import ConsistencyReport, check_consistency
from accountrules.batch.report import report_html
from accountrules.batch.synth import CorpusSpec, generate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1280,1600",
)


def unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        unavailable("chromium or chromedriver is not installed")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium look for a browser or driver online
    profile = tempfile.mkdtemp(prefix="accountrules-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def report(engine: Engine) -> ConsistencyReport:
    spec = CorpusSpec(cases=200, seed=31, patterns=20, drift=0.15, omissions=0.08, discretion=0.1)
    return check_consistency([g.text for g in generate(spec, engine)], engine)


@pytest.fixture(scope="module")
def page(driver: Any, report: ConsistencyReport, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The report, opened from a file (the way a reviewer opens it); the console log starts empty."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(report_html(report, source="archive.jsonl"), encoding="utf-8")
    driver.get_log("browser")  # drop whatever the browser logged before
    driver.get(path.as_uri())
    return driver


def test_the_report_loads_without_console_errors(page: Any) -> None:
    """Nothing is logged at warning level or above (a script error, a refused fetch, a missing resource)."""
    problems = [entry for entry in page.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert problems == []
    assert page.execute_script("return document.readyState") == "complete"


@pytest.mark.parametrize("chart", ["chart-years", "chart-deviation", "chart-groups"])
def test_each_chart_is_drawn(page: Any, chart: str) -> None:
    """Each SVG chart has a size on the page and bars in it."""
    box = page.execute_script(
        "const e = document.getElementById(arguments[0]); const r = e.getBoundingClientRect();"
        "return [r.width, r.height, e.querySelectorAll('rect').length,"
        " Array.from(e.querySelectorAll('rect')).filter(b => b.getBBox().height > 0).length];",
        chart,
    )
    width, height, bars, drawn = box
    assert width > 250
    assert height > 40
    assert bars > 0
    assert drawn == bars


def test_the_chinese_text_is_drawn_with_real_glyphs(page: Any) -> None:
    """A CJK font is there, and two different characters in the page's font come out as different, inked
    shapes (missing glyphs would be identical boxes)."""
    assert page.execute_script("return document.fonts.check('16px \"Noto Sans CJK SC\"', '问责')")
    shapes = page.execute_script(
        """
        const family = getComputedStyle(document.body).fontFamily;
        function shape(ch) {
          const c = document.createElement('canvas'); c.width = 48; c.height = 48;
          const g = c.getContext('2d'); g.font = '40px ' + family; g.fillStyle = '#000';
          g.fillText(ch, 2, 40);
          const data = g.getImageData(0, 0, 48, 48).data;
          let ink = 0; for (let i = 3; i < data.length; i += 4) { if (data[i] > 128) ink += 1; }
          return [c.toDataURL(), ink, g.measureText(ch).width];
        }
        return [shape('问'), shape('责'), shape('x')];
        """
    )
    (wen, wen_ink, wen_width), (ze, ze_ink, _), (_, _, x_width) = shapes
    assert wen != ze
    assert wen_ink > 100
    assert ze_ink > 100
    assert wen_width > 1.5 * x_width  # full-width glyphs, not narrow fallbacks


def test_the_chinese_heading_is_inked_on_screen(page: Any) -> None:
    """A screenshot of the Chinese title is not blank."""
    element = page.find_element("css selector", "h1")
    ink = pixels_inked(page, element.screenshot_as_png)
    assert ink > 0.04


def test_search_and_verdict_filter_narrow_the_table(page: Any, report: ConsistencyReport) -> None:
    """Choosing a verdict shows exactly its rows; typing a case id shows that case's rows."""
    from selenium.webdriver.support.ui import Select

    def visible() -> int:
        return int(page.execute_script("return document.querySelectorAll('#people tbody tr:not([hidden])').length"))

    total = len(report.flagged) + len(report.omitted_leaders)
    assert visible() == total
    Select(page.find_element("id", "verdict-filter")).select_by_value("too_harsh")
    assert visible() == sum(1 for p in report.flagged if p.verdict == "too_harsh")
    Select(page.find_element("id", "verdict-filter")).select_by_value("")
    case_id = report.flagged[0].case_id
    box = page.find_element("id", "search")
    box.send_keys(case_id)
    expected = sum(1 for p in report.flagged if p.case_id == case_id) + sum(
        1 for o in report.omitted_leaders if o.case_id == case_id
    )
    assert visible() == expected
    assert page.find_element("id", "shown").text == str(expected)
    box.clear()
    box.send_keys(" ")  # an input event with nothing to match: every row again
    assert visible() == total


def test_a_flagged_person_links_to_the_reasoning_trace(page: Any, report: ConsistencyReport) -> None:
    """Following a row's case link lands on the case, whose trace lists the person's rules."""
    link = page.find_element("css selector", "#people tbody tr a")
    anchor = link.get_attribute("href").split("#")[1]
    link.click()
    assert page.execute_script("return location.hash") == f"#{anchor}"
    section = page.find_element("id", anchor)
    assert section.is_displayed()
    first = report.flagged[0]
    for step in first.trace:
        assert step.rule in section.text


def test_a_full_page_screenshot(page: Any, tmp_path: Path) -> None:
    """The whole report as a PNG: the window's size, mostly light, with enough ink to be a report."""
    shot = tmp_path / "report.png"
    assert page.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == tuple(page.execute_script("return [window.innerWidth, window.innerHeight]"))
    assert 0.02 < pixels_inked(page, data) < 0.6


def pixels_inked(page: Any, png: bytes) -> float:
    """The share of a PNG's pixels that are clearly not white, measured by the browser itself."""
    return float(
        page.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            const img = new Image();
            img.onload = () => {
              const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
              const g = c.getContext('2d'); g.drawImage(img, 0, 0);
              const d = g.getImageData(0, 0, c.width, c.height).data;
              let ink = 0;
              for (let i = 0; i < d.length; i += 4) { if (d[i] + d[i + 1] + d[i + 2] < 600) ink += 1; }
              done(ink / (c.width * c.height));
            };
            img.onerror = () => done(-1);
            img.src = 'data:image/png;base64,' + arguments[0];
            """,
            base64.b64encode(png).decode("ascii"),
        )
    )
