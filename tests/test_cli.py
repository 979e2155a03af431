"""`accountrules` on the command line: exact output and exit codes of every command."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.cli import app
from accountrules.rulepack.pack import default_pack_path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CASES = sorted((EXAMPLES / "cases").glob("*.json"))
SPEC_EXAMPLE = EXAMPLES / "cases" / "spec-example.json"
CLEAN_PRINCIPAL = EXAMPLES / "cases" / "02-clean-principal-troubled-unit.json"

#: A fixed terminal: 120 columns, and nothing in the environment that would turn on colour.
TERMINAL = {"COLUMNS": "120", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env=TERMINAL)


def lines_of(text: str) -> str:
    """The output without the spaces rich pads lines with up to the terminal width."""
    return "\n".join(line.rstrip() for line in text.split("\n"))


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------------------------------------------------
# evaluate


@pytest.mark.parametrize("case_file", CASES, ids=lambda p: p.stem)
def test_evaluate_json_is_the_library_determination(runner: CliRunner, engine: Engine, case_file: Path) -> None:
    """`--format json` prints exactly `Determination.to_json()` and a newline."""
    expected = engine.evaluate(case_file.read_text(encoding="utf-8")).to_json() + "\n"
    assert invoke(runner, "evaluate", str(case_file), "--format", "json") == (0, expected, "")


def test_evaluate_reads_stdin(runner: CliRunner, engine: Engine) -> None:
    """``-`` reads the case from standard input."""
    text = SPEC_EXAMPLE.read_text(encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "-", "-f", "json"], input=text.encode())
    assert (result.exit_code, result.stdout) == (0, engine.evaluate(text).to_json() + "\n")


def test_evaluate_markdown_for_the_spec_example(runner: CliRunner, engine: Engine) -> None:
    """The Markdown report of SPEC §3's example, in full."""
    digest = engine.pack.digest
    expected = f"""# 问责建议 Accountability recommendation: 2023-017 某县扶贫资金被挪用案

单位 Unit: 某县民政局; 决定日期 decided on 2023-09-01

## 人员 People

| 人员 Person | 责任 Responsibility | 形态 Form | 措施 Measure | 情节 Modifier | 不予采纳 Refused |
|---|---|---|---|---|---|
| 张某 p1 | 主要领导责任 principal leadership responsibility, 个人责任 individual | 2 [2,2] | 警告 warning | — | 本人廉洁 personally clean (X-PERSONALLY-CLEAN) |
| 李某 p2 | 直接责任 direct responsibility, 个人责任 individual | 3 [2,3] | 撤销党内职务 removal from party post + 组织调整 organisational adjustment | 从重 heavier (L-LIFESAVING) | — |
| 王某 p3 | 直接责任 direct responsibility, 个人责任 individual | 3 [3,3] | 开除党籍 expulsion from the Party | 顶格 top of range (O-LIFESAVING) | 初犯 first offence (X-NO-LENIENCY) |

- 组织 Organization: 某县民政局: 全面领导责任 overall leadership responsibility; 检查 written self-examination, 通报 circulated notice
- 公开曝光 Publicize: 是 yes
- 一案双查 Dual investigation: 完整 complete; 已倒查 examined: p1, p2; 未倒查 missing: —
- 政务处分、影响期 Government sanction, bar on promotion: p1 —, 12 个月 months; p2 撤职 removal from office, 24 个月 months; p3 开除（公职） dismissal from public office
- 适用规定 Rules in force: v1: acct2019+disc2018 (无行为日期 no date)
- 提示 Note: v1: 涉案金额达到追究刑事责任的数额标准，请核查是否涉嫌犯罪。 The amount reaches the threshold for criminal liability; check whether a crime is suspected.
- 规则包 Rule pack: default 2019.1 (`{digest}`)

## 推理过程 Reasoning trace

1. **L-IMPLEMENT-PRINCIPAL** 主要负责人责任不落实 / principal leader: failing to implement: 张某(p1) v1, `act=failed_to_implement, role=principal_leader` → principal_leadership [2,2] (speech:P18, speech:P20, acct2019:6, acct2019:8; acct2019+disc2018)
2. **U-MANY-PROBLEMS-SERIOUS** 屡出重大腐败或歪风长期蔓延，主要领导必被追责 / principal leader of a unit with major corruption or long-term spread: 张某(p1), `long_term_spread=false, major_corruption_in_period=2, role=principal_leader` → principal_leadership [1,2] (speech:P20, acct2019:6; acct2019+disc2018)
3. **X-PERSONALLY-CLEAN** 本人廉洁不能免责 / being personally clean is no defence: 张某(p1), `personally_clean=true, role=principal_leader` → refused: personally_clean (speech:P20; acct2019+disc2018)
4. **L-COMBINED-POST-ADJUSTMENT** 纪律处分与组织调整合并使用 / a sanction combined with an adjustment of post: 李某(p2) v1, `act=concealed` → also: post_adjustment (acct2019:8; acct2019+disc2018)
5. **L-COVER-UP** 瞒案不报、掩盖袒护 / concealing or shielding a violation: 李某(p2) v1, `act=concealed` → direct [2,3] (speech:P20; acct2019+disc2018)
6. **L-LIFESAVING** 掩盖群众救命钱问题从重处理 / heavier for covering up theft of life-saving funds: 李某(p2) v1, `act=concealed, lifesaving_funds=true` → heavier (speech:P12, speech:P20; acct2019+disc2018)
7. **O-LIFESAVING** 群众救命钱顶格处理 / top of range for life-saving funds: 王某(p3) v1, `lifesaving_funds=true` → top_of_range (speech:P12; acct2019+disc2018)
8. **O-PUBLIC-INTEREST-DISC2018** 扶贫领域侵害群众利益从重（2018年条例） / heavier for corruption in poverty relief (2018 regulation): 王某(p3) v1, `area=poverty_alleviation, kind=corruption` → heavier (disc2018:112; acct2019+disc2018)
9. **O-SEVERITY-SERIOUS-CORRUPTION** 违反廉洁纪律情节较重的直接责任 / direct responsibility for a fairly serious corrupt act: 王某(p3) v1, `kind=corruption, severity=serious, suspected_crime=false` → direct [3,3] (speech:P20, disc2018:37, disc2018:86, disc2018:87; acct2019+disc2018)
10. **X-NO-LENIENCY** 不搞微错不究、初犯不查、法不责众 / no leniency for minor, first or shared faults: 王某(p3) v1, `flag=first_offence` → refused: first_offence (speech:P12; acct2019+disc2018)
11. **G-INSPECTION** 领导班子作出检查 / written self-examination by the leadership team: 单位 unit, `responsibility=principal_leadership` → inspection (acct2019:8, acct2019:6; acct2019+disc2018)
12. **G-PUBLIC-NOTICE-CORRUPTION** 屡屡出现重大腐败问题，予以通报 / circulated notice for repeated major corruption: 单位 unit, `major_corruption_in_period=2` → public_notice (acct2019:8, speech:P20; acct2019+disc2018)
13. **P-PUBLICIZE-FORM** 问责典型案例及时曝光 / publicise leadership accountability at the second form or above: 单位 unit, `form=2, kind=leader` → publicize (speech:P20; acct2019+disc2018)
14. **P-PUBLICIZE-LIFESAVING** 侵占群众救命钱案件曝光 / publicise cases about life-saving funds: 单位 unit, `lifesaving_funds=true` → publicize (speech:P12, speech:P20; acct2019+disc2018)
15. **P-PUBLICIZE-ORG** 通报或改组的单位曝光 / publicise a circulated notice or reorganisation of the team: 单位 unit, `measure=public_notice` → publicize (speech:P20; acct2019+disc2018)

> 本结果为建议，由有权机关依规依纪作出决定。 This is a recommendation; the competent bodies decide.
"""  # noqa: E501 - the report's lines are as long as they are
    assert invoke(runner, "evaluate", str(SPEC_EXAMPLE), "--format", "markdown") == (0, expected, "")


