"""YAML that remembers where each mapping and key came from, so errors can name file and line."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from accountrules.errors import RulePackError


class LineMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml's parser when present
    """A safe loader (libyaml's C parser when PyYAML has it) whose mappings and lists remember their lines."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise RulePackError(f"key '{key}' appears twice in one mapping", None, key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


#: The most a file of a rule pack may hold (the default pack's largest file is a few tens of kilobytes).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The most nodes a YAML file may stand for once its aliases are expanded, and how deep it may nest: an alias
#: may repeat a whole subtree, so a few hundred bytes could otherwise stand for billions of nodes.
MAX_NODES = 200_000
MAX_DEPTH = 64


def read_pack_file(path: Path) -> bytes:
    """The bytes of one file of a rule pack: a regular file that lives in its folder (a link may not lead out
    of it), read up to `MAX_FILE_BYTES`; anything else is a `RulePackError` naming the file."""
    try:
        target = path.resolve(strict=True)
        if not target.is_relative_to(path.parent.resolve()):
            raise RulePackError(
                f"is a link to {target}, outside the pack's folder; copy the file into the pack instead", path
            )
        if not stat.S_ISREG(target.stat().st_mode):
            raise RulePackError("is not a regular file (a pipe, a device or a socket); give a YAML file", path)
        with target.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RulePackError(f"cannot read the file: {exc.strerror or exc}", path) from None
    if len(data) > MAX_FILE_BYTES:
        raise RulePackError(f"is larger than {MAX_FILE_BYTES // 1024 // 1024} MB; a rule file is a few kilobytes", path)
    return data


def read_yaml(path: Path) -> Any:
    """Load one YAML file; a syntax error becomes a `RulePackError` with its line."""
    try:
        text = read_pack_file(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulePackError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8", path
        ) from None
    try:
        _check_size(text)
        return yaml.load(text, Loader=_Loader)
    except RulePackError as exc:
        raise RulePackError(exc.detail, path, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise RulePackError(f"not valid YAML: {exc.problem}", path, line) from None
    except yaml.YAMLError as exc:
        raise RulePackError(f"not valid YAML: {exc}", path) from None


def _check_size(text: str) -> None:
    """Refuse a document that nests deeper than `MAX_DEPTH` or stands for more than `MAX_NODES` nodes with its
    aliases expanded, before anything is built from it (the parser's events are read, nothing is constructed)."""
    sizes: dict[str, int] = {}  # nodes under each anchor, aliases expanded
    stack: list[list[Any]] = [[None, 0]]  # per open collection: its anchor and its nodes so far
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            stack.append([event.anchor, 1])
            if len(stack) > MAX_DEPTH + 1:
                raise RulePackError(
                    f"nested more than {MAX_DEPTH} levels deep; a rule pack never needs that",
                    None,
                    _line(event),
                )
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, count = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
        elif isinstance(event, yaml.ScalarEvent):
            count = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            count = sizes.get(event.anchor or "", 1)
        else:
            continue
        stack[-1][1] += count
        if sum(entry[1] for entry in stack) > MAX_NODES:
            raise RulePackError(
                f"stands for more than {MAX_NODES:,} values once its aliases (*name) are expanded; "
                "repeat less through aliases",
                None,
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
