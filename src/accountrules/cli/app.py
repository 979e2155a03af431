"""Commands of ``accountrules``. Each parses its arguments, calls the library and renders; no decisions here."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from accountrules.cli import batch_commands, rules_commands
from accountrules.cli.common import RulesOption, console, engine_for, fail, read_case, user_errors
from accountrules.errors import InstallationError

app = typer.Typer(
    name="accountrules",
    help="问责规则引擎 accountrules: who bears what responsibility for a violation case, and why. "
    "It recommends; people decide.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="规则包 Inspect rule packs.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(rules_app, name="rules")
batch_commands.register(app)
rules_commands.register(app, rules_app)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


class SchemaKind(str, Enum):
    case = "case"
    determination = "determination"


@app.command()
def evaluate(
    case: Annotated[str, typer.Argument(help="Case file (JSON, SPEC §3); - reads stdin.")],
    output_format: Annotated[
        Optional[OutputFormat],  # noqa: UP045
        typer.Option("--format", "-f", help="text (default on a terminal), json (default otherwise) or markdown."),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """评估案件 Evaluate one case: responsibility, form and measure for every person, with the cited trace."""
    with user_errors():
        parsed = read_case(case)
        engine = engine_for(rules)
        determination = engine.evaluate_valid(parsed)
    chosen = output_format or (OutputFormat.text if sys.stdout.isatty() else OutputFormat.json)
    if chosen is OutputFormat.json:
        typer.echo(determination.to_json())
    elif chosen is OutputFormat.markdown:
        from accountrules.render import determination_markdown

        typer.echo(determination_markdown(determination, parsed), nl=False)
    else:
        from accountrules.render import determination_text

        console().print(determination_text(determination))


@app.command()
def schema(
    which: Annotated[SchemaKind, typer.Argument(help="case or determination")],
    rules: RulesOption = None,
) -> None:
    """JSON Schema 模式 of a case file or of a determination (the pack given with --rules is validated and named)."""
    from accountrules.models import Case, Determination

    with user_errors():
        pack = engine_for(rules).pack if rules else None
    model = Case if which is SchemaKind.case else Determination
    document = model.model_json_schema()
    if pack is not None:
        document["$comment"] = f"rule pack {pack.name} {pack.version} ({pack.digest})"
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


@rules_app.command("list")
def rules_list(rules: RulesOption = None) -> None:
    """List the rules of a pack: id, stage, title and citations."""
    from accountrules.render import rules_table

    with user_errors():
        pack = engine_for(rules).pack
    console().print(rules_table(pack))


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="Rule id, e.g. O-LIFESAVING.")],
    rules: RulesOption = None,
) -> None:
    """Show one rule: basis, citations, conditions and effect."""
    from accountrules.render import rule_text

    with user_errors():
        pack = engine_for(rules).pack
        try:
            rule = pack.rule(rule_id)
        except KeyError as exc:
            raise fail(str(exc.args[0])) from None
    console().print(rule_text(rule, pack))


def main() -> None:
    """Console entry point: unexpected failures are reported in one line unless ACCOUNTRULES_DEBUG is set."""
    try:
        app()
    except SystemExit:
        raise
    except InstallationError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    except Exception as exc:
        if os.environ.get("ACCOUNTRULES_DEBUG"):
            raise
        typer.echo(
            f"Error: unexpected failure ({type(exc).__name__}: {exc}); rerun with ACCOUNTRULES_DEBUG=1 for details",
            err=True,
        )
        raise SystemExit(2) from None