def test_evaluate_words_form_zero_by_what_decided_it(runner: CliRunner) -> None:
    """Form 0 reads 免予问责 where 容错 exempted the person and 不予问责 where nothing was found (SPEC §9.3 V12)."""
    case = EXAMPLES / "cases" / "16-work-safety-accident.json"
    code, stdout, _ = invoke(runner, "evaluate", str(case), "--format", "markdown")
    measures = {row.split(" | ")[0][2:]: row.split(" | ")[3] for row in stdout.splitlines() if row.startswith("| ")}
    assert code == 0
    assert (measures["郑某 p1"], measures["沈某 p7"], measures["韩某 p8"]) == (
        "不予问责 not held accountable",
        "免予问责 exempted",
        "免予问责 exempted",
    )


def test_evaluate_text_for_a_small_example(runner: CliRunner, engine: Engine) -> None:
    """The terminal table and trace of a two-person example, at 120 columns."""
    short_digest = engine.pack.digest[:19]
    expected = f"""问责建议 Accountability recommendation — 2023-044
┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ 人员 Person ┃ 责任 Responsibility     ┃ 形态 Form ┃ 措施 Measure           ┃ 情节 Modifier ┃ 不予采纳 Refused        ┃
┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ 陈某 p1     │ 主要领导责任 principal  │ 1 [1,1]   │ 诫勉 admonishment      │ —             │ 本人廉洁 personally     │
│             │ leadership              │           │                        │               │ clean                   │
│             │ responsibility,         │           │                        │               │ (X-PERSONALLY-CLEAN)    │
│             │ 个人责任 individual     │           │                        │               │                         │
│ 褚某 p2     │ 直接责任 direct         │ 1 [1,1]   │ 谈话提醒 reminder talk │ —             │ —                       │
│             │ responsibility,         │           │                        │               │                         │
│             │ 个人责任 individual     │           │                        │               │                         │
└─────────────┴─────────────────────────┴───────────┴────────────────────────┴───────────────┴─────────────────────────┘
组织 Organization: 某县市场监督管理局: 全面领导责任 overall leadership responsibility; 检查 written self-examination
公开曝光 Publicize: 否 no
一案双查 Dual investigation: 完整 complete; 已倒查 examined: p1; 未倒查 missing: —
政务处分、影响期 Government sanction, bar on promotion: p1 —, 6 个月 months
适用规定 Rules in force: v1: acct2019+disc2018 (无行为日期 no date)
规则包 Rule pack: default 2019.1 ({short_digest}…)

推理过程 Reasoning trace
1. [M-NO-FAILURE] 已履职尽责、无失责情形 / conduct without any failure
   陈某(p1) v1: — → none [0,0]  (speech:P20, acct2019:3; acct2019+disc2018)
2. [S-ACCOUNTABILITY-FIRST-FORM] 领导干部问责方式：通报、诫勉 / a leading cadre held to account in the first form is
   circulated or admonished
   陈某(p1): responsibility=principal_leadership, range=[1,1] → form 1: admonishment  (acct2019:8; acct2019+disc2018)
3. [U-MANY-PROBLEMS] 单位问题多多，主要领导脱不了干系 / principal leader of a unit with repeated problems
   陈某(p1): long_term_spread=false, major_corruption_in_period=0, role=principal_leader, violations_in_period=3 →
   principal_leadership [1,1]  (speech:P20, acct2019:6; acct2019+disc2018)
4. [X-PERSONALLY-CLEAN] 本人廉洁不能免责 / being personally clean is no defence
   陈某(p1): personally_clean=true, role=principal_leader → refused: personally_clean  (speech:P20; acct2019+disc2018)
5. [O-SEVERITY-MINOR] 情节轻微违纪的直接责任 / direct responsibility for a minor violation
   褚某(p2) v1: severity=minor, suspected_crime=false → direct [1,1]  (speech:P20, disc2018:37; acct2019+disc2018)
6. [G-INSPECTION] 领导班子作出检查 / written self-examination by the leadership team
   单位 unit: responsibility=principal_leadership → inspection  (acct2019:8, acct2019:6; acct2019+disc2018)

本结果为建议，由有权机关依规依纪作出决定。 This is a recommendation; the competent bodies decide.
"""
    code, stdout, stderr = invoke(runner, "evaluate", str(CLEAN_PRINCIPAL), "--format", "text")
    assert (code, lines_of(stdout), stderr) == (0, expected, "")
    assert "\x1b" not in stdout


