"""How close the rule pack's recommendations come to real published decisions (tests/published/).

Every case in ``tests/published/cases`` records what a discipline commission actually decided for each person.
This script evaluates every case with the default pack (or ``--rules DIR``) and counts, for each recorded person,
overall, per version period of the conduct (SPEC §9.4) and per kind of person:

- ``form_equal``: the recommended form is the recorded one;
- ``within`` / ``below`` / ``above``: the recorded form lies within the recommended range, below its lowest form
  (the record is lighter) or above its highest (the record is heavier);
- ``measures_shared`` of ``measures_recorded``: the recommended measures share at least one recorded measure;
- ``gov_equal`` of ``gov_recorded``: the recommended government sanction is the recorded one; ``gov_extra``: one is
  recommended where none was recorded.

Run ``python benchmarks/published.py`` for a table, ``--json`` for the figures as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from accountrules import AccountRulesError, Case, Engine
from accountrules.validation import load_case

PUBLISHED = Path(__file__).resolve().parent.parent / "tests" / "published" / "cases"

# SPEC §9.4: the version in force on the last day of the conduct, named by the regulations it combines.
PERIODS: tuple[tuple[dt.date, str], ...] = (
    (dt.date(2018, 10, 1), "acct2016+disc2015"),
    (dt.date(2019, 9, 1), "acct2016+disc2018"),
    (dt.date(2024, 1, 1), "acct2019+disc2018"),
    (dt.date.max, "acct2019+disc2023"),
)
UNDATED = "undated"
PERIOD_ORDER = (*(name for _, name in PERIODS), UNDATED)
PERIOD_LABELS = {
    "acct2016+disc2015": "conduct before 2018-10-01",
    "acct2016+disc2018": "conduct 2018-10-01 – 2019-08-31",
    "acct2019+disc2018": "conduct 2019-09-01 – 2023-12-31",
    "acct2019+disc2023": "conduct from 2024-01-01",
    UNDATED: "conduct undated in the notice",
}
KINDS = ("offender", "principal_leader", "leader_in_charge", "discipline_inspection", "other")
KIND_LABELS = {
    "offender": "当事人 offender",
    "principal_leader": "主要负责人 principal leader",
    "leader_in_charge": "分管领导 leader in charge",
    "discipline_inspection": "纪检监察负责人 discipline-inspection head",
    "other": "其他 other",
}
METRICS = (
    "people",
    "recommended",
    "form_equal",
    "within",
    "below",
    "above",
    "measures_recorded",
    "measures_shared",
    "gov_recorded",
    "gov_equal",
    "gov_extra",
)


@dataclass
class Tally:
    """The counts of one group of recorded people."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))

    def add(self, outcome: dict[str, bool]) -> None:
        self.counts["people"] += 1
        for metric, hit in outcome.items():
            self.counts[metric] += int(hit)


def conduct_period(case: Case) -> str:
    """The version period of a case's conduct: that of its latest dated violation, or ``undated``."""
    days = [day for v in case.violations for day in (v.ended_on, v.began_on) if day is not None]
    if not days:
        return UNDATED
    last = max(days)
    return next(name for boundary, name in PERIODS if last < boundary)


def person_kind(case: Case, person_id: str) -> str:
    """The person's leading role when they answer for someone else's violation, else offender, else other.

    A discipline head who failed to stop the others and also took part is counted as a discipline head: the
    role is what the notice holds them to account for.
    """
    offended = {v.id for v in case.violations if person_id in v.offenders}
    answers_for_others = any(c.person == person_id and c.violation not in offended for c in case.conduct)
    if offended and not answers_for_others:
        return "offender"
    roles = next(p.roles for p in case.people if p.id == person_id)
    return next((kind for kind in KINDS[1:-1] if kind in roles), "offender" if offended else "other")


