"""`evaluate_many`, `check_consistency`, and the stream of results behind both."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accountrules.batch.pool import Piece, Pool
from accountrules.batch.records import Block, Record, RecordError, Source, given_records
from accountrules.batch.worker import EngineSpec, Hook, Mode, Processor
from accountrules.engine.cache import DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES
from accountrules.engine.compiled import DEFAULT_ENGINE
from accountrules.engine.evaluate import Engine
from accountrules.models import Determination, RulePackInfo
from accountrules.rulepack.pack import RulePack, default_pack_path, load_default, load_pack
from accountrules.validation import DEFAULT_LIMITS, CaseLimits

if TYPE_CHECKING:
    from accountrules.batch.check import ConsistencyReport

EngineLike = Engine | str | Path | None


def engine_of(engine: EngineLike) -> Engine:
    """An `Engine` from an engine, a rule pack directory, or None for the default pack."""
    if isinstance(engine, Engine):
        return engine
    return Engine.default() if engine is None else Engine.from_path(engine)


def pack_of(engine: EngineLike) -> RulePack:
    """The (validated) rule pack of an engine, a directory, or None for the default pack; workers build their
    own engines, so the caller need not start a rule-engine host for them."""
    if isinstance(engine, Engine):
        return engine.pack
    return load_default() if engine is None else load_pack(engine)


def _spec(pack: RulePack, cache_entries: int, cache_bytes: int, limits: CaseLimits, runtime: str) -> EngineSpec:
    default = pack.path.resolve() == default_pack_path().resolve()
    return EngineSpec(None if default else str(pack.path), pack.digest, cache_entries, cache_bytes, limits, runtime)


def _defaults(engine: EngineLike, limits: CaseLimits | None, runtime: str | None) -> tuple[CaseLimits, str]:
    """The limits and runtime asked for, else the engine's own, else the defaults."""
    if limits is None:
        limits = engine.limits if isinstance(engine, Engine) else DEFAULT_LIMITS
    if runtime is None:
        runtime = engine.runtime if isinstance(engine, Engine) else DEFAULT_ENGINE
    return limits, runtime


def stream(
    engine: EngineLike,
    cases: Iterable[Any],
    *,
    mode: Mode,
    workers: int = 0,
    cache_entries: int = DEFAULT_MAX_ENTRIES,
    cache_bytes: int = DEFAULT_MAX_BYTES,
    chunk_size: int = 128,
    window: int = 0,
    progress: Callable[[int], None] | None = None,
    hook: Hook | None = None,
    limits: CaseLimits | None = None,
    runtime: str | None = None,
) -> Iterator[tuple[Record, bool, Any]]:
    """``(record, ok, result or RecordError)`` for every record of ``cases``, in order; ``limits`` (by default
    the engine's own) bound the work of each case, and ``runtime`` (by default the engine's own, else
    ``durable``) matches the rules (`Engine.with_runtime`)."""
    records = given_records(cases)
    limits, runtime = _defaults(engine, limits, runtime)
    if workers <= 0:
        built = engine_of(engine).with_limits(limits).with_runtime(runtime)
        local = built if built.cache is not None or cache_entries <= 0 else built.with_cache(cache_entries, cache_bytes)
        processor = Processor(local, mode, hook)
        for count, record in enumerate(records, 1):
            ok, value = processor.process(record)
            yield record, ok, value
            if progress is not None:
                progress(count)
        return
    pool = Pool(
        _spec(pack_of(engine), cache_entries, cache_bytes, limits, runtime),
        workers,
        mode,
        chunk_size=chunk_size,
        window=window,
        hook=hook,
        progress=progress,
    )
    if mode == "model":
        for record, ok, value in pool.run(records):
            yield record, ok, Determination.model_validate_json(value) if ok else value
    else:
        yield from pool.run(records)