def test_evaluate_text_shows_names_as_written(runner: CliRunner, tmp_path: Path) -> None:
    """Case text that looks like rich markup (``[/x]``) is printed as written, not interpreted."""
    case = json.loads(CLEAN_PRINCIPAL.read_text(encoding="utf-8"))
    case["people"][1]["name"] = "[/x][bold]褚某"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    code, stdout, stderr = invoke(runner, "evaluate", str(path), "--format", "text")
    assert (code, stderr) == (0, "")
    assert "│ [/x][bold]褚某 p2 │" in stdout


# ---------------------------------------------------------------------------------------------------------------
# schema


def schema_of(runner: CliRunner, which: str) -> dict[str, Any]:
    code, stdout, stderr = invoke(runner, "schema", which)
    assert (code, stderr) == (0, "")
    schema: dict[str, Any] = json.loads(stdout)
    Draft202012Validator.check_schema(schema)
    return schema


@pytest.mark.parametrize("case_file", CASES, ids=lambda p: p.stem)
def test_case_schema_accepts_every_example(runner: CliRunner, case_file: Path) -> None:
    """`schema case` is a valid JSON Schema that every bundled example satisfies."""
    validator = Draft202012Validator(schema_of(runner, "case"))
    assert [e.message for e in validator.iter_errors(json.loads(case_file.read_text(encoding="utf-8")))] == []


