"""The HTML report as a document: self-contained, bilingual, every flagged person linked to their case."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine
from accountrules.batch import ConsistencyReport, check_consistency
from accountrules.batch.report import report_html
from accountrules.batch.synth import CorpusSpec, generate

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"


@pytest.fixture(scope="module")
def report(engine: Engine) -> ConsistencyReport:
    spec = CorpusSpec(cases=150, seed=23, patterns=15, drift=0.2, omissions=0.1, discretion=0.1, bad=0.02)
    return check_consistency([g.text for g in generate(spec, engine)], engine)


@pytest.fixture(scope="module")
def html(report: ConsistencyReport) -> str:
    return report_html(report, source="archive.jsonl")


def test_the_report_fetches_nothing(html: str) -> None:
    """No external scripts, styles, images, fonts or links: the file is all there is."""
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<link" not in html
    assert "@import" not in html
    assert "url(" not in html
    assert re.findall(r"<script[^>]*>", html) == ["<script>"]


def test_the_report_has_three_charts_drawn_from_the_figures(report: ConsistencyReport, html: str) -> None:
    """Verdicts by year (one bar segment per non-zero verdict of a year), deviations, and the groups."""
    charts = dict(re.findall(r'<svg class="chart" id="(chart-[a-z]+)"[^>]*>(.*?)</svg>', html, re.S))
    assert sorted(charts) == ["chart-deviation", "chart-groups", "chart-years"]
    segments = sum(
        1 for t in report.by_year for key in ("within", "too_lenient", "too_harsh", "omitted") if getattr(t, key)
    )
    assert charts["chart-years"].count("<rect") == segments
    assert charts["chart-deviation"].count("<rect") == sum(1 for n in report.deviations.values() if n)
    assert charts["chart-groups"].count("<rect") == min(len(report.groups), 10) > 0


def test_every_flagged_person_links_to_their_case_and_trace(report: ConsistencyReport, html: str) -> None:
    """Each row of the table links to a case section that exists and holds that person's trace."""
    rows = re.findall(r'<tr data-verdict="([a-z_]+)" data-text="[^"]*"><td><a href="#(case-\d+)">([^<]+)</a>', html)
    assert len(rows) == len(report.flagged) + len(report.omitted_leaders)
    sections = dict(re.findall(r'<section class="case" id="(case-\d+)"><h3>([^<]+)</h3>', html))
    for _, anchor, case_id in rows:
        assert sections[anchor] == case_id
    verdicts = sorted(v for v, _, _ in rows)
    expected = sorted([p.verdict for p in report.flagged] + ["omitted"] * len(report.omitted_leaders))
    assert verdicts == expected
    first = report.flagged[0]
    section = html.split(f'<section class="case" id="{rows[0][1]}">')[1].split("</section>")[0]
    assert first.trace
    for step in first.trace:
        assert f"<code>{step.rule}</code>" in section


def test_labels_are_bilingual(html: str) -> None:
    """Headings and verdicts in Chinese with English beside."""
    for text in (
        "问责一致性检查报告",
        "Accountability consistency report",
        "偏轻 too lenient",
        "偏重 too harsh",
        "遗漏问责 omitted leader",
        "按单位层级 By unit level",
        "县级 county",
        "需复核的人员 People to review",
    ):
        assert text in html


def test_case_data_is_escaped(engine: Engine) -> None:
    """Names, ids and titles from the archive are shown as text, never as markup."""
    case: dict[str, Any] = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    case["case_id"] = "<script>alert(1)</script>"
    case["people"][1]["name"] = '<img src=x onerror="alert(2)">'
    html = report_html(check_consistency([case], engine), source="<b>archive</b>")
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;archive&lt;/b&gt;" in html


def test_bad_records_are_listed(report: ConsistencyReport, html: str) -> None:
    """The records that could not be read appear with where they are."""
    assert report.bad_records
    assert "错误记录 Bad records" in html
    for bad in report.bad_records:
        assert f"<td>line {bad.line}</td>" in html or f"<td>index {bad.index}</td>" in html


def test_the_same_report_gives_the_same_bytes(report: ConsistencyReport, html: str) -> None:
    """No timestamps or random ids: a report can be compared with the one before."""
    assert report_html(report, source="archive.jsonl") == html
