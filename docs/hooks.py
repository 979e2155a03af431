"""Pages generated from the code when the site is built, so that the reference can never drift from it.

A page asks for a generated section with a marker line, ``<!-- generated: NAME -->``:

- ``case-fields``: every field of a case file, from the JSON Schema that ``accountrules schema case`` prints (the
  descriptions are the models' own);
- ``vocabulary``: every value of every enumeration, with its Chinese and English labels and what it means;
- ``cli``: every command and option, from the command-line application itself;
- ``run ARGS``: what ``accountrules ARGS`` prints (standard output and standard error), run at build time, as a
  console transcript, so that the pages show real output.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import typer
import typer.cli

from accountrules import vocabulary
from accountrules.cli.app import app
from accountrules.models import Case

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- generated: ([a-z-]+) ?(.*?) -->$", re.MULTILINE)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace each marker line with its generated section."""
    return MARKER.sub(lambda m: GENERATORS[m.group(1)](m.group(2)), markdown)


# ---------------------------------------------------------------------------------------------------------------
# case fields


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type_of(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        return f"object of id → {_type_of(schema['additionalProperties'])}"
    if schema.get("format") == "date":
        return "date `YYYY-MM-DD`"
    return f"{kind}" if kind else "any"


def _default(name: str, schema: dict[str, Any], required: set[str]) -> str:
    if name in required:
        return "**required**"
    if "default" in schema:
        value = schema["default"]
        return "`" + ("null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)) + "`"
    return "optional"


def case_fields(_: str = "") -> str:
    """One table per object of the case schema, the case itself first."""
    schema = Case.model_json_schema()
    objects = {"Case": schema, **schema.get("$defs", {})}
    out: list[str] = []
    for name, definition in objects.items():
        if definition.get("type") != "object":
            continue
        out.append(f"### {name}\n")
        if definition.get("description"):
            out.append(definition["description"] + "\n")
        out.append("| field | type | default | meaning |\n|---|---|---|---|")
        required = set(definition.get("required", []))
        for field, spec in definition.get("properties", {}).items():
            out.append(
                f"| `{field}` | {_cell(_type_of(spec))} | {_default(field, spec, required)} | "
                f"{_cell(spec.get('description', ''))} |"
            )
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# vocabulary


def vocabulary_tables(_: str = "") -> str:
    """A table per enumeration: the value, its labels, and what it means in practice."""
    out: list[str] = ["### 四种形态 Forms (`form`)\n", "| value | 中文 | English | meaning |\n|---|---|---|---|"]
    for form, (zh, en) in vocabulary.FORM_LABELS.items():
        out.append(f"| `{form}` | {_cell(zh)} | {_cell(en)} | {_cell(vocabulary.FORM_MEANINGS[form])} |")
    out.append("")
    for title, literal in vocabulary.ENUMERATIONS:
        out.append(f"### {title}\n")
        out.append("| value | 中文 | English | meaning |\n|---|---|---|---|")
        for value in vocabulary.values(literal):
            zh, en = vocabulary.LABELS.get(value, (value, value))
            if literal is vocabulary.Measure and value == "none":  # the measure, not the responsibility
                zh, en = vocabulary.FORM_LABELS[0]
            out.append(f"| `{value}` | {_cell(zh)} | {_cell(en)} | {_cell(vocabulary.meaning(value, literal))} |")
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# command line


def cli_reference(_: str = "") -> str:
    command = typer.main.get_command(app)
    with click.Context(command, info_name="accountrules") as ctx:
        text = typer.cli.get_docs_for_click(obj=command, ctx=ctx, name="accountrules", title="accountrules")
    # the command's own title is the page's; its sections go one level down
    return re.sub(r"^# accountrules\n", "", text, count=1).replace("\n#", "\n##")


# ---------------------------------------------------------------------------------------------------------------
# transcripts


def run(arguments: str) -> str:
    """``$ accountrules ARGS`` and its output, as the command prints it into a pipe 100 columns wide."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "accountrules", *shlex.split(arguments)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    output = (done.stdout + done.stderr).rstrip()
    return f"```console\n$ accountrules {arguments}\n{output}\n```"


GENERATORS: dict[str, Callable[[str], str]] = {
    "case-fields": case_fields,
    "vocabulary": vocabulary_tables,
    "cli": cli_reference,
    "run": run,
}
