"""The two archives the throughput benchmarks run on: one whose fact patterns repeat, as archives do, and one whose
cases all differ. Seeded, so every run of `table.py` and `test_bench_batch.py` reads the same cases."""

from __future__ import annotations

from pathlib import Path

from accountrules.batch.synth import CorpusSpec, generate
from accountrules.engine.evaluate import Engine


def write_archives(folder: Path, repeated: int, different: int) -> dict[str, Path]:
    """Write ``repeated.jsonl`` (``repeated`` cases of 300 patterns, a few common, with recorded outcomes) and
    ``different.jsonl`` (``different`` cases that all differ) into ``folder``; return their paths by name."""
    engine = Engine.default()
    out = {}
    for name, spec in (
        ("repeated", CorpusSpec(cases=repeated, seed=7, patterns=300)),
        ("different", CorpusSpec(cases=different, seed=8, patterns=None, recorded=False)),
    ):
        path = folder / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for record in generate(spec, engine):
                handle.write(record.text + "\n")
        out[name] = path
    return out