def test_case_schema_refuses_an_unknown_field(runner: CliRunner) -> None:
    """The printed schema is as strict as the library: an unknown field is an error."""
    case = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    case["people"][0]["persnally_clean"] = True
    validator = Draft202012Validator(schema_of(runner, "case"))
    assert [e.message for e in validator.iter_errors(case)] == [
        "Additional properties are not allowed ('persnally_clean' was unexpected)"
    ]


@pytest.mark.parametrize("case_file", CASES, ids=lambda p: p.stem)
def test_determination_schema_accepts_every_expected_output(runner: CliRunner, case_file: Path) -> None:
    """`schema determination` is a valid JSON Schema that every reviewed determination satisfies."""
    validator = Draft202012Validator(schema_of(runner, "determination"))
    expected = json.loads((EXAMPLES / "expected" / case_file.name).read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(expected)] == []


def test_schema_of_something_else_is_a_usage_error(runner: CliRunner) -> None:
    """Only ``case`` and ``determination`` have schemas."""
    code, stdout, stderr = invoke(runner, "schema", "rules")
    assert (code, stdout) == (2, "")
    assert "'rules' is not one of 'case', 'determination'" in stderr


def test_schema_names_the_pack_given_with_rules(runner: CliRunner, engine: Engine) -> None:
    """`schema --rules DIR` validates the pack and names it in the schema's $comment."""
    code, stdout, stderr = invoke(runner, "schema", "determination", "--rules", str(ROOT / "rules"))
    assert (code, stderr) == (0, "")
    assert json.loads(stdout)["$comment"] == f"rule pack default 2019.1 ({engine.pack.digest})"


def test_schema_with_a_missing_pack_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    """A --rules directory that does not exist is reported like on every other command."""
    missing = tmp_path / "nowhere"
    assert invoke(runner, "schema", "case", "--rules", str(missing)) == (
        1,
        "",
        f"Error: {missing}: no such rule pack directory; give the folder that holds pack.yaml\n",
    )


# ---------------------------------------------------------------------------------------------------------------
# rules


