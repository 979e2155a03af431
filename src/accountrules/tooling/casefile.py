"""Case files in YAML as well as JSON: a ``.yaml``/``.yml`` case is loaded safely (no tags, no anchors or aliases,
bounded depth), validated exactly as a JSON case, and each problem carries the line of the YAML node it concerns.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from accountrules.errors import CaseValidationError, Problem, RulePackError
from accountrules.models import Case
from accountrules.rulepack.yamlfile import _Loader, line_at
from accountrules.validation import MAX_CASE_BYTES, load_case, parse_case, parse_case_text

#: Suffixes read as YAML; every other case file is JSON.
YAML_SUFFIXES = (".yaml", ".yml")

#: Deeper than any case (a case nests five levels); deeper input is refused before it is built.
MAX_DEPTH = 32

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
    document = _load(_decode(text, source), source)
    if document is None:
        raise CaseValidationError([Problem("", "the input is empty; expected one YAML mapping (a case)")], source)
    try:
        return parse_case(document, source)
    except CaseValidationError as exc:
        problems = [Problem(p.path, p.message, p.line or line_at(document, _loc(p.path))) for p in exc.problems]
        raise CaseValidationError(problems, source) from None


def _decode(text: str | bytes, source: str | None) -> str:
    if isinstance(text, str):
        return text
    try:
        return text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = text.count(b"\n", 0, exc.start) + 1
        raise CaseValidationError([Problem("", "not UTF-8 text; save the case file as UTF-8", line)], source) from None


def _load(text: str, source: str | None) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_tree(node, source)
        return loader.construct_document(node)
    except RulePackError as exc:  # a key repeated in one mapping
        raise CaseValidationError([Problem("", exc.detail, exc.line)], source) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise CaseValidationError([Problem("", f"not valid YAML: {exc.problem}", line)], source) from None
    except yaml.YAMLError as exc:
        raise CaseValidationError([Problem("", f"not valid YAML: {exc}")], source) from None
    finally:
        loader.dispose()


def _check_tree(root: yaml.Node, source: str | None) -> None:
    """Refuse anchors and aliases (a node reached twice) and nesting deeper than any case."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        line = node.start_mark.line + 1
        if id(node) in seen:
            problem = Problem("", "anchors and aliases (& and *) are not used in a case; write the value out", line)
            raise CaseValidationError([problem], source)
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise CaseValidationError([Problem("", "the YAML is nested too deeply to be a case", line)], source)
        if isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)


def _loc(path: str) -> tuple[int | str, ...]:
    """``violations[0].offenders[1]`` → ``('violations', 0, 'offenders', 1)``."""
    return tuple(int(index) if index else name for name, index in _PART.findall(path))


def case_template() -> str:
    """The commented YAML case that ``accountrules new`` prints (it validates as it stands)."""
    return resources.files("accountrules.tooling").joinpath("case-template.yaml").read_text(encoding="utf-8")
