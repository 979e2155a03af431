"""Every report and the formats it is shown in, declared once.

A report is a pydantic model (a determination, an explanation, a verification, golden-test results, a
consistency report, a list of rules, one rule); each view turns it into text for people (rich), Markdown, HTML
or JSON. The command line derives its ``--format`` choices from this table, and a view's module is imported only
when that view is asked for (the JSON of a determination loads neither rich nor Jinja2).

Every view of a report takes the report and the same optional context (a determination's views take the case,
a consistency report's the name of the archive).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from enum import Enum
from typing import Any, Literal


class Format(str, Enum):
    """How a report is shown."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


Report = Literal["determination", "explanation", "verification", "goldens", "consistency", "rules", "rule"]

#: The JSON view of every report: the model's own serialisation.
JSON = "accountrules.render.views:json_view"

VIEWS: dict[Report, dict[Format, str]] = {
    "determination": {
        Format.text: "accountrules.render.text:determination_text",
        Format.json: JSON,
        Format.markdown: "accountrules.render.markdown:determination_markdown",
        Format.html: "accountrules.render.html:determination_html",
    },
    "explanation": {
        Format.text: "accountrules.render.explanation:explanation_text",
        Format.json: JSON,
        Format.markdown: "accountrules.render.explanation:explanation_markdown",
    },
    "verification": {Format.text: "accountrules.render.verification:verification_text", Format.json: JSON},
    "goldens": {Format.text: "accountrules.render.goldens:goldens_text", Format.json: JSON},
    "consistency": {
        Format.text: "accountrules.render.consistency:summary_text",
        Format.json: JSON,
        Format.markdown: "accountrules.render.markdown:consistency_markdown",
        Format.html: "accountrules.render.html:report_html",
    },
    "rules": {Format.text: "accountrules.render.rules:rules_text", Format.json: JSON},
    "rule": {Format.text: "accountrules.render.rules:rule_text", Format.json: JSON},
}

#: What each format is for, as the command line's help says it.
PURPOSE = {
    Format.text: "text (bilingual, for people)",
    Format.json: "json (for programs)",
    Format.markdown: "markdown (to paste into a document)",
    Format.html: "html (one self-contained page)",
}


def formats(report: Report) -> tuple[Format, ...]:
    """The formats a report is shown in."""
    return tuple(VIEWS[report])


def view(report: Report, fmt: Format) -> Callable[..., Any]:
    """The function that shows ``report`` in ``fmt``: it returns a rich renderable for text, else a string."""
    try:
        where = VIEWS[report][fmt]
    except KeyError:
        shown = ", ".join(f.value for f in formats(report))
        raise ValueError(f"a {report} is shown as {shown}, not {fmt.value}") from None
    module, name = where.split(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def json_view(report: Any, **context: Any) -> str:
    """A report's JSON: its own ``to_json()`` where it has one (a determination's canonical bytes), else the
    model's, indented; with a final newline."""
    to_json = getattr(report, "to_json", None)
    text: str = to_json() if to_json is not None else report.model_dump_json(indent=2, by_alias=True)
    return text + "\n"
