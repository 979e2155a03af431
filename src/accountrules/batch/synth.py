"""Seeded synthetic archives of decided cases, for tests and benchmarks.

A corpus is drawn from *patterns* (the facts the rules see: roles, violations, acts, decisions, the unit's
record) that are then dressed as individual cases with their own case id, unit name, names, positions, title,
amounts, date and id scheme, so that like cases look unlike. ``patterns=None`` draws every case afresh (and
checks that no two assert the same facts). With an engine, every case gets a ``recorded`` outcome: the form
and measure the rules recommend, except where drift, discretion or an omission is injected on purpose; each
injection is reported beside the case, so a test knows exactly what a consistency check must find.

    python -m accountrules.batch.synth --cases 100000 --patterns 300 --seed 7 -o archive.jsonl
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import functools
import gzip
import json
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, get_args

from accountrules.errors import UsageError
from accountrules.models import Case
from accountrules.rulepack.facts import FACTS, FactSchema, Input
from accountrules.rulepack.pack import load_default
from accountrules.rulepack.versions import Versions
from accountrules.validation import parse_case
from accountrules.vocabulary import (
    FAILURE_ACTS,
    FORM_MEASURES,
    LABELS,
    PILOT_ERROR_KINDS,
    PUBLIC_INTEREST_AREAS,
    Area,
    values,
)

if TYPE_CHECKING:
    from accountrules.engine.evaluate import Engine
    from accountrules.models import Determination

OTHER_AREAS = tuple(a for a in values(Area) if a not in PUBLIC_INTEREST_AREAS)
LIFESAVING_AREAS = ("poverty_alleviation", "agricultural_subsidies", "housing", "healthcare")

UNITS: dict[str, tuple[str, ...]] = {
    "province": ("省交通运输厅", "省水利厅", "省卫生健康委员会"),
    "city": ("市住房和城乡建设局", "市自然资源和规划局", "市医疗保障局", "市教育局"),
    "county": ("县民政局", "县扶贫开发办公室", "县农业农村局", "县人力资源和社会保障局", "县市场监督管理局"),
    "township": ("镇人民政府", "乡人民政府", "街道办事处"),
    "village": ("村党支部", "村民委员会"),
    "enterprise": ("市城市建设投资集团有限公司", "县供销合作社", "市公共交通集团"),
    "institution": ("县人民医院", "市第一中学", "县疾病预防控制中心"),
}
PLACES = ("东", "西", "南", "北", "青", "平", "安", "河", "山", "林", "永", "新", "长", "清", "宁", "兴")
SURNAMES = (
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏水窦章云苏潘葛范彭郎鲁韦马苗方俞任袁柳"
)
POSITIONS = {
    "principal_leader": ("党组书记、局长", "党委书记", "党支部书记", "党委书记、董事长", "党委书记、院长"),
    "leader_in_charge": ("副局长", "副镇长", "副主任", "副总经理", "副院长"),
    "discipline_inspection": ("派驻纪检监察组组长", "纪委书记", "纪检委员"),
    "team_member": ("党组成员", "党委委员", "班子成员"),
    "staff": ("科长", "科员", "会计", "出纳", "项目负责人", "村文书", "股长", "站长"),
}
YEARS = tuple(range(2016, 2025))


@dataclass(frozen=True)
class Injection:
    """Something a consistency check must find (or, for ``discretion``, must not call out of range)."""

    case_id: str
    person: str
    #: too_lenient, too_harsh (recorded out of the recommended range), discretion (another form inside it),
    #: omitted (a leader the rules hold responsible, left out of the record)
    kind: str
    recommended: int | None = None
    recorded: int | None = None


@dataclass(frozen=True)
class Generated:
    """One record of a corpus: its JSON text and what was done to it."""

    text: str
    case_id: str
    #: The pattern the case was drawn from (None when every case is drawn afresh).
    pattern: int | None
    injected: tuple[Injection, ...] = ()
    #: Why the record is not a valid case, for records made bad on purpose.
    bad: str | None = None


@dataclass(frozen=True)
class CorpusSpec:
    """What to generate. Shares are per case; every draw comes from ``seed``."""

    cases: int
    seed: int = 0
    #: Distinct fact patterns to draw from, most common first; None: every case is different.
    patterns: int | None = 200
    #: Give every case a ``recorded`` outcome (needs an engine).
    recorded: bool = True
    drift: float = 0.0
    discretion: float = 0.0
    omissions: float = 0.0
    bad: float = 0.0
    first_year: int = YEARS[0]
    last_year: int = YEARS[-1]
    #: Share of cases that also get SPEC §9's fields (`vary`): membership, office, party posts, tenures, dated
    #: conduct, consequences, force majeure, an offender's pilot error, amounts about the criminal threshold. With
    #: 0 no random number is drawn for them, so every archive stays as it was.
    v2: float = 0.0


# ---------------------------------------------------------------------------------------------------------------
# Patterns: the facts, with ids p1…, v1…, d1…
#
# Every field that rules may read is drawn from the fact declaration (`accountrules.rulepack.facts`): by its prior
# below where archives have a known shape, otherwise by its declared type, so that a field added to the case
# model appears in generated archives with nothing written here.


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    values = [v for v, _ in options]
    weights = [w for _, w in options]
    return rng.choices(values, weights)[0]


@dataclass
class Draft:
    """A pattern being drawn: its people, the object whose fields are being drawn, and the leader in charge of
    the area of the violation being drawn (once its area is drawn)."""

    people: list[dict[str, Any]]
    in_charge: list[dict[str, Any]]
    staff: list[dict[str, Any]]
    obj: dict[str, Any] = field(default_factory=dict)
    overseer: dict[str, Any] = field(default_factory=dict)


#: How archives draw a field: its value from the random source and the draft, or None to leave it out.
Prior = Callable[[random.Random, Draft], Any]


def _violation_area(rng: random.Random, draft: Draft) -> str:
    """Most violations happen in an area that the leader in charge drawn for it oversees."""
    draft.overseer = rng.choice(draft.in_charge)
    if draft.obj["kind"] == "cadre_selection":
        return "cadre_selection"
    if rng.random() < 0.8:
        return str(rng.choice(draft.overseer["oversees"]))
    return str(rng.choice(PUBLIC_INTEREST_AREAS + OTHER_AREAS))


def _offenders(rng: random.Random, draft: Draft) -> list[str]:
    """Mostly staff; now and then a leader in charge of another area."""
    staff, in_charge = draft.staff, draft.in_charge
    overseer = draft.overseer
    pool = staff if rng.random() < 0.9 or len(in_charge) < 2 else staff + [p for p in in_charge if p is not overseer]
    return [p["id"] for p in rng.sample(pool, min(len(pool), _weighted(rng, [(1, 0.7), (2, 0.3)])))]


def _chance(share: float, when: Callable[[dict[str, Any]], bool] = lambda obj: True) -> Prior:
    """True in ``share`` of the objects that meet ``when``; left out otherwise."""
    return lambda rng, draft: True if when(draft.obj) and rng.random() < share else None


def _at_default(rng: random.Random, draft: Draft) -> None:
    """Left at its default: the archives hold no accidents (the goldens of V11 do)."""


#: The shape archives have, field by field (case JSON paths), in the order the fields are drawn (the order that
#: keeps each seed's archive as it has been). Fields of an object that no prior names are drawn after these by
#: their declared type (`_by_type`).
PRIORS: dict[str, Prior] = {
    "people[].personally_clean": _chance(0.35, lambda person: person["roles"] == ["principal_leader"]),
    "violations[].kind": lambda rng, draft: _weighted(
        rng,
        [
            ("harming_public_interest", 0.3),
            ("corruption", 0.25),
            ("four_winds", 0.2),
            ("dereliction", 0.12),
            ("cadre_selection", 0.05),
            ("other_discipline", 0.08),
        ],
    ),
    "violations[].area": _violation_area,
    "violations[].severity": lambda rng, draft: _weighted(
        rng, [("minor", 0.25), ("ordinary", 0.4), ("serious", 0.25), ("grave", 0.1)]
    ),
    "violations[].offenders": _offenders,
    "violations[].lifesaving_funds": _chance(
        0.25, lambda v: v["area"] in LIFESAVING_AREAS and v["kind"] in ("corruption", "harming_public_interest")
    ),
    "violations[].suspected_crime": _chance(
        0.3, lambda v: v["kind"] == "corruption" and v["severity"] in ("serious", "grave")
    ),
    "violations[].long_term_spread": _chance(0.04),
    "violations[].first_offence": _chance(0.2),
    "violations[].minor_error": _chance(0.25, lambda v: v["severity"] == "minor"),
    "violations[].many_participants": _chance(0.3, lambda v: len(v["offenders"]) > 1),
    "violations[].consequences.deaths": _at_default,
    "violations[].consequences.serious_injuries": _at_default,
    "violations[].consequences.direct_loss_cny": _at_default,
    "unit_record.long_term_spread": lambda rng, draft: rng.random() < 0.03,
    "unit.level": lambda rng, draft: _weighted(
        rng,
        [
            ("county", 0.35),
            ("township", 0.2),
            ("village", 0.12),
            ("city", 0.13),
            ("enterprise", 0.08),
            ("institution", 0.08),
            ("province", 0.04),
        ],
    ),
    "unit_record.violations_in_period": lambda rng, draft: _weighted(
        rng, [(0, 0.3), (1, 0.25), (2, 0.2), (3, 0.15), (4, 0.06), (6, 0.04)]
    ),
    "unit_record.major_corruption_in_period": lambda rng, draft: _weighted(
        rng, [(0, 0.6), (1, 0.25), (2, 0.1), (3, 0.05)]
    ),
}


def _by_type(rng: random.Random, item: Input) -> Any:
    """A value of a readable field that no prior describes, from its declared type: any of an enumeration's
    values alike, a boolean true one time in ten, a whole number among its samples and default (0 to 3 when it
    declares no samples)."""
    if item.type.kind == "enum":
        return rng.choice(item.type.choices)
    if item.type.kind == "bool":
        return rng.random() < 0.1
    numbers = sorted({item.default or 0, *item.samples}) if item.samples else [0, 1, 2, 3]
    return rng.choice(numbers)


def _owner(path: str) -> str:
    head, _, _ = path.partition("[]")
    return head if "[]" in path else ""


def _put(obj: dict[str, Any], name: str, value: Any) -> None:
    """Set ``obj``'s field at the dotted ``name`` (``consequences.deaths``), making the objects on the way."""
    *parents, leaf = name.split(".")
    for part in parents:
        obj = obj.setdefault(part, {})
    obj[leaf] = value


