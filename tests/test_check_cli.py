"""`accountrules check` on the command line: exact output and exit codes (0 consistent, 3 inconsistent, 1 bad)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.batch import ConsistencyReport, check_consistency
from accountrules.cli import app

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"
TERMINAL = {"COLUMNS": "120", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
FAITHFUL = {
    "p1": {"form": 2, "measure": "warning"},
    "p2": {"form": 3, "measure": "expulsion"},
    "p3": {"form": 3, "measure": "expulsion"},
}


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env=TERMINAL)


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, "\n".join(line.rstrip() for line in result.stdout.split("\n")), result.stderr


def spec_case(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    return {**case, **changes}


def archive(tmp_path: Path, *records: dict[str, Any] | str) -> Path:
    path = tmp_path / "archive.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


HEADLINE = """\
一致性检查 Consistency check
┌───────────────────────────────────────────────────────────────┬────────┐
│ 记录 records                                                  │      1 │
│ 错误记录 bad records                                          │      0 │
│ 有原处理结果的案件 cases with a recorded outcome              │      1 │
│ 核查人员 people checked                                       │      3 │
│ 在档内 within the band                                        │      3 │
│ 偏轻 too lenient                                              │      0 │
│ 偏重 too harsh                                                │      0 │
│ 待查明 undetermined                                           │      0 │
│ 遗漏问责的领导（一案双查未落实） responsible leaders left out │      0 │
│ 同案不同处理的案件组 groups of like cases treated unlike      │      0 │
│ 一案双查不完整的案件 cases with a leader not looked back on   │      0 │
│ 一致性得分 consistency score                                  │ 100.0% │
└───────────────────────────────────────────────────────────────┴────────┘
按年度 By year of decision
┏━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓
┃ 年度 Year ┃ 案件 Cases ┃ 人员 People ┃ 在档内 Within band ┃ 偏轻 Lenient ┃ 偏重 Harsh ┃ 遗漏 Omitted ┃
┡━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩
│ 2023      │          1 │           3 │                  3 │            0 │          0 │            0 │
└───────────┴────────────┴─────────────┴────────────────────┴──────────────┴────────────┴──────────────┘
按适用版本 By version of the regulations
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓
┃ 版本 Version      ┃ 案件 Cases ┃ 人员 People ┃ 在档内 Within band ┃ 偏轻 Lenient ┃ 偏重 Harsh ┃ 遗漏 Omitted ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩
│ acct2019+disc2018 │          1 │           3 │                  3 │            0 │          0 │            0 │
└───────────────────┴────────────┴─────────────┴────────────────────┴──────────────┴────────────┴──────────────┘
"""


def test_a_consistent_archive_prints_the_summary_and_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    """Every record as the rules recommend: the summary table and the year table, exit 0."""
    path = archive(tmp_path, spec_case(case_id="A-1", recorded=FAITHFUL))
    assert invoke(runner, "check", str(path), "--workers", "0") == (0, HEADLINE, "")


def test_an_archive_without_recorded_outcomes_is_nothing_to_check_and_exits_4(
    runner: CliRunner, tmp_path: Path
) -> None:
    """No valid case records an outcome: no score, the reason on stderr, and exit 4."""
    unrecorded = [{k: v for k, v in spec_case(case_id=i).items() if k != "recorded"} for i in ("A-1", "A-2")]
    path = archive(tmp_path, *unrecorded)
    code, stdout, stderr = invoke(runner, "check", str(path), "--workers", "0")
    score = next(line for line in stdout.split("\n") if "consistency score" in line)
    assert (code, score.split("│")[2].strip(), stderr) == (
        4,
        "— 无可核查 nothing to check",
        "Nothing to check: none of the 2 valid cases records an outcome (its 'recorded' field); add what was "
        "decided to compare it with the rules.\n",
    )


def test_nothing_to_check_has_a_null_score_in_the_json(runner: CliRunner, tmp_path: Path) -> None:
    """No valid case records an outcome: the JSON's score is null, not 100."""
    unrecorded = [{k: v for k, v in spec_case(case_id=i).items() if k != "recorded"} for i in ("A-1", "A-2")]
    path = archive(tmp_path, *unrecorded)
    code, stdout, _ = invoke(runner, "check", str(path), "--workers", "0", "--format", "json")
    assert (code, json.loads(stdout)["summary"]["score"]) == (4, None)


