"""Streaming evaluation of archives: formats, order, error records, flat memory, and workers that die."""

from __future__ import annotations

import functools
import gzip
import io
import itertools
import json
import os
import signal
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine
from accountrules.batch import Record, RecordError, evaluate_many, open_source, stream
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.errors import CaseValidationError
from accountrules.validation import MAX_CASE_BYTES, parse_case_text

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"


def corpus(cases: int, seed: int, patterns: int | None = 12) -> list[str]:
    return [g.text for g in generate(CorpusSpec(cases=cases, seed=seed, patterns=patterns, recorded=False))]


@pytest.fixture(scope="module")
def lines() -> list[str]:
    """Forty cases of a synthetic archive, as JSON lines."""
    return corpus(40, seed=3)


def expected_line(engine: Engine, text: str) -> bytes:
    return engine.evaluate(text).to_json(indent=None).encode("utf-8")


def error_of(text: str, line: bool = False) -> str:
    """The error a record carries: the validation problems, as `evaluate` reports them (a record that is one
    line of a file names the column of a syntax error, not "line 1")."""
    with pytest.raises(CaseValidationError) as caught:
        parse_case_text(text)
    problems = [str(p) for p in caught.value.problems]
    if line:
        problems = [p.replace("line 1 column ", "column ", 1) if p.startswith("line 1 ") else p for p in problems]
    return "; ".join(problems)


def results(source: Any, engine: Engine, **options: Any) -> list[Any]:
    return list(evaluate_many(engine, source, as_json=True, **options))


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------------------
# the same determinations as one at a time, in order


def test_batch_gives_each_case_its_own_determination_in_order(engine: Engine, lines: list[str]) -> None:
    """Every record's result is the JSON that evaluating it alone gives, in input order."""
    assert results(lines, engine) == [expected_line(engine, text) for text in lines]


def test_models_are_returned_by_default(engine: Engine, lines: list[str]) -> None:
    """Without ``as_json``, results are `Determination`s equal to single evaluations."""
    assert list(evaluate_many(engine, lines[:5])) == [engine.evaluate(text) for text in lines[:5]]


def test_engine_evaluate_many_delegates(engine: Engine, lines: list[str]) -> None:
    """`Engine.evaluate_many` is `evaluate_many` with that engine."""
    assert list(engine.evaluate_many(lines[:3])) == [engine.evaluate(text) for text in lines[:3]]


def test_cases_may_be_given_as_objects_and_models(engine: Engine) -> None:
    """A dict, a `Case` and JSON text of one case give one determination each."""
    text = SPEC_EXAMPLE.read_text(encoding="utf-8")
    given = [json.loads(text), parse_case_text(text), text]
    assert results(given, engine) == [expected_line(engine, text)] * 3


def test_workers_keep_input_order_when_later_chunks_finish_first(engine: Engine, lines: list[str]) -> None:
    """Three workers with chunks of two, the first chunks slowed down: the output is still in input order."""
    hook = functools.partial(pause_on, frozenset({0, 1, 2, 3}), 0.4)
    assert results(lines, engine, workers=3, chunk_size=2, hook=hook) == [expected_line(engine, t) for t in lines]


def test_in_process_and_worker_results_are_identical(engine: Engine, lines: list[str]) -> None:
    """``workers=0`` and ``workers=2`` give the same results, error records included."""
    given = [*lines[:10], "{not json", *lines[10:20]]
    assert results(given, engine, workers=2) == results(given, engine, workers=0)


# ---------------------------------------------------------------------------------------------------------------
# formats


def test_jsonl_gzip_and_array_files_give_the_same_determinations(
    engine: Engine, lines: list[str], tmp_path: Path
) -> None:
    """The same cases as .jsonl, .jsonl.gz and a .json array."""
    plain = write_jsonl(tmp_path / "cases.jsonl", lines)
    packed = tmp_path / "cases.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    array = tmp_path / "cases.json"
    array.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    expected = [expected_line(engine, t) for t in lines]
    for path in (plain, packed, array):
        with open_source(path) as source:
            assert results(source, engine) == expected, path.name


def test_stdin_is_read_as_json_lines_plain_or_gzip(engine: Engine, lines: list[str]) -> None:
    """``-`` reads JSON lines from stdin, compressed or not."""
    data = "".join(line + "\n" for line in lines[:4]).encode("utf-8")
    expected = [expected_line(engine, t) for t in lines[:4]]
    for raw in (data, gzip.compress(data)):
        with open_source("-", stdin=io.BufferedReader(io.BytesIO(raw))) as source:  # type: ignore[arg-type]
            assert results(source, engine) == expected


