"""``accountrules rules verify``, ``rules test`` and ``accountrules explain``."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from accountrules.cli.app import RulesOption, engine_for, fail, user_errors

if TYPE_CHECKING:
    from accountrules.rulepack.verify import VerifyReport

Written = dict[str, tuple[Path, Optional[Path]]]  # noqa: UP045 - evaluated at run time on Python 3.10


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


FormatOption = Annotated[
    ReportFormat,
    typer.Option("--format", "-f", help="text (bilingual, for people) or json (for programs)."),
]


def register(app: typer.Typer, rules_app: typer.Typer) -> None:
    """Add the rule-pack tooling and explanation commands."""
    rules_app.command("verify")(rules_verify)
    rules_app.command("test")(rules_test)


def rules_verify(
    rules: RulesOption = None,
    output_format: FormatOption = ReportFormat.text,
    out: Annotated[
        Optional[Path],  # noqa: UP045 - typer reads this annotation at run time on Python 3.10
        typer.Option("--out", help="Folder for counterexample case files (default: a new temporary folder)."),
    ] = None,
    max_cases: Annotated[
        int, typer.Option("--max-cases", min=100, help="Cases per template before dimensions are combined sparsely.")
    ] = 2500,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the shuffled fact orders and the random search.")] = 0,
) -> None:
    """校验规则包 Verify a rule pack over the fact space its conditions span: completeness, D11 monotonicity,
    D5/D6 refusals, order invariance, dead rules, duplicate conditions. Exit 1 with counterexamples on failure."""
    from accountrules.rulepack.verify import verify, write_counterexamples

    with user_errors():
        pack = engine_for(rules).pack
    report = verify(pack, cap=max_cases, seed=seed, progress=_progress())
    written: Written = {}
    if not report.ok:
        directory = out or Path(tempfile.mkdtemp(prefix="accountrules-verify-"))
        written = {name: (case, after) for name, case, after in write_counterexamples(report, directory)}
    if output_format is ReportFormat.json:
        import json

        data = report.to_dict()
        for check in data["checks"]:
            paths = written.get(check["name"])
            if paths:
                check["counterexample"]["files"] = [str(p) for p in paths if p is not None]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in _verify_lines(report, written):
            typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


def _progress() -> Callable[[str, int, int], None] | None:
    """Progress on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(template: str, done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r  {template}: {done:,}/{total:,}", end=end, file=sys.stderr, flush=True)

    return show


def _verify_lines(report: VerifyReport, written: Written) -> list[str]:
    lines = [
        f"规则包校验 Verify rule pack: {report.pack} {report.version} ({report.rules} rules)",
        f"事实空间 Fact space: {report.class_count} classes that the conditions tell apart",
        *(f"  {line}" for line in report.classes),
        "模板 Templates:",
        *(f"  {c.line()}" for c in report.coverage),
        f"用时 Time: {report.evaluations:,} evaluations of {report.cases:,} cases in {report.seconds:.1f} s "
        f"(seed {report.seed})",
        "",
    ]
    for check in report.checks:
        mark = "✓" if check.passed else "✗"
        lines.append(f"{mark} {check.title} — {check.checked:,} {check.unit}")
        if check.note:
            lines.append(f"    {check.note}")
        lines.extend(f"    {problem}" for problem in check.problems)
        example = check.counterexample
        if example is not None:
            lines.append(f"    {example.message}")
            case_path, after_path = written.get(check.name, (None, None))
            where = f"{case_path}" + (f" → after: {after_path}" if after_path else "")
            lines.append(f"    反例 counterexample: {where}")
            plural = "" if example.departures == 1 else "s"
            lines.append(
                f"    (template {example.template}, {example.departures} departure{plural} from its plain case)"
            )
    failed = sum(1 for c in report.checks if not c.passed)
    lines.append("")
    if failed:
        lines.append(f"未通过 FAILED: {failed} of {len(report.checks)} checks")
    else:
        lines.append(f"通过 PASSED: all {len(report.checks)} checks")
    return lines


def rules_test(
    files: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Argument(help="Golden test files (YAML); default: every file in the pack's tests folder."),
    ] = None,
    rules: RulesOption = None,
    output_format: FormatOption = ReportFormat.text,
) -> None:
    """黄金测试 Run a pack's golden tests: cases with the determinations they must get. Exit 1 if any fails."""
    from accountrules.rulepack.goldens import failure_report, golden_files, load_goldens, run_goldens

    with user_errors():
        engine = engine_for(rules)
        paths = list(files) if files else golden_files(engine.pack.tests_dir)
        if not paths:
            raise fail(f"no golden tests in {_shown(engine.pack.tests_dir)}; add YAML files of cases there")
        goldens = load_goldens(paths)
    results = run_goldens(engine, goldens)
    failed = [r for r in results if not r.passed]
    if output_format is ReportFormat.json:
        import json

        data = {
            "pack": {"name": engine.pack.name, "version": engine.pack.version},
            "passed": len(results) - len(failed),
            "failed": len(failed),
            "cases": [
                {
                    "file": _shown(r.golden.path),
                    "line": r.golden.line,
                    "principle": r.golden.principle,
                    "name": r.golden.name,
                    "passed": r.passed,
                    "error": r.error,
                    "mismatches": [{"path": m.path, "expected": m.expected, "got": m.got} for m in r.mismatches],
                }
                for r in results
            ],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"黄金测试 Golden tests of rule pack {engine.pack.name} {engine.pack.version}: {len(results)} cases")
        for path in dict.fromkeys(r.golden.path for r in results):
            mine = [r for r in results if r.golden.path == path]
            bad = sum(1 for r in mine if not r.passed)
            mark = "✗" if bad else "✓"
            tally = f"{bad} of {len(mine)} failed" if bad else f"{len(mine)} passed"
            typer.echo(f"{mark} {_shown(path)}: {tally}")
        for result in failed:
            typer.echo("")
            typer.echo(failure_report(result).replace(str(result.golden.path), _shown(result.golden.path), 1))
        typer.echo("")
        if failed:
            typer.echo(f"未通过 FAILED: {len(failed)} of {len(results)} cases")
        else:
            typer.echo(f"通过 PASSED: all {len(results)} cases")
    if failed:
        raise typer.Exit(1)


def _shown(path: Path) -> str:
    """A path relative to the working folder when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