def draw_fields(rng: random.Random, owner: str, draft: Draft, schema: FactSchema = FACTS) -> dict[str, Any]:
    """Draw the fields of ``draft.obj``, an object of ``owner`` (``violations``, ``people``, ``conduct``,
    ``decisions``, or ``""`` for the case's own), that `PRIORS` names and then every other readable field the
    schema declares for it; return the object with its fields in the model's order."""
    obj = draft.obj
    priors, others, model = _fields_of(schema, owner)
    for name, prior in priors:
        value = prior(rng, draft)
        if value is not None:
            _put(obj, name, value)
    for item in others:
        value = _by_type(rng, item)
        if value != item.default:
            _put(obj, item.name, value)
    return _in_model_order(obj, model)


@functools.cache
def _fields_of(schema: FactSchema, owner: str) -> tuple[tuple[tuple[str, Prior], ...], tuple[Input, ...], Any]:
    """What `draw_fields` draws for an object of ``owner``, in its order: the priors (by the name inside the
    object), the schema's other inputs, and the object's model."""
    priors = tuple((path.removeprefix(f"{owner}[]."), prior) for path, prior in PRIORS.items() if _owner(path) == owner)
    others = tuple(item for path, item in schema.inputs.items() if item.owner == owner and path not in PRIORS)
    return priors, others, schema.model_at(f"{owner}[]" if owner else "")


