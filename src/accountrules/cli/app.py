"""Commands of ``accountrules``. Each parses its arguments, calls the library and renders; no decisions here."""

from __future__ import annotations

import io
import json
import os
import sys
from enum import Enum
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperCommand

from accountrules.cli import batch_commands, new_command, rules_commands, serve_command
from accountrules.cli.common import (
    DEFAULT_MAX_WORK,
    AsOfOption,
    EngineOption,
    MaxWorkOption,
    RuleEngine,
    RulesOption,
    engine_for,
    format_option,
    limits,
    read_case,
    show,
    user_errors,
    version_at,
)
from accountrules.errors import InstallationError
from accountrules.render.views import Format

app = typer.Typer(
    name="accountrules",
    help="问责规则引擎 accountrules: who bears what responsibility for a violation case, and why. "
    "It recommends; people decide.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="规则包 Inspect rule packs.", no_args_is_help=True, rich_markup_mode=None)


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        typer.echo(f"accountrules {version('accountrules')}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """问责规则引擎 accountrules: who bears what responsibility for a violation case, and why. It recommends;
    people decide."""


app.add_typer(rules_app, name="rules")
batch_commands.register(app)
rules_commands.register(app, rules_app)
serve_command.register(app)
new_command.register(app)


class SchemaKind(str, Enum):
    case = "case"
    determination = "determination"


@app.command()
def evaluate(
    case: Annotated[
        str,
        typer.Argument(help="Case file, JSON or YAML (its fields: accountrules schema case); - reads JSON from stdin."),
    ],
    output_format: Annotated[
        Optional[Format],  # noqa: UP045
        format_option("determination", default="text on a terminal, json otherwise"),
    ] = None,
    rules: RulesOption = None,
    max_work: MaxWorkOption = DEFAULT_MAX_WORK,
    runtime: EngineOption = RuleEngine.durable,
) -> None:
    """评估案件 Evaluate one case: responsibility, form and measure for every person, with the cited trace."""
    with user_errors(case):
        parsed = read_case(case)
    with user_errors():
        engine = engine_for(rules, runtime.value).with_limits(limits(max_work))
    with user_errors(case):
        determination = engine.evaluate_valid(parsed)
    chosen = output_format or (Format.text if sys.stdout.isatty() else Format.json)
    show("determination", chosen, determination, case=parsed)


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
def rules_list(
    rules: RulesOption = None,
    output_format: Annotated[Format, format_option("rules")] = Format.text,
    as_of: AsOfOption = None,
) -> None:
    """List the rules of a pack: id, stage, title and citations (with --as-of, those in force that day)."""
    from accountrules.render.rules import rule_list

    with user_errors():
        pack = engine_for(rules).pack
    show("rules", output_format, rule_list(pack, version_at(pack, as_of)))


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="Rule id, e.g. O-LIFESAVING; 'sanctions' for the sanctions table; 'merge' (or its step's id) for "
            "合并处理, several violations merged.",
        ),
    ],
    rules: RulesOption = None,
    output_format: Annotated[Format, format_option("rule")] = Format.text,
    as_of: AsOfOption = None,
) -> None:
    """Show one rule: basis, citations (with --as-of, as that day's version numbers them), conditions, effect;
    or, for 'sanctions', the party measures, their government sanctions and the promotion bars; for 'merge', how
    several violations of one person are merged (合并处理)."""
    from accountrules.render.rules import merge_sheet, rule_sheet, sanctions_sheet

    with user_errors():
        pack = engine_for(rules).pack
        version = version_at(pack, as_of)
        if rule_id == "sanctions":
            show("rule", output_format, sanctions_sheet(pack))
            return
        merge = pack.policy.merge
        if rule_id == "merge" or (merge is not None and rule_id == merge.id):
            show("rule", output_format, merge_sheet(pack, version))
            return
        rule = pack.rule(rule_id)
    show("rule", output_format, rule_sheet(rule, pack, version))


class _Command(TyperCommand):
    """A command whose help names every value as a word, as ``--rules DIR`` does: ``CASE`` and ``[FILE]...`` on
    the usage line, ``N`` for a number, ``DIR`` or ``PATH`` for a path, never typer's ``{case}``, ``<int range>``
    or ``<list[str]>``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                continue
            name = value_label(param, repeated=False)
            name = name if param.required else f"[{name}]"
            pieces.append(f"{name}..." if param.nargs != 1 else name)
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((value_label(param), record[1]))
            elif getattr(param, "is_flag", False) or getattr(param, "count", False):
                options.append(record)
            else:
                names = ", ".join(sorted(param.opts, key=len))
                options.append((f"{names} {value_label(param)}", record[1]))
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def value_label(param: Any, repeated: bool = True) -> str:
    """The word that stands for a parameter's value in help: its metavar, else the argument's name in capitals,
    else ``N`` for a number, ``DIR`` for a folder, ``PATH`` for another path, an enumeration's choices as ``[a|b]``
    and ``TEXT`` for the rest; with ``...`` when an argument takes several (unless ``repeated`` is false)."""
    if param.metavar:
        label = str(param.metavar)
    elif param.param_type_name == "argument":
        label = (param.name or "").upper()
    else:
        described = param.type_descriptor  # typer's reading of the annotation
        kind = described.annotation
        if described.is_path:
            label = {"dir": "DIR", "file": "FILE"}.get(described.path_type, "PATH")
        elif isinstance(kind, type) and issubclass(kind, (int, float)) and kind is not bool:
            label = "N"
        elif isinstance(kind, type) and issubclass(kind, Enum):
            label = "[" + "|".join(str(member.value) for member in kind) + "]"
        else:
            label = "TEXT"
    return f"{label}..." if repeated and param.param_type_name == "argument" and param.nargs != 1 else label


for _info in (*app.registered_commands, *rules_app.registered_commands):
    if _info.cls in (None, TyperCommand):
        _info.cls = _Command


def main() -> None:
    """Console entry point: output that cannot be written (a full disk, a closed pipe) is one ``Error:`` line
    and exit 1; unexpected failures are reported in one line unless ACCOUNTRULES_DEBUG is set."""
    _utf8_output()
    try:
        try:
            app()
        finally:
            _stop_worker_helpers()
            sys.stdout.flush()
    except SystemExit:
        raise
    except InstallationError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        _discard_stdout()
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"Error: {where}cannot write the output: {exc.strerror or exc}", err=True)
        raise SystemExit(1) from None
    except Exception as exc:
        if os.environ.get("ACCOUNTRULES_DEBUG"):
            raise
        typer.echo(
            f"Error: unexpected failure ({type(exc).__name__}: {exc}); rerun with ACCOUNTRULES_DEBUG=1 for details",
            err=True,
        )
        raise SystemExit(2) from None


def _utf8_output() -> None:
    """Output is UTF-8 whatever the locale says (JSON is UTF-8 by definition, and a case's names are Chinese):
    written to a file or a pipe as UTF-8, and on a terminal that cannot show a character, as its escape,
    never an encoding failure."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
        if encoding in ("utf-8", "utf8") or not isinstance(stream, io.TextIOWrapper):
            continue
        if stream.isatty():
            stream.reconfigure(errors="backslashreplace")
        else:
            stream.reconfigure(encoding="utf-8")


def _stop_worker_helpers() -> None:
    """A command that ran worker processes (batch, check) leaves none of their helpers behind, however it ended
    (Ctrl-C included)."""
    if "accountrules.batch.forkserver" in sys.modules:
        from accountrules.batch.forkserver import stop_helpers

        stop_helpers()


def _discard_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush of what could not be written
    does not fail again on the way out."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # no file descriptor behind stdout (a test's capture)
        pass
