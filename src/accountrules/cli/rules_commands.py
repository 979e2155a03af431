"""``accountrules rules verify``, ``rules test`` and ``accountrules explain``."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from accountrules.cli.common import (
    DEFAULT_MAX_WORK,
    AsOfOption,
    EngineOption,
    MaxWorkOption,
    RuleEngine,
    RulesOption,
    engine_for,
    fail,
    format_option,
    limits,
    read_case,
    show,
    user_errors,
    version_at,
)
from accountrules.render.views import Format


def register(app: typer.Typer, rules_app: typer.Typer) -> None:
    """Add the rule-pack tooling and explanation commands."""
    rules_app.command("verify")(rules_verify)
    rules_app.command("test")(rules_test)
    app.command("explain")(explain)


#: The most cases per template `rules verify` may enumerate: far beyond what any pack's fact space needs.
MAX_CASES = 1_000_000


def rules_verify(
    rules: RulesOption = None,
    output_format: Annotated[Format, format_option("verification")] = Format.text,
    out: Annotated[
        Optional[Path],  # noqa: UP045 - typer reads this annotation at run time on Python 3.10
        typer.Option(
            "--out", metavar="DIR", help="Folder for counterexample case files (default: a new temporary folder)."
        ),
    ] = None,
    max_cases: Annotated[
        int, typer.Option("--max-cases", min=100, help="Cases per template before dimensions are combined sparsely.")
    ] = 4000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the shuffled fact orders and the random search.")] = 0,
    template: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--template",
            metavar="TEMPLATE",
            help="Cover only this template (offence, consequences, offender, look-back, decision).",
        ),
    ] = None,
    runtime: EngineOption = RuleEngine.durable,
    as_of: AsOfOption = None,
) -> None:
    """校验规则包 Verify a rule pack over the fact space its conditions span: completeness, D11 monotonicity,
    D5/D6 refusals, order invariance, dead rules, duplicate conditions, within each version of the regulations
    (or the one in force --as-of a day). Exit 1 with counterexamples on failure."""
    from accountrules.tooling.verify import verify, write_counterexamples

    if max_cases > MAX_CASES:
        raise fail(f"--max-cases {max_cases}: give at most {MAX_CASES:,}")
    with user_errors():
        pack = engine_for(rules).pack
    chosen = version_at(pack, as_of)
    failed = False
    directory = out
    for version in [chosen] if chosen else list(pack.versions.ids):
        with user_errors():
            report = verify(
                pack,
                cap=max_cases,
                seed=seed,
                progress=_progress(),
                only=template or (),
                in_force=version,
                runtime=runtime.value,
            )
        failed = failed or not report.ok
        if any(check.counterexample is not None for check in report.checks):  # a dead rule has none to write
            directory = directory or Path(tempfile.mkdtemp(prefix="accountrules-verify-"))
            report = report.with_files(write_counterexamples(report, directory if chosen else directory / version))
        show("verification", output_format, report)
    if failed:
        raise typer.Exit(1)


def _progress() -> Callable[[str, int, int], None] | None:
    """Progress on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return None

    def report(template: str, done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r  {template}: {done:,}/{total:,}", end=end, file=sys.stderr, flush=True)

    return report


def rules_test(
    files: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Argument(
            metavar="FILE",
            help="Golden test files (YAML); default: every file in the tests folder of the pack and of the packs "
            "it extends.",
        ),
    ] = None,
    rules: RulesOption = None,
    output_format: Annotated[Format, format_option("goldens")] = Format.text,
    runtime: EngineOption = RuleEngine.durable,
) -> None:
    """黄金测试 Run a pack's golden tests: cases with the determinations they must get (a pack that extends
    another runs the other's too). Exit 1 if any fails."""
    from accountrules.tooling.goldens import golden_files, golden_report, load_goldens, run_goldens

    with user_errors():
        engine = engine_for(rules, runtime.value)
        paths = list(files) if files else [p for folder in engine.pack.tests_dirs for p in golden_files(folder)]
        if not paths:
            raise fail(f"no golden tests in {_shown(engine.pack.tests_dir)}; add YAML files of cases there")
        goldens = load_goldens(paths)
    report = golden_report(engine.pack, run_goldens(engine, goldens), shown=_shown)
    show("goldens", output_format, report)
    if report.failed:
        raise typer.Exit(1)


def _shown(path: Path) -> str:
    """A path relative to the working folder when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def explain(
    case: Annotated[
        str,
        typer.Argument(help="Case file, JSON or YAML (its fields: accountrules schema case); - reads JSON from stdin."),
    ],
    person: Annotated[str, typer.Option("--person", "-p", metavar="ID", help="Id of the person to explain, e.g. p2.")],
    output_format: Annotated[Format, format_option("explanation")] = Format.text,
    rules: RulesOption = None,
    max_work: MaxWorkOption = DEFAULT_MAX_WORK,
    runtime: EngineOption = RuleEngine.durable,
) -> None:
    """解释 Explain one person's result: why (the rules and citations that produced it), why not (the rules
    that did not apply and the fact each lacked), and which single change of facts would move the form."""
    from accountrules.tooling.explain import explain as explain_person

    with user_errors(case):
        parsed = read_case(case)
    with user_errors():
        engine = engine_for(rules, runtime.value).with_limits(limits(max_work))
    with user_errors(case):
        explanation = explain_person(engine, parsed, person)
    show("explanation", output_format, explanation)