def mini_pack(root: Path) -> Path:
    """A two-rule pack with the default policy, in ``root``."""
    root.mkdir()
    shutil.copy(default_pack_path() / "policy.yaml", root / "policy.yaml")
    (root / "pack.yaml").write_text('name: mini\nversion: "1"\n', encoding="utf-8")
    (root / "citations.yaml").write_text(
        "citations:\n"
        "  speech:P12: No leniency for petty corruption; top of the range for life-saving funds.\n"
        "  speech:P20: One case, two investigations.\n"
        "  disc2023:39: Who bears direct responsibility.\n"
        "  acct2016:5: Leadership responsibility, principal and important.\n"
        "  acct2019:6: Leadership responsibility, principal and important.\n"
        "  acct2016:7: Ways of holding a leading cadre to account.\n"
        "  acct2019:8: Ways of holding a leading cadre to account.\n"
        "  disc2018:121: Warning or serious warning for a failure of duty causing a larger loss.\n"
        "  disc2015:23: Several violations merged, the heaviest sanction raised one grade.\n"
        "  disc2018:23: Several violations merged, the heaviest sanction raised one grade.\n"
        "  disc2023:24: Several violations merged, the heaviest sanction raised one grade.\n",
        encoding="utf-8",
    )
    (root / "offence.yaml").write_text(
        """rules:
  - id: O-SEVERITY-MINOR
    title: {zh: "轻微违纪的直接责任", en: "direct responsibility for a minor violation"}
    cites: [speech:P20, disc2023:39]
    basis: The offender answers directly; a minor violation sits in the first form.
    when:
      - offender: {as: o}
      - violation: {violation: $o.violation, severity: minor}
    then:
      finding: {kind: offence, person: $o.person, violation: $o.violation, responsibility: direct, range: [1, 1]}

  - id: O-LIFESAVING
    title: {zh: "群众救命钱顶格处理", en: "top of range for life-saving funds"}
    cites: [speech:P12]
    basis: Whoever touches the public's life-saving money is dealt with at the top of the range.
    when:
      - offender: {as: o}
      - violation: {violation: $o.violation, lifesaving_funds: true}
    then:
      modifier: {kind: top_of_range, person: $o.person, violation: $o.violation, applies_to: [offence]}
""",
        encoding="utf-8",
    )
    return root


def test_rules_list_of_a_pack(runner: CliRunner, tmp_path: Path) -> None:
    """`rules list --rules DIR` prints the pack's title and one row per rule, sorted by id."""
    pack = mini_pack(tmp_path / "mini")
    expected = """规则包 Rule pack mini 1: 2 rules
┏━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ 编号 Id          ┃ 阶段 Stage ┃ 标题 Title                                                 ┃ 依据 Cites              ┃
┡━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ O-LIFESAVING     │ facts      │ 群众救命钱顶格处理 / top of range for life-saving funds    │ speech:P12              │
│ O-SEVERITY-MINOR │ facts      │ 轻微违纪的直接责任 / direct responsibility for a minor     │ speech:P20, disc2023:39 │
│                  │            │ violation                                                  │                         │
└──────────────────┴────────────┴────────────────────────────────────────────────────────────┴─────────────────────────┘
"""
    code, stdout, stderr = invoke(runner, "rules", "list", "--rules", str(pack))
    assert (code, lines_of(stdout), stderr) == (0, expected, "")


def test_rules_list_of_the_default_pack(runner: CliRunner, engine: Engine) -> None:
    """`rules list` shows every rule of the default pack, in id order, under the pack's title."""
    code, stdout, stderr = invoke(runner, "rules", "list")
    assert (code, stderr) == (0, "")
    lines = lines_of(stdout).split("\n")
    assert lines[0] == f"规则包 Rule pack default 2019.1: {len(engine.pack.rules)} rules"
    assert lines[2] == (
        "┃ 编号 Id                            ┃ 阶段 Stage ┃ 标题 Title                      "
        "┃ 依据 Cites                       ┃"
    )
    first_cells = [line.split("│")[1].strip() for line in lines[4:-2]]
    assert [cell for cell in first_cells if cell] == [rule.id for rule in engine.pack.rules]


