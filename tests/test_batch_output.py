"""What `batch` writes, in blocks: JSON lines handed to workers unread, and workers that die on them."""

from __future__ import annotations

import functools
import io
import json
import signal
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from accountrules import Engine
from accountrules.batch import open_source
from accountrules.batch.api import batch_output
from accountrules.batch.records import Block, Lines, Record, RecordError, jsonl_pieces, jsonl_records
from accountrules.batch.scale import numbered_records
from accountrules.validation import MAX_CASE_BYTES
from tests.test_batch import corpus, die_on, expected_line

#: The case size limit while the properties below run: lines of a few bytes are then too long.
SMALL = 12

line_texts = st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=12)


def archive_of(lines: list[bytes], last_newline: bool) -> bytes:
    data = b"\n".join(lines)
    return data + b"\n" if last_newline and data else data


def records_of(pieces: Any) -> list[Any]:
    """The records of `jsonl_pieces`' pieces, and ``"fault"`` where reading stopped at one."""
    found: list[Any] = []
    try:
        for piece in pieces:
            found += piece.records() if isinstance(piece, Lines) else piece
    except EOFError:
        found.append("fault")
    return found


def records_read(stream: io.BufferedReader) -> list[Any]:
    found: list[Any] = []
    try:
        found += jsonl_records(stream)
    except EOFError:
        found.append("fault")
    return found


class _Cut(io.RawIOBase):
    """A file whose reading fails (EOFError, as damaged gzip data does) at byte ``at``, ``step`` bytes a read."""

    def __init__(self, data: bytes, at: int, step: int) -> None:
        self.data, self.at, self.step, self.pos = data, at, step, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.pos >= len(self.data):
            return 0
        if self.pos >= self.at:
            raise EOFError("cut short")
        n = min(len(buffer), self.step, self.at - self.pos, len(self.data) - self.pos)
        memoryview(buffer).cast("B")[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


@settings(max_examples=300, deadline=None)
@given(line_texts, st.booleans(), st.integers(1, 5), st.sampled_from([1, 3, 8, 64]))
def test_pieces_hold_the_records_jsonl_reads(lines: list[bytes], last_newline: bool, size: int, read: int) -> None:
    """The records of the pieces, lines too long included, are `jsonl_records`' for any lines, piece size and
    read size; each piece holds at most ``size`` lines, numbered on from the last."""
    data = archive_of(lines, last_newline)
    with (
        mock.patch("accountrules.batch.records.MAX_CASE_BYTES", SMALL),
        mock.patch("accountrules.batch.records.BUFFER", read),
    ):
        pieces = list(jsonl_pieces(io.BufferedReader(io.BytesIO(data), 4), size))
        expected = list(jsonl_records(io.BytesIO(data)))
        assert records_of(pieces) == expected
    numbers = [(p.first, p.last) if isinstance(p, Lines) else (p[0].number, p[0].number) for p in pieces]
    assert all(1 <= last - first + 1 <= size for first, last in numbers)
    assert [first for first, _ in numbers] == [1, *(last + 1 for _, last in numbers)][: len(numbers)]


@settings(max_examples=300, deadline=None)
@given(line_texts, st.booleans(), st.integers(1, 5), st.integers(0, 400), st.sampled_from([1, 5, 64]))
def test_pieces_stop_at_a_fault_after_the_records_jsonl_reads(
    lines: list[bytes], last_newline: bool, size: int, at: int, step: int
) -> None:
    """Reading that fails part way gives the records `jsonl_records` gives before the same fault, then the fault."""
    data = archive_of(lines, last_newline)
    with mock.patch("accountrules.batch.records.MAX_CASE_BYTES", SMALL):
        got = records_of(jsonl_pieces(io.BufferedReader(_Cut(data, at, step), 16), size))
        expected = records_read(io.BufferedReader(_Cut(data, at, step), 16))
    assert got == expected


def lines_of(data: bytes) -> list[bytes]:
    """The lines of ``data``, each with its newline (the last without one when the data ends without it)."""
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=16).map(lambda b: b.replace(b"\n", b"")), max_size=8), st.booleans())
def test_partition_reads_the_records_batch_reads(lines: list[bytes], last_newline: bool) -> None:
    """`numbered_records` (the reader of `partition`) gives `jsonl_records`' records for any lines, carriage
    returns and lines at the size limit included (a record may gain the newline its line lacked)."""
    data = archive_of([line.replace(b"\r", b"") + b"\r" * (i % 2) for i, line in enumerate(lines)], last_newline)
    with (
        mock.patch("accountrules.batch.records.MAX_CASE_BYTES", SMALL),
        mock.patch("accountrules.batch.scale.MAX_CASE_BYTES", SMALL),
    ):
        expected = [(r.number, r.payload.rstrip(b"\n"), r.problem) for r in jsonl_records(io.BytesIO(data))]
        got = [(r.number, r.payload.rstrip(b"\n"), r.problem) for r in numbered_records(lines_of(data))]
    assert got == expected


