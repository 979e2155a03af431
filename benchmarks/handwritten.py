"""The yardstick for `accountrules batch`: the default pack's decisions written out by hand in plain Python.

No rule engine and no rule pack: one function reads a JSON line, decides D1–D13 directly and writes a JSON
line with every person's responsibility, scope, range, form, measure, deciding modifier and refusals, the
organisation's measures, publicity and the dual investigation (no citations and no trace: those come from
the rule pack). It exists only to be measured beside ``batch``; ``test_handwritten_agrees_with_the_engine``
in ``bench_batch.py`` checks that it decides what the engine decides.
"""

from __future__ import annotations

import json
from typing import Any

SEVERITY = {"minor": 0, "ordinary": 1, "serious": 2, "grave": 3}
OFFENCE_RANGE = {"minor": (1, 1), "ordinary": (1, 2), "serious": (2, 3), "grave": (3, 3)}
LEADERSHIP = ((1, 1), (1, 2), (2, 2), (2, 3), (3, 3))
PUBLIC_INTEREST = {
    "poverty_alleviation",
    "agricultural_subsidies",
    "land_requisition",
    "housing",
    "education",
    "healthcare",
    "work_safety",
    "environment",
    "construction",
    "law_enforcement",
}
FAILURES = {
    "failed_to_implement",
    "failed_to_stop",
    "dereliction",
    "not_investigated",
    "concealed",
    "shielded",
    "obstructed",
}
COVER_UP = {"concealed", "shielded", "obstructed"}
LEADER_MITIGATION = {
    "discovered_proactively",
    "investigated_resolutely",
    "supported_investigation",
    "reported",
    "remedied",
}
OFFENCE_MITIGATION = {"confessed", "remedied", "exposed_others", "returned_gains"}
AGGRAVATION = {"defied_orders", "coerced_others", "refused_restitution", "reoffended"}
MEASURES = {
    0: ("none",),
    1: ("reminder", "criticism", "self_examination", "public_criticism", "admonishment"),
    2: ("warning", "serious_warning", "post_adjustment"),
    3: ("removal_from_party_post", "probation", "major_post_adjustment", "expulsion"),
    4: ("case_transfer",),
}
RESPONSIBILITY_RANK = {
    "direct": 0,
    "principal_leadership": 1,
    "supervisory": 2,
    "important_leadership": 3,
    "overall_leadership": 4,
    "none": 5,
}
DECIDING_RANK = {"top_of_range": 0, "increased": 1, "heavier": 2, None: 3, "lighter": 4, "reduced": 5, "exempt": 6}
AGGRAVATIONS = ("top_of_range", "increased", "heavier")
MITIGATIONS = ("exempt", "reduced", "lighter")
FLAG_REFUSALS = ("first_offence", "minor_error", "many_participants")


def table(index: int) -> tuple[int, int]:
    return LEADERSHIP[min(index, 4)]