def test_rules_show_o_lifesaving(runner: CliRunner) -> None:
    """`rules show O-LIFESAVING` prints its basis, source, citations with where each was read, conditions, effect."""
    expected = """O-LIFESAVING  群众救命钱顶格处理 / top of range for life-saving funds
依据 Basis     Whoever touches the public's life-saving money is dealt with at the top of the range.
阶段 Stage     facts
来源 Source    offence.yaml:84
核实 Verified  是 yes
引用 Cites     speech:P12: Zero tolerance for petty corruption in areas touching the public (poverty relief, subsidies,
               land, housing, education, healthcare, safety, environment, construction, justice); no leniency for minor,
               first or widely shared faults; top of the range for theft of life-saving funds.
                 出处 read in: Speech on the main responsibility for clean governance (sources/speech.txt)
版本 Versions  acct2016+disc2015, acct2016+disc2018, acct2019+disc2018, acct2019+disc2023
条件 When      - offender as o: any
               - violation as violation: violation = $o.violation, lifesaving_funds = true
效果 Then      modifier: kind=top_of_range, person=$o.person, violation=$o.violation, applies_to=[offence]
"""
    code, stdout, stderr = invoke(runner, "rules", "show", "O-LIFESAVING")
    assert (code, lines_of(stdout), stderr) == (0, expected, "")


def test_rules_show_unknown_id_suggests_the_closest(runner: CliRunner) -> None:
    """An unknown rule id is an error with a did-you-mean suggestion and exit 1."""
    assert invoke(runner, "rules", "show", "O-LIFESAVNG") == (
        1,
        "",
        "Error: no rule 'O-LIFESAVNG' in pack 'default'. Did you mean 'O-LIFESAVING'?\n",
    )


def test_rules_show_unknown_id_without_a_close_one(runner: CliRunner) -> None:
    """With nothing close, the error names the pack only."""
    assert invoke(runner, "rules", "show", "Z-NOTHING") == (1, "", "Error: no rule 'Z-NOTHING' in pack 'default'.\n")


def test_rules_show_suggests_the_id_in_its_own_letter_case(runner: CliRunner) -> None:
    """An id given in lower case is an error that suggests the id as the pack writes it."""
    assert invoke(runner, "rules", "show", "l-cover-up") == (
        1,
        "",
        "Error: no rule 'l-cover-up' in pack 'default'. Did you mean 'L-COVER-UP'?\n",
    )


@pytest.mark.parametrize(
    ("path", "usage"),
    [
        (("evaluate",), "Usage: accountrules evaluate [OPTIONS] CASE"),
        (("batch",), "Usage: accountrules batch [OPTIONS] IN"),
        (("rules", "show"), "Usage: accountrules rules show [OPTIONS] ID"),
        (("rules", "test"), "Usage: accountrules rules test [OPTIONS] [FILE]..."),
    ],
    ids=lambda p: " ".join(p) if isinstance(p, tuple) else "",
)
def test_usage_lines_name_arguments_as_words(runner: CliRunner, path: tuple[str, ...], usage: str) -> None:
    """A usage line names each argument in capitals, optional ones in brackets, not as `{case}`."""
    code, stdout, _ = invoke(runner, *path, "--help")
    assert (code, stdout.split("\n")[0]) == (0, usage)


def test_version_prints_the_installed_version(runner: CliRunner) -> None:
    """`--version` prints the name and the installed distribution's version and exits 0."""
    from importlib.metadata import version

    assert invoke(runner, "--version") == (0, f"accountrules {version('accountrules')}\n", "")


@pytest.mark.parametrize("path", [(), ("evaluate",), ("rules", "show")], ids=lambda p: " ".join(p) or "app")
def test_short_help_is_the_same_as_help(runner: CliRunner, path: tuple[str, ...]) -> None:
    """`-h` prints what `--help` prints, for the app and its commands."""
    assert invoke(runner, *path, "-h") == invoke(runner, *path, "--help")


