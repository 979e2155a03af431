"""What one record costs on its way through a batch worker, stage by stage, beside the hand-written function.

    python benchmarks/record_path.py [ARCHIVE] [--records 500] [--rounds 9]

CPU time per record (``time.process_time``), the least of interleaved rounds: the machine is shared, and the
least is the round least disturbed. The stages of a record whose fact pattern was seen before (a cache hit):
reading it (pydantic's validation of the JSON, the reader's check that no key is repeated, the checks of ids and
references), its cache key, and writing its determination from the stored one; then what a pattern seen for the
first time costs once (the evaluation and the storing of its determination for the cases like it). The archive
defaults to the repeated-patterns archive of ``table.py``; the hand-written function reads and decides the same
records. Figures, never assertions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accountrules import Engine
from accountrules.batch.records import Record
from accountrules.batch.worker import Processor
from accountrules.engine.cache import Canonical, DeterminationCache, _Labels, _Stored
from accountrules.models import Case, Determination
from accountrules.validation import _consistent, _keys_given, parse_case_text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from handwritten import decide_line  # noqa: E402 - a sibling script


def least(stages: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """The least CPU seconds of each stage over ``rounds`` rounds, the stages interleaved within a round."""
    best = dict.fromkeys(stages, float("inf"))
    for _ in range(rounds):
        for name, run in stages.items():
            started = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", nargs="?", type=Path, default=Path("/tmp/accountrules-table/repeated.jsonl"))
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with args.archive.open("rb") as archive:
        lines = [line for _, line in zip(range(args.records), archive, strict=False)]
    engine = Engine.default().with_runtime("compiled")
    cached = engine.with_cache()
    cache = cached.cache
    assert cache is not None
    cases = [parse_case_text(line) for line in lines]
    keys: list[Canonical] = [cache.canonical(case) for case in cases]
    processor = Processor(cached, "json")
    records = [Record(number, "line", line) for number, line in enumerate(lines, 1)]
    for _ in range(2):  # every pattern evaluated, stored and laid out, whatever the worker's gate: hits follow
        for case, key in zip(cases, keys, strict=True):
            cache.determine_json(case, key, lambda case=case: engine.evaluation(case).determination)
    evaluated = [engine.evaluation(case).determination for case in cases[:100]]
    hit: dict[str, Callable[[], Any]] = {
        "hand-written function: read and decide": lambda: [decide_line(line) for line in lines],
        "  of which json.loads": lambda: [json.loads(line) for line in lines],
        "reading: parse_case_text": lambda: [parse_case_text(line) for line in lines],
        "  pydantic: Case.model_validate_json": lambda: [Case.model_validate_json(line) for line in lines],
        "  no repeated key: keys given": lambda: [_keys_given(case) for case in cases],
        "  ids and references": lambda: [_consistent(case) for case in cases],
        "cache key": lambda: [cache.canonical(case) for case in cases],
        "a hit's JSON: determine_json": lambda: [
            cache.determine_json(case, key, _never) for case, key in zip(cases, keys, strict=True)
        ],
        "the whole record, a hit: Processor.process": lambda: [processor.process(record) for record in records],
    }
    once: dict[str, Callable[[], Any]] = {
        "evaluation and its JSON": lambda: [
            engine.evaluation(case).determination.to_json(indent=None) for case in cases[:100]
        ],
        "storing it for like cases: _Stored": lambda: [
            _Stored(model, json_only=True, labels=_Labels(key.people, key.violations))
            for model, key in zip(evaluated, keys, strict=False)
        ],
        "a miss and a like case, evaluation aside": lambda: _miss_and_hit(cache, cases, keys, evaluated),
    }
    print(f"{args.archive}: {len(lines)} records, CPU per record, least of {args.rounds} rounds")
    for name, seconds in least(hit, args.rounds).items():
        print(f"  {name:44s}{seconds / len(lines) * 1e6:8.1f} µs")
    print("a pattern seen for the first time, once per pattern (per worker that meets it)")
    for name, seconds in least(once, max(args.rounds // 3, 1)).items():
        print(f"  {name:44s}{seconds / 100 * 1e6:8.1f} µs")


def _miss_and_hit(
    cache: DeterminationCache, cases: list[Case], keys: list[Canonical], evaluated: list[Determination]
) -> None:
    """What `determine_json` adds to an evaluation while like cases come (a miss stored at once): its JSON, the
    entry it keeps, and the first like case's JSON (here the case again), which may lay the entry out."""
    fresh = DeterminationCache(cache.plan)
    fresh.stats.hits = 1 << 20
    for case, key, model in zip(cases, keys, evaluated, strict=False):
        fresh.determine_json(case, key, lambda model=model: model)
        fresh.determine_json(case, key, _never)


def _never() -> Any:
    raise AssertionError("every pattern was stored before the hits were timed")


if __name__ == "__main__":
    main()