def test_records_are_numbered_by_line_from_1_and_by_index_from_0(tmp_path: Path) -> None:
    """Blank lines count as lines but are not records; array elements count from 0."""
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \n{"b": 2}\r\n{"c"')
    with open_source(path) as source:
        assert [(r.number, r.position, r.payload) for r in source] == [
            (1, "line", b'{"a": 1}\n'),
            (4, "line", b'{"b": 2}\r\n'),
            (5, "line", b'{"c"'),
        ]
    array = tmp_path / "cases.json"
    array.write_bytes(b' [{"a": "x,]}\\"y"}, [1, 2] ,3]')
    with open_source(array) as source:
        assert [(r.number, r.payload) for r in source] == [(0, b'{"a": "x,]}\\"y"}'), (1, b"[1, 2]"), (2, b"3")]


def test_a_json_file_that_is_not_an_array_is_one_error_record(engine: Engine, tmp_path: Path) -> None:
    """A .json archive must hold an array; anything else there is reported, not evaluated."""
    path = tmp_path / "cases.json"
    path.write_text('"case_id"', encoding="utf-8")
    with open_source(path) as source:
        got = results(source, engine)
    found = repr('"case_id"')
    assert got == [
        RecordError(0, "index", None, f"a .json archive holds one JSON array of cases; found {found} at its start")
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '{"case_id": "x"}',
            "a .json archive holds one JSON array of cases, and this file holds one JSON object (a case?): evaluate "
            "one case with `accountrules evaluate`, or put the cases in an array [ … ] (or one per line in a .jsonl "
            "file)",
        ),
        (
            '{"case_id": "x"}\n{"case_id": "y"}\n',
            "a .json archive holds one JSON array of cases, and this file holds one JSON object after another, as "
            "JSON lines do: name it .jsonl (or put the cases in an array [ … ])",
        ),
    ],
)
def test_a_json_file_of_objects_says_what_to_do(engine: Engine, tmp_path: Path, text: str, problem: str) -> None:
    """A .json archive holding one case says to evaluate it or make an array; one holding JSON lines says to
    name it .jsonl."""
    path = tmp_path / "case.json"
    path.write_text(text, encoding="utf-8")
    with open_source(path) as source:
        got = results(source, engine)
    assert got == [RecordError(0, "index", None, problem)]


# ---------------------------------------------------------------------------------------------------------------
# bad records


def test_bad_records_at_the_start_middle_and_end_are_error_records(
    engine: Engine, lines: list[str], tmp_path: Path
) -> None:
    """Malformed JSON, an invalid case and a non-object become error records with their line and case id;
    every other record is evaluated."""
    unknown = json.dumps({**json.loads(lines[1]), "verdict": "x"}, ensure_ascii=False)
    given = ["{not json", lines[0], "", unknown, lines[2], "[1, 2]", lines[3], lines[4][:-5]]
    path = write_jsonl(tmp_path / "mixed.jsonl", given)
    with open_source(path) as source:
        got = results(source, engine, workers=2)
    assert got == [
        RecordError(1, "line", None, error_of("{not json", line=True)),
        expected_line(engine, lines[0]),
        RecordError(4, "line", json.loads(lines[1])["case_id"], error_of(unknown, line=True)),
        expected_line(engine, lines[2]),
        RecordError(6, "line", None, error_of("[1, 2]", line=True)),
        expected_line(engine, lines[3]),
        RecordError(8, "line", None, error_of(lines[4][:-5], line=True)),
    ]
    assert got[0].error.startswith("column 2: not valid JSON")
    assert got[2].to_dict() == {"line": 4, "case_id": json.loads(lines[1])["case_id"], "error": error_of(unknown)}


def test_a_line_cut_short_names_the_column_at_its_end_on_its_own_line(engine: Engine, tmp_path: Path) -> None:
    """A line that ends inside a case (its line ending reached) names the column just past its last character."""
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b'{"case_id": "x", "a":\n{"case_id": "y", "a": 1\r\n')
    with open_source(path) as source:
        got = results(source, engine, workers=0)
    assert [record.error for record in got] == [
        "column 22: not valid JSON: Expecting value",
        "column 24: not valid JSON: Expecting ',' delimiter",
    ]


def test_error_records_in_an_array_carry_the_index(engine: Engine, lines: list[str]) -> None:
    """Cases given in Python are numbered by index from 0."""
    got = results([lines[0], {"case_id": "x"}, lines[1]], engine)
    assert got[1] == RecordError(1, "index", "x", error_of('{"case_id": "x"}'))
    assert got[1].to_json() == json.dumps({"index": 1, "case_id": "x", "error": error_of('{"case_id": "x"}')})