@pytest.mark.parametrize(
    "command", [["rules", "list"], ["rules", "show", "O-LIFESAVING"], ["evaluate", str(SPEC_EXAMPLE)]]
)
def test_rules_option_with_a_missing_directory(runner: CliRunner, tmp_path: Path, command: list[str]) -> None:
    """`--rules` naming a folder that does not exist is an error with exit 1."""
    missing = tmp_path / "nope"
    assert invoke(runner, *command, "--rules", str(missing)) == (
        1,
        "",
        f"Error: {missing}: no such rule pack directory; give the folder that holds pack.yaml\n",
    )


@pytest.mark.parametrize("command", [["rules", "list"], ["evaluate", str(SPEC_EXAMPLE)]])
def test_rules_option_with_a_broken_pack(runner: CliRunner, tmp_path: Path, command: list[str]) -> None:
    """A pack whose rule reads a fact field that does not exist is refused with file, line and a suggestion."""
    pack = mini_pack(tmp_path / "broken")
    rules = pack / "offence.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("lifesaving_funds: true", "lifesaving_fund: true"))
    code, stdout, stderr = invoke(runner, *command, "--rules", str(pack))
    assert (code, stdout) == (1, "")
    assert stderr == (
        f"Error: {pack.resolve() / 'offence.yaml'}:18: rule 'O-LIFESAVING' reads field 'violation.lifesaving_fund', "
        "which does not exist. Did you mean 'lifesaving_funds'? Fields of 'violation': violation, kind, severity, "
        "severity_rank, area, lifesaving_funds, suspected_crime, long_term_spread, first_offence, minor_error, "
        "many_participants\n"
    )


def test_evaluate_with_a_custom_pack(runner: CliRunner, tmp_path: Path) -> None:
    """`evaluate --rules DIR` decides with that pack only and names it in the output."""
    pack = mini_pack(tmp_path / "mini")
    code, stdout, stderr = invoke(runner, "evaluate", str(CLEAN_PRINCIPAL), "--rules", str(pack), "-f", "json")
    assert (code, stderr) == (0, "")
    determination = json.loads(stdout)
    assert determination["rulepack"]["name"] == "mini"
    assert [(p["person"], p["form"], p["findings"]) for p in determination["people"]] == [
        ("p2", 1, ["O-SEVERITY-MINOR"])
    ]


# ---------------------------------------------------------------------------------------------------------------
# help


def command_paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and subcommand of the app, found by walking it (so new commands are covered)."""
    yield prefix
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from command_paths(sub, (*prefix, name))


COMMANDS = list(command_paths(typer.main.get_command(app)))


def test_the_app_has_the_commands_of_the_spec() -> None:
    """The walk finds the core commands (others may add more)."""
    assert {("evaluate",), ("schema",), ("rules",), ("rules", "list"), ("rules", "show")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "accountrules")
def test_help_works_for_every_command(runner: CliRunner, path: tuple[str, ...]) -> None:
    """``--help`` prints usage and exits 0 for the app and each of its commands."""
    code, stdout, stderr = invoke(runner, *path, "--help")
    assert (code, stderr) == (0, "")
    assert stdout.startswith(f"Usage: accountrules {' '.join(path)}".rstrip() + " ")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "accountrules")
def test_help_names_values_as_words(runner: CliRunner, path: tuple[str, ...]) -> None:
    """Help shows a value as a word (``N``, ``DIR``, ``FILE...``), never as ``<int range>`` or ``<list[Path]>``."""
    _, stdout, _ = invoke(runner, *path, "--help")
    assert re.findall(r"<[^>\s]+(?: [^>\s]+)?>", stdout) == []


@pytest.mark.parametrize("path", [("evaluate",), ("explain",), ("batch",), ("check",), ("rules", "test")], ids=" ".join)
def test_help_lists_the_rule_engines_to_choose_from(runner: CliRunner, path: tuple[str, ...]) -> None:
    """An option that takes one of a few values shows them: ``--engine [durable|compiled]``, not ``--engine TEXT``."""
    _, stdout, _ = invoke(runner, *path, "--help")
    assert re.findall(r"--engine (\S+)", stdout) == ["[durable|compiled]"]


@pytest.mark.parametrize(
    "arguments",
    [*[[*path, "--help"] for path in COMMANDS], ["new"], ["schema", "case"], ["schema", "determination"]],
    ids=" ".join,
)
def test_what_users_read_points_to_what_they_have(runner: CliRunner, arguments: list[str]) -> None:
    """Help, the case template and the schemas never send users to the specification, which they do not get."""
    _, stdout, _ = invoke(runner, *arguments)
    assert "SPEC" not in stdout


def _words(text: str) -> str:
    """The words of ``text``, a word broken after its hyphen at the end of a line joined again."""
    words: list[str] = []
    for word in text.split():
        if words and words[-1].endswith("-") and not words[-1].startswith("-"):
            words[-1] += word
        else:
            words.append(word)
    return " ".join(words)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "accountrules")
def test_help_lines_keep_words_whole(path: tuple[str, ...]) -> None:
    """Help wrapped to an 80-column terminal breaks lines between words only, so every parameter's help reads whole."""
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    shown = _words(CliRunner(env={**TERMINAL, "COLUMNS": "80"}).invoke(app, [*path, "--help"]).stdout)
    cut = [p.name for p in command.params if getattr(p, "help", None) and _words(p.help) not in shown]
    assert cut == []