def _in_model_order(obj: dict[str, Any], model: Any) -> dict[str, Any]:
    fields = getattr(model, "model_fields", {})
    ordered = {name: obj[name] for name in fields if name in obj}
    for name, value in ordered.items():
        if isinstance(value, dict):
            ordered[name] = _in_model_order(value, _model_of(fields[name].annotation))
    return {**ordered, **{k: v for k, v in obj.items() if k not in ordered}}


def _model_of(annotation: Any) -> Any:
    """The model of a field's annotation, ``X | None`` unwrapped."""
    options = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    return options[0]


def draw_pattern(rng: random.Random, schema: FactSchema = FACTS) -> dict[str, Any]:
    """The facts of one case, with plain ids and no names."""
    people: list[dict[str, Any]] = []
    in_charge: list[dict[str, Any]] = []
    staff: list[dict[str, Any]] = []
    draft = Draft(people, in_charge, staff)

    def person(role: str, **fields: Any) -> dict[str, Any]:
        draft.obj = {"id": f"p{len(people) + 1}", "roles": [role], **fields}
        drawn = draw_fields(rng, "people", draft, schema)
        people.append(drawn)
        return drawn

    person("principal_leader")
    for _ in range(_weighted(rng, [(1, 0.5), (2, 0.35), (3, 0.15)])):
        areas = rng.sample(PUBLIC_INTEREST_AREAS + OTHER_AREAS, _weighted(rng, [(1, 0.5), (2, 0.35), (3, 0.15)]))
        in_charge.append(person("leader_in_charge", oversees=areas))
    discipline = person("discipline_inspection") if rng.random() < 0.7 else None
    team = [person("team_member") for _ in range(_weighted(rng, [(0, 0.5), (1, 0.35), (2, 0.15)]))]
    staff.extend(person("staff") for _ in range(rng.randint(1, 5)))
    by_id = {p["id"]: p for p in people}

    violations: list[dict[str, Any]] = []
    conduct: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []

    def entry(owner: str, obj: dict[str, Any]) -> dict[str, Any]:
        draft.obj = obj
        return draw_fields(rng, owner, draft, schema)

    for j in range(_weighted(rng, [(1, 0.55), (2, 0.3), (3, 0.15)])):
        vid = f"v{j + 1}"
        violation = entry("violations", {"id": vid})
        violations.append(violation)
        area = violation["area"]
        offenders = [by_id[pid] for pid in violation["offenders"]]
        offender_ids = set(violation["offenders"])

        for offender in offenders:
            if rng.random() < 0.55:
                acts = _some(rng, [("confessed", 0.5), ("returned_gains", 0.35), ("remedied", 0.2)])
                acts += _some(rng, [("exposed_others", 0.05), ("obstructed_inquiry", 0.08), ("defied_orders", 0.05)])
                acts += _some(rng, [("refused_restitution", 0.04), ("reoffended", 0.03), ("coerced_others", 0.03)])
                if acts:
                    conduct.append(entry("conduct", {"person": offender["id"], "violation": vid, "acts": acts}))

        deciders: list[dict[str, Any]] = []
        if rng.random() < 0.12:
            deciders = [people[0], *[p for p in in_charge if p["id"] not in offender_ids], *team]
            deciders = [p for p in deciders if p["id"] not in offender_ids]
        linked = [people[0], *[p for p in in_charge if area in p["oversees"]]]
        if discipline is not None:
            linked.append(discipline)
        for leader in linked:
            if leader["id"] in offender_ids or leader in deciders or rng.random() < 0.06:
                continue  # an offender is not looked back on; a gap in the record leaves a leader unexamined
            acts = _leader_acts(rng, leader["roles"][0])
            conduct.append(entry("conduct", {"person": leader["id"], "violation": vid, "acts": acts}))
        if len(deciders) >= 2:
            participants = [p["id"] for p in deciders]
            decision: dict[str, Any] = {
                "id": f"d{len(decisions) + 1}",
                "violation": vid,
                "participants": participants,
            }
            if rng.random() < 0.7:
                decision["advocates"] = [rng.choice(participants)]
            others = [p for p in participants if p not in decision.get("advocates", [])]
            if others and rng.random() < 0.4:
                decision["objectors"] = [rng.choice(others)]
            decisions.append(entry("decisions", decision))

    return {
        "case": entry("", {}),
        "people": people,
        "violations": violations,
        "conduct": conduct,
        "decisions": decisions,
    }


def _some(rng: random.Random, options: Sequence[tuple[str, float]]) -> list[str]:
    return [act for act, p in options if rng.random() < p]


