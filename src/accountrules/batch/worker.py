"""Evaluating one record, in whichever process: the same function runs in the caller or in a worker process.

A worker process builds its own engine (a durable_rules Host holds threads, so it is never inherited), with a
bounded cache, then answers chunks of records until told to stop. Whatever goes wrong with one record becomes
that record's error; only a crash of the process itself (the C engine can kill it) escapes, and the
supervisor in `accountrules.batch.pool` deals with that.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal

from accountrules.batch.records import Block, Lines, Record, RecordError
from accountrules.engine.cache import DeterminationCache, FactPlan
from accountrules.engine.compiled import DEFAULT_ENGINE
from accountrules.engine.evaluate import Engine
from accountrules.errors import AccountRulesError, CaseValidationError, RulePackError
from accountrules.models import Case, Determination
from accountrules.validation import DEFAULT_LIMITS, CaseLimits, parse_case, parse_case_text

#: What a record becomes: ``json`` (the determination as compact UTF-8 JSON), ``model`` (a `Determination`)
#: or ``check`` (a `accountrules.batch.check.CaseCheck`).
Mode = Literal["json", "model", "check"]

#: Called with each record before it is evaluated, in the process that evaluates it. Only tests pass one
#: (to kill a worker on purpose); nothing in a record can.
Hook = Callable[[Record], None]

#: Exit status of a worker whose rule engine stalled (EX_TEMPFAIL).
STALLED_EXIT = 75


@dataclass(frozen=True)
class EngineSpec:
    """How a worker builds its engine: the rule pack's directory (None: the default pack), the digest it must
    have (the caller's), the worker's cache, its limits and the runtime that matches the rules."""

    pack: str | None
    digest: str
    cache_entries: int
    cache_bytes: int
    limits: CaseLimits = DEFAULT_LIMITS
    runtime: str = DEFAULT_ENGINE

    def build(self) -> Engine:
        engine = Engine.from_path(self.pack) if self.pack is not None else Engine.default()
        if engine.pack.digest != self.digest:
            raise RulePackError("the rule pack changed on disk while the archive was being evaluated", self.pack)
        engine = engine.with_limits(self.limits).with_runtime(self.runtime)
        if self.cache_entries <= 0:
            return engine
        return engine.with_cache(max_entries=self.cache_entries, max_bytes=self.cache_bytes)


class CacheGate:
    """Whether to consult the cache for the next record. A cache that hit on fewer than `MIN_HIT_SHARE` of its
    last `PROBE` lookups (an archive whose cases all differ) is left alone for the next `REST` records: its key,
    the entry it stores on every miss and the entries workers pass each other cost more than it saves. Then it
    is probed again, so an archive whose later part repeats gets its cache back. Results are the same either way
    (a hit gives the bytes of an evaluation)."""

    PROBE = 400
    MIN_HIT_SHARE = 0.02
    REST = 4000

    def __init__(self, cache: DeterminationCache) -> None:
        self.cache = cache
        self.resting = 0
        self._since = (cache.stats.hits, cache.stats.misses)

    def consult(self) -> bool:
        if self.resting:
            self.resting -= 1
            if not self.resting:
                self._since = (self.cache.stats.hits, self.cache.stats.misses)
            return False
        stats = self.cache.stats
        hits, misses = stats.hits - self._since[0], stats.misses - self._since[1]
        if hits + misses >= self.PROBE:
            self._since = (stats.hits, stats.misses)
            if hits < self.MIN_HIT_SHARE * (hits + misses):
                self.resting = self.REST
                return False
        return True


class Processor:
    """Turns records into results with one engine."""

    def __init__(self, engine: Engine, mode: Mode, hook: Hook | None = None) -> None:
        self.engine = engine
        self.mode = mode
        self.hook = hook
        self.plan = engine.cache.plan if engine.cache is not None else FactPlan.for_pack(engine.pack)
        self.gate = CacheGate(engine.cache) if engine.cache is not None else None
        #: V9: each measure a person without a party post cannot receive, and the one given instead.
        self.substitutes: dict[str, str] = {
            row.measure: row.becomes[1] for row in engine.pack.sanctions.without_party_post
        }
        if mode == "check":  # imported here: a batch that only evaluates never loads the check's models
            from accountrules.batch.check import examine_case

            self.examine = examine_case

    def process(self, record: Record) -> tuple[bool, Any]:
        """(True, result) for an evaluated record, (False, `RecordError`) for a bad one, whose message names
        the record's file when it has one."""
        ok, result = self._process(record)
        if not ok and record.source is not None:
            result = dataclasses.replace(result, error=f"{record.source}: {result.error}")
        return ok, result

    def _process(self, record: Record) -> tuple[bool, Any]:
        if self.hook is not None:
            self.hook(record)
        if record.problem is not None:
            return False, RecordError(record.number, record.position, None, record.problem)
        try:
            case = _case(record.payload)
            return True, self._evaluate(case)
        except CaseValidationError as exc:
            message = "; ".join(_within_line(str(p), record) for p in exc.problems) or str(exc)
            return False, RecordError(record.number, record.position, case_id_of(record.payload), message)
        except AccountRulesError as exc:
            return False, RecordError(record.number, record.position, case_id_of(record.payload), str(exc))
        except Exception as exc:  # one record must not stop the archive; say what happened
            return False, RecordError(
                record.number,
                record.position,
                case_id_of(record.payload),
                f"unexpected failure ({type(exc).__name__}: {exc})",
            )

    def _evaluate(self, case: Case) -> Any:
        engine = self.engine
        engine.limits.check(case)
        cache = engine.cache

        def evaluate() -> Determination:
            return engine.evaluation(case).determination

        if self.mode != "check" and (self.gate is None or not self.gate.consult()):
            cache = None  # an archive whose cases do not repeat: keys and stored entries would cost, never save
        if self.mode == "json":
            if cache is None:
                return evaluate().to_json(indent=None).encode("utf-8")
            return cache.determine_json(case, cache.canonical(case), evaluate)
        if self.mode == "model":
            return evaluate() if cache is None else cache.determine(case, cache.canonical(case), evaluate)
        canonical = self.plan.canonical(case)  # the check groups like cases by it, cache or not
        determination = evaluate() if cache is None else cache.determine(case, canonical, evaluate)
        return self.examine(case, determination, canonical, self.substitutes)


def _within_line(problem: str, record: Record) -> str:
    """A JSON syntax problem of a one-line record names its column only (the record names the line). A problem
    found past the line's last character (at the record's own line ending) is at the column after it, as for
    the same line without its line ending."""
    if record.position != "line":
        return problem
    if problem.startswith("line 1 column "):
        return problem[len("line 1 ") :]
    past_end = "line 2 column 1:"
    if problem.startswith(past_end):
        text = record.payload.decode("utf-8", "replace") if isinstance(record.payload, bytes) else record.payload
        line = text.rstrip("\r\n") if isinstance(text, str) else "\n"
        if "\n" not in line:
            return f"column {len(line) + 1}:{problem[len(past_end) :]}"
    return problem


def _case(payload: Any) -> Case:
    if isinstance(payload, (bytes, str)):
        return parse_case_text(payload)
    return parse_case(payload)


def case_id_of(payload: Any) -> str | None:
    """The case id of a bad record, when one can be read from it."""
    data: Any = payload
    if isinstance(payload, Case):
        return payload.case_id
    if isinstance(payload, (bytes, str)):
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError):
            return None
    if isinstance(data, dict):
        case_id = data.get("case_id")
        if isinstance(case_id, str):
            return case_id
    return None


