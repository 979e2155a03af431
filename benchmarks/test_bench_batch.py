"""SPEC §8 budgets for archives: ``accountrules batch`` beside a hand-written function, and the cache.

Run with ``python -m pytest benchmarks/test_bench_batch.py --benchmark-enable -p no:randomly -s``; figures,
never assertions (the last test prints the throughput of both and their ratio). The corpora are generated once
per run: ``ACCOUNTRULES_BENCH_CASES`` cases (default 100,000) whose fact patterns repeat as archives do, and
``ACCOUNTRULES_BENCH_DIFFERENT`` cases (default 10,000) that all differ. Peak memory on a large archive is
measured by ``benchmarks/peak_memory.py``.

``test_handwritten_agrees_with_the_engine`` proves the yardstick decides what the engine decides, on archives of
its own (``ACCOUNTRULES_AGREEMENT_CASES`` cases each, default 2,000; seconds to write), every example and every
golden case; alone: ``python -m pytest benchmarks/test_bench_batch.py -k agrees -p no:randomly``. The benchmarks
are not in the default suite (pyproject's ``testpaths``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.tooling.goldens import load_golden_file
from accountrules.validation import load_case

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from archives import write_archives  # noqa: E402 - a sibling script
from handwritten import decide_line  # noqa: E402 - the yardstick lives beside this file
from yardstick_agrees import differences  # noqa: E402 - a sibling script

CASE = HERE / "case_10x3.json"
REPEATED = int(os.environ.get("ACCOUNTRULES_BENCH_CASES", "100000"))
DIFFERENT = int(os.environ.get("ACCOUNTRULES_BENCH_DIFFERENT", "10000"))
WORKERS = 2
#: cases/s of each run, for the closing summary
FIGURES: dict[str, float] = {}


@pytest.fixture(scope="session")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two archives, written once: repeated patterns (300, some common) and all different."""
    return write_archives(tmp_path_factory.mktemp("corpora"), REPEATED, DIFFERENT)


def handwritten(path: Path, out: Path) -> int:
    """The hand-written function over every line of the archive, writing a JSON line for each."""
    count = 0
    with path.open("rb") as lines, out.open("w", encoding="utf-8") as results:
        for line in lines:
            results.write(decide_line(line))
            results.write("\n")
            count += 1
    return count


def batch(path: Path, out: Path) -> int:
    """``accountrules batch`` in its own process with two workers."""
    script = Path(sys.executable).with_name("accountrules")
    subprocess.run(
        [str(script), "batch", str(path), "-o", str(out), "--workers", str(WORKERS), "--no-progress"],
        check=True,
        timeout=3600,
    )
    with out.open("rb") as lines:
        return sum(1 for _ in lines)


def measured(benchmark: Any, name: str, run: Any, path: Path, out: Path) -> None:
    timings: list[float] = []

    def once() -> int:
        start = time.perf_counter()
        count = int(run(path, out))
        timings.append(time.perf_counter() - start)
        return count

    count = benchmark.pedantic(once, rounds=1, iterations=1)
    FIGURES[name] = count / timings[-1]
    benchmark.extra_info["cases"] = count
    benchmark.extra_info["cases_per_second"] = round(FIGURES[name])


@pytest.mark.parametrize("corpus", ["repeated", "different"])
def test_handwritten(benchmark: Any, corpora: dict[str, Path], tmp_path: Path, corpus: str) -> None:
    """The yardstick: a plain Python function, one process."""
    measured(benchmark, f"handwritten/{corpus}", handwritten, corpora[corpus], tmp_path / "out.jsonl")


@pytest.mark.parametrize("corpus", ["repeated", "different"])
def test_batch_two_workers(benchmark: Any, corpora: dict[str, Path], tmp_path: Path, corpus: str) -> None:
    """``accountrules batch --workers 2``: the rules on durable_rules, with the cache, start-up included."""
    measured(benchmark, f"batch/{corpus}", batch, corpora[corpus], tmp_path / "out.jsonl")


# ---------------------------------------------------------------------------------------------------------------
# one case through the library, cached


@pytest.fixture(scope="module")
def cached() -> Engine:
    engine = Engine.default().with_cache()
    case = load_case(CASE)
    for _ in range(200):
        engine.evaluate_valid(case)
    return engine


def test_cached_evaluate_10_people_3_violations(benchmark: Any, cached: Engine) -> None:
    """A like case served from the cache: key, restore, re-sort (SPEC §8: ≤ 50 µs)."""
    case = load_case(CASE)
    result = benchmark(cached.evaluate_valid, case)
    assert len(result.people) == 10


def test_cached_json_10_people_3_violations(benchmark: Any, cached: Engine) -> None:
    """The same as compact JSON bytes, the way a batch worker serves it."""
    cache = cached.cache
    assert cache is not None
    case = load_case(CASE)

    def serve() -> bytes:
        return cache.determine_json(case, cache.canonical(case), _never)

    assert benchmark(serve) == cached.evaluate_valid(case).to_json(indent=None).encode("utf-8")


def _never() -> Any:
    raise AssertionError("a like case was evaluated again")


# ---------------------------------------------------------------------------------------------------------------


AGREEMENT_CASES = int(os.environ.get("ACCOUNTRULES_AGREEMENT_CASES", "2000"))
ROOT = HERE.parent


@pytest.fixture(scope="module")
def agreement_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """The cases the yardstick is checked on: ``AGREEMENT_CASES`` of each archive (repeated patterns, all
    different, and all different with SPEC §9's fields, written small for this check alone), every example and
    every golden case of the default pack (which cover §9's corners: dates, versions, members, posts, tenure,
    consequences)."""
    paths = write_archives(tmp_path_factory.mktemp("agreement"), AGREEMENT_CASES, AGREEMENT_CASES)
    out: dict[str, list[dict[str, Any]]] = {}
    for name, path in paths.items():
        with path.open(encoding="utf-8") as lines:
            out[name] = [json.loads(line) for line in lines]
    v2 = CorpusSpec(cases=AGREEMENT_CASES, seed=9, patterns=None, recorded=False, v2=1.0)
    out["v2"] = [json.loads(record.text) for record in generate(v2)]
    out["examples"] = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples" / "cases").glob("*.json"))
    ]
    out["goldens"] = [g.case for f in sorted((ROOT / "rules" / "tests").glob("*.yaml")) for g in load_golden_file(f)]
    return out


@pytest.mark.parametrize("source", ["repeated", "different", "v2", "examples", "goldens"])
def test_handwritten_agrees_with_the_engine(agreement_cases: dict[str, list[dict[str, Any]]], source: str) -> None:
    """The yardstick decides what the rules decide on every case of the source: people (with measures, government
    sanction, promotion bar, former), organisation, publicity, dual investigation, rules in force and notes."""
    engine = Engine.default().with_cache()
    cases = agreement_cases[source]
    differ = {case["case_id"]: found for case in cases if (found := differences(engine, case))}
    assert len(cases) == AGREEMENT_CASES if source in ("repeated", "different", "v2") else cases
    assert not differ, f"{len(differ)} of {len(cases)} cases differ; first: {next(iter(differ.items()))}"


def test_summary() -> None:
    """Print cases/s of both and the ratio (batch / hand-written) for each corpus."""
    for corpus in ("repeated", "different"):
        hand, ours = FIGURES.get(f"handwritten/{corpus}"), FIGURES.get(f"batch/{corpus}")
        if hand and ours:
            print(
                f"\n{corpus}: hand-written {hand:,.0f} cases/s, batch ({WORKERS} workers) {ours:,.0f} cases/s, "
                f"ratio {ours / hand:.2f}"
            )