def _leader_acts(rng: random.Random, role: str) -> list[str]:
    """What a linked leader did about a violation, as an archive might record it."""
    if role == "principal_leader":
        main = _weighted(
            rng,
            [
                ("failed_to_implement", 0.45),
                ("failed_to_stop", 0.18),
                ("dereliction", 0.05),
                ("concealed", 0.04),
                ("reported", 0.1),
                ("supported_investigation", 0.1),
                ("investigated_resolutely", 0.05),
                ("pilot_error", 0.03),
            ],
        )
    elif role == "leader_in_charge":
        main = _weighted(
            rng,
            [
                ("failed_to_stop", 0.3),
                ("failed_to_implement", 0.22),
                ("dereliction", 0.12),
                ("concealed", 0.07),
                ("shielded", 0.04),
                ("obstructed", 0.02),
                ("discovered_proactively", 0.08),
                ("reported", 0.08),
                ("pilot_error", 0.04),
                ("force_majeure", 0.03),
            ],
        )
    else:
        main = _weighted(
            rng,
            [
                ("not_investigated", 0.3),
                ("failed_to_stop", 0.15),
                ("dereliction", 0.05),
                ("concealed", 0.03),
                ("supported_investigation", 0.22),
                ("investigated_resolutely", 0.15),
                ("reported", 0.1),
            ],
        )
    acts = [main]
    extra = _some(rng, [("remedied", 0.12), ("reported", 0.08), ("defied_orders", 0.04), ("obstructed_inquiry", 0.02)])
    acts += [a for a in extra if a not in acts]
    return acts


# ---------------------------------------------------------------------------------------------------------------
# Dressing a pattern as one case


def _id_scheme(rng: random.Random, case_no: int, scheme: int | None) -> tuple[Any, Any]:
    """How this archive names people and violations. Violation ids keep their order (v1 < v2 …)."""
    if scheme is None:
        scheme = rng.randrange(3)
    if scheme == 0:
        return (lambda i: f"p{i}"), (lambda j: f"v{j}")
    if scheme == 1:
        base = rng.randrange(10_000, 90_000)
        return (lambda i: f"R{base + 37 * i}"), (lambda j: f"W{case_no}-{j:02d}")
    return (lambda i: f"人员{i:02d}"), (lambda j: f"问题{j}")


