"""Every report is a model shown by render/'s views, and every command that shows one takes the same
``--format`` option, whose choices are the formats render/ has views for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.batch import check_consistency
from accountrules.cli import app
from accountrules.render import VIEWS, Format, formats, view
from accountrules.render.html import determination_html, report_html
from accountrules.render.rules import ReadIn, RuleList, RuleSheet
from accountrules.validation import parse_case

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"
TERMINAL = {"COLUMNS": "120", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}

#: Each command that shows a report, and the report it shows.
SHOWN = {
    ("evaluate",): "determination",
    ("explain",): "explanation",
    ("check",): "consistency",
    ("rules", "list"): "rules",
    ("rules", "show"): "rule",
    ("rules", "verify"): "verification",
    ("rules", "test"): "goldens",
}


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env=TERMINAL)


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def option_of(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return next(p for p in command.params if p.name == "output_format")


@pytest.mark.parametrize(("report", "table"), VIEWS.items())
def test_every_view_is_a_function(report: str, table: dict[Format, str]) -> None:
    """Each format of each report names a function of render/ that exists."""
    for fmt, where in table.items():
        assert where.startswith("accountrules.render.")
        assert callable(view(report, fmt))  # type: ignore[arg-type]


@pytest.mark.parametrize(("path", "report"), SHOWN.items(), ids=lambda p: " ".join(p) if isinstance(p, tuple) else p)
def test_each_command_offers_the_formats_of_its_report(path: tuple[str, ...], report: Any) -> None:
    """``--format`` / ``-f`` lists exactly the formats the report has views for, JSON among them."""
    option = option_of(path)
    names = [f.value for f in formats(report)]
    assert option.opts == ["--format", "-f"]
    assert option.metavar == "[" + "|".join(names) + "]"
    assert "json" in names


def test_a_format_a_report_lacks_is_a_usage_error(runner: CliRunner) -> None:
    """``rules verify -f markdown``: exit 2, naming the formats it has."""
    code, stdout, stderr = invoke(runner, "rules", "verify", "-f", "markdown")
    assert (code, stdout) == (2, "")
    assert "'markdown' is not one of text, json." in stderr


def test_a_misspelt_format_gets_a_suggestion(runner: CliRunner) -> None:
    """``evaluate -f jsno``: exit 2, with the format meant."""
    code, _, stderr = invoke(runner, "evaluate", str(SPEC_EXAMPLE), "-f", "jsno")
    assert code == 2
    assert "'jsno' is not one of text, json, markdown, html. Did you mean 'json'?" in stderr


def test_rules_list_json_is_the_list_model(runner: CliRunner, engine: Engine) -> None:
    """``rules list -f json``: the pack and every rule with its stage, title, citations and verification."""
    code, stdout, stderr = invoke(runner, "rules", "list", "-f", "json")
    assert (code, stderr) == (0, "")
    listed = RuleList.model_validate_json(stdout)
    assert (listed.pack, listed.version, len(listed.rules)) == ("default", "2019.1", len(engine.pack.rules))
    cover_up = next(r for r in listed.rules if r.id == "L-COVER-UP")
    assert cover_up.model_dump() == {
        "id": "L-COVER-UP",
        "stage": "facts",
        "title": "瞒案不报、掩盖袒护 / concealing or shielding a violation",
        "cites": ["speech:P20"],
        "verified": True,
    }


def test_rules_show_json_is_the_rule_sheet(runner: CliRunner, engine: Engine) -> None:
    """``rules show ID -f json``: the rule written out, citations with their paraphrases and where each was read."""
    code, stdout, stderr = invoke(runner, "rules", "show", "L-COVER-UP", "-f", "json")
    assert (code, stderr) == (0, "")
    sheet = RuleSheet.model_validate_json(stdout)
    rule = engine.pack.rule("L-COVER-UP")
    assert (sheet.id, sheet.stage, sheet.source, sheet.basis) == (
        "L-COVER-UP",
        "facts",
        f"leaders.yaml:{rule.line}",
        rule.basis,
    )
    speech = "Speech on the main responsibility for clean governance (sources/speech.txt)"
    assert [(c.id, c.paraphrase, c.source) for c in sheet.cites] == [
        ("speech:P20", engine.pack.citations["speech:P20"].paraphrase, ReadIn(title=speech, url=None))
    ]
    assert sheet.when == ["act as act: act in [concealed, shielded]"]


def test_explain_markdown_heads_with_the_person_and_result(runner: CliRunner) -> None:
    """``explain -f markdown``: a document with the person, the rule pack, the result and the sections."""
    code, stdout, stderr = invoke(runner, "explain", str(SPEC_EXAMPLE), "--person", "p3", "-f", "markdown")
    assert (code, stderr) == (0, "")
    lines = stdout.splitlines()
    assert lines[0] == "# 解释 Explanation: 王某 p3, case 2023-017"
    assert lines[4].startswith("- 结果 Result: 直接责任 direct responsibility, 个人责任 individual; ")
    assert [line for line in lines if line.startswith("## ")] == [
        "## 为何 Why",
        f"## 为何不 Why not ({sum(1 for line in lines if line.startswith('- **'))} rules)",
        "## 如何改变 What would change the form",
    ]


def test_check_shows_its_report_in_each_format(runner: CliRunner, engine: Engine, tmp_path: Path) -> None:
    """``check -f json`` prints the report's JSON, ``-f html`` the page ``--report`` writes."""
    case = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    archive = tmp_path / "archive.jsonl"
    archive.write_text(json.dumps(case, ensure_ascii=False) + "\n", encoding="utf-8")
    report = check_consistency([case], engine)
    code, stdout, _ = invoke(runner, "check", str(archive), "--workers", "0", "-f", "json")
    assert (code, stdout) == (3, report.to_json() + "\n")
    code, stdout, _ = invoke(runner, "check", str(archive), "--workers", "0", "-f", "html")
    assert (code, stdout) == (3, report_html(report, source="archive.jsonl"))


