"""Scale-out: an archive evaluated on a dask.distributed cluster, and the partition function behind it.

`partition` turns lines of an archive into the lines `accountrules batch` writes for them (the determination,
or the error record), numbering them from a given line: any engine of distributed work can call it on its own
slice of an archive (Spark's ``mapPartitions`` as well as Dask). Each process builds its engine once, from the
rule pack's folder, and keeps it.

`dask_stream` runs an archive on an existing cluster and yields what `accountrules.batch.api.stream` yields, in
input order:

- a plain JSON-lines file is cut into byte ranges at line ends; the workers count the lines of every range (so
  that each knows the number of its first line) and then evaluate their ranges, reading the file themselves (the
  workers must see the same path: one machine, or a shared file system);
- anything else (a ``.json`` array, a ``.gz`` file, standard input) is read by the caller, which sends the
  records to the workers in chunks;
- at most ``window`` ranges or chunks are in flight; results are handed on in order as soon as every earlier
  one has been, so memory stays bounded whatever the archive's size;
- every task is a pure function of its input: when a worker is lost, the scheduler runs its tasks again
  elsewhere, which costs time and never a record.

Requires the ``dask`` extra (``pip install 'accountrules[dask]'``).
"""

from __future__ import annotations

import io
import itertools
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from accountrules.batch.api import pack_of
from accountrules.batch.records import Record, jsonl_records, open_source, output_line, too_long
from accountrules.batch.worker import EngineSpec, Mode, Processor
from accountrules.engine.cache import DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES
from accountrules.engine.compiled import DEFAULT_ENGINE, ENGINES
from accountrules.errors import UsageError
from accountrules.rulepack.pack import default_pack_path
from accountrules.validation import MAX_CASE_BYTES

#: Bytes of a plain JSON-lines archive in one task (rounded up to the next line end).
RANGE_BYTES = 4 * 1024 * 1024
#: Records of any other archive the caller sends in one task.
CHUNK_RECORDS = 2000
#: How long to try to reach the scheduler.
CONNECT_SECONDS = 15
#: Tasks in flight per worker thread of the cluster.
WINDOW_PER_THREAD = 4

_PROCESSORS: dict[tuple[EngineSpec, Mode], tuple[Processor, threading.Lock]] = {}
_PROCESSORS_LOCK = threading.Lock()


def engine_spec(
    rules: str | Path | None = None, cache_entries: int = DEFAULT_MAX_ENTRIES, runtime: str = DEFAULT_ENGINE
) -> EngineSpec:
    """How a process builds the engine of the rule pack in ``rules`` (None: the default pack), matching its
    rules with ``runtime`` (`Engine.with_runtime`); the pack is loaded and validated here, once, and every
    process checks that it finds the same pack."""
    if runtime not in ENGINES:
        raise UsageError(f"no rule engine '{runtime}'; choose one of: {', '.join(ENGINES)}")
    pack = pack_of(rules)
    default = pack.path.resolve() == default_pack_path().resolve()
    return EngineSpec(
        None if default else str(pack.path), pack.digest, cache_entries, DEFAULT_MAX_BYTES, runtime=runtime
    )


def _processor(spec: EngineSpec, mode: Mode) -> tuple[Processor, threading.Lock]:
    """This process's processor for ``spec`` and ``mode``, built on first use and kept."""
    with _PROCESSORS_LOCK:
        found = _PROCESSORS.get((spec, mode))
        if found is None:
            found = _PROCESSORS[(spec, mode)] = (Processor(spec.build(), mode), threading.Lock())
        return found


def _results(records: Iterable[Record], spec: EngineSpec, mode: Mode) -> list[tuple[bool, Any]]:
    processor, lock = _processor(spec, mode)
    with lock:  # one engine per process evaluates one case at a time; so does its cache
        return [processor.process(record) for record in records]


def numbered_records(lines: Iterable[bytes | str], first_line: int = 1) -> Iterator[Record]:
    """The records of JSON lines numbered from ``first_line``, as `accountrules batch` reads them: a blank line
    counts but is no record, a line over the case size limit is an error record."""
    for number, line in enumerate(lines, first_line):
        data = line.encode("utf-8") if isinstance(line, str) else line
        if len(data.rstrip(b"\n")) > MAX_CASE_BYTES:  # a line's carriage return counts, as in `jsonl_records`
            yield too_long(number, "line")
        elif data.strip():  # the reader of `batch` keeps each line's end; so do these records
            yield Record(number, "line", data if data.endswith(b"\n") else data + b"\n")


