"""Both runtimes on a large generated archive: every determination must be the same, byte for byte.

    python benchmarks/engines_agree.py [CASES] [SEED] [--v2 SHARE]

Generates CASES (default 100,000) cases that all differ (`accountrules.batch.synth`, seed SEED, default 11;
``--v2 1`` gives every case SPEC §9's fields too: membership, posts, tenures, dated conduct, consequences, force
majeure, an offender's pilot error, amounts about the criminal threshold),
evaluates each with durable_rules (the engine of record) and with the compiled runtime, uncached, and compares
their JSON. Prints the count compared, the count that differ (with the first few case ids), the cases on which
durable_rules itself failed (its C core can, rarely, under heavy load; they are not compared) and the time each
runtime took; exits 1 when any differ. tests/test_compiled.py proves the same over the verify space and on
Hypothesis' cases; this run covers the archive generator's wider cases.
"""

from __future__ import annotations

import argparse
import sys
import time

from accountrules import Engine
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.errors import EvaluationError
from accountrules.validation import parse_case_text


def main(cases: int, seed: int, v2: float = 0.0) -> int:
    engine = Engine.default()
    durable, compiled = engine.with_runtime("durable"), engine.with_runtime("compiled")
    spent = {"durable": 0.0, "compiled": 0.0}
    differ: list[str] = []
    failed: list[str] = []
    count = 0
    for record in generate(CorpusSpec(cases=cases, seed=seed, patterns=None, recorded=False, v2=v2)):
        case = parse_case_text(record.text)
        start = time.perf_counter()
        try:
            expected = durable.evaluate_valid(case).to_json(indent=None)
        except EvaluationError as exc:  # durable_rules itself failed on a valid case: nothing to compare
            failed.append(f"{case.case_id} ({exc})")
            continue
        middle = time.perf_counter()
        got = compiled.evaluate_valid(case).to_json(indent=None)
        spent["durable"] += middle - start
        spent["compiled"] += time.perf_counter() - middle
        count += 1
        if got != expected:
            differ.append(case.case_id)
        if count % 10_000 == 0:
            print(f"{count:,} compared, {len(differ)} differ, {len(failed)} failed", file=sys.stderr, flush=True)
    print(f"cases compared: {count:,}; determinations that differ: {len(differ)}")
    if failed:
        print(f"cases durable_rules failed on (not compared): {len(failed)}: " + "; ".join(failed[:3]))
    if differ:
        print("first that differ: " + ", ".join(differ[:10]))
    print(
        f"seconds evaluating: durable_rules {spent['durable']:.1f}, compiled {spent['compiled']:.1f} "
        f"({spent['durable'] / max(spent['compiled'], 1e-9):.1f}× faster)"
    )
    return 1 if differ else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Both runtimes on a generated archive, byte for byte.")
    parser.add_argument("cases", type=int, nargs="?", default=100_000)
    parser.add_argument("seed", type=int, nargs="?", default=11)
    parser.add_argument("--v2", type=float, default=0.0, help="share of cases given SPEC §9's fields (0 to 1)")
    args = parser.parse_args()
    sys.exit(main(args.cases, args.seed, args.v2))