def dress(
    pattern: dict[str, Any], rng: random.Random, case_no: int, years: tuple[int, int], scheme: int | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """A case of ``pattern`` with its own ids, names, unit, title, amounts and date, and the person ids it gave
    (pattern id → case id). Scheme 0 keeps the pattern's ids."""
    person_id, violation_id = _id_scheme(rng, case_no, scheme)
    pids = {p["id"]: person_id(int(p["id"][1:])) for p in pattern["people"]}
    vids = {v["id"]: violation_id(int(v["id"][1:])) for v in pattern["violations"]}
    own = pattern["case"]
    level = own["unit"]["level"]
    place = rng.choice(PLACES) + rng.choice(PLACES)
    if level in ("township", "village"):
        place += rng.choice(("县", "市", "区", "镇"))
    unit_name = f"某{place}{rng.choice(UNITS[level])}"
    used: set[str] = set()
    people = []
    for p in pattern["people"]:
        name = _name(rng, used)
        person: dict[str, Any] = {
            "id": pids[p["id"]],
            "name": name,
            "position": rng.choice(POSITIONS[p["roles"][0]]),
            "roles": list(p["roles"]),
        }
        if p.get("oversees"):
            person["oversees"] = list(p["oversees"])
        person.update({k: v for k, v in p.items() if k not in ("id", "roles", "oversees")})
        people.append(person)
    rng.shuffle(people)
    violations = []
    for v in pattern["violations"]:
        violation = {**v, "id": vids[v["id"]], "offenders": [pids[o] for o in v["offenders"]]}
        if v["kind"] in ("corruption", "harming_public_interest", "four_winds"):
            violation["amount_cny"] = rng.randrange(2, 2000) * 500
        violation["summary"] = _summary(rng, v)
        violations.append(violation)
    conduct = [
        {**c, "person": pids[c["person"]], "violation": vids[c["violation"]], "acts": list(c["acts"])}
        for c in pattern["conduct"]
    ]
    rng.shuffle(conduct)
    decisions = [
        {
            **d,
            "violation": vids[d["violation"]],
            "participants": [pids[p] for p in d["participants"]],
            **({"advocates": [pids[p] for p in d["advocates"]]} if d.get("advocates") else {}),
            **({"objectors": [pids[p] for p in d["objectors"]]} if d.get("objectors") else {}),
        }
        for d in pattern["decisions"]
    ]
    first = pattern["violations"][0]
    year = rng.randint(*years)
    decided = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    case: dict[str, Any] = {
        "case_id": f"{year}-{case_no:07d}",
        "title": f"{unit_name}{LABELS[first['area']][0]}领域{LABELS[first['kind']][0]}问题案",
        "unit": {"name": unit_name, **own["unit"]},
        "decided_on": decided.isoformat(),
        "people": people,
        "violations": violations,
        "conduct": conduct,
    }
    if decisions:
        case["decisions"] = decisions
    case.update({k: copy.deepcopy(v) for k, v in own.items() if k != "unit"})
    return case, pids


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(("某", "某某", "某甲", "某乙"))
        if name not in used:
            used.add(name)
            return name


def _summary(rng: random.Random, violation: dict[str, Any]) -> str:
    area = LABELS[violation["area"]][0]
    kind = LABELS[violation["kind"]][0]
    return f"{area}工作中存在{kind}问题，{rng.choice(('群众举报', '巡察发现', '审计移交', '专项检查发现'))}。"


# ---------------------------------------------------------------------------------------------------------------
# Version 2's fields (SPEC §9.1), on a dressed case


@dataclass(frozen=True)
class Calendar:
    """The days on which what the rules decide changes, read from a pack's ``versions.yaml``: the versions' first
    days (which judge conduct), every day on which something the decision's day reads changes (a version, the
    government-sanction law, the criminal threshold), and the thresholds' amounts."""

    versions: tuple[dt.date, ...]
    changes: tuple[dt.date, ...]
    thresholds: tuple[int, ...]

    @classmethod
    def of(cls, versions: Versions) -> Calendar:
        firsts = tuple(v.since for v in versions.versions)
        days = {*firsts, *(law.since for law in versions.government_sanction_laws)}
        days |= {threshold.since for threshold in versions.crime_thresholds}
        amounts = {t.amount_cny for t in versions.crime_thresholds}
        amounts |= {t.lifesaving_funds_cny for t in versions.crime_thresholds if t.lifesaving_funds_cny is not None}
        return cls(firsts, tuple(sorted(d for d in days if d is not None)), tuple(sorted(amounts)))

    def day(self, rng: random.Random, near: Sequence[dt.date], latest: dt.date | None = None) -> dt.date:
        """A day near one of ``near``: the day before it, the day itself, the day after or up to a year and a half
        either side; one time in eight a day before the earliest version instead. Never after ``latest``."""
        if rng.random() < 0.125:
            day = self.versions[0] - dt.timedelta(days=rng.randrange(1, 1500))
        else:
            offset = _weighted(rng, [(-1, 0.25), (0, 0.25), (1, 0.15), (None, 0.35)])
            if offset is None:
                offset = rng.randrange(-540, 541)
            day = rng.choice(near) + dt.timedelta(days=offset)
        if latest is not None and day > latest:
            day = latest - dt.timedelta(days=rng.randrange(0, 400))
        return day


def _days(day: dt.date, low: int, high: int, rng: random.Random) -> dt.date:
    return day + dt.timedelta(days=rng.randrange(low, high))


def vary(case: dict[str, Any], rng: random.Random, calendar: Calendar) -> None:
    """Give a dressed case SPEC §9's fields, in place, as decided cases have them: a decision's day near a change
    (or none), conduct dated across the changes (continuing past one, or before the earliest version), tenures
    that cover, end before or begin after a violation (a leader not in office then is mostly not on record for
    it), non-members, non-officials, party posts held or not whatever the role, accident consequences about each
    grade, force majeure with and without a failure, an offender's pilot error where it may be recorded, and
    amounts about the criminal thresholds, areas overseen by staff and team members and a second role (V5). Every
    case stays valid: dates in order, conduct never after the
    decision."""
    decided = _vary_decision_day(case, rng, calendar)
    periods: dict[str, tuple[dt.date, dt.date] | None] = {}
    for violation in case["violations"]:
        periods[violation["id"]] = _vary_conduct_dates(violation, rng, calendar, decided)
        _vary_consequences(violation, rng)
        _vary_amount(violation, rng, calendar)
    for person in case["people"]:
        _vary_membership(person, rng)
        _vary_roles(person, case, rng)
        _vary_tenure(person, case, rng, periods, decided)
    _vary_acts(case, rng)


def _vary_decision_day(case: dict[str, Any], rng: random.Random, calendar: Calendar) -> dt.date | None:
    """Left out one case in twenty, near a change one in eight, under the newest version (within two years of its
    first day, so that conduct can be judged by it) one in six, else as dressed."""
    draw = rng.random()
    if draw < 0.05:
        del case["decided_on"]
        return None
    if draw < 0.175:
        case["decided_on"] = calendar.day(rng, calendar.changes).isoformat()
    elif draw < 0.34:
        case["decided_on"] = _days(calendar.versions[-1], 0, 730, rng).isoformat()
    return dt.date.fromisoformat(case["decided_on"])


def _vary_conduct_dates(
    violation: dict[str, Any], rng: random.Random, calendar: Calendar, decided: dt.date | None
) -> tuple[dt.date, dt.date] | None:
    """``began_on`` and ``ended_on`` (one, the other or both) for four violations in five; the conduct's period
    after SPEC §9.1's defaults, or None for conduct with no date of its own (it overlaps every tenure, V10)."""
    if rng.random() < 0.2:
        return None
    ended = calendar.day(rng, calendar.versions, decided)
    shape = _weighted(rng, [("ended", 0.3), ("began", 0.2), ("both", 0.15), ("continuing", 0.35)])
    began = ended
    if shape == "both":
        began = _days(ended, -200, 1, rng)
    elif shape == "continuing":  # begun before a change, ended on or after it
        passed = [c for c in calendar.versions if c <= ended] or [ended]
        began = _days(rng.choice(passed), -900, 0, rng)
    if shape != "ended":
        violation["began_on"] = began.isoformat()
    if shape != "began":
        violation["ended_on"] = ended.isoformat()
    return began, ended


#: Deaths, serious injuries and direct loss about each grade of SPEC §9.3 V11 (one under it and at it).
DEATHS = ((0, 0.35), (1, 0.15), (2, 0.1), (3, 0.12), (9, 0.08), (10, 0.12), (30, 0.08))
INJURIES = ((0, 0.45), (1, 0.12), (9, 0.1), (10, 0.12), (49, 0.08), (50, 0.13))
LOSSES = ((0, 0.4), (500_000, 0.1), (9_999_999, 0.1), (10_000_000, 0.15), (49_999_999, 0.1), (50_000_000, 0.15))


def _vary_consequences(violation: dict[str, Any], rng: random.Random) -> None:
    """Accident consequences on one violation in six (a work-safety one in five of those)."""
    if rng.random() >= 1 / 6:
        return
    if rng.random() < 0.2:
        violation["area"] = "work_safety"
    violation["consequences"] = {
        "deaths": _weighted(rng, DEATHS),
        "serious_injuries": _weighted(rng, INJURIES),
        "direct_loss_cny": _weighted(rng, LOSSES),
    }


def _vary_amount(violation: dict[str, Any], rng: random.Random, calendar: Calendar) -> None:
    """Half the corruption cases take an amount just under, at or over a criminal threshold, or far over."""
    if violation["kind"] != "corruption" or rng.random() >= 0.5:
        return
    threshold = rng.choice(calendar.thresholds)
    violation["amount_cny"] = _weighted(
        rng, [(threshold - 1, 0.25), (threshold, 0.25), (threshold + 0.5, 0.15), (threshold * 20, 0.35)]
    )


def _vary_membership(person: dict[str, Any], rng: random.Random) -> None:
    """A non-member one person in eight, a non-official one in ten, a party post stated one in eight (held or
    not, whatever the role)."""
    if rng.random() < 0.125:
        person["party_member"] = False
    if rng.random() < 0.1:
        person["public_official"] = False
    if rng.random() < 0.125:
        person["party_post"] = rng.random() < 0.5


#: A second role a person of the first may also hold.
SECOND_ROLES = {
    "principal_leader": ("leader_in_charge",),
    "leader_in_charge": ("discipline_inspection", "team_member"),
    "discipline_inspection": ("leader_in_charge", "team_member"),
    "team_member": ("leader_in_charge", "discipline_inspection"),
    "staff": ("team_member", "leader_in_charge"),
}
#: What someone who oversees an area without being its leader in charge did about a violation there.
OVERSEER_ACTS = (
    ("failed_to_stop", 0.3),
    ("failed_to_implement", 0.25),
    ("dereliction", 0.1),
    ("reported", 0.15),
    ("supported_investigation", 0.1),
    ("pilot_error", 0.05),
    ("force_majeure", 0.05),
)


def _vary_roles(person: dict[str, Any], case: dict[str, Any], rng: random.Random) -> None:
    """A second role for one person in twenty; for one staff or team member in eight, an area they oversee (one
    of the case's own, mostly), and, for three of five violations there that are not theirs, what they did about
    it: V5's links whatever the role, and a staff member's own failure (direct)."""
    roles = person["roles"]
    if rng.random() < 0.05:
        roles.append(rng.choice(SECOND_ROLES[roles[0]]))
    if person.get("oversees") or not {"staff", "team_member"} & set(roles) or rng.random() >= 0.125:
        return
    areas = [v["area"] for v in case["violations"]]
    area = rng.choice(areas) if rng.random() < 0.8 else rng.choice(values(Area))
    person["oversees"] = [area]
    entries = {(c["person"], c["violation"]) for c in case["conduct"]}
    for violation in case["violations"]:
        theirs = person["id"] in violation["offenders"] or (person["id"], violation["id"]) in entries
        if violation["area"] == area and not theirs and rng.random() < 0.6:
            case["conduct"].append(
                {"person": person["id"], "violation": violation["id"], "acts": [_weighted(rng, OVERSEER_ACTS)]}
            )


def _linked(person: dict[str, Any], violation: dict[str, Any]) -> bool:
    """Whether D1 looks back on ``person`` for ``violation`` by role (SPEC §4 D1, §9.3 V5)."""
    roles = person["roles"]
    if person["id"] in violation["offenders"]:
        return False
    return (
        "principal_leader" in roles
        or "discipline_inspection" in roles
        or violation["area"] in person.get("oversees", ())
    )


def _vary_tenure(
    person: dict[str, Any],
    case: dict[str, Any],
    rng: random.Random,
    periods: dict[str, tuple[dt.date, dt.date] | None],
    decided: dt.date | None,
) -> None:
    """A tenure for a third of the leaders and a tenth of the others, drawn about the period of one violation:
    it covers it, covers part of it, ends before the decision (a former official) or excludes it (ended before
    the conduct began, or began after it ended, not after the decision). A linked leader whose tenure excludes the
    violation has their conduct on it taken off the record seven times in ten."""
    leader = any(r != "staff" for r in person["roles"])
    if rng.random() >= (1 / 3 if leader else 0.1):
        return
    violation = rng.choice(case["violations"])
    period = periods[violation["id"]]
    if period is None:  # undated conduct overlaps every tenure: an open one before the decision, or none
        if decided is not None:
            person["in_office"] = {"from": _days(decided, -2000, -1, rng).isoformat(), "to": None}
        return
    began, ended = period
    shape = _weighted(
        rng, [("left_before", 0.25), ("arrived_after", 0.15), ("covering", 0.3), ("former", 0.15), ("partial", 0.15)]
    )
    if shape == "arrived_after" and (decided is None or ended >= decided):
        shape = "left_before"
    start: dt.date | None
    end: dt.date | None
    if shape == "left_before":
        end = _days(began, -730, 0, rng)
        start = None if rng.random() < 0.4 else _days(end, -2000, -30, rng)
    elif shape == "arrived_after":
        assert decided is not None
        start, end = _days(ended, 1, (decided - ended).days + 1, rng), None
    elif shape == "covering":
        start = None if rng.random() < 0.3 else _days(began, -1500, 1, rng)
        end = None if rng.random() < 0.5 else _days(ended, 0, 700, rng)
    elif shape == "former":
        start = None if rng.random() < 0.5 else _days(began, -1500, 1, rng)
        last = decided if decided is not None and decided > ended else ended + dt.timedelta(days=1)
        end = _days(ended, 0, (last - ended).days, rng)
    else:
        start, end = _days(began, 0, (ended - began).days + 1, rng), None
    person["in_office"] = {
        "from": None if start is None else start.isoformat(),
        "to": None if end is None else end.isoformat(),
    }
    if shape in ("left_before", "arrived_after") and _linked(person, violation) and rng.random() < 0.7:
        case["conduct"] = [
            c for c in case["conduct"] if (c["person"], c["violation"]) != (person["id"], violation["id"])
        ]


def _vary_acts(case: dict[str, Any], rng: random.Random) -> None:
    """Force majeure in one entry in ten of those about another's violation (beside a failure or alone) and a
    pilot error for a third of the offenders of violations where they may record one (SPEC §9.3 V6)."""
    violations = {v["id"]: v for v in case["violations"]}
    entries = {(c["person"], c["violation"]): c for c in case["conduct"]}
    for entry in case["conduct"]:
        if entry["person"] in violations[entry["violation"]]["offenders"]:
            continue
        draw = rng.random()
        if draw < 0.05:
            entry["acts"] = ["force_majeure"]
        elif draw < 0.1:
            failures = [a for a in entry["acts"] if a in FAILURE_ACTS] or [rng.choice(FAILURE_ACTS[:3])]
            entry["acts"] = [*dict.fromkeys([*entry["acts"], *failures, "force_majeure"])]
    for violation in case["violations"]:
        if violation["kind"] not in PILOT_ERROR_KINDS:
            continue
        for offender in violation["offenders"]:
            if rng.random() >= 1 / 3:
                continue
            entry = entries.get((offender, violation["id"]))
            if entry is None:
                case["conduct"].append({"person": offender, "violation": violation["id"], "acts": ["pilot_error"]})
            elif "pilot_error" not in entry["acts"]:
                entry["acts"] = [*entry["acts"], "pilot_error"]


# ---------------------------------------------------------------------------------------------------------------
# Recorded outcomes and injections


def record(
    determination: Determination,
    rng: random.Random,
    spec: CorpusSpec,
    case_id: str,
    substitutes: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], list[Injection]]:
    """What the archive says was decided: the rules' recommendation, with drift, discretion and omissions.
    People whose measure is a substitute (V9, ``substitutes``) are never drifted: the check accepts the measure
    it replaced as well."""
    from accountrules.batch.check import recommended_band

    recorded: dict[str, Any] = {}
    bands: dict[str, tuple[int, int]] = {}
    for result in determination.people:
        band = recommended_band(result)
        if band is None or result.form is None:
            continue  # undetermined: the archive cannot have decided them on these facts
        recorded[result.person] = {"form": result.form, "measure": result.measure}
        bands[result.person] = band
    injections: list[Injection] = []
    examined = set(determination.dual_investigation.examined)
    omissible = [p for p in recorded if p in examined and recorded[p]["form"] >= 1]
    if omissible and rng.random() < spec.omissions:
        person = rng.choice(omissible)
        injections.append(Injection(case_id, person, "omitted", recorded[person]["form"], None))
        del recorded[person]
    substituted = {r.person for r in determination.people if r.measure in substitutes}
    candidates = sorted(p for p in recorded if p not in substituted)
    if candidates and rng.random() < spec.drift:
        person = rng.choice(candidates)
        lo, hi = bands[person]
        directions = ([("too_lenient", lo - 1)] if lo >= 1 else []) + ([("too_harsh", hi + 1)] if hi <= 3 else [])
        kind, form = rng.choice(directions)
        if kind == "too_lenient" and form > 0 and rng.random() < 0.3:
            form = rng.randint(0, form)
        injections.append(Injection(case_id, person, kind, recorded[person]["form"], form))
        recorded[person] = {"form": form, "measure": FORM_MEASURES[form][0]}
    elif candidates and rng.random() < spec.discretion:
        wide = [p for p in candidates if bands[p][1] > bands[p][0]]
        if wide:
            person = rng.choice(wide)
            lo, hi = bands[person]
            form = rng.choice([f for f in range(lo, hi + 1) if f != recorded[person]["form"]])
            injections.append(Injection(case_id, person, "discretion", recorded[person]["form"], form))
            recorded[person] = {"form": form, "measure": FORM_MEASURES[form][0]}
    return recorded, injections