def test_nothing_to_check_has_no_score_in_the_html_report(runner: CliRunner, tmp_path: Path) -> None:
    """No valid case records an outcome: the HTML report's card and footer say there was nothing to check."""
    unrecorded = [{k: v for k, v in spec_case(case_id=i).items() if k != "recorded"} for i in ("A-1", "A-2")]
    path = archive(tmp_path, *unrecorded)
    code, stdout, _ = invoke(runner, "check", str(path), "--workers", "0", "--format", "html")
    assert (code, stdout.count("— 无可核查 nothing to check"), "100.0%" in stdout) == (4, 2, False)


def test_an_inconsistent_archive_lists_what_to_review_and_exits_3(
    runner: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    """SPEC §3's record beside a faithful copy: a lenient record, a leader left out, one group; exit 3."""
    records = [spec_case(case_id="A-1", recorded=FAITHFUL), spec_case()]
    code, stdout, stderr = invoke(runner, "check", str(archive(tmp_path, *records)), "--workers", "0")
    assert (code, stderr) == (3, "")
    assert stdout.split("按年度 By year of decision")[0].splitlines()[5:15] == [
        "│ 核查人员 people checked                                       │     5 │",
        "│ 在档内 within the band                                        │     4 │",
        "│ 偏轻 too lenient                                              │     1 │",
        "│ 偏重 too harsh                                                │     0 │",
        "│ 待查明 undetermined                                           │     0 │",
        "│ 遗漏问责的领导（一案双查未落实） responsible leaders left out │     1 │",
        "│ 同案不同处理的案件组 groups of like cases treated unlike      │     1 │",
        "│ 一案双查不完整的案件 cases with a leader not looked back on   │     0 │",
        "│ 一致性得分 consistency score                                  │ 66.7% │",
        "└───────────────────────────────────────────────────────────────┴───────┘",
    ]
    assert (
        stdout.split("同案不同处理 Like cases treated unlike (largest spread first)\n")[1]
        == """\
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ 案情 Violations                                  ┃ 案件 Cases ┃ 差距 Spread ┃ 原处理形态 Recorded forms              ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ 贪污贿赂等腐败 corruption, 较重 fairly serious,  │ 2          │ 2           │ 分管领导：瞒案不报、掩盖问题: 1×1, 3×1 │
│ 脱贫攻坚 poverty alleviation, 群众救命钱         │            │             │                                        │
│ life-saving funds, 初犯 first offence            │            │             │                                        │
└──────────────────────────────────────────────────┴────────────┴─────────────┴────────────────────────────────────────┘
需复核的人员 People to review
┏━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ 案件 Case ┃ 人员 Person ┃ 结论 Verdict            ┃ 原处理 Recorded ┃ 建议 Recommended ┃ 规则 Rules                  ┃
┡━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ 2023-017  │ 李某 p2     │ 偏轻 too lenient        │ 1               │ 3 档 band [3,3]  │ L-COVER-UP, L-LIFESAVING    │
│ 2023-017  │ 张某 p1     │ 遗漏问责 omitted leader │ —               │ 2                │ L-IMPLEMENT-PRINCIPAL,      │
│           │             │                         │                 │                  │ U-MANY-PROBLEMS-SERIOUS     │
└───────────┴─────────────┴─────────────────────────┴─────────────────┴──────────────────┴─────────────────────────────┘
"""
    )


def test_a_bad_record_exits_1_even_with_inconsistencies(runner: CliRunner, tmp_path: Path) -> None:
    """A bad record is named on stderr and wins over inconsistencies (exit 1); the rest is still checked."""
    path = archive(tmp_path, spec_case(), "{oops")
    code, stdout, stderr = invoke(runner, "check", str(path), "--workers", "0")
    assert code == 1
    assert "│ 偏轻 too lenient                                              │     1 │" in stdout
    assert stderr == (
        "Error: 1 of 2 records could not be checked: line 2: column 2: not valid JSON: Expecting property name "
        "enclosed in double quotes\n"
    )


def test_json_goes_to_a_file_beside_the_table(runner: CliRunner, engine: Engine, tmp_path: Path) -> None:
    """``--json FILE`` writes the report, valid against its schema and equal to the library's."""
    records = [spec_case()]
    out = tmp_path / "report.json"
    code, stdout, _ = invoke(runner, "check", str(archive(tmp_path, *records)), "--json", str(out), "--workers", "0")
    assert code == 3
    assert stdout.startswith("一致性检查 Consistency check\n")
    data = json.loads(out.read_text(encoding="utf-8"))
    Draft202012Validator(ConsistencyReport.model_json_schema(by_alias=True)).validate(data)
    assert ConsistencyReport.model_validate(data) == check_consistency(records, engine)


def test_json_to_stdout_replaces_the_table(runner: CliRunner, engine: Engine, tmp_path: Path) -> None:
    """``--json -`` prints only the JSON."""
    records = [spec_case(case_id="A-1", recorded=FAITHFUL)]
    code, stdout, stderr = invoke(runner, "check", str(archive(tmp_path, *records)), "--json", "-", "--workers", "0")
    assert (code, stderr) == (0, "")
    assert stdout == check_consistency(records, engine).to_json() + "\n"


def test_all_lists_the_people_within_too(runner: CliRunner, tmp_path: Path) -> None:
    """``--all`` adds the people within the range to the JSON."""
    path = archive(tmp_path, spec_case(case_id="A-1", recorded=FAITHFUL))
    code, stdout, _ = invoke(runner, "check", str(path), "--json", "-", "--all", "--workers", "0")
    assert code == 0
    assert [(p["person"], p["verdict"]) for p in json.loads(stdout)["within"]] == [
        ("p1", "within"),
        ("p2", "within"),
        ("p3", "within"),
    ]


def test_the_report_is_written(runner: CliRunner, tmp_path: Path) -> None:
    """``--report FILE`` writes one HTML document naming the archive."""
    path = archive(tmp_path, spec_case())
    out = tmp_path / "report.html"
    code, _, stderr = invoke(runner, "check", str(path), "--report", str(out), "--workers", "0")
    assert (code, stderr) == (3, "")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>\n")
    assert "档案 Archive: archive.jsonl" in html


def test_an_unwritable_report_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    """A report path in a folder that does not exist: ``Error: …``, exit 1."""
    out = tmp_path / "no" / "report.html"
    code, _, stderr = invoke(runner, "check", str(archive(tmp_path, spec_case())), "--report", str(out))
    assert code == 1
    assert stderr == f"Error: {out}: cannot write: No such file or directory\n"


def test_a_missing_archive_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    """An archive that does not exist: one line on stderr, exit 1, nothing on stdout."""
    missing = tmp_path / "nope.jsonl"
    assert invoke(runner, "check", str(missing)) == (1, "", f"Error: {missing}: no such file; check the path\n")


def test_the_terminal_lists_undetermined_people_to_review(runner: CliRunner, tmp_path: Path) -> None:
    """A recorded person the rules cannot decide is listed for review in the terminal, as in the HTML report."""
    case = spec_case(case_id="A-1", recorded={**FAITHFUL, "p4": {"form": 1}})
    case["people"] = [*case["people"], {"id": "p4", "name": "赵某", "roles": ["discipline_inspection"]}]
    code, stdout, _ = invoke(runner, "check", str(archive(tmp_path, case)), "--workers", "0")
    review = stdout[stdout.index("需复核的人员 People to review") :]
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in review.split("\n") if "赵某" in line]
    assert (code, rows) == (0, [["A-1", "赵某 p4", "待查明 undetermined", "1", "—", ""]])
