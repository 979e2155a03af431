"""The HTML report in a real browser: Debian's chromium, headless, with no network.

The tests read the page as the browser builds it (elements, their text, the geometry of the charts), never the
markup. It must load without console errors, draw its charts on whole-number axes with bars on the gridlines'
scale, show its Chinese text with real glyphs, show hostile names as text, filter its table and link to the
traces. With ``CI=true`` these tests run and never skip; elsewhere they skip when chromium
or chromedriver is not installed (``apt-get install chromium chromium-driver fonts-noto-cjk``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine
from accountrules.batch import ConsistencyReport, check_consistency
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.render.charts import STACKED
from accountrules.render.common import person_row
from accountrules.render.html import determination_html, report_html
from accountrules.validation import parse_case

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"


@pytest.fixture(scope="module")
def report(engine: Engine) -> ConsistencyReport:
    spec = CorpusSpec(cases=200, seed=31, patterns=20, drift=0.15, omissions=0.08, discretion=0.1, bad=0.02)
    return check_consistency([g.text for g in generate(spec, engine)], engine)


@pytest.fixture(scope="module")
def report_file(report: ConsistencyReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(report_html(report, source="archive.jsonl"), encoding="utf-8")
    return path


def opened(driver: Any, path: Path) -> Any:
    """A report opened from a file, the way a reviewer opens it, with the console log emptied first."""
    driver.get_log("browser")  # drop whatever the browser logged before
    driver.get(path.as_uri())
    return driver


@pytest.fixture
def page(driver: Any, report_file: Path) -> Any:
    """The report, freshly loaded for each test."""
    return opened(driver, report_file)


def spec_case(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    return {**case, **changes}


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


def bar_values(page: Any, chart: str) -> list[int]:
    return [int(v) for v in page.execute_script(BARS, chart)]


BARS = "return Array.from(document.querySelectorAll('#' + arguments[0] + ' rect')).map(b => b.dataset.value);"


def test_the_bars_stand_for_the_figures(page: Any, report: ConsistencyReport) -> None:
    """Years: one segment per non-zero verdict of each year, in stacking order; deviations: one bar per non-zero
    deviation; groups: the spread of the first ten groups."""
    years = [getattr(t, key) for t in report.by_year for key in STACKED if getattr(t, key)]
    deviations = [n for _, n in sorted((int(d), n) for d, n in report.deviations.items()) if n]
    assert bar_values(page, "chart-years") == years
    assert bar_values(page, "chart-deviation") == deviations
    assert bar_values(page, "chart-groups") == [g.spread for g in report.groups[:10]]


AXIS = """
const svg = document.getElementById(arguments[0]);
const ticks = Array.from(svg.querySelectorAll('text.tick')).map(t => {
  const b = t.getBBox(); return [t.textContent, b.y, b.y + b.height];
});
const grid = Array.from(svg.querySelectorAll('line.grid')).map(l => [
  l.dataset.value, l.y1.baseVal.value, l.y2.baseVal.value, l.x1.baseVal.value, l.x2.baseVal.value]);
