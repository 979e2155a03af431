"""The HTML report as a file: self-contained, deterministic, drawn from templates shipped in the package, on
count axes with whole-number ticks. What the page shows is tested in a browser (test_report_browser.py)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountrules import Engine
from accountrules.batch import ConsistencyReport, check_consistency
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.render.charts import count_ticks
from accountrules.render.html import report_html

SPEC_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cases" / "spec-example.json"


@pytest.fixture(scope="module")
def report(engine: Engine) -> ConsistencyReport:
    spec = CorpusSpec(cases=150, seed=23, patterns=15, drift=0.2, omissions=0.1, discretion=0.1, bad=0.02)
    return check_consistency([g.text for g in generate(spec, engine)], engine)


@pytest.fixture(scope="module")
def html(report: ConsistencyReport) -> str:
    return report_html(report, source="archive.jsonl")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each <style> and <script>."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, list[str]] = {"style": [], "script": []}
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in self.inline else None

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.inline[self._open].append(data)


def test_the_report_fetches_nothing(html: str) -> None:
    """No element loads anything from elsewhere: no link, no source or address outside the page, one inline
    script and style that import nothing."""
    page = Elements(html)
    addresses = [value for _, attrs in page.tags for name, value in attrs.items() if name in ("src", "href")]
    assert [tag for tag, _ in page.tags if tag in ("link", "img", "iframe", "object", "embed")] == []
    assert [a for a in addresses if not (a or "").startswith("#")] == []
    assert [attrs for tag, attrs in page.tags if tag == "script"] == [{}]
    inline = "".join(page.inline["style"] + page.inline["script"])
    assert "url(" not in inline
    assert "@import" not in inline
    assert "fetch(" not in inline


def test_the_same_report_gives_the_same_bytes(report: ConsistencyReport, html: str) -> None:
    """No timestamps or random ids: a report can be compared with the one before."""
    assert report_html(report, source="archive.jsonl") == html


def test_the_templates_are_package_data() -> None:
    """The pages, their pieces, style and script ship inside the package."""
    templates = files("accountrules.render") / "templates"
    assert sorted(t.name for t in templates.iterdir() if t.is_file()) == [
        "consistency.html.j2",
        "determination.html.j2",
        "macros.html.j2",
        "report.css",
        "report.js",
    ]


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (0, (0, 1)),
        (1, (0, 1)),
        (3, (0, 1, 2, 3)),
        (5, (0, 1, 2, 3, 4, 5)),
        (6, (0, 2, 4, 6)),
        (7, (0, 2, 4, 6, 8)),
        (11, (0, 5, 10, 15)),
        (99, (0, 20, 40, 60, 80, 100)),
        (4624, (0, 1000, 2000, 3000, 4000, 5000)),
    ],
)
def test_count_axes_tick_whole_numbers_at_a_round_step(peak: int, ticks: tuple[int, ...]) -> None:
    """Ticks from 0 at the smallest step of 1, 2 or 5 × 10ⁿ with at most five intervals, up to the peak or above."""
    assert count_ticks(peak) == ticks


@settings(deadline=None)  # a property of the ticks, not of their speed: a loaded machine must not fail it
@given(st.integers(min_value=0, max_value=10**12))
def test_count_axes_always_cover_the_peak_tightly(peak: int) -> None:
    """For any peak: at most five equal intervals of a round step, the top tick the first at or above the peak."""
    ticks = count_ticks(peak)
    step = ticks[1]
    assert ticks == tuple(range(0, ticks[-1] + 1, step))
    assert len(ticks) - 1 <= 5
    assert str(step).rstrip("0") in ("1", "2", "5")
    assert ticks[-1] - step < max(peak, 1) <= ticks[-1]


def test_a_flagged_row_shows_recorded_and_recommended_government_sanctions(engine: Engine) -> None:
    """Beside each measure the report shows the government sanction, the record's and the recommended one."""
    case = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    case["recorded"]["p2"] = {"form": 2, "measure": "serious_warning", "government_sanction": "gov_demerit"}
    html = report_html(check_consistency([case], engine), source="one.json")
    assert "第二种形态 second form · 严重警告 serious warning · 政务处分 记过 demerit" in html
    assert "档 band [3,3] · 撤销党内职务 removal from party post · 政务处分 撤职 removal from office" in html