def outcome(recorded: Any, result: dict[str, Any]) -> dict[str, bool]:
    """What agrees between one recorded decision and one recommendation."""
    span = result.get("range")
    measures = set(result.get("measures") or ([result["measure"]] if result.get("measure") else []))
    taken = set(recorded.measures) | ({recorded.measure} if recorded.measure else set())
    gov = result.get("government_sanction")
    return {
        "recommended": span is not None,
        "form_equal": result.get("form") == recorded.form,
        "within": span is not None and span[0] <= recorded.form <= span[1],
        "below": span is not None and recorded.form < span[0],
        "above": span is not None and recorded.form > span[1],
        "measures_recorded": bool(taken),
        "measures_shared": bool(taken & measures),
        "gov_recorded": recorded.government_sanction is not None,
        "gov_equal": recorded.government_sanction is not None and gov == recorded.government_sanction,
        "gov_extra": recorded.government_sanction is None and gov is not None,
    }


@dataclass(frozen=True)
class Row:
    """One recorded person: where they stand, what was recorded and recommended, and what agrees."""

    case: str
    person: str
    period: str
    kind: str
    recorded: dict[str, Any]
    recommendation: dict[str, Any]
    outcome: dict[str, bool]


def rows(engine: Engine, files: Iterable[Path]) -> Iterator[Row]:
    """A row for every recorded person of every case."""
    for path in files:
        case = load_case(path)
        people = {p["person"]: p for p in json.loads(engine.evaluate(case).to_json())["people"]}
        period = conduct_period(case)
        for person_id, recorded in sorted(case.recorded.items()):
            result = people.get(person_id, {})
            yield Row(
                path.name,
                person_id,
                period,
                person_kind(case, person_id),
                recorded.model_dump(mode="json", exclude_defaults=True),
                {key: result.get(key) for key in ("range", "form", "measure", "measures", "government_sanction")},
                outcome(recorded, result),
            )


def measure(engine: Engine, files: Iterable[Path]) -> dict[str, Any]:
    """The figures: overall, by period, by kind, and each person's outcome."""
    overall = Tally()
    by_period = {name: Tally() for name in PERIOD_ORDER}
    by_kind = {name: Tally() for name in KINDS}
    people = []
    for row in rows(engine, files):
        for tally in (overall, by_period[row.period], by_kind[row.kind]):
            tally.add(row.outcome)
        people.append(
            {
                "case": row.case,
                "person": row.person,
                "period": row.period,
                "kind": row.kind,
                "recorded": row.recorded,
                "recommendation": row.recommendation,
                **row.outcome,
            }
        )
    return {
        "overall": overall.counts,
        "by_period": {name: t.counts for name, t in by_period.items()},
        "by_kind": {name: t.counts for name, t in by_kind.items()},
        "people": people,
    }


def share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else f"{part}"


def table(figures: dict[str, Any]) -> Table:
    """The summary as a table, one row per group; percentages are of the people with a recommended range."""
    table = Table(title="判定与公开通报的处理结果 / recommendations against published decisions")
    table.add_column("组别 group", no_wrap=True)
    for header in (
        "人数\npeople",
        "形态相同\nform =",
        "在幅度内\nwithin",
        "低于幅度\nbelow",
        "高于幅度\nabove",
        "措施有交集\nmeasure ∩",
        "政务处分相同\ngov =",
        "多出政务处分\ngov extra",
    ):
        table.add_column(header, justify="right", no_wrap=True)

    def row(label: str, c: dict[str, int]) -> None:
        n = c["recommended"]
        table.add_row(
            label,
            str(c["people"]),
            *(share(c[metric], n) for metric in ("form_equal", "within", "below", "above")),
            f"{c['measures_shared']}/{c['measures_recorded']}",
            f"{c['gov_equal']}/{c['gov_recorded']}",
            str(c["gov_extra"]),
        )

    row("全部 all recorded people", figures["overall"])
    for name, counts in figures["by_period"].items():
        row(PERIOD_LABELS[name], counts)
    for name, counts in figures["by_kind"].items():
        row(KIND_LABELS[name], counts)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--rules", type=Path, help="a rule pack directory to use instead of the default pack")
    parser.add_argument("--cases", type=Path, default=PUBLISHED, help="the directory of published cases")
    args = parser.parse_args(argv)
    try:
        engine = Engine.from_path(args.rules) if args.rules else Engine.default()
        figures = measure(engine, sorted(args.cases.glob("*.json")))
    except AccountRulesError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        Console(width=160).print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
