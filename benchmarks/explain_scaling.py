"""How the time of ``explain`` grows with the case, beside ``evaluate``: cases of P people × V violations.

Run ``python benchmarks/explain_scaling.py [--sizes 50x5,100x10,200x20,400x40] [--person p1] [--whole]``; it
prints one line per size: people, violations, the seconds of one evaluation and of one explanation, and their
ratio. ``--whole`` re-evaluates the whole case for every change, as explanations did before they took the
smallest case that decides each change: the same explanation, for comparison.
Figures only, never assertions (the machine is shared: compare the lines of one run with each other).

The case: a principal leader (p1) and a discipline-inspection head (p2) with conduct on every violation, one
leader in charge per area, and one staff offender per violation; the rest are staff with nothing on file.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from accountrules import Engine
from accountrules.tooling.explain import explain as explain_person
from accountrules.validation import CaseLimits, parse_case
from accountrules.vocabulary import PUBLIC_INTEREST_AREAS


def scaling_case(people: int, violations: int) -> dict[str, Any]:
    """A valid case of ``people`` people (at least ``violations`` + 12) and ``violations`` violations."""
    areas = list(PUBLIC_INTEREST_AREAS)
    leaders = [{"id": f"p{3 + i}", "roles": ["leader_in_charge"], "oversees": [a]} for i, a in enumerate(areas)]
    first_staff = 3 + len(leaders)
    staff = [{"id": f"p{i}", "roles": ["staff"]} for i in range(first_staff, people + 1)]
    cases = [
        {
            "id": f"v{j + 1}",
            "kind": "corruption" if j % 2 else "harming_public_interest",
            "severity": ("minor", "ordinary", "serious")[j % 3],
            "area": areas[j % len(areas)],
            "offenders": [f"p{first_staff + j}"],
        }
        for j in range(violations)
    ]
    conduct = [{"person": "p1", "violation": v["id"], "acts": ["failed_to_implement"]} for v in cases]
    conduct += [{"person": "p2", "violation": v["id"], "acts": ["reported"]} for v in cases]
    conduct += [
        {"person": f"p{3 + j % len(areas)}", "violation": v["id"], "acts": ["failed_to_stop"]}
        for j, v in enumerate(cases)
    ]
    return {
        "case_id": f"scaling-{people}x{violations}",
        "unit": {"name": "某县某局", "level": "county"},
        "decided_on": "2024-06-30",
        "people": [
            {"id": "p1", "roles": ["principal_leader"]},
            {"id": "p2", "roles": ["discipline_inspection"]},
            *leaders,
            *staff,
        ],
        "violations": cases,
        "conduct": conduct,
    }


def seconds(run: Any) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50x5,100x10,200x20,400x40", help="PEOPLExVIOLATIONS, comma-separated")
    parser.add_argument("--person", default="p1", help="the person to explain (p1: linked to every violation)")
    parser.add_argument("--whole", action="store_true", help="re-evaluate the whole case for every change")
    args = parser.parse_args()
    engine = Engine.default().with_limits(CaseLimits(max_work=0))
    engine.evaluate_valid(parse_case(scaling_case(20, 2)))  # the pack's rulesets registered before timing
    print(f"{'people':>7} {'violations':>10} {'evaluate s':>11} {'explain s':>10} {'ratio':>7}")
    for size in args.sizes.split(","):
        people, violations = (int(n) for n in size.split("x"))
        case = parse_case(scaling_case(people, violations))
        evaluate = seconds(lambda: engine.evaluate_valid(case))  # noqa: B023 - called at once
        explain = seconds(lambda: explain_person(engine, case, args.person, shortcut=not args.whole))  # noqa: B023
        print(f"{people:>7} {violations:>10} {evaluate:>11.3f} {explain:>10.2f} {explain / evaluate:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