# ---------------------------------------------------------------------------------------------------------------
# the installed script, in a real process


def installed_script() -> str:
    beside = Path(sys.executable).with_name("accountrules")
    found = str(beside) if beside.exists() else shutil.which("accountrules")
    assert found, "the accountrules script is not installed beside this Python; pip install -e . first"
    return found


def run_script(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "ACCOUNTRULES_DEBUG"}
    return subprocess.run([installed_script(), *args], input=stdin, capture_output=True, env=env, timeout=120)


def test_installed_script_prints_json_when_piped(engine: Engine) -> None:
    """In a real process with stdout on a pipe, the default format is JSON, byte-identical to the library's."""
    done = run_script("evaluate", str(SPEC_EXAMPLE))
    expected = engine.evaluate(SPEC_EXAMPLE.read_text(encoding="utf-8")).to_json() + "\n"
    assert (done.returncode, done.stdout.decode("utf-8"), done.stderr) == (0, expected, b"")


def test_installed_script_keeps_words_whole_when_piped() -> None:
    """Text piped with no COLUMNS set is laid out wide, so no table cell splits a rule id."""
    env = {k: v for k, v in os.environ.items() if k not in {"ACCOUNTRULES_DEBUG", "COLUMNS", "LINES"}}
    done = subprocess.run(
        [installed_script(), "evaluate", str(SPEC_EXAMPLE), "--format", "text"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    text = done.stdout.decode("utf-8")
    assert (done.returncode, text.count("(X-PERSONALLY-CLEAN)"), text.count("(O-LIFESAVING)")) == (0, 1, 1)


def test_installed_script_refuses_bad_input_without_traceback(tmp_path: Path) -> None:
    """In a real process, bad input gives ``Error: …`` on stderr, nothing on stdout, exit 1, no traceback."""
    path = tmp_path / "case.json"
    path.write_text('{"case_id": "2023-017", "unit": {"name": "某县民政局", "level": "country"}}', encoding="utf-8")
    done = run_script("evaluate", str(path))
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode("utf-8") == (
        f"Error: {path}: unit.level: 'country' is not one of province, city, county, township, village, enterprise, "
        "institution. Did you mean 'county'?\n"
        f"Error: {path}: people: required field is missing; add it\n"
        f"Error: {path}: violations: required field is missing; add it\n"
    )


def test_installed_script_reads_non_utf8_stdin_without_crashing() -> None:
    """Bytes that are not UTF-8 on stdin are a reported error (exit 1), not an unexpected failure."""
    done = run_script("evaluate", "-", stdin=b'{"title": "\xff"}')
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr == b"Error: <stdin>: line 1 byte 11: not UTF-8 text; save the case file as UTF-8\n"