def test_a_line_too_long_is_a_piece_of_its_own() -> None:
    """A line over the case size limit between two cases: three pieces, the middle one its error record."""
    data = b'{"a": 1}\n' + b"x" * (MAX_CASE_BYTES + 1) + b'\n{"b": 2}\n'
    pieces = list(jsonl_pieces(io.BufferedReader(io.BytesIO(data)), 128))
    assert [type(p).__name__ for p in pieces] == ["Lines", "list", "Lines"]
    assert pieces[0] == Lines(1, 1, b'{"a": 1}\n')
    assert pieces[1] == [Record(2, "line", b"", pieces[1][0].problem)]
    assert pieces[2] == Lines(3, 3, b'{"b": 2}\n')


# ---------------------------------------------------------------------------------------------------------------
# workers given lines they read


def archive_with_bad_lines(path: Path) -> Path:
    """Twenty cases with a blank line, broken JSON, a line too long and a last line without its newline."""
    texts = corpus(20, seed=5)
    lines = [*texts[:6], "", '{"case_id": "broken", ', *texts[6:12], "x" * (MAX_CASE_BYTES + 1), *texts[12:]]
    path.write_bytes("\n".join(lines).encode("utf-8"))
    return path


def output(path: Path, engine: Engine, **options: Any) -> Block:
    with open_source(str(path)) as source:
        return Block.joined(batch_output(engine, source, **options))


def test_workers_that_read_the_lines_write_what_one_process_writes(engine: Engine, tmp_path: Path) -> None:
    """`batch_output` with two workers reading pieces of four lines: the bytes, the count of records and the
    error records of the same archive evaluated in this process."""
    path = archive_with_bad_lines(tmp_path / "a.jsonl")
    here = output(path, engine, workers=0)
    assert here.records == 22
    assert [(e.number, e.case_id) for e in here.errors] == [(8, None), (15, None)]
    assert output(path, engine, workers=2, chunk_size=4) == here


def test_a_worker_lost_on_lines_it_read_costs_no_record(engine: Engine, tmp_path: Path) -> None:
    """A worker killed on line 10, within a piece of lines it read: the piece's records are run again, and the
    output is what one process writes."""
    path = archive_with_bad_lines(tmp_path / "a.jsonl")
    hook = functools.partial(die_on, frozenset({10}), str(tmp_path), "kill")
    got = output(path, engine, workers=2, chunk_size=4, hook=hook)
    assert (tmp_path / "10").exists()  # the worker did die
    assert got == output(path, engine, workers=0)


def test_a_line_that_kills_a_worker_twice_is_set_aside(engine: Engine, tmp_path: Path) -> None:
    """Line 3 kills every worker that runs it: after the second death its error record, with its line and case,
    stands in its place."""
    texts = corpus(8, seed=5)
    path = tmp_path / "a.jsonl"
    path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    hook = functools.partial(die_on, frozenset({3}), None, "kill")
    got = output(path, engine, workers=2, chunk_size=4, hook=hook)
    error = RecordError(
        3,
        "line",
        json.loads(texts[2])["case_id"],
        f"the rule engine crashed 2 times on this record (worker exit code {-signal.SIGKILL}); it was set aside",
    )
    lines = [expected_line(engine, t) for t in texts]
    lines[2] = error.to_json().encode("utf-8")
    assert got == Block(8, b"".join(line + b"\n" for line in lines), [error])