_BAD_KINDS = ("malformed", "unknown_field", "dangling", "not_object")


def spoil(case: dict[str, Any], rng: random.Random) -> tuple[str, str]:
    """The text of a bad record made from ``case``, and what is wrong with it."""
    kind = rng.choice(_BAD_KINDS)
    if kind == "malformed":
        text = json.dumps(case, ensure_ascii=False)
        return text[: rng.randrange(10, len(text) - 1)], kind
    if kind == "unknown_field":
        return json.dumps({**case, "verdict": "待定"}, ensure_ascii=False), kind
    if kind == "dangling":
        violations = [dict(v) for v in case["violations"]]
        violations[0]["offenders"] = [*violations[0]["offenders"], "nobody"]
        return json.dumps({**case, "violations": violations}, ensure_ascii=False), kind
    return json.dumps([case["case_id"]], ensure_ascii=False), kind


# ---------------------------------------------------------------------------------------------------------------


def generate(spec: CorpusSpec, engine: Engine | None = None, schema: FactSchema | None = None) -> Iterator[Generated]:
    """The records of ``spec``, in order. ``engine`` (cached or not) is needed for ``recorded`` outcomes and to
    keep patterns distinct; without one, patterns are distinct only by chance. The cases have the readable fields
    of ``schema`` (default: the engine's pack's, or the shipped one's)."""
    if spec.recorded and engine is None:
        raise UsageError("recorded outcomes need an engine; pass engine= or recorded=False")
    if schema is None:
        schema = engine.pack.facts if engine is not None else FACTS
    model = schema.case_model
    keyed = engine.with_cache(max_entries=1) if engine is not None else None
    years = (spec.first_year, spec.last_year)
    calendar = None
    if spec.v2:
        calendar = Calendar.of(engine.pack.versions if engine is not None else load_default().versions)
    seen: set[bytes] = set()
    patterns: list[dict[str, Any]] = []
    weights: list[float] = []
    if spec.patterns is not None:
        n = 0
        while len(patterns) < spec.patterns:
            pattern = draw_pattern(random.Random(f"{spec.seed}:pattern:{n}"), schema)
            n += 1
            if not _distinct(pattern, keyed, seen, model):
                continue
            patterns.append(pattern)
            weights.append(1 / (len(patterns) ** 0.8))  # a few patterns are common, most are rare
    draw = random.Random(f"{spec.seed}:draw")
    for number in range(spec.cases):
        rng = random.Random(f"{spec.seed}:case:{number}")
        if spec.patterns is not None:
            chosen = draw.choices(range(len(patterns)), weights)[0]
            index: int | None = chosen
            pattern = patterns[chosen]
        else:
            index = None
            while True:
                pattern = draw_pattern(rng, schema)
                if _distinct(pattern, keyed, seen, model):
                    break
        case, _ = dress(pattern, rng, number + 1, years)
        if calendar is not None:  # a source of its own: the cases it leaves alone are drawn as without it
            variation = random.Random(f"{spec.seed}:v2:{number}")
            if variation.random() < spec.v2:
                vary(case, variation, calendar)
        injected: list[Injection] = []
        if spec.recorded and engine is not None:
            # the dressed case's own dates decide which rules are in force, so it is evaluated as dressed
            determination = engine.evaluate(parse_case(case, model=model))
            substitutes = frozenset(row.becomes[1] for row in engine.pack.sanctions.without_party_post)
            case["recorded"], injected = record(determination, rng, spec, case["case_id"], substitutes)
        if spec.bad and rng.random() < spec.bad:
            text, why = spoil(case, rng)
            yield Generated(text, case["case_id"], index, (), why)
            continue
        yield Generated(json.dumps(case, ensure_ascii=False), case["case_id"], index, tuple(injected))


