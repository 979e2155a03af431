"""The yardstick for `accountrules batch`: the default pack's decisions written out by hand in plain Python.

No rule engine and no rule pack: one function reads a JSON line, decides SPEC §4 as §9 amends it and writes a
JSON line. Per person: responsibility, scope, range, form, measure, the deciding modifier, the refusals, every
recommended measure, the government sanction, the promotion bar and whether they had left office; for the case:
the organisation's measures, publicity, the dual investigation, the rules in force for each violation (the
version of the regulations for its conduct and for the decision, why, and who got the lighter newer one) and the
notes' codes. No citations, messages or trace: those come from the rule pack (the function names the rule each
finding restates only to order equal findings as the engine does). It exists only to be measured beside
``batch``; ``test_handwritten_agrees_with_the_engine`` in ``test_bench_batch.py`` and ``yardstick_agrees.py``
check that it decides what the engine decides.

The tables below restate rules/*.yaml by hand (the versions, the leadership table, the modifiers each version
knows, the accident grades, the correspondence of party and government sanctions, the promotion bars). D11's
placement of a finding is precomputed for every range, set of modifiers, floor and party post at import.
"""

from __future__ import annotations

import json
from typing import Any

# --- the versions of the regulations (rules/versions.yaml), by the day each took effect -------------------------
VERSIONS = ("acct2016+disc2015", "acct2016+disc2018", "acct2019+disc2018", "acct2019+disc2023")
SINCE = ("2016-01-01", "2018-10-01", "2019-09-01", "2024-01-01")
NEWEST = len(VERSIONS) - 1
ACCT2019 = 2  # versions from this index on hold the 2019 accountability regulations (容错, leaders' modifiers)
#: Where a corruption or harm to the public is mandatorily heavier, per version (disc2018:112, disc2023:122).
PUBLIC_INTEREST_AREAS: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset({"poverty_alleviation"}),
    frozenset({"poverty_alleviation"}),
    frozenset({"poverty_alleviation", "agricultural_subsidies"}),
)
PUBLIC_INTEREST_KINDS = frozenset({"corruption", "harming_public_interest"})
#: The offender's acts that count toward 从重/加重, per version (disc2015:19, disc2018:20, acct2019:19).
OFFENCE_AGGRAVATING: tuple[frozenset[str], ...] = (
    frozenset({"coerced_others"}),
    frozenset({"coerced_others", "refused_restitution", "reoffended"}),
    frozenset({"defied_orders", "coerced_others", "refused_restitution", "reoffended"}),
    frozenset({"defied_orders", "coerced_others", "refused_restitution", "reoffended"}),
)
AGGRAVATING = frozenset({"defied_orders", "coerced_others", "refused_restitution", "reoffended"})
OFFENCE_MITIGATION = frozenset({"confessed", "remedied", "exposed_others", "returned_gains"})
LEADER_MITIGATION = frozenset(
    {"discovered_proactively", "investigated_resolutely", "supported_investigation", "reported", "remedied"}
)
FAILURES = frozenset(
    {"failed_to_implement", "failed_to_stop", "dereliction", "not_investigated", "concealed", "shielded", "obstructed"}
)
COVER_UP = frozenset({"concealed", "shielded", "obstructed"})
FLAGS = ("first_offence", "minor_error", "many_participants")
LEADER_ROLES = frozenset({"principal_leader", "leader_in_charge", "team_member", "discipline_inspection"})
NO_ACTS: frozenset[str] = frozenset()