def worker_main(conn: Connection, spec: EngineSpec, mode: Mode, hook: Hook | None, joined: bool = False) -> None:
    """A worker process: build the engine, say ``ready``, then answer ``(piece_id, piece, learnt)`` with
    ``(piece_id, answer, fresh)`` until ``None`` comes. A piece is a list of records, or `Lines` of an archive
    that the worker reads into records itself; its answer is the results of its records, or, when ``joined``,
    their `Block` (the lines `accountrules batch` writes for them, in mode ``json``). ``fresh`` holds the
    determinations this worker evaluated and cached since its last answer, pickled once here (at most one bytes
    object); the supervisor passes them on to the other workers as their ``learnt`` without reading them, so
    that a fact pattern is evaluated once, not once per worker. Ctrl-C is the supervisor's to handle: it stops
    the workers."""
    try:
        _serve(conn, spec, mode, hook, joined)
    except OSError:  # the supervisor (or the forkserver that started this worker) is gone: nothing to answer
        return


def _serve(conn: Connection, spec: EngineSpec, mode: Mode, hook: Hook | None, joined: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        processor = Processor(spec.build(), mode, hook)
    except AccountRulesError as exc:
        conn.send(("failed", str(exc)))
        return
    cache = processor.engine.cache
    if cache is not None:
        cache.keep_fresh = True
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the supervisor is gone
            return
        if message is None:
            return
        piece_id, piece, learnt = message
        if cache is not None:
            for entries in learnt:
                cache.adopt(pickle.loads(entries))
        results = []
        for record in piece.records() if isinstance(piece, Lines) else piece:
            ok, value = processor.process(record)
            if not processor.engine.healthy:
                # durable_rules stalled on this record and its session cannot be cleared: end this worker as a
                # crash would, so that the supervisor starts a fresh one and re-runs the unfinished records
                os._exit(STALLED_EXIT)
            if mode == "model" and ok:
                value = value.to_json(indent=None).encode("utf-8")  # far cheaper to send than the model
            results.append((ok, value))
        answer = Block.of(results) if joined else results
        fresh = cache.fresh() if cache is not None else []
        conn.send((piece_id, answer, [pickle.dumps(fresh, pickle.HIGHEST_PROTOCOL)] if fresh else []))
