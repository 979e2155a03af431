"""Reading archives record by record (JSON lines, a JSON array, gzip) and the error record of a bad one.

Nothing here holds more than one record (at most `MAX_CASE_BYTES`) in memory at a time, whatever the size of
the file.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

from accountrules.errors import ArchiveError, CaseValidationError, UsageError
from accountrules.validation import MAX_CASE_BYTES

Position = Literal["line", "index"]
_READ = 1 << 16
#: Buffer of archive files read and written: fewer system calls for archives of gigabytes.
BUFFER = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


class Record(NamedTuple):
    """One record of an archive: where it is (line from 1, or index from 0 in a JSON array) and its text.

    ``payload`` is what the record holds (JSON text, or a case given as an object); ``problem`` is set, and
    the payload empty, for a record that could not even be read whole; ``source`` names the file the record
    is, for a folder of case files. (A tuple: records cross to worker processes by the thousand.)
    """

    number: int
    position: Position
    payload: Any
    problem: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class RecordError:
    """A record that could not be evaluated: SPEC §7's ``{"line": N, "case_id": …, "error": "…"}``."""

    number: int
    position: Position
    case_id: str | None
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {self.position: self.number, "case_id": self.case_id, "error": self.error}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def __str__(self) -> str:
        where = f"line {self.number}" if self.position == "line" else f"index {self.number}"
        case = f" (case {self.case_id})" if self.case_id else ""
        return f"{where}{case}: {self.error}"


def output_line(ok: bool, value: Any) -> bytes:
    """The line `accountrules batch` writes for a result (without its newline): the determination's JSON as
    UTF-8, or the error record's."""
    line: bytes = value if ok else value.to_json().encode("utf-8")
    return line