def _distinct(pattern: dict[str, Any], keyed: Engine | None, seen: set[bytes], model: type[Case] = Case) -> bool:
    """Whether ``pattern`` asserts facts no pattern drawn before did (always, without an engine)."""
    if keyed is None or keyed.cache is None:
        return True
    plain, _ = dress(pattern, random.Random(0), 0, (2020, 2020), scheme=0)
    key = keyed.cache.canonical(parse_case(plain, model=model)).key
    if key in seen:
        return False
    seen.add(key)
    return True


# ---------------------------------------------------------------------------------------------------------------


def write(spec: CorpusSpec, out: TextIO, engine: Engine | None = None) -> list[Injection]:
    """Write the corpus as JSON lines; return what was injected."""
    injected: list[Injection] = []
    for record_ in generate(spec, engine):
        out.write(record_.text)
        out.write("\n")
        injected.extend(record_.injected)
    return injected


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m accountrules.batch.synth", description="Write a seeded synthetic archive of cases (JSONL)."
    )
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--patterns", type=int, default=200, help="distinct fact patterns; 0: every case differs")
    parser.add_argument("--no-recorded", dest="recorded", action="store_false")
    parser.add_argument("--drift", type=float, default=0.0)
    parser.add_argument("--discretion", type=float, default=0.0)
    parser.add_argument("--omissions", type=float, default=0.0)
    parser.add_argument("--bad", type=float, default=0.0)
    parser.add_argument("--v2", type=float, default=0.0, help="share of cases given SPEC §9's fields (0 to 1)")
    parser.add_argument("-o", "--output", default="-", help="file (.jsonl or .jsonl.gz) or - for stdout")
    parser.add_argument("--injected", help="also write what was injected here (JSON lines)")
    args = parser.parse_args(argv)
    spec = CorpusSpec(
        cases=args.cases,
        seed=args.seed,
        patterns=args.patterns or None,
        recorded=args.recorded,
        drift=args.drift,
        discretion=args.discretion,
        omissions=args.omissions,
        bad=args.bad,
        v2=args.v2,
    )
    from accountrules.engine.evaluate import Engine

    engine = Engine.default()
    if args.output == "-":
        injected = write(spec, sys.stdout, engine)
    elif args.output.endswith(".gz"):
        with gzip.open(args.output, "wt", encoding="utf-8") as out:
            injected = write(spec, out, engine)
    else:
        with Path(args.output).open("w", encoding="utf-8") as out:
            injected = write(spec, out, engine)
    if args.injected:
        with Path(args.injected).open("w", encoding="utf-8") as out:
            for item in injected:
                out.write(json.dumps(item.__dict__, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