def test_check_markdown_lists_the_people_to_review(runner: CliRunner, tmp_path: Path) -> None:
    """``check -f markdown``: the figures as a table, then every person to review with verdict and rules."""
    case = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    archive = tmp_path / "archive.jsonl"
    archive.write_text(json.dumps(case, ensure_ascii=False) + "\n", encoding="utf-8")
    code, stdout, stderr = invoke(runner, "check", str(archive), "--workers", "0", "-f", "markdown")
    assert (code, stderr) == (3, "")
    lines = stdout.splitlines()
    assert lines[0] == "# 问责一致性检查报告 Accountability consistency report"
    assert "| 一致性得分 consistency score | 33.3% |" in lines
    review = lines[lines.index("## 需复核的人员 People to review") :]
    assert review[2:6] == [
        "| 案件 Case | 人员 Person | 结论 Verdict | 原处理 Recorded | 建议 Recommended | 规则 Rules |",
        "| --- | --- | --- | --- | --- | --- |",
        "| 2023-017 | 李某 p2 | 偏轻 too lenient | 1 | 3 档 band [3,3] | L-COVER-UP, L-LIFESAVING |",
        "| 2023-017 | 张某 p1 | 遗漏问责 omitted leader | — | 2 | L-IMPLEMENT-PRINCIPAL, U-MANY-PROBLEMS-SERIOUS |",
    ]


def test_evaluate_html_is_the_determination_page(runner: CliRunner, engine: Engine) -> None:
    """``evaluate -f html`` prints the page the HTML view draws for the determination and its case."""
    case = parse_case(json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8")))
    expected = determination_html(engine.evaluate_valid(case), case)
    assert invoke(runner, "evaluate", str(SPEC_EXAMPLE), "-f", "html") == (0, expected, "")


def test_the_determination_page_shows_sanctions_rules_in_force_and_notes(engine: Engine) -> None:
    """The HTML view lists §9's government sanctions and bars, the rules in force, the notes and each step's
    version, in both languages, as the text and Markdown views do."""
    case = parse_case(json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8")))
    page = determination_html(engine.evaluate_valid(case), case)
    summary = [line for line in page.splitlines() if line.startswith(("<li>政务", "<li>适用", "<li>提示"))]
    assert summary == [
        "<li>政务处分、影响期 Government sanction, bar on promotion: p1 —, 12 个月 months; "
        "p2 撤职 removal from office, 24 个月 months; p3 开除（公职） dismissal from public office</li>",
        "<li>适用规定 Rules in force: v1: acct2019+disc2018 (无行为日期 no date)</li>",
        "<li>提示 Note: v1: 涉案金额达到追究刑事责任的数额标准，请核查是否涉嫌犯罪。 The amount reaches the threshold "
        "for criminal liability; check whether a crime is suspected.</li>",
    ]
    assert '<span class="muted">[speech:P12; acct2019+disc2018]</span>' in page
