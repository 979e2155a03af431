"""The one reader of YAML, for rule packs and case files: bounded in size, depth and expanded aliases, and
remembering where each mapping and key came from, so errors can name file and line.

PyYAML is imported by the first parse, not with this module: a command that evaluates a JSON case with a rule
pack kept from an earlier run (`accountrules.rulepack.stored`) parses no YAML."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accountrules.errors import RulePackError

if TYPE_CHECKING:
    import yaml


class LineMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _YamlProblem(Exception):
    """What is wrong with a YAML document and on which line; `parse_yaml` turns it into its caller's error."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise _YamlProblem(f"key '{key}' appears twice in one mapping", key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_text(loader: Any, node: yaml.ScalarNode) -> str:
    """An unquoted date (``2024-06-30``) as the text it is written as, as JSON holds it: the models read days
    from text, and a day that is not in the calendar is then their problem to name, not the parser's crash."""
    return str(loader.construct_scalar(node))


@cache
def _loader() -> Any:
    """A safe loader (libyaml's C parser when PyYAML has it) whose mappings and lists remember their lines and
    which reads unquoted dates as text."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml's when present
        pass

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)
    return Loader


#: The tags a document may write out: those of the values JSON has. Any other (``!!binary``, ``!!set``,
#: ``!!python/…``) is refused before anything is built.
_JSON_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq"))


#: The most a file of a rule pack may hold (the default pack's largest file is a few tens of kilobytes).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The most nodes a YAML file may stand for once its aliases are expanded, and how deep it may nest: an alias
#: may repeat a whole subtree, so a few hundred bytes could otherwise stand for billions of nodes.
MAX_NODES = 200_000
MAX_DEPTH = 64


@dataclass(frozen=True)
class YamlLimits:
    """How much one YAML document may hold, and what it is (named in the messages: "a rule pack", "a case")."""

    what: str
    max_bytes: int = MAX_FILE_BYTES
    max_depth: int = MAX_DEPTH
    max_nodes: int = MAX_NODES
    #: Whether anchors and aliases may be used at all; when they may, `max_nodes` counts them expanded.
    aliases: bool = True


PACK_LIMITS = YamlLimits("a rule pack")


#: Makes a reader's own error from a message and the line it concerns (None when unknown).
ErrorMaker = Callable[[str, "int | None"], Exception]


def parse_yaml(data: str | bytes, limits: YamlLimits, error: ErrorMaker) -> Any:
    """The one reader of YAML (rule packs and case files alike): one document, read with a safe loader, whose
    mappings and lists remember their lines. It is refused, with the error ``error(message, line)`` makes, when
    it is not UTF-8, larger than ``limits.max_bytes``, nested deeper than ``limits.max_depth``, standing for more
    than ``limits.max_nodes`` values with its aliases expanded (or using aliases at all when ``limits.aliases``
    is false), writing a tag of a value JSON does not have (``!!binary``, ``!!set``, ``!!python/…``), repeating a
    key in one mapping, or not YAML. Nothing is built before the parser's events have
    been checked, so an alias bomb never expands."""
    import yaml

    try:
        if len(data) > limits.max_bytes:
            mb = limits.max_bytes // 1024 // 1024
            raise _YamlProblem(f"is larger than {mb} MB, more than {limits.what} ever needs")
        text = _decode(data)
        _check_size(text, limits)
        return yaml.load(text, Loader=_loader())
    except _YamlProblem as exc:
        raise error(exc.message, exc.line) from None
    except yaml.YAMLError as exc:
        raise error(*_yaml_problem(exc, text)) from None


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[str, int | None]:
    """What is wrong with YAML ``text``, in one line, and the line it is on (when known)."""
    import yaml

    if isinstance(exc, yaml.MarkedYAMLError):
        return f"not valid YAML: {exc.problem}", exc.problem_mark.line + 1 if exc.problem_mark else None
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        line = text.count("\n", 0, exc.position) + 1
        return f"not valid YAML: the character #x{code:04x} is not allowed in YAML ({exc.reason}); remove it", line
    return f"not valid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", None


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _YamlProblem(f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8", line) from None


def read_pack_file(path: Path) -> bytes:
    """The bytes of one file of a rule pack: a regular file that lives in its folder (a link may not lead out
    of it), read up to `MAX_FILE_BYTES`; anything else is a `RulePackError` naming the file."""
    try:
        target = path.resolve(strict=True)
        if not target.is_relative_to(path.parent.resolve()):
            raise RulePackError(
                f"is a link to {target}, outside the pack's folder; copy the file into the pack instead", path
            )
        mode = target.stat().st_mode
        if stat.S_ISDIR(mode):
            raise RulePackError("is a folder, not a YAML file; name the files in it (folder/*.yaml)", path)
        if not stat.S_ISREG(mode):
            raise RulePackError("is not a regular file (a pipe, a device or a socket); give a YAML file", path)
        with target.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RulePackError(f"cannot read the file: {exc.strerror or exc}", path) from None
    if len(data) > MAX_FILE_BYTES:
        raise RulePackError(f"is larger than {MAX_FILE_BYTES // 1024 // 1024} MB; a rule file is a few kilobytes", path)
    return data


def read_yaml(path: Path) -> Any:
    """Load one YAML file of a rule pack; any problem becomes a `RulePackError` with the file and its line."""
    return parse_yaml(read_pack_file(path), PACK_LIMITS, lambda message, line: RulePackError(message, path, line))


def _check_size(text: str, limits: YamlLimits) -> None:
    """Refuse a document that writes a tag JSON has no value for, nests deeper than allowed, uses aliases where
    none are allowed, or stands for more values than allowed with its aliases expanded, before anything is built
    from it (the parser's events are read, nothing is constructed)."""
    import yaml

    sizes: dict[str, int] = {}  # nodes under each anchor, aliases expanded
    stack: list[list[Any]] = [[None, 0]]  # per open collection: its anchor and its nodes so far
    total = 0  # the nodes so far, aliases expanded (the sum of the stack's counts)
    for event in yaml.parse(text, Loader=_loader()):
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _JSON_TAGS:
            shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag
            raise _YamlProblem(
                f"{shown} is not read in {limits.what}; write the value as plain text, a number, a list or a mapping",
                _line(event),
            )
        if not limits.aliases and getattr(event, "anchor", None) is not None:
            raise _YamlProblem(
                f"anchors and aliases (& and *) are not used in {limits.what}; write the value out", _line(event)
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            stack.append([event.anchor, 1])
            total += 1
            if len(stack) > limits.max_depth + 1:
                raise _YamlProblem(
                    f"nested more than {limits.max_depth} levels deep; {limits.what} never needs that", _line(event)
                )
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, count = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
            stack[-1][1] += count  # in the total already, counted as its nodes came
        else:
            if isinstance(event, yaml.ScalarEvent):
                count = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                count = sizes.get(event.anchor or "", 1)
            else:
                continue
            stack[-1][1] += count
            total += count
        if total > limits.max_nodes:
            raise _YamlProblem(
                f"stands for more than {limits.max_nodes:,} values once its aliases (*name) are expanded; "
                "repeat less through aliases",
                _line(event),
            )


def _line(event: Any) -> int | None:
    mark = event.start_mark
    return None if mark is None else int(mark.line) + 1


def line_at(node: Any, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest node along ``loc`` that knows its line."""
    line = getattr(node, "line", None)
    for part in loc:
        if isinstance(node, LineMap) and isinstance(part, str) and part in node:
            line = node.line_of(part)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def plain(node: Any) -> Any:
    """The same data as built-in dicts and lists (for strict validation)."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