# --- severity, ranges, the leadership table (rules/policy.yaml, rules/offence.yaml) ------------------------------
SEVERITY = {"minor": 0, "ordinary": 1, "serious": 2, "grave": 3}
OFFENCE_RANGE = ((1, 1, "O-SEVERITY-MINOR"), (2, 2, "O-SEVERITY-ORDINARY"), (2, 3, "O-SEVERITY-SERIOUS"))
OFFENCE_RANGE += ((3, 3, "O-SEVERITY-GRAVE"),)
#: A fairly serious corrupt act sits in the third form (the clean-governance articles' grading).
SERIOUS_CORRUPTION = (3, 3, "O-SEVERITY-SERIOUS-CORRUPTION")
LEADERSHIP = ((1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (3, 3), (3, 3))
#: V11: (grade, deaths, serious injuries, direct loss) from which a violation is at least that grade.
CONSEQUENCE_FLOORS = ((3, 10, 50, 50_000_000), (2, 3, 10, 10_000_000), (1, 1, 1, None))

MEASURES = {
    0: ("none",),
    1: ("reminder", "criticism", "self_examination", "public_criticism", "admonishment"),
    2: ("warning", "serious_warning", "post_adjustment"),
    3: ("removal_from_party_post", "probation", "major_post_adjustment", "expulsion"),
    4: ("case_transfer",),
}
MEASURE_ORDER = {m: i for i, m in enumerate(m for form in range(5) for m in MEASURES[form])}
RESPONSIBILITY_RANK = {
    "direct": 0,
    "principal_leadership": 1,
    "supervisory": 2,
    "important_leadership": 3,
    "overall_leadership": 4,
    "none": 5,
}

# --- sanctions (rules/sanctions.yaml) ----------------------------------------------------------------------------
PARTY_MEASURES = frozenset({"warning", "serious_warning", "removal_from_party_post", "probation", "expulsion"})
#: 合并处理 (rules/policy.yaml `merge`): two or more violations each at one of these raise the heaviest one grade.
MERGE_SCALE = ("warning", "serious_warning", "removal_from_party_post", "probation", "expulsion")
#: Each grade as (form, its place in the form, measure); a finding from the first to the last counts.
MERGE_GRADES = tuple((form, MEASURES[form].index(m), m) for m in MERGE_SCALE for form in (2, 3) if m in MEASURES[form])
MERGE_FIRST, MERGE_LAST = MERGE_GRADES[0][:2], MERGE_GRADES[-1][:2]
GOVERNMENT_INSTEAD = {
    "warning": "gov_warning",
    "serious_warning": "gov_major_demerit",
    "removal_from_party_post": "gov_removal",
    "probation": "gov_removal",
    "expulsion": "gov_dismissal",
}
GOVERNMENT_BESIDE = {"removal_from_party_post": "gov_removal", "probation": "gov_removal", "expulsion": "gov_dismissal"}
GOVERNMENT_RANK = {
    g: i
    for i, g in enumerate(
        ("gov_warning", "gov_demerit", "gov_major_demerit", "gov_demotion", "gov_removal", "gov_dismissal")
    )
}
#: Months a measure or a government sanction bars promotion (the same under civ2007 and gov2020).
WAITING = {
    "admonishment": 6,
    "post_adjustment": 12,
    "warning": 12,
    "serious_warning": 18,
    "removal_from_party_post": 24,
    "probation": 36,
    "major_post_adjustment": 24,
    "gov_warning": 6,
    "gov_demerit": 12,
    "gov_major_demerit": 18,
    "gov_demotion": 24,
    "gov_removal": 24,
}

# --- D11: modifiers as bits, and every finding's placement precomputed -------------------------------------------
TOP, INCREASED, HEAVIER, EXEMPT, REDUCED, LIGHTER = 1, 2, 4, 8, 16, 32
AGGRAVATIONS = ((TOP, "top_of_range"), (INCREASED, "increased"), (HEAVIER, "heavier"))
MITIGATIONS = ((EXEMPT, "exempt"), (REDUCED, "reduced"), (LIGHTER, "lighter"))
DECIDING_RANK = {"top_of_range": 0, "increased": 1, "heavier": 2, None: 3, "lighter": 4, "reduced": 5, "exempt": 6}


LEADERSHIP_RESPONSIBILITIES = frozenset({"principal_leadership", "important_leadership", "supervisory"})
MAIN_OR_DIRECT = frozenset({"direct", "principal_leadership"})

# The pack's measure scales (rules/policy.yaml `measure_scales`), as bits of a finding's scale class: leader,
# decision and unit findings of leadership responsibility take 通报 or 诫勉 in the first form, starting at 诫勉;
# offence, leader and decision findings of direct or main responsibility start at 严重警告 in the second form when
# their range reaches the third.
FIRST_FORM_SCALE, WIDER_RANGE_SCALE = 1, 2
SCALE_CLASS = {
    (kind, responsibility): (
        (
            FIRST_FORM_SCALE
            if kind in ("leader", "decision", "unit") and responsibility in LEADERSHIP_RESPONSIBILITIES
            else 0
        )
        | (WIDER_RANGE_SCALE if kind in ("offence", "leader", "decision") and responsibility in MAIN_OR_DIRECT else 0)
    )
    for kind in ("offence", "leader", "credit", "unit", "decision")
    for responsibility in ("direct", "principal_leadership", "supervisory", "important_leadership", "none")
}


def _scale(form: int, scales: int, hi: int) -> tuple[tuple[str, ...], int]:
    """The measures a finding of scale class ``scales`` and highest form ``hi`` may take at ``form``, and where
    it starts."""
    if form == 1 and scales & FIRST_FORM_SCALE:
        return ("public_criticism", "admonishment"), 1
    if form == 2 and scales & WIDER_RANGE_SCALE and hi > 2:
        return MEASURES[2], 1
    return MEASURES[form], 0


def _measure(form: int, which: str, scales: int = 0, hi: int = 0) -> str:
    measures, start = _scale(form, scales, hi)
    if which == "lightest":
        return measures[0]
    if which == "start":
        return measures[start]
    return measures[min(start + 1, len(measures) - 1)] if which == "heavier" else measures[-1]


def _place(bit: int, lo: int, hi: int, floor: int, scales: int) -> tuple[int, str]:
    """Where one modifier puts the form of a range, and with which measure."""
    if bit == EXEMPT:
        return 0, "none"
    if bit == TOP:
        form = min(max(hi, floor), 4)
        return form, _measure(form, "heaviest", scales, hi)
    if bit in (INCREASED, HEAVIER):
        form = max(hi, min(hi + 1, 3)) if bit == INCREASED else hi
        form = min(max(form, floor), 4)
        return form, _measure(form, "heavier" if lo == hi and form == hi else "lightest", scales, hi)
    form = min(max(lo - 1 if bit == REDUCED else lo, floor, 0), 4)
    return form, _measure(form, "lightest", scales, hi)


def _without_post(form: int, measure: str, without_post: bool) -> tuple[int, str]:
    """V9: no removal from a party post the person does not hold; a serious warning instead."""
    if without_post and measure == "removal_from_party_post":
        return 2, "serious_warning"
    return form, measure


def _resolve(lo: int, hi: int, mask: int, floor: int, without_post: bool, scales: int) -> tuple[Any, ...]:
    """D11 for one effective range: (form, measure, deciding modifier, mitigations outweighed, measure replaced)."""
    if hi == 0:
        return 0, "none", "exempt" if mask & EXEMPT else None, (), None
    mitigations = tuple(name for bit, name in MITIGATIONS if mask & bit)
    aggravations = [(bit, name) for bit, name in AGGRAVATIONS if mask & bit]
    if lo >= 4 and not aggravations:  # V2: a suspected crime stays where it is
        placed = (lo, _measure(lo, "start", scales, hi))
        form, measure = _without_post(*placed, without_post)
        return form, measure, None, mitigations, placed[1] if measure != placed[1] else None
    if aggravations:
        options = []
        for tie, (bit, name) in enumerate(aggravations):
            placed = _place(bit, lo, hi, floor, scales)
            form, measure = _without_post(*placed, without_post)
            options.append((form, MEASURES[form].index(measure), -tie, name, measure, placed))
        form, _, _, deciding, measure, placed = max(options)
        return form, measure, deciding, mitigations, placed[1] if measure != placed[1] else None
    if mitigations:
        bit, deciding = next((bit, name) for bit, name in MITIGATIONS if mask & bit)
        placed = _place(bit, lo, hi, floor, scales)
    else:
        deciding = None
        placed = (max(lo, floor), _measure(max(lo, floor), "start", scales, hi))
    form, measure = _without_post(*placed, without_post)
    return form, measure, deciding, (), placed[1] if measure != placed[1] else None


#: (lo, hi, modifiers, floor, without a party post, scale class) → (form, measure's rank in the form, measure,
#: deciding modifier, mitigations outweighed, minus the deciding modifier's rank in the person's tie-break, measure
#: V9 replaced)
PLACED = {
    (lo, hi, mask, floor, post, scales): (
        r[0],
        MEASURES[r[0]].index(r[1]),
        r[1],
        r[2],
        r[3],
        -DECIDING_RANK[r[2]],
        r[4],
    )
    for lo in range(5)
    for hi in range(lo, 5)
    for mask in range(64)
    for floor in (0, 1)
    for post in (False, True)
    for scales in range(4)
    for r in (_resolve(lo, hi, mask, floor, post, scales),)
}
FLOOR = {"offence": 1, "leader": 0, "credit": 0, "unit": 0, "decision": 0}  # 微错必究: an offender never below 1


def _fixed(finding: tuple[Any, ...], without_post: bool) -> tuple[int, bool, int]:
    """The parts of a finding's key into PLACED that its modifiers do not change: floor, post, scale class."""
    return FLOOR[finding[3]], without_post, SCALE_CLASS[finding[3], finding[4]]


# --- D3 as V5 amends it: who bears a leadership failure, and the rule that says so ------------------------------
LEADERSHIP_FAILURES = frozenset({"failed_to_implement", "failed_to_stop", "dereliction"})
#: (responsibility, rule for failed_to_implement, rule for failed_to_stop and dereliction)
DUTIES = {
    name: (responsibility, f"L-IMPLEMENT-{rule}", f"L-STOP-{rule}")
    for name, responsibility, rule in (
        ("principal", "principal_leadership", "PRINCIPAL"),
        ("staff", "direct", "STAFF"),
        ("in_charge", "principal_leadership", "IN-CHARGE"),
        ("supervisory", "supervisory", "SUPERVISORY"),
        ("supervisory_other_area", "supervisory", "SUPERVISORY-OTHER-AREA"),
        ("important", "important_leadership", "IMPORTANT"),
        ("important_other_area", "important_leadership", "IMPORTANT-OTHER-AREA"),
    )
}


def _duty(roles: list[str], oversees_area: bool) -> tuple[str, str, str]:
    """The principal leader; else a staff member (their own failure, direct); else whoever oversees the area,
    whatever their role; else the discipline-inspection head; else anyone else (important leadership)."""
    if "principal_leader" in roles:
        return DUTIES["principal"]
    if "staff" in roles:
        return DUTIES["staff"]
    if oversees_area:
        return DUTIES["in_charge"]
    other_area = "leader_in_charge" in roles
    if "discipline_inspection" in roles:
        return DUTIES["supervisory_other_area" if other_area else "supervisory"]
    return DUTIES["important_other_area" if other_area else "important"]


def _graded(s: int, consequences: dict[str, int]) -> int:
    """V11: a severity index raised to the accident grade the consequences reach, never lowered."""
    deaths = consequences.get("deaths", 0)
    injuries = consequences.get("serious_injuries", 0)
    loss = consequences.get("direct_loss_cny", 0)
    for grade, least_deaths, least_injuries, least_loss in CONSEQUENCE_FLOORS:
        if grade <= s:
            break
        if deaths >= least_deaths or injuries >= least_injuries or (least_loss is not None and loss >= least_loss):
            return grade
    return s


def _threshold(decided: str | None, lifesaving_funds: bool) -> int:
    """V2's note: the amount from which corruption is a crime on the decision's day (crime2016:1 from 2016-04-18)."""
    if decided is not None and decided < "2016-04-18":
        return 5000
    return 10000 if lifesaving_funds else 30000


def decide_line(line: bytes | str) -> str:
    """One JSON line in, one JSON line out (an error line for input it cannot read)."""
    try:
        case = json.loads(line)
        return json.dumps(decide(case), ensure_ascii=False, separators=(",", ":"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return json.dumps({"error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False)


def _version(day: str | None) -> int:
    """The version in force on ``day`` (ISO days compare as strings): the newest for none, the earliest before."""
    if day is None:
        return NEWEST
    index = 0
    for i in range(1, len(SINCE)):
        if SINCE[i] <= day:
            index = i
    return index


def _tally(count: int, two: int, one: int) -> int:
    return two if count >= 2 else one if count else 0


def _modifiers(kind: str, acts: frozenset[str], v: dict[str, Any], version: int) -> int:
    """The modifiers (bits) a finding of ``kind`` takes from its conduct entry and its violation in ``version``."""
    mask = 0
    acct2019 = version >= ACCT2019
    if kind == "offence":
        if v.get("lifesaving_funds"):
            mask |= TOP
        if v["kind"] in PUBLIC_INTEREST_KINDS and v["area"] in PUBLIC_INTEREST_AREAS[version]:
            mask |= HEAVIER
        if acts:
            mask |= _tally(len(acts & OFFENCE_MITIGATION), REDUCED, LIGHTER)
            mask |= _tally(len(acts & OFFENCE_AGGRAVATING[version]), INCREASED, HEAVIER)
            if version == 0 and "reoffended" in acts:
                mask |= HEAVIER
    elif kind == "credit":
        return EXEMPT if acct2019 and "force_majeure" in acts else 0
    elif kind == "leader" and v.get("lifesaving_funds") and acts & COVER_UP:
        mask |= HEAVIER
    if acct2019 and acts:
        if kind != "offence":
            mask |= _tally(len(acts & LEADER_MITIGATION), REDUCED, LIGHTER)
            mask |= _tally(len(acts & AGGRAVATING), INCREASED, HEAVIER)
            if kind == "decision" and "force_majeure" in acts and not acts & FAILURES:
                mask |= EXEMPT
        if "obstructed_inquiry" in acts:
            mask |= INCREASED
        if "pilot_error" in acts and v["kind"] != "corruption" and not v.get("suspected_crime") and not acts & COVER_UP:
            mask |= EXEMPT
    return mask


def decide(case: dict[str, Any]) -> dict[str, Any]:
    """SPEC §4 as §9 amends it, for one case given as parsed JSON."""
    decided = case.get("decided_on")
    decision_version = _version(decided)
    people = {p["id"]: p for p in case["people"]}
    roles = {pid: p.get("roles", ()) for pid, p in people.items()}
    record = case.get("unit_record") or {}
    in_period = record.get("violations_in_period", 0)
    major = record.get("major_corruption_in_period", 0)
    violations = {v["id"]: v for v in case["violations"]}
    spread = bool(record.get("long_term_spread")) or any(v.get("long_term_spread") for v in violations.values())
    conduct = {(c["person"], c["violation"]): frozenset(c.get("acts", ())) for c in case.get("conduct", ())}
    decisions = case.get("decisions", ())
    notes: set[tuple[str, str | None, str | None]] = set()
    if decided is None:
        notes.add(("no_decided_on", None, None))
    elif decided < SINCE[0]:
        notes.add(("before_earliest_version", None, None))

    # V1, V11: each violation's severity index, its dates and versions, and the notes they call for
    severity: dict[str, int] = {}
    periods: dict[str, tuple[str, str] | None] = {}
    in_force: dict[str, tuple[int, int, str]] = {}
    for vid, v in violations.items():
        s = SEVERITY[v["severity"]]
        consequences = v.get("consequences")
        if consequences:
            s = _graded(s, consequences)
        severity[vid] = s
        began, ended = v.get("began_on"), v.get("ended_on")
        end = ended or began or decided
        conduct_version = _version(end)
        if began is None and ended is None:
            periods[vid], why = None, "no_date"
        else:
            periods[vid] = (began or end, end)  # type: ignore[assignment]
            why = "continuing" if _version(began or end) < conduct_version else "conduct_date"
        in_force[vid] = (conduct_version, decision_version, why)
        if end is not None and end < SINCE[0]:
            notes.add(("before_earliest_version", None, vid))
        amount = v.get("amount_cny")
        corruption = v["kind"] == "corruption" and not v.get("suspected_crime")
        if corruption and amount is not None and amount >= _threshold(decided, bool(v.get("lifesaving_funds"))):
            notes.add(("amount_over_threshold", None, vid))

    # findings by (person, violation): (rule, violation, decision, kind, responsibility, scope, lo, hi), the range
    # effective (important leadership held at its lowest form)
    pairs: dict[tuple[str, str | None], list[tuple[Any, ...]]] = {}
    inspection = bool(decisions)  # D12: a decision, or a leadership or supervisory candidate
    for vid, v in violations.items():  # D2
        if v.get("suspected_crime"):
            finding = ("O-SUSPECTED-CRIME", vid, None, "offence", "direct", "individual", 4, 4)
            severity[vid] = 3
        else:
            serious_corruption = severity[vid] == SEVERITY["serious"] and v["kind"] == "corruption"
            lo, hi, rule = SERIOUS_CORRUPTION if serious_corruption else OFFENCE_RANGE[severity[vid]]
            finding = (rule, vid, None, "offence", "direct", "individual", lo, hi)
        for pid in v["offenders"]:
            pairs[(pid, vid)] = [finding]
    bonus = 1 if spread else 0
    for (pid, vid), acts in conduct.items():  # D3, D4, V5
        v = violations[vid]
        if pid in v["offenders"]:
            continue
        failures = acts & FAILURES
        if not failures:
            pairs[(pid, vid)] = [("M-NO-FAILURE", vid, None, "credit", "none", "individual", 0, 0)]
            continue
        s = severity[vid]
        best_key: tuple[Any, ...] = ()
        for act in failures:
            if act in LEADERSHIP_FAILURES:
                duty = _duty(roles[pid], v["area"] in people[pid].get("oversees", ()))
                responsibility, rule = duty[0], duty[1 if act == "failed_to_implement" else 2]
                lo, hi = LEADERSHIP[s + bonus if act == "failed_to_implement" else s + 1 + bonus]
                if responsibility == "important_leadership":
                    hi = lo
                if responsibility != "direct":
                    inspection = True
            elif act == "not_investigated":
                lo, hi, rule = (2, 2, "L-NOT-INVESTIGATED-LIGHT") if s <= 1 else (2, 3, "L-NOT-INVESTIGATED")
                responsibility = "direct"
            elif act == "obstructed":
                lo, hi, rule, responsibility = 3, 3, "L-OBSTRUCTED", "direct"
            else:
                lo, hi, rule, responsibility = 2, 3, "L-COVER-UP", "direct"
            key = (hi, lo, -RESPONSIBILITY_RANK[responsibility], rule)
            if key > best_key:
                best_key, finding = key, (rule, vid, None, "leader", responsibility, "individual", lo, hi)
        pairs[(pid, vid)] = [finding]
    for d in decisions:  # D9
        vid, did = d["violation"], d["id"]
        s = severity[vid]
        advocates, objectors = d.get("advocates", ()), d.get("objectors", ())
        for pid in d["participants"]:
            if pid in objectors:
                finding = ("C-OBJECTOR", vid, did, "decision", "none", "collective", 0, 0)
            elif "principal_leader" in roles[pid] or pid in advocates:
                rule = "C-PRINCIPAL" if "principal_leader" in roles[pid] else "C-ADVOCATE"
                lo, hi = LEADERSHIP[s + 1]
                finding = (rule, vid, did, "decision", "principal_leadership", "collective", lo, hi)
            else:
                lo = LEADERSHIP[s][0]
                finding = ("C-PARTICIPANT", vid, did, "decision", "important_leadership", "collective", lo, lo)
            pairs.setdefault((pid, vid), []).append(finding)
    if spread or major >= 2 or in_period >= 3:  # D5
        finding = ("U-MANY-PROBLEMS-SERIOUS", None, None, "unit", "principal_leadership", "individual", 1, 2)
        if not (spread or major >= 2):
            finding = ("U-MANY-PROBLEMS", None, None, "unit", "principal_leadership", "individual", 1, 1)
        for pid, r in roles.items():
            if "principal_leader" in r:
                pairs[(pid, None)] = [finding]
                inspection = True

    # D11 under the conduct version and, when it differs, under the decision version too; V1 keeps the lighter
    chosen: dict[str, list[tuple[Any, ...]]] = {}
    lighter_new: dict[str, list[str]] = {}
    for (pid, vid), items in pairs.items():
        person = people[pid]
        without_post = _lacks_post(person)
        if vid is None:  # D5's findings take no modifiers: every version resolves them alike
            resolved = [(f, PLACED[(f[6], f[7], 0, 0, without_post, SCALE_CLASS[f[3], f[4]])]) for f in items]
        else:
            v = violations[vid]
            acts = conduct.get((pid, vid), NO_ACTS)
            conduct_version = applied = in_force[vid][0]
            resolved = [
                (f, PLACED[(f[6], f[7], _modifiers(f[3], acts, v, conduct_version), *_fixed(f, without_post))])
                for f in items
            ]
            if conduct_version != decision_version:
                newer = [
                    (f, PLACED[(f[6], f[7], _modifiers(f[3], acts, v, decision_version), *_fixed(f, without_post))])
                    for f in items
                ]
                if max(p[:2] for _, p in newer) < max(p[:2] for _, p in resolved):
                    resolved, applied = newer, decision_version
                    lighter_new.setdefault(vid, []).append(pid)
            if applied >= ACCT2019 and "force_majeure" in acts and acts & FAILURES:
                notes.add(("force_majeure_with_failure", pid, vid))  # V6: the claim of 容错 not taken up
        if pid in chosen:
            chosen[pid].extend(resolved)
        else:
            chosen[pid] = resolved

    # each person's result: the heaviest resolved finding (of equals, the first in the rules' order)
    results = []
    examined = []
    publicize = any(v.get("lifesaving_funds") for v in violations.values())
    for pid in sorted(chosen):
        items = chosen[pid]
        if len(items) > 1:
            items.sort(key=_rule_order)
        best_key = ()
        refused: set[tuple[str, str]] = set()
        is_examined = False
        for f, placed in items:
            kind = f[3]
            if kind != "offence":
                is_examined = True
                if kind != "credit" and placed[0] >= 2:
                    publicize = True
            else:
                v = violations[f[1]]
                for flag in FLAGS:
                    if v.get(flag):
                        refused.add((flag, ""))
            if placed[4]:
                refused.update(("outweighed", m) for m in placed[4])
            key = (placed[0], placed[1], f[7], f[6], -RESPONSIBILITY_RANK[f[4]], f[5] == "individual", placed[5])
            if key > best_key:
                best_key, best, best_placed = key, f, placed
        person = people[pid]
        if is_examined:
            examined.append(pid)
        if (pid, None) in pairs and person.get("personally_clean"):
            refused.add(("personally_clean", ""))  # D5: no defence for the principal leader of a troubled unit
        unraised = None
        if len(items) > 1:  # 合并处理: the heaviest of several violations' sanctions, raised one grade
            merged = _merged(items, person)
            if merged is not None and merged[1][:2] > best_placed[:2]:
                unraised, (best, best_placed) = best_placed, merged
        results.append(_result(person, best, best_placed, violations, decided, refused, notes, unraised))

    # D1 一案双查 and V10: the linked leaders with nothing on record while in office
    participants = {(pid, d["violation"]) for d in decisions for pid in d["participants"]}
    linked = [
        (pid, r, people[pid].get("oversees", ()), people[pid].get("in_office"))
        for pid, r in roles.items()
        if "principal_leader" in r or "discipline_inspection" in r or people[pid].get("oversees")
    ]
    missing = []
    for vid, v in violations.items():
        area, offenders, period = v["area"], v["offenders"], periods[vid]
        for pid, r, overseen, tenure in linked:
            if not ("principal_leader" in r or "discipline_inspection" in r or area in overseen):
                continue
            if pid in offenders or (pid, vid) in conduct or (pid, vid) in participants:
                continue
            if period is not None and tenure:
                start, end = tenure.get("from"), tenure.get("to")
                if (start is not None and start > period[1]) or (end is not None and period[0] > end):
                    continue
            missing.append((pid, vid))
    if missing:
        missing.sort()
        for pid in sorted({pid for pid, _ in missing if pid not in chosen}):
            results.append(_undetermined(people[pid], decided))
        results.sort(key=_by_person)

    # D12 the organisation, D13 publicity
    measures = ["inspection"] if inspection else []
    if major >= 2 or any(
        acts & COVER_UP and "principal_leader" in roles[pid] and pid not in violations[vid]["offenders"]
        for (pid, vid), acts in conduct.items()
    ):
        measures.append("public_notice")
        publicize = True
    if spread and major >= 3:
        measures.append("reorganization")
        publicize = True
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
        "rules_in_force": [
            {
                "violation": vid,
                "conduct": VERSIONS[in_force[vid][0]],
                "decision": VERSIONS[decision_version],
                "why": in_force[vid][2],
                "lighter_new": sorted(lighter_new.get(vid, ())),
            }
            for vid in sorted(in_force)
        ],
        "notes": [_note(*n) for n in sorted(notes, key=_note_order)] if notes else [],
    }


def _lacks_post(person: dict[str, Any]) -> bool:
    """V9: the person holds no party post (by default, one without a leader's role)."""
    post = person.get("party_post")
    return not post if post is not None else not any(r in LEADER_ROLES for r in person.get("roles", ()))


def _merged(items: list[tuple[Any, Any]], person: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """合并处理: with offence findings on two or more violations each from a warning to expulsion, the first grade
    above the heaviest of them (a removal from a post the person lacks passed over), as (finding, placed); else
    None."""
    counted = [(f, placed) for f, placed in items if f[3] == "offence" and MERGE_FIRST <= placed[:2] <= MERGE_LAST]
    if len({f[1] for f, _ in counted}) < 2:
        return None
    best_key: tuple[Any, ...] = ()
    for f, placed in counted:
        key = (placed[0], placed[1], f[7], f[6], -RESPONSIBILITY_RANK[f[4]], f[5] == "individual", placed[5])
        if key > best_key:
            best_key, heaviest = key, (f, placed)
    f, placed = heaviest
    lacks_post = _lacks_post(person)
    for form, rank, measure in MERGE_GRADES:
        if (form, rank) > placed[:2] and not (lacks_post and measure == "removal_from_party_post"):
            return f, (form, rank, measure, "increased", (), -DECIDING_RANK["increased"], None)
    return None


def _result(
    person: dict[str, Any],
    f: tuple[Any, ...],
    placed: tuple[Any, ...],
    violations: dict[str, dict[str, Any]],
    decided: str | None,
    refused: set[tuple[str, str]],
    notes: set[tuple[str, str | None, str | None]],
    unraised: tuple[Any, ...] | None = None,
) -> dict[str, Any]:
    """A person's result from their heaviest finding: V2's and V4's measures beside it, V3's party measures and
    government sanction, the promotion bar. ``unraised``: where violations were merged, the heaviest finding's
    placement before the raise, which the government sanction follows (gov2020:15)."""
    form, rank, measure, deciding, _, _, replaced = placed
    kind = f[3]
    recommended = [measure]
    if kind == "offence" and form == 4 and f[0] == "O-SUSPECTED-CRIME":
        recommended.append("expulsion")  # V2: expelled, then handed to the prosecutors
    elif kind == "leader" and (form, rank) >= (2, 1) and measure != "post_adjustment":
        recommended.append("post_adjustment")  # V4: a serious warning or more comes with an adjustment of post
    party = None
    for m in recommended:
        if m in PARTY_MEASURES and (party is None or MEASURE_ORDER[m] > MEASURE_ORDER[party]):
            party = m
    member = person.get("party_member", True)
    kept = recommended
    if not member and party is not None:
        kept = [m for m in recommended if m not in PARTY_MEASURES]
        notes.add(("no_party_measure", person["id"], f[1]))
    if unraised is not None:  # the government sanction follows the heaviest measure before the raise
        party, replaced = (unraised[2] if unraised[2] in PARTY_MEASURES else None), unraised[6]
    government = None
    if person.get("public_official", True):
        if not member:
            government = GOVERNMENT_INSTEAD.get(party)  # type: ignore[arg-type]
        else:
            government = GOVERNMENT_BESIDE.get(party)  # type: ignore[arg-type]
            if replaced in PARTY_MEASURES:
                instead = GOVERNMENT_INSTEAD[replaced]
                if government is None or GOVERNMENT_RANK[instead] > GOVERNMENT_RANK[government]:
                    government = instead
    bar = max((WAITING[m] for m in kept if m in WAITING), default=None)
    if government in WAITING and (bar is None or WAITING[government] > bar):
        bar = WAITING[government]
    return {
        "person": person["id"],
        "name": person.get("name", ""),
        "responsibility": f[4],
        "scope": f[5],
        "range": [f[6], f[7]],
        "form": form,
        "measure": kept[0] if kept else None,
        "modifier": deciding,
        "refused": [{"kind": k, "detail": d} if d else {"kind": k} for k, d in sorted(refused)] if refused else [],
        "measures": kept,
        "government_sanction": government,
        "waiting_period_months": bar,
        "former": _former(person, decided),
    }


def _undetermined(person: dict[str, Any], decided: str | None) -> dict[str, Any]:
    """D1: a linked leader with no finding at all, missing from the record."""
    return {
        "person": person["id"],
        "name": person.get("name", ""),
        "responsibility": "undetermined",
        "scope": "individual",
        "range": None,
        "form": None,
        "measure": None,
        "modifier": None,
        "refused": [],
        "measures": [],
        "government_sanction": None,
        "waiting_period_months": None,
        "former": _former(person, decided),
    }


def _rule_order(item: tuple[tuple[Any, ...], Any]) -> tuple[str, str, str]:
    f = item[0]
    return f[0], f[1] or "", f[2] or ""


def _by_person(result: dict[str, Any]) -> str:
    return str(result["person"])


def _note_order(note: tuple[str, str | None, str | None]) -> tuple[str, bool, str, bool, str]:
    code, person, violation = note
    return code, person is not None, person or "", violation is not None, violation or ""


def _note(code: str, person: str | None, violation: str | None) -> dict[str, str]:
    note = {"code": code}
    if person is not None:
        note["person"] = person
    if violation is not None:
        note["violation"] = violation
    return note


def _former(person: dict[str, Any], decided: str | None) -> bool:
    """终身问责: the person had left the position before the decision."""
    tenure = person.get("in_office")
    end = tenure.get("to") if tenure else None
    return end is not None and decided is not None and end < decided
