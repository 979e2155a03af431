"""Each golden case pins the rules it names: a pack that extends the default and removes one of them fails it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accountrules.cli import app
from accountrules.engine import Engine
from accountrules.errors import RulePackError
from accountrules.rulepack import load_default
from accountrules.tooling.goldens import GoldenCase, golden_files, load_golden_file, load_goldens, run_golden

GOLDENS = load_goldens(golden_files(load_default().tests_dir))
PINNED: dict[str, list[GoldenCase]] = defaultdict(list)
for _golden in GOLDENS:
    for _rule in _golden.rules:
        PINNED[_rule].append(_golden)


def _without(tmp_path: Path, rule_id: str) -> Engine:
    pack = tmp_path / f"without-{rule_id}"
    pack.mkdir()
    (pack / "pack.yaml").write_text(
        f'name: without-{rule_id.lower()}\nversion: "1"\nextends: default\nremove: [{rule_id}]\n', encoding="utf-8"
    )
    return Engine.from_path(pack)


def test_every_default_rule_is_pinned_by_a_golden_case() -> None:
    """Every rule of the default pack is named by at least one golden case."""
    unpinned = sorted({r.id for r in load_default().rules} - set(PINNED))
    assert unpinned == []


def test_golden_cases_name_only_rules_of_the_pack() -> None:
    """The rules a golden case names exist in the default pack."""
    known = {r.id for r in load_default().rules}
    assert sorted(set(PINNED) - known) == []


def test_every_principle_has_golden_cases() -> None:
    """D1 to D13 each have a golden file, and SPEC §3's example has one too."""
    principles = {g.principle for g in GOLDENS}
    assert {f"D{i}" for i in range(1, 14)} <= principles
    assert "D1-D13" in principles


def test_every_amended_principle_has_golden_cases() -> None:
    """V1 to V11 each have golden cases (V12, the words, is pinned by tests/test_vocabulary.py)."""
    assert {f"V{i}" for i in range(1, 12)} - {g.principle for g in GOLDENS} == set()


@pytest.mark.parametrize("rule_id", sorted(PINNED))
def test_removing_a_pinned_rule_fails_its_golden_cases(tmp_path: Path, rule_id: str) -> None:
    """Without the rule, every golden case that names it gets a different determination."""
    engine = _without(tmp_path, rule_id)
    still_passing = [g.id for g in PINNED[rule_id] if run_golden(engine, g).passed]
    assert still_passing == []


def test_golden_cases_pass_with_the_default_pack() -> None:
    """The baseline: with every rule in place, every golden case passes."""
    engine = Engine.default()
    failing = [g.id for g in GOLDENS if not run_golden(engine, g).passed]
    assert failing == []


# ---------------------------------------------------------------------------------------------------------------
# `accountrules rules test` and the pytest plugin


TESTS_DIR = Path(__file__).resolve().parent.parent / "rules" / "tests"