def partition(
    lines: Iterable[bytes | str],
    first_line: int = 1,
    rules: str | None = None,
    cache_entries: int = DEFAULT_MAX_ENTRIES,
    runtime: str = DEFAULT_ENGINE,
) -> Iterator[bytes]:
    """Lines of an archive in, the lines `accountrules batch` writes for them out (UTF-8, no newline), in order:
    a determination for each case, an error record for each bad one, nothing for a blank line.

    Args:
        lines: JSON lines (bytes or text, with or without their newline), the first of them numbered
            ``first_line`` (error records give that number).
        rules: a rule pack's folder, readable where this runs; None for the default pack.
        cache_entries: determinations this process keeps for like cases.
        runtime: ``durable`` (durable_rules, the engine of record) or ``compiled`` (`Engine.with_runtime`).
    """
    spec = engine_spec(rules, cache_entries, runtime)
    records = numbered_records(lines, first_line)
    while chunk := list(itertools.islice(records, CHUNK_RECORDS)):
        for ok, value in _results(chunk, spec, "json"):
            yield output_line(ok, value)


# ---------------------------------------------------------------------------------------------------------------
# Tasks (module-level functions: the workers import them by name)


def count_lines(path: str, start: int, end: int) -> int:
    """Line ends in the byte range [start, end) of ``path``."""
    count = 0
    with open(path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            piece = f.read(min(left, 1024 * 1024))
            if not piece:
                break
            count += piece.count(b"\n")
            left -= len(piece)
    return count


def evaluate_range(path: str, start: int, end: int, first_line: int, spec: EngineSpec, mode: Mode) -> list[Any]:
    """The results of the records in the byte range [start, end) of a JSON-lines file, numbered from
    ``first_line``."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    return _results(jsonl_records(io.BytesIO(data), first_line), spec, mode)


def evaluate_records(records: list[Record], spec: EngineSpec, mode: Mode) -> list[Any]:
    """The results of records the caller read and sent."""
    return _results(records, spec, mode)


# ---------------------------------------------------------------------------------------------------------------
# The caller's side


def _plain_lines(name: str) -> Path | None:
    """The archive's path when the workers can read it in byte ranges: a regular, uncompressed JSON-lines file."""
    if name == "-":
        return None
    path = Path(name)
    lower = path.name.lower()
    if not path.is_file() or lower.endswith((".gz", ".json")):
        return None
    return path.resolve()


def byte_ranges(path: Path, target: int = RANGE_BYTES) -> list[tuple[int, int]]:
    """[start, end) ranges that cover ``path``, each ending at a line end (the last one at the file's end)."""
    size = path.stat().st_size
    ranges: list[tuple[int, int]] = []
    start = 0
    with path.open("rb") as f:
        while start < size:
            end = min(start + target, size)
            if end < size:  # move on to just after the next line end
                f.seek(end)
                while True:
                    piece = f.read(64 * 1024)
                    if not piece:
                        end = size
                        break
                    at = piece.find(b"\n")
                    if at >= 0:
                        end += at + 1
                        break
                    end += len(piece)
            ranges.append((start, end))
            start = end
    return ranges


def dask_stream(
    source: str,
    address: str,
    *,
    mode: Mode,
    rules: str | Path | None = None,
    cache_entries: int = DEFAULT_MAX_ENTRIES,
    window: int = 0,
    range_bytes: int = RANGE_BYTES,
    runtime: str = DEFAULT_ENGINE,
) -> Iterator[tuple[Record | None, bool, Any]]:
    """``(None, ok, result or RecordError)`` for every record of the archive ``source``, in order, evaluated on
    the dask.distributed scheduler at ``address``; results as `accountrules.batch.api.stream` gives them in
    ``mode`` ``json`` or ``check``, the rules matched by ``runtime``."""
    from distributed import Client

    spec = engine_spec(rules, cache_entries, runtime)
    with Client(address, set_as_default=False, timeout=CONNECT_SECONDS) as client:  # type: ignore[no-untyped-call]
        threads = sum(client.nthreads().values()) or 1
        limit = window or threads * WINDOW_PER_THREAD
        path = _plain_lines(source)
        if path is not None:
            ranges = byte_ranges(path, range_bytes)
            counts = client.gather(client.map(count_lines, [str(path)] * len(ranges), *zip(*ranges, strict=True)))
            firsts = list(itertools.accumulate([1, *counts[:-1]]))
            tasks: Iterator[tuple[Any, ...]] = (
                (evaluate_range, str(path), start, end, first, spec, mode)
                for (start, end), first in zip(ranges, firsts, strict=True)
            )
            yield from _in_order(client, tasks, limit)
            return
        with open_source(source) as archive:
            records = iter(archive)
            chunks = iter(lambda: list(itertools.islice(records, CHUNK_RECORDS)), [])
            yield from _in_order(client, ((evaluate_records, chunk, spec, mode) for chunk in chunks), limit)


def _in_order(client: Any, tasks: Iterator[tuple[Any, ...]], limit: int) -> Iterator[tuple[None, bool, Any]]:
    """Submit ``tasks`` with at most ``limit`` in flight and yield their results in submission order."""
    flight: deque[Any] = deque()
    for task in itertools.islice(tasks, limit):
        flight.append(client.submit(*task, pure=False))
    while flight:
        results = flight.popleft().result()
        for task in itertools.islice(tasks, 1):
            flight.append(client.submit(*task, pure=False))
        for ok, value in results:
            yield None, ok, value


__all__ = ["dask_stream", "engine_spec", "numbered_records", "output_line", "partition"]