def batch_output(
    engine: EngineLike,
    cases: Iterable[Any],
    *,
    workers: int = 0,
    cache_entries: int = DEFAULT_MAX_ENTRIES,
    cache_bytes: int = DEFAULT_MAX_BYTES,
    chunk_size: int = 128,
    window: int = 0,
    progress: Callable[[int], None] | None = None,
    hook: Hook | None = None,
    limits: CaseLimits | None = None,
    runtime: str | None = None,
) -> Iterator[Block]:
    """What `accountrules batch` writes for ``cases``, in order, in `Block`s of consecutive records; the options
    are `stream`'s. With workers, each writes the block of the records it is handed, and the lines of a
    JSON-lines archive (a `Source`) go to them unread, in pieces of ``chunk_size`` lines: the workers read
    them."""
    if workers <= 0:
        results = stream(
            engine,
            cases,
            mode="json",
            cache_entries=cache_entries,
            cache_bytes=cache_bytes,
            progress=progress,
            hook=hook,
            limits=limits,
            runtime=runtime,
        )
        yield from Block.each(results)
        return
    pool = Pool(
        _spec(pack_of(engine), cache_entries, cache_bytes, *_defaults(engine, limits, runtime)),
        workers,
        "json",
        chunk_size=chunk_size,
        window=window,
        hook=hook,
        progress=progress,
        joined=True,
    )
    if isinstance(cases, Source) and cases.lines:
        pieces: Iterable[Piece] = cases.pieces(pool.piece_size)
    else:
        pieces = pool.chunks(given_records(cases))
    for _, block in pool.answers(pieces):
        yield block


def evaluate_many(
    engine: EngineLike,
    cases: Iterable[Any],
    workers: int = 0,
    *,
    as_json: bool = False,
    **options: Any,
) -> Iterator[Any]:
    """Evaluate ``cases`` in order: one result per case, a `Determination` (or, with ``as_json``, its compact
    JSON as UTF-8 bytes) or a `RecordError` for a case that could not be evaluated.

    Args:
        engine: an `Engine`, a rule pack directory, or None for the default pack.
        cases: `Case`s, objects, JSON texts, or the `Record`s of `open_source` (whose line or index numbers the
            errors then carry); read lazily, never all at once.
        workers: 0 evaluates in this process; N > 0 in N supervised worker processes, so that a crash of the
            rule engine on one case costs that case only.
        options: ``cache_entries`` and ``cache_bytes`` bound each process's cache of determinations (0 entries:
            no cache); ``chunk_size``, ``window`` and ``progress`` (called with the count of results so far);
            ``limits``, a `CaseLimits` (by default the engine's own); ``runtime``, ``durable`` or ``compiled``
            (by default the engine's own).

    Raises:
        UsageError: ``cases`` is one text (str or bytes) rather than an iterable of cases.
    """
    records = given_records(cases)  # one text given for many cases is refused here, not at the first result
    return (
        value
        for _, _, value in stream(engine, records, mode="json" if as_json else "model", workers=workers, **options)
    )


def check_consistency(
    cases: Iterable[Any],
    engine: Any = None,
    *,
    workers: int = 0,
    keep_within: bool = False,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> ConsistencyReport:
    """Check the recorded outcomes of ``cases`` (cases, objects, JSON text or `Record`s from
    `accountrules.batch.open_source`) against ``engine`` (an `Engine`, a rule pack directory, or None for the
    default pack). Bad records are reported in the result, never raised.
    """
    results = stream(engine, given_records(cases), mode="check", workers=workers, progress=progress, **options)
    return consistency_report(pack_of(engine), results, keep_within=keep_within)


def consistency_report(
    pack: RulePack, results: Iterable[tuple[Any, bool, Any]], *, keep_within: bool = False
) -> ConsistencyReport:
    """The report of the ``check``-mode results of an archive (`stream`'s, or a cluster's)."""
    from accountrules.batch.check import Accumulator  # imported here: a batch that only evaluates never needs it

    info = RulePackInfo(name=pack.name, version=pack.version, digest=pack.digest)
    accumulator = Accumulator(info, keep_within=keep_within)
    for _, ok, value in results:
        if ok:
            accumulator.add(value)
        else:
            accumulator.add_bad(value.position, value.number, value.case_id, value.error)
    return accumulator.report()


__all__ = [
    "EngineLike",
    "RecordError",
    "batch_output",
    "check_consistency",
    "consistency_report",
    "engine_of",
    "evaluate_many",
    "pack_of",
    "stream",
]