def test_a_line_longer_than_a_case_may_be_is_skipped_piece_by_piece(engine: Engine, lines: list[str]) -> None:
    """A line over the size limit is an error record; the lines after it are read as usual."""
    huge = b'{"title": "' + b"x" * (MAX_CASE_BYTES + 10) + b'"}\n'
    data = lines[0].encode() + b"\n" + huge + lines[1].encode() + b"\n"
    with open_source("-", stdin=io.BufferedReader(io.BytesIO(data))) as source:  # type: ignore[arg-type]
        got = results(source, engine)
    assert got == [
        expected_line(engine, lines[0]),
        RecordError(
            2,
            "line",
            None,
            "the record is larger than 5 MB, the most one case may take; "
            "check that records are separated as the format requires",
        ),
        expected_line(engine, lines[1]),
    ]


def test_repeated_keys_and_nan_are_refused_as_evaluate_refuses_them(engine: Engine, lines: list[str]) -> None:
    """The fast path of the workers refuses what `parse_case_text` refuses, with its message."""
    case = json.loads(lines[0])
    repeated = json.dumps(case, ensure_ascii=False)[:-1] + ', "title": "again"}'
    nan = json.dumps({**case, "violations": [{**case["violations"][0], "amount_cny": float("nan")}]})
    quoted = json.dumps({**case, "title": 'a ":" in a string'}, ensure_ascii=False)
    got = results([repeated, nan, quoted], engine)
    assert got == [
        RecordError(0, "index", case["case_id"], error_of(repeated)),
        RecordError(1, "index", case["case_id"], error_of(nan)),
        expected_line(engine, quoted),
    ]


# ---------------------------------------------------------------------------------------------------------------
# memory stays flat


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of 4,000 cases (about 7 MB)."""
    path = tmp_path_factory.mktemp("big") / "archive.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for generated in generate(CorpusSpec(cases=4000, seed=9, patterns=15, recorded=False)):
            out.write(generated.text + "\n")
    return path


def peak_while(run: Iterator[Any]) -> tuple[int, int]:
    """(records, peak bytes traced) while consuming ``run``."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in run)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


@pytest.mark.parametrize("name", ["archive.jsonl", "archive.jsonl.gz", "archive.json"])
def test_reading_an_archive_holds_one_record_at_a_time(big_file: Path, tmp_path: Path, name: str) -> None:
    """Reading a 7 MB archive (lines, gzip or one array) never holds more than 600 kB."""
    path = tmp_path / name
    data = big_file.read_bytes()
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    elif name.endswith(".json"):
        path.write_bytes(b"[" + data.rstrip(b"\n").replace(b"\n", b",\n") + b"]")
    else:
        path.write_bytes(data)
    with open_source(path) as source:
        count, peak = peak_while(iter(source))
    assert count == 4000
    assert peak < 600_000, f"peak {peak:,} bytes for a {len(data):,}-byte archive"


def test_in_process_streaming_memory_stays_below_what_it_reads(engine: Engine, big_file: Path) -> None:
    """Evaluating the 4,000 records (6.7 MB) in this process holds, at any time, less than half as many bytes of
    Python objects as it read: the bounded cache of 64 determinations, not the input. A first pass over 100
    records is not measured: what a process builds once (imports, schemas) is not streaming."""
    with open_source(big_file) as source:
        for _ in stream(engine, itertools.islice(source, 100), mode="json", cache_entries=64):
            pass
    with open_source(big_file) as source:
        count, peak = peak_while(stream(engine, source, mode="json", cache_entries=64))
        read = source.done
    assert count == 4000
    assert read > 6_400_000
    assert peak < read / 2, f"peak {peak:,} bytes after reading {read:,}"


def test_the_supervisor_holds_a_window_not_the_file(engine: Engine, big_file: Path) -> None:
    """With two workers, the calling process holds only its window of records (far below the file size)."""
    with open_source(big_file) as source:
        count, peak = peak_while(stream(engine, source, mode="json", workers=2, chunk_size=16, window=128))
    assert count == 4000
    assert peak < 2_500_000, f"peak {peak:,} bytes"


# ---------------------------------------------------------------------------------------------------------------
# workers that die


def pause_on(numbers: frozenset[int], seconds: float, record: Record) -> None:
    """Test hook: wait before these records (so that later chunks finish first)."""
    if record.number in numbers:
        time.sleep(seconds)


