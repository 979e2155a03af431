"""Case files in YAML as well as JSON: a ``.yaml``/``.yml`` case is read by the rule packs' YAML reader with a
case's limits (no tags, no anchors or aliases, bounded size and depth), validated exactly as a JSON case, and each
problem carries the line of the YAML node it concerns.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from accountrules.errors import CaseValidationError, Problem
from accountrules.models import Case
from accountrules.rulepack.yamlfile import YamlLimits, line_at, parse_yaml
from accountrules.validation import MAX_CASE_BYTES, load_case, parse_case, parse_case_text

#: Suffixes read as YAML; every other case file is JSON.
YAML_SUFFIXES = (".yaml", ".yml")

#: A case nests five levels and never needs an alias; deeper input, or any alias, is refused before it is built.
CASE_LIMITS = YamlLimits("a case", max_bytes=MAX_CASE_BYTES, max_depth=32, aliases=False)

_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def is_yaml(name: str | Path) -> bool:
    """Whether a case file of this name is YAML."""
    return str(name).lower().endswith(YAML_SUFFIXES)


def read_case_file(path: str | Path) -> Case:
    """A validated case from a JSON or (by its suffix) YAML file."""
    if not is_yaml(path):
        return load_case(path)
    p = Path(path)
    try:
        if p.stat().st_size > MAX_CASE_BYTES:
            parse_case_text(b" " * (MAX_CASE_BYTES + 1), str(p))  # the size error of a JSON case, word for word
        raw = p.read_bytes()
    except FileNotFoundError:
        raise CaseValidationError([Problem("", "no such file; check the path")], str(p)) from None
    except IsADirectoryError:
        raise CaseValidationError([Problem("", "is a directory; give a case file")], str(p)) from None
    except PermissionError:
        raise CaseValidationError([Problem("", "cannot read the file: permission denied")], str(p)) from None
    return parse_case_yaml(raw, str(p))


def parse_case_yaml(text: str | bytes, source: str | None = None) -> Case:
    """Parse and validate one case written in YAML; problems name the JSON path and the YAML line."""
    if len(text) > MAX_CASE_BYTES:
        parse_case_text(text, source)  # raises the size error of a JSON case
    document = parse_yaml(
        text, CASE_LIMITS, lambda message, line: CaseValidationError([Problem("", message, line)], source)
    )
    if document is None:
        raise CaseValidationError([Problem("", "the input is empty; expected one YAML mapping (a case)")], source)
    try:
        return parse_case(document, source)
    except CaseValidationError as exc:
        problems = [Problem(p.path, p.message, p.line or line_at(document, _loc(p.path))) for p in exc.problems]
        raise CaseValidationError(problems, source) from None


def _loc(path: str) -> tuple[int | str, ...]:
    """``violations[0].offenders[1]`` → ``('violations', 0, 'offenders', 1)``."""
    return tuple(int(index) if index else name for name, index in _PART.findall(path))


def case_template() -> str:
    """The commented YAML case that ``accountrules new`` prints (it validates as it stands)."""
    return resources.files("accountrules.tooling").joinpath("case-template.yaml").read_text(encoding="utf-8")