def decide_line(line: bytes | str) -> str:
    """One JSON line in, one JSON line out (an error line for input it cannot read)."""
    try:
        case = json.loads(line)
        return json.dumps(decide(case), ensure_ascii=False, separators=(",", ":"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return json.dumps({"error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False)


def _modifiers(acts: set[str], kind: str, lifesaving_cover_up: bool = False) -> set[str]:
    """The modifiers a conduct entry gives a finding of ``kind``."""
    mods: set[str] = set()
    mitigation = OFFENCE_MITIGATION if kind == "offence" else LEADER_MITIGATION
    count = len(acts & mitigation)
    if count >= 2:
        mods.add("reduced")
    elif count == 1:
        mods.add("lighter")
    aggravating = len(acts & AGGRAVATION)
    if aggravating >= 2:
        mods.add("increased")
    elif aggravating == 1:
        mods.add("heavier")
    if "obstructed_inquiry" in acts:
        mods.add("increased")
    if kind != "offence" and acts & {"pilot_error", "force_majeure"} and not acts & COVER_UP:
        mods.add("exempt")
    if lifesaving_cover_up:
        mods.add("top_of_range")
    return mods


def _resolve(kind: str, responsibility: str, scope: str, rng: tuple[int, int], mods: set[str]) -> dict[str, Any]:
    lo, hi = rng
    if responsibility == "important_leadership":
        hi = lo
    refused: list[tuple[str, str | None]] = []
    deciding = None
    if hi == 0:
        form, measure = 0, "none"
    else:
        floor = 1 if kind == "offence" else 0
        aggravations = [m for m in AGGRAVATIONS if m in mods]
        mitigations = [m for m in MITIGATIONS if m in mods]
        if aggravations:
            best = None
            for tie, m in enumerate(aggravations):
                if m == "increased":
                    f = hi if hi >= 3 else hi + 1
                    meas = MEASURES[f][0]
                elif m == "top_of_range":
                    f, meas = hi, MEASURES[hi][-1]
                else:
                    f, meas = hi, MEASURES[hi][0]
                f = min(max(f, floor), 4)
                key = (f, MEASURES[f].index(meas), -tie)
                if best is None or key > best[0]:
                    best = (key, f, meas, m)
            assert best is not None
            _, form, measure, deciding = best
            refused = [("outweighed", m) for m in mitigations]
        elif mitigations:
            deciding = mitigations[0]
            form = 0 if deciding == "exempt" else lo - 1 if deciding == "reduced" else lo
            form = min(max(form, floor, 0), 4)
            measure = MEASURES[form][0]
        else:
            form = max(lo, floor)
            measure = MEASURES[form][0]
    return {
        "kind": kind,
        "responsibility": responsibility,
        "scope": scope,
        "range": (lo, hi),
        "form": form,
        "measure": measure,
        "deciding": deciding,
        "refused": refused,
    }


def decide(case: dict[str, Any]) -> dict[str, Any]:
    """SPEC §4, D1–D13, for one case given as parsed JSON."""
    people = {p["id"]: p for p in case["people"]}
    roles = {pid: set(p.get("roles", ())) for pid, p in people.items()}
    record = case.get("unit_record") or {}
    in_period = record.get("violations_in_period", 0)
    major = record.get("major_corruption_in_period", 0)
    violations = {v["id"]: v for v in case["violations"]}
    spread = bool(record.get("long_term_spread")) or any(v.get("long_term_spread") for v in violations.values())
    conduct = {(c["person"], c["violation"]): set(c.get("acts", ())) for c in case.get("conduct", ())}
    participants: set[tuple[str, str]] = set()
    for d in case.get("decisions", ()):
        for pid in d["participants"]:
            participants.add((pid, d["violation"]))

    findings: dict[str, list[dict[str, Any]]] = {}
    candidates: list[str] = []  # every candidate's responsibility (D12 reads them before selection)
    org: set[str] = set()

    def add(person: str, finding: dict[str, Any]) -> None:
        findings.setdefault(person, []).append(finding)

    severity: dict[str, int] = {}
    for vid, v in violations.items():
        s = SEVERITY[v["severity"]]
        if v.get("suspected_crime"):
            s = max(s, 3)
        severity[vid] = s
        offenders = set(v["offenders"])
        # D2 offence findings, D6-D8
        rng = (4, 4) if v.get("suspected_crime") else OFFENCE_RANGE[v["severity"]]
        public = v["kind"] in ("corruption", "harming_public_interest") and v["area"] in PUBLIC_INTEREST
        for pid in v["offenders"]:
            mods = _modifiers(conduct.get((pid, vid), set()), "offence")
            if v.get("lifesaving_funds"):
                mods.add("top_of_range")
            if public:
                mods.add("heavier")
            finding = _resolve("offence", "direct", "individual", rng, mods)
            finding["refused"] += [(flag, None) for flag in FLAG_REFUSALS if v.get(flag)]
            add(pid, finding)
            candidates.append("direct")
        # D3 and D4: conduct of everyone else on this violation
        for (pid, cv), acts in conduct.items():
            if cv != vid or pid in offenders:
                continue
            failures = acts & FAILURES
            if not failures:
                add(pid, _resolve("credit", "none", "individual", (0, 0), set()))
                candidates.append("none")
                continue
            r = roles[pid]
            overseer = "leader_in_charge" in r and v["area"] in people[pid].get("oversees", ())
            if "principal_leader" in r or overseer:
                duty = "principal_leadership"
            elif "discipline_inspection" in r:
                duty = "supervisory"
            else:
                duty = "important_leadership"
            options = []
            for act in failures:
                if act == "failed_to_implement":
                    options.append((duty, table(s + spread)))
                elif act in ("failed_to_stop", "dereliction"):
                    options.append((duty, table(s + 1 + spread)))
                elif act == "not_investigated":
                    options.append(("direct", (2, 2) if s <= 1 else (2, 3)))
                elif act in ("concealed", "shielded"):
                    options.append(("direct", (2, 3)))
                else:
                    options.append(("direct", (3, 3)))
            candidates += [o[0] for o in options]

            def effective(option: tuple[str, tuple[int, int]]) -> tuple[int, int, int]:
                resp, (lo, hi) = option
                if resp == "important_leadership":
                    hi = lo
                return (hi, lo, -RESPONSIBILITY_RANK[resp])

            duty, rng = max(options, key=effective)
            mods = _modifiers(acts, "leader", bool(v.get("lifesaving_funds") and acts & COVER_UP))
            add(pid, _resolve("leader", duty, "individual", rng, mods))
            if "principal_leader" in r and acts & COVER_UP:
                org.add("public_notice")
    # D9 collective decisions
    for d in case.get("decisions", ()):
        vid = d["violation"]
        s = severity[vid]
        advocates, objectors = set(d.get("advocates", ())), set(d.get("objectors", ()))
        for pid in d["participants"]:
            if pid in objectors:
                candidates.append("none")
                add(pid, _resolve("decision", "none", "collective", (0, 0), set()))
                continue
            candidates.append("important_leadership")
            if "principal_leader" in roles[pid] or pid in advocates:
                candidates.append("principal_leadership")
                duty, rng = "principal_leadership", table(s + 1)
            else:
                duty, rng = "important_leadership", table(s)
            mods = _modifiers(conduct.get((pid, vid), set()), "decision")
            add(pid, _resolve("decision", duty, "collective", rng, mods))
        org.add("inspection")
    # D5 the principal leader of a unit with many problems
    unit_range = (1, 2) if spread or major >= 2 else (1, 1) if in_period >= 3 else None
    for pid in people:
        if "principal_leader" in roles[pid] and unit_range is not None:
            finding = _resolve("unit", "principal_leadership", "individual", unit_range, set())
            if people[pid].get("personally_clean"):
                finding["refused"].append(("personally_clean", None))
            add(pid, finding)
            candidates.append("principal_leadership")
    # D1 dual investigation
    missing = []
    for vid, v in violations.items():
        offenders = set(v["offenders"])
        for pid, r in roles.items():
            linked = (
                "principal_leader" in r
                or "discipline_inspection" in r
                or ("leader_in_charge" in r and v["area"] in people[pid].get("oversees", ()))
            )
            if linked and pid not in offenders and (pid, vid) not in conduct and (pid, vid) not in participants:
                missing.append((pid, vid))
    missing.sort()
    # D11 each person's result
    results = []
    publicize = any(v.get("lifesaving_funds") for v in violations.values())
    for pid in sorted(set(findings) | {p for p, _ in missing}):
        items = findings.get(pid)
        if not items:
            results.append(
                {
                    "person": pid,
                    "name": people[pid].get("name", ""),
                    "responsibility": "undetermined",
                    "scope": "individual",
                    "range": None,
                    "form": None,
                    "measure": None,
                    "modifier": None,
                    "refused": [],
                }
            )
            continue
        for f in items:
            if f["kind"] != "offence" and f["form"] >= 2:
                publicize = True
        best = max(
            items,
            key=lambda f: (
                f["form"],
                MEASURES[f["form"]].index(f["measure"]),
                f["range"][1],
                f["range"][0],
                -RESPONSIBILITY_RANK[f["responsibility"]],
                f["scope"] == "individual",
                -DECIDING_RANK[f["deciding"]],
            ),
        )
        refused = sorted({r for f in items for r in f["refused"]}, key=lambda r: (r[0], r[1] or ""))
        results.append(
            {
                "person": pid,
                "name": people[pid].get("name", ""),
                "responsibility": best["responsibility"],
                "scope": best["scope"],
                "range": list(best["range"]),
                "form": best["form"],
                "measure": best["measure"],
                "modifier": best["deciding"],
                "refused": [{"kind": k, "detail": d} if d else {"kind": k} for k, d in refused],
            }
        )
    # D12 the organisation, D13 publicity
    if any(c in ("principal_leadership", "important_leadership", "supervisory") for c in candidates):
        org.add("inspection")
    if major >= 2:
        org.add("public_notice")
    if spread and major >= 3:
        org.add("reorganization")
    measures = [m for m in ("inspection", "public_notice", "reorganization") if m in org]
    if org & {"public_notice", "reorganization"}:
        publicize = True
    examined = sorted(pid for pid, items in findings.items() if any(f["kind"] != "offence" for f in items))
    return {
        "case_id": case["case_id"],
        "people": results,
        "organization": {
            "unit": case["unit"]["name"],
            "responsibility": "overall_leadership" if measures else "none",
            "measures": measures,
        },
        "publicize": publicize,
        "dual_investigation": {
            "complete": not missing,
            "examined": examined,
            "missing": [{"person": p, "violation": v} for p, v in missing],
        },
    }