def die_on(numbers: frozenset[int], once_in: str | None, how: str, record: Record) -> None:
    """Test hook: the worker process dies on these records (only the first time, when ``once_in`` is a folder
    where it leaves a mark), as a crash in the C engine would kill it."""
    if record.number not in numbers:
        return
    if once_in is not None:
        mark = Path(once_in) / str(record.number)
        if mark.exists():
            return
        mark.touch()
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(70)


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_worker_that_dies_loses_and_duplicates_nothing(
    engine: Engine, lines: list[str], tmp_path: Path, how: str
) -> None:
    """A worker dies once on record 10 (exit, or SIGKILL): its chunk is run again, every record is answered
    exactly once and in order."""
    hook = functools.partial(die_on, frozenset({10}), str(tmp_path), how)
    got = results(lines, engine, workers=2, chunk_size=4, hook=hook)
    assert (tmp_path / "10").exists()  # the worker did die
    assert got == [expected_line(engine, t) for t in lines]


def test_a_record_that_kills_a_worker_twice_is_set_aside(engine: Engine, lines: list[str]) -> None:
    """Record 5 kills every worker that runs it: after the second death it becomes an error record."""
    hook = functools.partial(die_on, frozenset({5}), None, "kill")
    got = results(lines[:12], engine, workers=2, chunk_size=3, hook=hook)
    expected: list[Any] = [expected_line(engine, t) for t in lines[:12]]
    expected[5] = RecordError(
        5,
        "index",
        json.loads(lines[5])["case_id"],
        f"the rule engine crashed 2 times on this record (worker exit code {-signal.SIGKILL}); it was set aside",
    )
    assert got == expected


def stall_on(numbers: frozenset[int], once_in: str | None, record: Record) -> None:
    """Test hook: the rule engine stalls on these records (only the first time, with ``once_in``), as when a
    stage never finishes: the runtime is left unusable."""
    if record.number not in numbers:
        return
    if once_in is not None:
        mark = Path(once_in) / f"stall-{record.number}"
        if mark.exists():
            return
        mark.touch()
    Engine.default()._runtime._broken = "simulated stall"


def test_a_worker_whose_engine_stalls_is_replaced(engine: Engine, lines: list[str], tmp_path: Path) -> None:
    """The engine stalls once on record 7: that worker ends, a fresh one re-runs its records, nothing is lost."""
    hook = functools.partial(stall_on, frozenset({7}), str(tmp_path))
    got = results(lines[:16], engine, workers=2, chunk_size=4, hook=hook)
    assert (tmp_path / "stall-7").exists()  # the engine did stall
    assert got == [expected_line(engine, t) for t in lines[:16]]


def test_a_record_that_stalls_the_engine_twice_is_set_aside(engine: Engine, lines: list[str]) -> None:
    """Record 6 stalls every engine that runs it: after the second worker ends it becomes an error record."""
    hook = functools.partial(stall_on, frozenset({6}), None)
    got = results(lines[:12], engine, workers=2, chunk_size=3, hook=hook)
    expected: list[Any] = [expected_line(engine, t) for t in lines[:12]]
    expected[6] = RecordError(
        6,
        "index",
        json.loads(lines[6])["case_id"],
        "the rule engine crashed 2 times on this record (worker exit code 75); it was set aside",
    )
    assert got == expected


def test_workers_stop_when_the_caller_stops_reading(engine: Engine, lines: list[str]) -> None:
    """Closing the result stream early ends the worker processes."""
    import multiprocessing

    results_ = evaluate_many(engine, lines, workers=2, as_json=True)
    assert next(results_) == expected_line(engine, lines[0])
    results_.close()
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in multiprocessing.active_children() if p.name == "accountrules-worker"]


def test_workers_busy_when_the_caller_stops_reading_end_by_themselves(engine: Engine, lines: list[str]) -> None:
    """Closing the result stream while workers hold chunks whose answers are larger than a pipe holds (Ctrl-C, an
    error): each worker ends on its own (exit 0) rather than being terminated after a wait."""
    import multiprocessing

    results_ = evaluate_many(engine.with_cache(), lines * 40, workers=2, as_json=True, chunk_size=400)
    assert next(results_) == expected_line(engine, lines[0])
    workers = [p for p in multiprocessing.active_children() if p.name == "accountrules-worker"]
    results_.close()
    assert [p.exitcode for p in workers] == [0, 0]


@pytest.mark.parametrize("separators", [(", ", ": "), (",", ":"), (" , ", " : "), (",", '":')])
def test_records_give_the_same_determination_however_they_are_spaced(
    engine: Engine, lines: list[str], separators: tuple[str, str]
) -> None:
    """Compact, spaced and odd key separators (which send a record down the slower reading) all give the
    determination of `evaluate`; the last one puts ``":`` inside every string too."""
    item, key = separators
    if key == '":':  # a title holding the separator pattern, written compactly
        case = {**json.loads(lines[0]), "title": 'says "x": y'}
        text = json.dumps(case, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(json.loads(lines[0]), ensure_ascii=False, separators=(item, key))
    assert results([text], engine) == [expected_line(engine, text)]
