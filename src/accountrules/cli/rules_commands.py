"""``accountrules rules verify``, ``rules test`` and ``accountrules explain``."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from accountrules.cli.common import RulesOption, engine_for, fail, read_case, user_errors

if TYPE_CHECKING:
    from accountrules.tooling.explain import Change, Explanation
    from accountrules.tooling.verify import VerifyReport

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
    app.command("explain")(explain)


def rules_verify(
    rules: RulesOption = None,
    output_format: FormatOption = ReportFormat.text,
    out: Annotated[
        Optional[Path],  # noqa: UP045 - typer reads this annotation at run time on Python 3.10
        typer.Option("--out", help="Folder for counterexample case files (default: a new temporary folder)."),
    ] = None,
    max_cases: Annotated[
        int, typer.Option("--max-cases", min=100, help="Cases per template before dimensions are combined sparsely.")
    ] = 4000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the shuffled fact orders and the random search.")] = 0,
    template: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--template", help="Cover only this template (offence, offender, look-back, decision)."),
    ] = None,
) -> None:
    """校验规则包 Verify a rule pack over the fact space its conditions span: completeness, D11 monotonicity,
    D5/D6 refusals, order invariance, dead rules, duplicate conditions. Exit 1 with counterexamples on failure."""
    from accountrules.tooling.verify import verify, write_counterexamples

    with user_errors():
        pack = engine_for(rules).pack
    try:
        report = verify(pack, cap=max_cases, seed=seed, progress=_progress(), only=template or ())
    except ValueError as exc:
        raise fail(str(exc)) from None
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
        mark = "–" if check.skipped else "✓" if check.passed else "✗"
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
    from accountrules.tooling.goldens import failure_report, golden_files, load_goldens, run_goldens

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


def explain(
    case: Annotated[str, typer.Argument(help="Case file (JSON, SPEC §3); - reads stdin.")],
    person: Annotated[str, typer.Option("--person", "-p", help="Id of the person to explain, e.g. p2.")],
    output_format: FormatOption = ReportFormat.text,
    rules: RulesOption = None,
) -> None:
    """解释 Explain one person's result: why (the rules and citations that produced it), why not (the rules
    that did not apply and the fact each lacked), and which single change of facts would move the form."""
    from accountrules.tooling.explain import explain as explain_person

    with user_errors():
        parsed = read_case(case)
        explanation = explain_person(engine_for(rules), parsed, person)
    if output_format is ReportFormat.json:
        typer.echo(explanation.to_json())
    else:
        for line in explanation_lines(explanation):
            typer.echo(line)


_PARTS = {
    "decided": "决定 decides",
    "placed": "定档 places",
    "counted": "计入 counts",
    "refused": "不采纳 refuses",
    "finding": "另认定 also finds",
    "outranked": "被取代 outranked",
    "missing": "未倒查 missing",
}


def explanation_lines(e: Explanation) -> list[str]:
    """An explanation as bilingual text, Chinese first."""
    from accountrules.render.common import facts_text
    from accountrules.vocabulary import form_label, label, measure_label

    who = f"{e.name} {e.person}" if e.name else e.person
    lines = [f"解释 Explanation: {who} — case {e.case_id} (rule pack {e.rulepack})"]
    r = e.result
    if r is None:
        lines.append("结果 Result: 不在认定之列 not in the determination: no rule names this person")
    elif r.form is None:
        lines.append(f"结果 Result: {label(r.responsibility)}: linked to a violation with nothing recorded")
    else:
        rng = f" [{r.range[0]},{r.range[1]}]" if r.range else ""
        modifier = "; ".join(f"{label(m.kind)} ({m.rule})" for m in r.modifiers) or "no modifier 无情节"
        lines.append(
            f"结果 Result: {label(r.responsibility)}, {label(r.scope)}; {form_label(r.form)}{rng}, "
            f"{measure_label(r.measure or 'none')}; {modifier}"
        )
        if r.refused:
            refused = ", ".join(label(x.kind) + (f" ← {label(x.detail)}" if x.detail else "") for x in r.refused)
            lines.append(f"不予采纳 Refused: {refused}")
    lines += ["", "为何 Why"]
    if not e.why:
        lines.append("  — no rule fired for this person 没有规则适用")
    for i, reason in enumerate(e.why, 1):
        target = f"{reason.violation}: " if reason.violation else ""
        lines.append(f"  {i}. {_PARTS[reason.part]}  [{reason.rule}] {reason.title}  ({', '.join(reason.cites)})")
        lines.append(f"     {target}{facts_text(reason.facts) or '—'} → {reason.effect}")
        lines.append(f"     {reason.note}")
    lines += ["", f"为何不 Why not: {len(e.why_not)} rules that could have named {e.person} did not"]
    far: dict[str, list[str]] = {}
    for w in e.why_not:
        if w.met == 0:
            far.setdefault(w.lacking, []).append(w.rule)
            continue
        on = f" on {w.violation}" if w.violation else ""
        lines.append(f"  - [{w.rule}] {w.title}: {w.met} of {w.conditions} conditions met{on}")
        lines.append(f"      {w.lacking}")
        if not w.condition.startswith("not "):
            lines.extend(f"      nearest: {near}" for near in w.near)
    for lacking, rule_ids in far.items():
        lines.append(f"  - {lacking}: {', '.join(rule_ids)}")
    lines += ["", "如何改变 What would change the form (each change re-evaluated through the engine)"]
    lines += _changes("↑ 加重 up", e.up)
    lines += _changes("↓ 减轻 down", e.down)
    if e.needed:
        lines += ["", "尚需查明 Still needed"]
        for need in e.needed:
            lines.append(f"  - {need.description}")
            lines.extend(f"      {_change_words(c)}" for c in need.options)
    return lines


def _change_words(c: Change) -> str:
    from accountrules.tooling.explain import form_words

    found = f" ({', '.join(c.findings_after)})" if c.findings_after else ""
    before = form_words(c.form_before, c.measure_before)
    return f"{c.description}: {before} → {form_words(c.form_after, c.measure_after)}{found}"


def _changes(head: str, changes: list[Change]) -> list[str]:
    if not changes:
        return [f"  {head}: no single change found 未找到"]
    lines = [f"  {head}: {_change_words(changes[0])}"]
    for c in changes[1:4]:
        lines.append(f"      or {_change_words(c)}")
    if len(changes) > 4:
        lines.append(f"      and {len(changes) - 4} more (--format json lists them all)")
    return lines
