"""What every command module of ``accountrules`` shares: the ``--rules`` and ``--format`` options, the engine of a
pack, reading a case, showing a report, and turning bad input into ``Error: …`` on stderr."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from accountrules.errors import AccountRulesError
from accountrules.render.views import PURPOSE, Format, Report, formats, view

if TYPE_CHECKING:
    from rich.console import Console

RulesOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads this annotation at run time on Python 3.10
    typer.Option(
        "--rules",
        help="Rule pack directory (default: the pack shipped with accountrules).",
        file_okay=False,
        dir_okay=True,
    ),
]


class RuleEngine(str, Enum):
    """What matches a pack's rules (`accountrules.engine.compiled.ENGINES`, restated here because the CLI imports
    the engine lazily; tests keep them equal), the default first."""

    durable = "durable"
    compiled = "compiled"


EngineOption = Annotated[
    RuleEngine,
    typer.Option(
        "--engine",
        help="What matches the rules: durable (durable_rules, the engine of record) or compiled (the same rules "
        "as generated Python, proven to give the same results; several times faster).",
    ),
]


AsOfOption = Annotated[
    Optional[str],  # noqa: UP045 - typer reads this annotation at run time on Python 3.10
    typer.Option(
        "--as-of", metavar="DATE", help="The rules in force on this day (YYYY-MM-DD); default: every version."
    ),
]


def version_at(pack: Any, as_of: str | None) -> str | None:
    """The id of the pack's version in force on ``as_of`` (None for no day); a bad day is a user error."""
    if as_of is None:
        return None
    import datetime as dt

    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise fail(f"--as-of: '{as_of}' is not a day; write it YYYY-MM-DD") from None
    return str(pack.versions.at(day).id)


def format_option(report: Report, default: str = "text") -> Any:
    """The ``--format`` option of a command that shows ``report``: the choices are the formats render/ has
    views for, and the help says what each is for."""
    choices = formats(report)
    names = [f.value for f in choices]

    def parse(value: str | Format) -> Format:
        if isinstance(value, Format):
            return value
        if value not in names:
            from accountrules.validation import suggest

            raise typer.BadParameter(f"'{value}' is not one of {', '.join(names)}.{suggest(value, names)}")
        return Format(value)

    purposes = [PURPOSE[f] for f in choices]
    listed = ", ".join(purposes[:-1]) + f" or {purposes[-1]}"
    return typer.Option(
        "--format",
        "-f",
        parser=parse,
        metavar="[" + "|".join(names) + "]",
        help=f"{listed}; default: {default}.",
        show_default=False,
    )


def show(report: Report, fmt: Format, value: Any, **context: Any) -> None:
    """Print ``value`` (a report of kind ``report``) in ``fmt`` on stdout: text through rich, the rest as is. Text
    and Markdown show control characters from the input as escapes, so that no name can drive the terminal."""
    if fmt in (Format.text, Format.markdown):
        from accountrules.render.common import displayable

        value = displayable(value)
        context = {name: displayable(item) for name, item in context.items()}
    shown = view(report, fmt)(value, **context)
    if isinstance(shown, str):
        typer.echo(shown, nl=False)
    else:
        console().print(shown)


#: The width of text written to a pipe or a file (no terminal to fit): wide enough that tables keep words whole.
PIPED_WIDTH = 200


def console() -> Console:
    """The console text views print to: the terminal's width (or COLUMNS when set), else `PIPED_WIDTH`."""
    import os

    from rich.console import Console  # only the text formats need it

    fitted = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(highlight=False, soft_wrap=False, width=None if fitted else PIPED_WIDTH)


def fail(message: str, code: int = 1) -> typer.Exit:
    """``Error: …`` on stderr, one line each, control characters from the input shown as escapes."""
    from accountrules.render.common import printable

    for line in message.splitlines() or [message]:
        typer.echo(f"Error: {printable(line)}", err=True)
    return typer.Exit(code)


MaxWorkOption = Annotated[
    int,
    typer.Option(
        "--max-work",
        min=0,
        help="The most work one case may ask for: people × violations (0: no limit).",
    ),
]
#: The library's default `CaseLimits.max_work`, restated for the option's default (tests keep them equal).
DEFAULT_MAX_WORK = 100_000


def limits(max_work: int) -> Any:
    """The `CaseLimits` of ``--max-work``."""
    from accountrules.validation import CaseLimits

    return CaseLimits(max_work=max_work)


@contextmanager
def user_errors(source: str | None = None) -> Iterator[None]:
    """Bad input becomes ``Error: …`` on stderr and exit 1, never a traceback; with ``source`` (a case file, -
    for stdin), every message names it first."""
    try:
        yield
    except AccountRulesError as exc:
        message = str(exc)
        if source is not None:
            shown = "<stdin>" if source == "-" else source
            prefix = f"{shown}: "
            message = "\n".join(line if line.startswith(prefix) else prefix + line for line in message.splitlines())
        raise fail(message) from None


def engine_for(rules: Path | None, runtime: str = "durable"):  # type: ignore[no-untyped-def]  # an Engine
    """The engine of the pack in ``rules`` (None: the default pack), its rules matched by ``runtime``."""
    from accountrules.engine import Engine

    return (Engine.from_path(rules) if rules else Engine.default()).with_runtime(runtime)


def read_case(path: str):  # type: ignore[no-untyped-def]  # returns Case; imported lazily
    """A validated case from a JSON or YAML (``.yaml``/``.yml``) file, or from stdin (JSON) for ``-``."""
    from accountrules.tooling.casefile import read_case_file
    from accountrules.validation import MAX_CASE_BYTES, parse_case_text

    if path == "-":
        return parse_case_text(sys.stdin.buffer.read(MAX_CASE_BYTES + 1), "<stdin>")
    return read_case_file(path)