const bars = Array.from(svg.querySelectorAll('rect')).map(r => {
  const b = r.getBBox(); return [Number(r.dataset.value), b.x, b.y, b.width, b.height];
});
return [ticks, grid, bars];
"""


def axis(page: Any, chart: str) -> tuple[list[Any], list[Any], list[Any]]:
    ticks, grid, bars = page.execute_script(AXIS, chart)
    return ticks, grid, bars


@pytest.mark.parametrize("chart", ["chart-years", "chart-deviation"])
def test_count_axes_are_whole_numbers_at_a_round_step(page: Any, report: ConsistencyReport, chart: str) -> None:
    """The tick labels read 0, s, 2s … with s a round step, and the last is the first at or above the peak."""
    ticks, _, _ = axis(page, chart)
    values = [int(text.replace(",", "")) for text, _, _ in ticks]
    step = values[1]
    assert values == list(range(0, values[-1] + 1, step))
    assert str(step).strip("0") in ("1", "2", "5")
    peak = max(
        [sum(getattr(t, key) for key in STACKED) for t in report.by_year]
        if chart == "chart-years"
        else list(report.deviations.values())
    )
    assert values[-1] - step < peak <= values[-1]


@pytest.mark.parametrize("chart", ["chart-years", "chart-deviation"])
def test_gridlines_are_drawn_at_the_ticks(page: Any, chart: str) -> None:
    """One horizontal gridline per tick label, running through the label."""
    ticks, grid, _ = axis(page, chart)
    assert [int(v) for v, *_ in grid] == [int(text.replace(",", "")) for text, _, _ in ticks]
    for (_, above, below), (_, y1, y2, _, _) in zip(ticks, grid, strict=True):
        assert y1 == y2
        assert above < y1 < below


@pytest.mark.parametrize("chart", ["chart-years", "chart-deviation"])
def test_bars_are_measured_on_the_scale_of_the_gridlines(page: Any, chart: str) -> None:
    """A bar of n is as tall as n units of the gridlines' scale, and each bar or stack stands on the 0 line or on
    the segment below it."""
    _, grid, bars = axis(page, chart)
    zero, top = grid[0][1], grid[-1][1]
    unit = (zero - top) / int(grid[-1][0])
    floors: dict[float, float] = {}
    for value, x, y, _, height in bars:
        assert height == pytest.approx(value * unit, abs=0.05)
        floor = floors.get(round(x, 1), zero)
        assert y + height == pytest.approx(floor, abs=0.05)
        floors[round(x, 1)] = y


def test_the_groups_chart_measures_spreads_in_forms(page: Any) -> None:
    """Vertical gridlines at 0 … 4 forms; a bar of spread s ends at the gridline labelled s."""
    ticks, grid, bars = axis(page, "chart-groups")
    assert [text for text, _, _ in ticks] == ["0", "1", "2", "3", "4"]
    at = {int(v): x1 for v, _, _, x1, _ in grid}
    for value, x, _, width, _ in bars:
        assert x == pytest.approx(at[0], abs=0.05)
        assert x + width == pytest.approx(at[value], abs=0.05)


def test_small_counts_read_one_by_one(driver: Any, engine: Engine, tmp_path: Path) -> None:
    """Three people within range: the ticks read 0, 1, 2, 3 and the bar reaches the gridline of 3."""
    records = spec_case(recorded={p: {"form": f} for p, f in (("p1", 2), ("p2", 3), ("p3", 3))})
    path = tmp_path / "small.html"
    path.write_text(report_html(check_consistency([records], engine)), encoding="utf-8")
    page = opened(driver, path)
    for chart in ("chart-years", "chart-deviation"):
        ticks, grid, bars = axis(page, chart)
        assert [text for text, _, _ in ticks] == ["0", "1", "2", "3"]
        assert [value for value, *_ in bars] == [3]
        assert bars[0][2] == pytest.approx(grid[-1][1], abs=0.05)


def test_every_listed_person_links_to_their_case(page: Any, report: ConsistencyReport) -> None:
    """Each row of the table links to the section of its case, which names the person."""
    rows = page.execute_script(
        """
        return Array.from(document.querySelectorAll('#people tbody tr')).map(tr => {
          const link = tr.querySelector('td a');
          const section = document.getElementById(link.hash.slice(1));
          return [tr.dataset.verdict, link.textContent, tr.querySelector('td:nth-child(2) code').textContent,
                  section.tagName, section.querySelector('h3').textContent,
                  Array.from(section.querySelectorAll('summary code')).map(c => c.textContent)];
        });
        """
    )
    assert len(rows) == len(report.flagged) + len(report.omitted_leaders)
    for _, case_id, person, tag, heading, people in rows:
        assert (tag, heading) == ("SECTION", case_id)
        assert person in people
    expected = sorted([p.verdict for p in report.flagged] + ["omitted"] * len(report.omitted_leaders))
    assert sorted(verdict for verdict, *_ in rows) == expected


def test_labels_are_bilingual(page: Any) -> None:
    """Headings, legend, verdicts and tallies in Chinese with English beside."""
    text = page.find_element("tag name", "body").text
    for shown in (
        "问责一致性检查报告 Accountability consistency report",
        "偏轻 too lenient",
        "偏重 too harsh",
        "遗漏问责 omitted leader",
        "按单位层级 By unit level",
        "县级 county",
        "需复核的人员 People to review",
    ):
        assert shown in text


def test_bad_records_are_listed_with_where_they_are(page: Any, report: ConsistencyReport) -> None:
    """The table of bad records has one row per bad record: where it is in the archive (a list here: its
    index), its case and its error."""
    cells = page.execute_script(
        "return Array.from(document.querySelectorAll('#bad-records tbody tr'))"
        ".map(tr => Array.from(tr.cells).map(td => td.textContent));"
    )
    assert report.bad_records
    assert cells == [[f"index {b.index}", b.case_id or "", b.error] for b in report.bad_records]


def test_hostile_names_are_shown_as_text(driver: Any, engine: Engine, tmp_path: Path) -> None:
    """A case id, a name and an archive name made of markup are shown as written and never run."""
    case = spec_case(case_id="<script>window.pwned=1</script>", recorded={"p2": {"form": 1}})
    case["people"][1]["name"] = '<img src=x onerror="window.pwned = 2">'
    path = tmp_path / "hostile.html"
    path.write_text(report_html(check_consistency([case], engine), source="<b>archive</b>"), encoding="utf-8")
    page = opened(driver, path)
    found = page.execute_script(
        """
        return [window.pwned === undefined, document.querySelectorAll('img, b#x, main script').length,
                document.getElementById('source').textContent,
                document.querySelector('#people tbody tr td a').textContent,
                Array.from(document.querySelectorAll('#people tbody td:nth-child(2)')).map(td => td.textContent)];
        """
    )
    assert found == [
        True,
        0,
        f"档案 Archive: <b>archive</b> · 规则包 Rule pack: default 2019.1 ({engine.pack.digest[:19]}…)",
        "<script>window.pwned=1</script>",
        ["张某 p1", '<img src=x onerror="window.pwned = 2"> p2'],
    ]


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


def test_a_determination_page_shows_the_table_and_the_trace(driver: Any, engine: Engine, tmp_path: Path) -> None:
    """``evaluate -f html``: one row per person with the text view's cells, one item per trace step, and a
    hostile name shown as written."""
    case = spec_case()
    case["people"][1]["name"] = '<img src=x onerror="window.pwned = 3">'
    parsed = parse_case(case)
    determination = engine.evaluate_valid(parsed)
    path = tmp_path / "determination.html"
    path.write_text(determination_html(determination, parsed), encoding="utf-8")
    page = opened(driver, path)
    rows, steps, unsafe = page.execute_script(
        """
        return [Array.from(document.querySelectorAll('#people tbody tr'))
                  .map(tr => Array.from(tr.cells).map(td => td.textContent)),
                Array.from(document.querySelectorAll('#trace li')).map(li => li.querySelector('code').textContent),
                [window.pwned === undefined, document.querySelectorAll('img').length]];
        """
    )
    assert rows == [list(person_row(p)) for p in determination.people]
    assert rows[1][0] == '<img src=x onerror="window.pwned = 3"> p2'
    assert steps == [s.rule for s in determination.trace]
    assert unsafe == [True, 0]
