"""A batch worker stops consulting a cache that never hits, probes it again later, and keeps one that hits; the
results are the same bytes whether the cache is consulted or not."""

from __future__ import annotations

from accountrules import Engine
from accountrules.batch.records import Record
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.batch.worker import CacheGate, Processor


def records(cases: int, patterns: int | None, seed: int = 3) -> list[Record]:
    spec = CorpusSpec(cases=cases, seed=seed, patterns=patterns, recorded=False)
    return [Record(n, "line", g.text.encode("utf-8") + b"\n") for n, g in enumerate(generate(spec), 1)]


def small_gate(processor: Processor, probe: int, rest: int) -> CacheGate:
    assert processor.gate is not None
    processor.gate.PROBE, processor.gate.REST = probe, rest  # type: ignore[misc]
    return processor.gate


def test_a_cache_that_never_hits_rests_and_is_probed_again() -> None:
    """All-different cases: after a probe of 20 misses the cache is left alone for 31 records, then probed again."""
    processor = Processor(Engine.default().with_cache(), "json")
    small_gate(processor, probe=20, rest=30)
    stats = processor.engine.cache.stats  # type: ignore[union-attr]
    looked = []
    for record in records(100, None):
        processor.process(record)
        looked.append(stats.hits + stats.misses)
    # records 1-20 look up; the 21st finds 20 misses and starts the rest, 30 more follow without a lookup
    assert looked[19] == 20
    assert looked[50] == 20
    assert looked[51] == 21
    assert (stats.hits, stats.misses) == (0, looked[-1])


def test_a_cache_that_hits_stays_consulted() -> None:
    """Repeated patterns: every record consults the cache."""
    processor = Processor(Engine.default().with_cache(), "json")
    small_gate(processor, probe=20, rest=30)
    stats = processor.engine.cache.stats  # type: ignore[union-attr]
    for record in records(120, 5):
        processor.process(record)
    assert stats.hits + stats.misses == 120
    assert processor.gate is not None
    assert processor.gate.resting == 0


def test_resting_changes_no_byte() -> None:
    """The same all-different records give the same bytes with a resting gate, a consulted cache and no cache."""
    given = records(60, None, seed=9)
    resting = Processor(Engine.default().with_cache(), "json")
    small_gate(resting, probe=10, rest=1000)
    consulted = Processor(Engine.default().with_cache(), "json")
    small_gate(consulted, probe=10**9, rest=0)
    plain = Processor(Engine.default(), "json")
    outputs = [[p.process(r) for r in given] for p in (resting, consulted, plain)]
    assert outputs[0] == outputs[1] == outputs[2]
    assert resting.gate is not None
    assert resting.gate.resting > 0