class Block(NamedTuple):
    """What `accountrules batch` writes for consecutive records: their lines, each ending with a newline, how
    many records they are, and the error records among them."""

    records: int
    data: bytes
    errors: list[RecordError]

    @classmethod
    def of(cls, results: Iterable[tuple[bool, Any]]) -> Block:
        """The block of these results, in order (``(True, JSON bytes)`` or ``(False, RecordError)``)."""
        parts: list[bytes] = []
        errors: list[RecordError] = []
        for ok, value in results:
            if not ok:
                errors.append(value)
            parts.append(output_line(ok, value))
            parts.append(b"\n")
        return cls(len(parts) // 2, b"".join(parts), errors)

    @classmethod
    def each(cls, results: Iterable[tuple[Any, bool, Any]]) -> Iterator[Block]:
        """A block of one record for each ``(record, ok, value)`` of ``results``; closing this closes them."""
        try:
            for _, ok, value in results:
                yield cls.of([(ok, value)])
        finally:
            getattr(results, "close", lambda: None)()

    @classmethod
    def joined(cls, blocks: Iterable[Block]) -> Block:
        """One block of these, in order."""
        listed = list(blocks)
        return cls(
            sum(b.records for b in listed), b"".join(b.data for b in listed), [e for b in listed for e in b.errors]
        )


class Lines(NamedTuple):
    """Whole lines of a JSON-lines archive as read, numbered ``first`` to ``last`` (blank ones included; each ends
    with a newline, but for the archive's last). None is longer than a case may be: `records` reads them as
    `jsonl_records` reads the archive."""

    first: int
    last: int
    data: bytes

    def records(self) -> Iterator[Record]:
        return jsonl_records(io.BytesIO(self.data), self.first)


def too_long(number: int, position: Position) -> Record:
    return Record(
        number,
        position,
        b"",
        f"the record is larger than {MAX_CASE_BYTES // 1024 // 1024} MB, the most one case may take; "
        "check that records are separated as the format requires",
    )


class Source:
    """An archive opened for reading: iterate for its records; ``done``/``size`` tell how far it has got (bytes
    of the file as stored, compressed or not; ``size`` is None when unknown, as for stdin).

    Iteration stops at a fault of the archive itself (not of one record) after every record before it, and
    ``error`` then says what the fault was: a caller that reports it once all those records are written loses
    nothing that could be read.
    """

    def __init__(self, name: str, raw: IO[bytes], stream: IO[bytes], array: bool, size: int | None) -> None:
        self.name = name
        self._raw = raw
        self._stream = stream
        self.array = array
        self.size = size
        #: Why reading stopped before the end of the archive, or None.
        self.error: str | None = None

    @property
    def done(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[Record]:
        records = json_array_records(self._stream) if self.array else jsonl_records(self._stream)
        yield from self._read(records)

    @property
    def lines(self) -> bool:
        """Whether the archive is JSON lines, which `pieces` reads without looking into them."""
        return not self.array

    def pieces(self, lines: int) -> Iterator[Lines | list[Record]]:
        """The archive's JSON lines in pieces of at most ``lines`` lines (`jsonl_pieces`), for processes that
        read the records themselves; stops where iteration would, with the same ``error``."""
        yield from self._read(jsonl_pieces(self._stream, lines))

    def _read(self, items: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from items
        except ArchiveError as exc:
            self.error = str(exc)
        except gzip.BadGzipFile as exc:
            self.error = f"not valid gzip data ({exc}); is the file compressed with gzip?"
        except (EOFError, zlib.error):
            self.error = "the compressed data ends early or is damaged; the records before the damage were read"
        except OSError as exc:
            self.error = f"cannot read on: {exc.strerror or exc}"

    def close(self) -> None:
        if self._stream is not self._raw:
            self._stream.close()
        if self._raw is not sys.stdin.buffer:
            self._raw.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Folder(Source):
    """A folder of case files read as an archive: one record per ``.json``, ``.yaml`` or ``.yml`` file directly in
    it, in the order of their names, numbered by index from 0; every message about a record names its file.
    ``done`` and ``size`` count bytes of those files."""

    def __init__(self, name: str, files: list[Path]) -> None:
        self.files = files
        self._done = 0
        super().__init__(name, io.BytesIO(), io.BytesIO(), False, sum(_size(f) for f in files))

    @property
    def done(self) -> int:
        return self._done

    @property
    def lines(self) -> bool:
        return False

    def __iter__(self) -> Iterator[Record]:
        for index, file in enumerate(self.files):
            yield _case_file_record(index, file)
            self._done += _size(file)


#: The case files a folder given as an archive holds.
CASE_FILE_SUFFIXES = (".json", ".yaml", ".yml")


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0


def _case_file_record(index: int, file: Path) -> Record:
    """The record of one case file: its JSON text, or, for YAML, the case read from it (whose problems name
    their lines), or the problem that kept it from being read."""
    from accountrules.tooling.casefile import is_yaml, parse_case_yaml

    name = str(file)
    try:
        if not stat.S_ISREG(file.stat().st_mode):  # a pipe would block the run, a device never end
            return Record(index, "index", b"", "is not a regular file (a pipe, a device or a socket)", name)
        with file.open("rb") as handle:
            text = handle.read(MAX_CASE_BYTES + 1)
    except OSError as exc:
        return Record(index, "index", b"", f"cannot read the file: {exc.strerror or exc}", name)
    if len(text) > MAX_CASE_BYTES:
        return too_long(index, "index")._replace(source=name)
    if not is_yaml(file):
        return Record(index, "index", text, source=name)
    try:
        return Record(index, "index", parse_case_yaml(text), source=name)
    except CaseValidationError as exc:
        return Record(index, "index", b"", "; ".join(str(p) for p in exc.problems), name)


def open_source(name: str | Path, stdin: IO[bytes] | None = None) -> Source:
    """Open an archive by its name: ``.json`` is a JSON array, ``.jsonl``/``.ndjson`` (or any other name) JSON
    lines, ``.gz`` either of them compressed; ``-`` reads JSON lines (gzip or not) from stdin; a folder is
    its case files (`Folder`), and a ``.yaml``/``.yml`` file is one case file (an archive of one case).

    Raises:
        FileNotFoundError, IsADirectoryError, PermissionError: as ``open`` does.
    """
    text = str(name)
    if text == "-":
        given: Any = stdin if stdin is not None else sys.stdin.buffer
        buffered: Any = given if isinstance(given, io.BufferedReader) else io.BufferedReader(given)
        compressed = buffered.peek(2)[:2] == _GZIP_MAGIC
        stream: Any = gzip.GzipFile(fileobj=buffered, mode="rb") if compressed else buffered
        return Source("<stdin>", buffered, stream, False, None)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in CASE_FILE_SUFFIXES and not p.is_dir())
        return Folder(text, files)
    if path.suffix.lower() in (".yaml", ".yml"):
        return Folder(text, [path])
    raw: Any = path.open("rb", buffering=BUFFER)
    size = path.stat().st_size if path.is_file() else None
    lower = path.name.lower()
    compressed = lower.endswith(".gz")
    stem = lower[: -len(".gz")] if compressed else lower
    stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
    return Source(text, raw, stream, stem.endswith(".json"), size)


def jsonl_records(stream: IO[bytes], first: int = 1) -> Iterator[Record]:
    """One record per non-blank line, numbered from ``first`` (blank lines count but are not records)."""
    number = first - 1
    while True:
        line = stream.readline(MAX_CASE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_CASE_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest of the line, a piece at a time
                line = stream.readline(_READ)
            yield too_long(number, "line")
            continue
        if line.strip():
            yield Record(number, "line", line)


def jsonl_pieces(stream: IO[bytes], lines: int) -> Iterator[Lines | list[Record]]:
    """The lines of a JSON-lines archive, unread, in pieces of at most ``lines`` whole lines; a line longer than
    a case may be is a piece of its own, the list of its `too_long` record. The records of the pieces are those
    `jsonl_records` reads from the same lines, and a fault of the archive stops both after the same records: the
    lines read whole before it are handed on, a line it cuts short is not."""
    read = getattr(stream, "read1", stream.read)
    buffer = b""
    start = 0  # where the lines not yet handed on begin in ``buffer``
    scan = 0  # where the next line begins
    count = 0  # lines from ``start`` to ``scan``
    number = 1  # the number of the line at ``start``
    skipping = False  # within a line too long, until its newline
    while True:
        end = buffer.find(b"\n", scan)
        if end >= 0 and not skipping and end - scan <= MAX_CASE_BYTES:
            scan = end + 1
            count += 1
            if count == lines:
                yield Lines(number, number + count - 1, buffer[start:scan])
                number, start, count = number + count, scan, 0
            continue
        if not skipping and (end >= 0 or len(buffer) - scan > MAX_CASE_BYTES):  # a line too long
            if count:
                yield Lines(number, number + count - 1, buffer[start:scan])
                number, count = number + count, 0
            skipping = True
        if skipping and end >= 0:  # its end: it stands alone, as its error record
            yield [too_long(number, "line")]
            number, start, scan, skipping = number + 1, end + 1, end + 1, False
            continue
        if skipping:  # what is read of it is let go
            buffer, start, scan = b"", 0, 0
        try:
            more = read(BUFFER)
        except BaseException:  # a fault of the archive: the lines read whole before it go first
            if count:
                yield Lines(number, number + count - 1, buffer[start:scan])
            raise
        if not more:
            break
        buffer = buffer[start:] + more
        scan -= start
        start = 0
    if skipping:
        yield [too_long(number, "line")]
        return
    if scan < len(buffer):  # the last line, without a newline (and no longer than a case may be)
        count += 1
    if count:
        yield Lines(number, number + count - 1, buffer[start:])


_SIGNIFICANT = re.compile(r'["\\{}\[\],]')
_IN_STRING = re.compile(r'["\\]')
_SPACE = " \t\r\n"
_DECODER = json.JSONDecoder()


def json_array_records(stream: IO[bytes]) -> Iterator[Record]:
    """The elements of a top-level JSON array, numbered from 0, each as its own JSON text.

    Each element's end is found by Python's JSON parser (or, for an element it cannot parse, by scanning for
    the next top-level comma); the element is parsed again, and any error in it reported, by whoever
    evaluates it, so one malformed element costs only itself. Bytes that are not UTF-8 are kept as they were
    and reported by the evaluation of their element.
    """
    yield from _ArrayScanner(stream).records()


class _ArrayScanner:
    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.decode = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode
        self.buffer = ""
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(_READ)
        self.buffer += self.decode(chunk, final=not chunk)
        self.eof = not chunk
        return True

    def _skip_space(self, pos: int) -> int:
        while True:
            while pos < len(self.buffer) and self.buffer[pos] in _SPACE:
                pos += 1
            if pos < len(self.buffer) or not self._more():
                return pos

    def _char(self, pos: int) -> str:
        while pos >= len(self.buffer) and self._more():
            pass
        return self.buffer[pos : pos + 1]

    def records(self) -> Iterator[Record]:
        pos = self._skip_space(0)
        if self._char(pos) == "\ufeff":
            pos = self._skip_space(pos + 1)
        if self._char(pos) == "{":
            end = self._value_end(pos)
            if end is not None and self._char(self._skip_space(end)) == "{":
                problem = (
                    "a .json archive holds one JSON array of cases, and this file holds one JSON object after "
                    "another, as JSON lines do: name it .jsonl (or put the cases in an array [ … ])"
                )
            else:
                problem = (
                    "a .json archive holds one JSON array of cases, and this file holds one JSON object (a case?): "
                    "evaluate one case with `accountrules evaluate`, or put the cases in an array [ … ] (or one "
                    "per line in a .jsonl file)"
                )
            yield Record(0, "index", b"", problem)
            return
        if self._char(pos) != "[":
            found = self.buffer[pos : pos + 20] or "nothing"
            problem = f"a .json archive holds one JSON array of cases; found {found!r} at its start"
            yield Record(0, "index", b"", problem)
            return
        pos = self._skip_space(pos + 1)
        if self._char(pos) == "]":
            self.buffer = self.buffer[pos + 1 :]
            self._end()
            return
        index = 0
        while True:
            end = self._value_end(pos)
            after = self._skip_space(end) if end is not None else -1
            closed = self._char(after) if end is not None else ""
            oversize = False
            if closed not in (",", "]"):  # not one value then a separator: scan for the separator instead
                end, separator, oversize = self._element_end(pos)
                after = end
                closed = separator or ""
                pos = 0 if oversize else pos
            assert end is not None
            element = self.buffer[pos:end]
            if oversize:
                yield too_long(index, "index")
            elif element.strip():
                yield Record(index, "index", element.encode("utf-8", "surrogateescape"))
            else:
                yield Record(index, "index", b"", "an empty element in the array (two commas in a row?)")
            index += 1
            self.buffer = self.buffer[after + 1 :]
            if closed == "]":
                self._end()
                return
            if closed != ",":
                raise ArchiveError(f"the array is not closed: ']' is missing after the element at index {index - 1}")
            pos = self._skip_space(0)

    def _end(self) -> None:
        """Nothing but white space may follow the array's closing bracket."""
        pos = self._skip_space(0)
        if pos < len(self.buffer):
            found = self.buffer[pos : pos + 20]
            raise ArchiveError(
                f"after the array's closing bracket comes {found!r}; a .json archive holds exactly one array "
                "(for several, use JSON lines: one case per line)"
            )

    def _value_end(self, start: int) -> int | None:
        """Where the JSON value at ``start`` ends, if it is one (reading on as far as a case may go)."""
        while True:
            try:
                _, end = _DECODER.raw_decode(self.buffer, start)
            except (ValueError, RecursionError):
                end = None
            if end is not None and (end < len(self.buffer) or self.eof):
                return end
            if len(self.buffer) - start > MAX_CASE_BYTES or not self._more():
                return None

    def _element_end(self, start: int) -> tuple[int, str | None, bool]:
        """Where the element that starts at ``start`` ends (the index of the comma or bracket after it), the
        character found there (None at the end of the input) and whether it was too large to keep."""
        depth = 0
        pos = start
        in_string = False
        oversize = False
        while True:
            pattern = _IN_STRING if in_string else _SIGNIFICANT
            match = pattern.search(self.buffer, pos)
            if match is None:
                if len(self.buffer) - start > MAX_CASE_BYTES:
                    oversize = True
                    self.buffer = self.buffer[-1:] if in_string and self.buffer.endswith("\\") else ""
                    start = pos = 0
                else:
                    pos = len(self.buffer)
                if not self._more():
                    return len(self.buffer), None, oversize
                continue
            char = match.group()
            pos = match.end()
            if in_string:
                if char == "\\":
                    if pos >= len(self.buffer) and not self._more():
                        return len(self.buffer), None, oversize
                    pos += 1
                else:
                    in_string = False
            elif char == '"':
                in_string = True
            elif char in ("{", "["):
                depth += 1
            elif char in ("}", "]") and depth > 0:
                depth -= 1
            elif depth == 0:  # a comma or the closing bracket of the array
                return match.start(), char, oversize


def given_records(items: Iterable[Any]) -> Iterator[Record]:
    """Records for cases given in Python (a `Case`, an object, JSON text or `Record`s), numbered by index.

    Raises:
        UsageError: ``items`` is one text, whose characters would each be read as a case.
    """
    if isinstance(items, (str, bytes, bytearray)):
        raise UsageError(
            f"cases: give an iterable of cases (dicts, JSON texts or Cases), not one {type(items).__name__}; "
            "evaluate one case with engine.evaluate, or read an archive file with accountrules.batch.open_source(path)"
        )
    return (item if isinstance(item, Record) else Record(index, "index", item) for index, item in enumerate(items))
