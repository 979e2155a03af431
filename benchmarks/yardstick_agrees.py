"""The hand-written function against the engine on generated archives whose cases all differ.

    python benchmarks/yardstick_agrees.py [CASES] [SEED ...] [--v2 SHARE]

For each SEED (default 21 22 23 24), generates CASES (default 5,000) cases that all differ
(`accountrules.batch.synth`; ``--v2 1`` gives every case SPEC §9's fields too), evaluates each with the engine
(durable_rules, the engine of record) and with ``handwritten.decide``, and compares what the function decides
(`engine_view`). Prints the count compared and the count that differ, with the first few differences; exits 1 when
any differ. ``test_handwritten_agrees_with_the_engine`` in ``test_bench_batch.py`` does the same on small archives
(one of them with §9's fields), every example and every golden case of the pack.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from accountrules import Engine
from accountrules.batch.synth import CorpusSpec, generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from handwritten import decide

PERSON_FIELDS = (
    "person",
    "name",
    "responsibility",
    "scope",
    "range",
    "form",
    "measure",
    "measures",
    "government_sanction",
    "waiting_period_months",
    "former",
)


def engine_view(determination: dict[str, Any]) -> dict[str, Any]:
    """What the hand-written function decides, read from a determination as JSON (``model_dump(mode="json")``):
    everything but citations, rule ids, messages, the rule pack and the trace."""
    people = []
    for p in determination["people"]:
        person = {name: p[name] for name in PERSON_FIELDS}
        person["modifier"] = p["modifiers"][0]["kind"] if p["modifiers"] else None
        person["refused"] = [{k: r[k] for k in ("kind", "detail") if r.get(k) is not None} for r in p["refused"]]
        people.append(person)
    return {
        "case_id": determination["case_id"],
        "people": people,
        "organization": determination["organization"],
        "publicize": determination["publicize"],
        "dual_investigation": determination["dual_investigation"],
        "rules_in_force": determination["rules_in_force"],
        "notes": [
            {k: n[k] for k in ("code", "person", "violation") if n.get(k) is not None} for n in determination["notes"]
        ],
    }


def differences(engine: Engine, case: dict[str, Any]) -> list[str]:
    """The parts of the case's determination where the hand-written function decides otherwise (none: agreed)."""
    expected = engine_view(engine.evaluate(case).model_dump(mode="json"))
    got = json.loads(json.dumps(decide(case)))
    out = []
    for key, value in expected.items():
        if key == "people":
            theirs = {p["person"]: p for p in got["people"]}
            for person in value:
                if theirs.get(person["person"]) != person:
                    out.append(f"{person['person']}: engine {person}, hand-written {theirs.get(person['person'])}")
            extra = sorted(set(theirs) - {p["person"] for p in value})
            if extra:
                out.append(f"people only the hand-written function lists: {extra}")
        elif got.get(key) != value:
            out.append(f"{key}: engine {value}, hand-written {got.get(key)}")
    return out


def main(cases: int, seeds: list[int], v2: float = 0.0) -> int:
    engine = Engine.default()
    compared, differ = 0, 0
    for seed in seeds:
        for record in generate(CorpusSpec(cases=cases, seed=seed, patterns=None, recorded=False, v2=v2)):
            case = json.loads(record.text)
            found = differences(engine, case)
            compared += 1
            if found:
                differ += 1
                if differ <= 5:
                    print(f"{case['case_id']} (seed {seed}): " + "; ".join(found), file=sys.stderr)
        print(f"seed {seed}: {compared:,} compared so far, {differ} differ", file=sys.stderr, flush=True)
    print(f"cases compared: {compared:,} (seeds {', '.join(map(str, seeds))}); cases that differ: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The hand-written function against the engine on generated cases.")
    parser.add_argument("cases", type=int, nargs="?", default=5_000)
    parser.add_argument("seeds", type=int, nargs="*", default=[21, 22, 23, 24])
    parser.add_argument("--v2", type=float, default=0.0, help="share of cases given SPEC §9's fields (0 to 1)")
    args = parser.parse_args()
    sys.exit(main(args.cases, args.seeds, args.v2))