def shown(path: Path) -> str:
    """A path as the command prints it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None})


def test_rules_test_passes_on_the_default_pack(runner: CliRunner) -> None:
    """`rules test`: every golden file of the default pack, each with its count, and exit 0."""
    result = runner.invoke(app, ["rules", "test"])
    files = golden_files(load_default().tests_dir)
    counts = {f: len(load_goldens([f])) for f in files}
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"黄金测试 Golden tests of rule pack default {load_default().version}: {sum(counts.values())} cases\n"
        + "".join(f"✓ {shown(f)}: {n} passed\n" for f, n in counts.items())
        + f"\n通过 PASSED: all {sum(counts.values())} cases\n"
    )


def test_rules_test_failure_shows_file_case_expected_got_and_trace(runner: CliRunner, tmp_path: Path) -> None:
    """Without O-LIFESAVING, the D7 file fails: each case with its place, every difference and the trace."""
    engine = _without(tmp_path, "O-LIFESAVING")
    d07 = TESTS_DIR / "d07_top_of_range.yaml"
    result = runner.invoke(app, ["rules", "test", str(d07), "--rules", str(engine.pack.path)])
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.startswith(
        "黄金测试 Golden tests of rule pack without-o-lifesaving 1: 3 cases\n"
        f"✗ {shown(d07)}: 3 of 3 failed\n"
        "\n"
        f"{shown(d07)}:5: the offender is placed at the top of the range with the heaviest measure (D7)\n"
        "  people.p1.form: expected 3, got 2\n"
        '  people.p1.measure: expected "expulsion", got "serious_warning"\n'
        '  people.p1.modifiers: expected ["top_of_range"], got []\n'
        '  people.p2.measure: expected "admonishment", got "reminder"\n'
        '  people.p2.modifiers: expected ["top_of_range"], got []\n'
        "  trace:\n"
        '    1. O-SEVERITY-SERIOUS p1 v1: kind="four_winds", severity="serious", suspected_crime=false → direct [2,3]\n'
        '    2. S-WIDER-RANGE-SERIOUS-WARNING p1 v1: responsibility="direct", range="[2,3]" → form 2: '
        "serious_warning\n"
        '    3. O-SEVERITY-MINOR p2 v2: severity="minor", suspected_crime=false → direct [1,1]\n'
        "    4. P-PUBLICIZE-LIFESAVING unit: lifesaving_funds=true → publicize\n"
    )
    assert result.stdout.endswith("\n未通过 FAILED: 3 of 3 cases\n")


def test_rules_test_json(runner: CliRunner, tmp_path: Path) -> None:
    """`rules test -f json`: counts and, per case, where it is and what differed."""
    engine = _without(tmp_path, "O-PUBLIC-INTEREST")
    d08 = TESTS_DIR / "d08_public_interest.yaml"
    result = runner.invoke(app, ["rules", "test", str(d08), "--rules", str(engine.pack.path), "-f", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["passed"], data["failed"]) == (2, 1)
    [case] = [c for c in data["cases"] if not c["passed"]]
    assert (case["file"], case["line"], case["principle"], case["passed"]) == (shown(d08), 5, "D8", False)
    assert case["mismatches"][:2] == [
        {"path": "people.p1.measure", "expected": "probation", "got": "removal_from_party_post"},
        {"path": "people.p1.modifiers", "expected": ["heavier"], "got": []},
    ]


def test_rules_test_without_tests(runner: CliRunner) -> None:
    """A pack of its own without a tests folder: `Error:` saying where to put them, exit 1."""
    pack = Path(__file__).resolve().parent / "packs" / "tiny"
    result = runner.invoke(app, ["rules", "test", "--rules", str(pack)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: no golden tests in {shown(pack / 'tests')}; add YAML files of cases there\n"


def test_rules_test_of_an_extending_pack_runs_the_inherited_goldens_and_its_own(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A pack with `extends: default` runs the default's golden files, then those of its own tests folder."""
    pack = tmp_path / "mine"
    (pack / "tests").mkdir(parents=True)
    (pack / "pack.yaml").write_text('name: mine\nversion: "1"\nextends: default\n', encoding="utf-8")
    own = pack / "tests" / "mine.yaml"
    shutil.copy(TESTS_DIR / "d07_top_of_range.yaml", own)
    files = [*golden_files(load_default().tests_dir), own]
    result = runner.invoke(app, ["rules", "test", "--rules", str(pack)])
    listed = [line.split(":")[0][2:] for line in result.stdout.splitlines() if line.startswith("✓ ")]
    assert (result.exit_code, listed) == (0, [shown(f) for f in files])


def test_golden_file_errors_name_file_line_and_fix(tmp_path: Path) -> None:
    """A malformed golden file: the unknown key with the key meant; a case with neither case nor case_file."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - name: x\n    expect:\n      poeple: {}\n", encoding="utf-8")
    with pytest.raises(RulePackError) as info:
        load_golden_file(bad)
    assert str(info.value) == (
        f"{bad}:4: cases[0].expect.poeple: unknown key 'poeple'. Did you mean 'people'? "
        "Keys here: people, organization, publicize, dual_investigation, rules_in_force, notes"
    )
    bad.write_text("cases:\n  - name: x\n    expect: {}\n", encoding="utf-8")
    with pytest.raises(RulePackError) as info:
        load_golden_file(bad)
    assert str(info.value) == f"{bad}:2: case 'x': give either `case` or `case_file`"


def test_case_file_is_read_relative_to_the_test(tmp_path: Path) -> None:
    """`case_file:` names a case file beside the test file."""
    (tmp_path / "c.json").write_text(json.dumps({"case_id": "c"}), encoding="utf-8")
    test = tmp_path / "t.yaml"
    test.write_text("cases:\n  - name: x\n    case_file: c.json\n    expect: {}\n", encoding="utf-8")
    assert load_golden_file(test)[0].case == {"case_id": "c"}


def test_pytest_collects_golden_cases_and_reports_failures(tmp_path: Path) -> None:
    """The pytest plugin of a pack's tests folder: one item per case; a failing item shows file, case, expected,
    got and the trace."""
    pack = tmp_path / "pack"
    (pack / "tests").mkdir(parents=True)
    (pack / "pack.yaml").write_text(
        'name: no-lifesaving\nversion: "1"\nextends: default\nremove: [O-LIFESAVING]\n', encoding="utf-8"
    )
    shutil.copy(TESTS_DIR / "conftest.py", pack / "tests" / "conftest.py")
    shutil.copy(TESTS_DIR / "d07_top_of_range.yaml", pack / "tests" / "d07_top_of_range.yaml")
    shutil.copy(TESTS_DIR / "d08_public_interest.yaml", pack / "tests" / "d08_public_interest.yaml")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(pack / "tests"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout
    assert "3 failed, 3 passed" in out
    assert (
        "d07_top_of_range.yaml:5: the offender is placed at the top of the range with the heaviest measure (D7)" in out
    )
    assert "  people.p1.form: expected 3, got 2\n" in out
    assert "  trace:\n    1. O-SEVERITY-SERIOUS p1 v1" in out
    assert "FAILED pack/tests/d07_top_of_range.yaml::[0] the offender is placed at the top of the range" in out
