"""Where the time of an evaluation goes, by part of the work, under cProfile.

    python benchmarks/where_time_goes.py [CASES]

Two workloads, each with both runtimes (durable_rules, the engine of record, and the compiled one):

- ``one case``: benchmarks/case_10x3.json (10 people, 3 violations) through `Engine.evaluate_valid`, uncached,
  500 times;
- ``archive``: CASES (default 2,000) generated cases that all differ, through the path of ``batch --workers 0``
  (parse, cache key, evaluation, cache store, JSON), as one worker runs them.

The profile's own time per function is summed by the module it belongs to, then shown as shares of the whole, so
that the parts compare within one run (cProfile slows Python code more than C code: shares, not milliseconds).
The milliseconds per case beside them are measured without the profiler.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

from accountrules import Engine
from accountrules.batch.records import Record
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.batch.worker import Processor
from accountrules.validation import load_case

HERE = Path(__file__).resolve().parent

#: (part, test on "file:function" of a profiled function); the first that matches takes the function's time.
PARTS: list[tuple[str, Callable[[str], bool]]] = [
    ("durable_rules C core (matching)", lambda f: "durable_rules_engine" in f),
    ("durable_rules Python (actions, session, JSON to and from C)", lambda f: "/durable/" in f or "json/" in f),
    ("the engine's side of durable_rules (facts, ids, waiting)", lambda f: "engine/durable.py" in f),
    ("compiled matching", lambda f: "compiled rules" in f or "engine/compiled.py" in f),
    ("firings built from matches", lambda f: "engine/firings.py" in f),
    ("flattening the case into facts", lambda f: "engine/flatten.py" in f or "<string>:1(flatten)" in f),
    ("resolution (D11, modifiers, forms)", lambda f: "engine/resolve.py" in f or "engine/versions.py" in f),
    ("the determination and its trace", lambda f: "engine/evaluate.py" in f or "accountrules/models.py" in f),
    ("cache key and store (labels, JSON fragments)", lambda f: "engine/cache.py" in f or "<string>:1(read)" in f),
    ("parsing and validating the case", lambda f: "validation.py" in f or "validate_json" in f),
    ("writing JSON", lambda f: "to_json" in f or "model_dump_json" in f),
    ("pydantic copies and construction", lambda f: "pydantic" in f),
    ("threading (events, locks)", lambda f: "threading.py" in f or "acquire" in f),
]


def shares(profile: cProfile.Profile) -> list[tuple[str, float]]:
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        name = f"{filename}:{line}({function})"
        part = next((p for p, test in PARTS if test(name)), "other (sorting, dicts, the interpreter)")
        totals[part] = totals.get(part, 0.0) + row[2]
    whole = sum(totals.values()) or 1.0
    return sorted(((part, t / whole) for part, t in totals.items()), key=lambda item: -item[1])


def measure(title: str, run: Callable[[], int]) -> None:
    start = time.perf_counter()
    count = run()
    plain = (time.perf_counter() - start) / count * 1000
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    print(f"\n{title}: {plain:.2f} ms per case without the profiler")
    for part, share in shares(profile):
        if share >= 0.005:
            print(f"  {share:6.1%}  {part}")


def main(cases: int) -> None:
    case = load_case(HERE / "case_10x3.json")
    lines = [
        r.text.encode("utf-8") + b"\n" for r in generate(CorpusSpec(cases=cases, seed=8, patterns=None, recorded=False))
    ]
    for runtime in ("durable", "compiled"):
        engine = Engine.default().with_runtime(runtime)
        for _ in range(100):
            engine.evaluate_valid(case)

        def one_case(engine: Engine = engine) -> int:
            for _ in range(500):
                engine.evaluate_valid(case)
            return 500

        def archive(engine: Engine = engine) -> int:
            processor = Processor(engine.with_cache(), "json")
            for number, line in enumerate(lines, 1):
                processor.process(Record(number, "line", line))
            return len(lines)

        measure(f"one case, uncached, {runtime}", one_case)
        measure(f"archive of {cases:,} different cases, one process, {runtime}", archive)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
