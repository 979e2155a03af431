"""The rules in force (SPEC §9.3 V1, 从旧兼从轻): which version judges each (person, violation).

Each violation has a conduct version (in force when its conduct ended) and a decision version (in force on the
case's ``decided_on``). A person's heaviest resolved finding on a violation is worked out under both; the
decision version applies only when it is strictly lighter by (form, measure). Findings on no violation (D5) are
judged like a violation whose conduct ended with the case's latest one.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from accountrules.engine.firings import Firing
from accountrules.engine.resolve import Outcome, Resolved, Resolver, _measure_rank
from accountrules.models import Case, Violation
from accountrules.rulepack.versions import Versions

#: (person, violation); the violation is None for a finding on no violation.
Pair = tuple[str, str | None]
#: (code, person, violation) of a note.
NoteKey = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class InForce:
    """The versions that may judge one violation, and why its conduct version is the one it is."""

    violation: str
    conduct: str
    decision: str
    why: str


@dataclass(frozen=True)
class CaseVersions:
    """The versions of one case: per violation, for findings on no violation, and at the decision."""

    decision: str
    violations: dict[str, InForce]
    #: The conduct version of findings on no violation: the latest of the violations' conduct versions.
    unit_conduct: str
    notes: tuple[NoteKey, ...] = ()

    def pair(self, violation: str | None) -> tuple[str, str]:
        """(conduct version, decision version) of the findings on ``violation``."""
        if violation is None or violation not in self.violations:
            return self.unit_conduct, self.decision
        entry = self.violations[violation]
        return entry.conduct, entry.decision

    @property
    def needed(self) -> list[str]:
        """Every version some finding may be judged by, in the order of the versions' ids."""
        return sorted({self.decision, self.unit_conduct} | {v.conduct for v in self.violations.values()})


def case_versions(case: Case, versions: Versions) -> CaseVersions:
    """Work out, from the case's dates alone, the versions that may judge each violation (never the clock)."""
    decided_on = case.decided_on
    decision = versions.at(decided_on)
    ids = versions.ids
    notes: list[NoteKey] = []
    earliest = versions.versions[0].since
    if decided_on is None:
        notes.append(("no_decided_on", None, None))
    elif decided_on < earliest:
        notes.append(("before_earliest_version", None, None))
    entries: dict[str, InForce] = {}
    for violation in case.violations:
        period = violation.period(decided_on)
        if period is None:
            conduct = decision
        else:
            _, ended = period
            conduct = versions.at(ended)
            if ended < earliest:
                notes.append(("before_earliest_version", None, violation.id))
        if not violation.dated:
            why = "no_date"
        elif period is not None and ids.index(versions.at(period[0]).id) < ids.index(conduct.id):
            why = "continuing"
        else:
            why = "conduct_date"
        entries[violation.id] = InForce(violation.id, conduct.id, decision.id, why)
        if _over_threshold(case, violation, versions):
            notes.append(("amount_over_threshold", None, violation.id))
    latest = max((e.conduct for e in entries.values()), key=ids.index, default=decision.id)
    return CaseVersions(decision.id, entries, latest, tuple(notes))


def _over_threshold(case: Case, violation: Violation, versions: Versions) -> bool:
    if violation.kind != "corruption" or violation.suspected_crime or violation.amount_cny is None:
        return False
    return violation.amount_cny >= versions.threshold(case.decided_on, violation.lifesaving_funds)


@dataclass
class Applied:
    """What the rules in force gave: each person's outcome and the version applied to each of their pairs."""

    outcomes: dict[str, Outcome]
    versions: dict[Pair, str]
    #: Per violation, the people for whom the decision version applied because it was lighter.
    lighter_new: dict[str, set[str]] = field(default_factory=dict)


def _heaviest(resolver: Resolver, items: list[Resolved]) -> tuple[int, int]:
    """The (form, measure rank) of the heaviest of ``items``; (-1, -1) when there is none."""
    best = max(items, key=resolver.person_key, default=None)
    return (-1, -1) if best is None else (best.form, _measure_rank(best.form, best.measure))


def resolve_in_force(
    resolver: Resolver,
    findings: list[Firing],
    adjustments: list[Firing],
    holding: Mapping[str, frozenset[str]],
    in_force: CaseVersions,
    without_post: frozenset[str] = frozenset(),
) -> Applied:
    """D11 per (person, violation) under the versions that may judge it, then V1's choice between them. Each pair is
    resolved on its own (nothing in D11 crosses pairs); a pair whose rules are the same in both versions is resolved
    once, since the decision's version can then not be strictly lighter. ``holding`` gives the ids of the rules that
    hold in each version (`rules_holding`)."""
    live = frozenset().union(*(holding.get(version, frozenset()) for version in in_force.needed))
    by_pair: dict[tuple[str | None, str | None], list[Firing]] = defaultdict(list)
    for f in findings:
        by_pair[(f.person, f.violation)].append(f)
    on_pair: dict[tuple[str | None, str | None], list[Firing]] = defaultdict(list)
    for a in adjustments:
        on_pair[(a.person, a.violation)].append(a)
    chosen: dict[str, list[Resolved]] = defaultdict(list)
    applied: dict[Pair, str] = {}
    lighter_new: dict[str, set[str]] = defaultdict(set)
    # pairs in any order: each person's results are put in the order of their firings below
    for target, mine in by_pair.items():
        if live.isdisjoint(map(_rule_of, mine)):
            continue  # no version the case needs holds any of its rules
        person, violation = str(target[0]), target[1]
        pair = (person, violation)
        on = on_pair.get(target, [])
        conduct, decision = in_force.pair(violation)
        old_rules = holding.get(conduct, frozenset())
        old_findings = [f for f in mine if f.rule in old_rules]
        old_on = [a for a in on if a.rule in old_rules]
        old = resolver.resolve_pair(old_findings, old_on, person in without_post, conduct)
        if conduct != decision:
            new_rules = holding.get(decision, frozenset())
            new_findings = [f for f in mine if f.rule in new_rules]
            new_on = [a for a in on if a.rule in new_rules]
            if new_findings != old_findings or new_on != old_on:
                new = resolver.resolve_pair(new_findings, new_on, person in without_post, decision)
                if _heaviest(resolver, new) < _heaviest(resolver, old):
                    applied[pair] = decision
                    if violation is not None:
                        lighter_new[violation].add(person)
                    chosen[person].extend(new)
                    continue
        applied[pair] = conduct
        chosen[person].extend(old)
    outcomes = {
        person: resolver.outcome(
            person, sorted(items, key=_by_firing) if len(items) > 1 else items, person in without_post
        )
        for person, items in sorted(chosen.items())
        if items
    }
    return Applied(outcomes, applied, dict(lighter_new))


def rules_holding(rules: Iterable[tuple[str, frozenset[str]]]) -> dict[str, frozenset[str]]:
    """The ids of the rules that hold in each version, from each rule's id and versions."""
    holding: dict[str, set[str]] = defaultdict(set)
    for rule, versions in rules:
        for version in versions:
            holding[version].add(rule)
    return {version: frozenset(ids) for version, ids in holding.items()}


def _by_firing(item: Resolved) -> Firing:
    return item.finding.firing


#: A firing's rule.
_rule_of: Callable[[Firing], str] = operator.itemgetter(0)


def applied_version(in_force: CaseVersions, applied: dict[Pair, str], person: str | None, violation: str | None) -> str:
    """The version a firing on (person, violation) is shown under: its pair's, else the decision's."""
    if person is None:
        return in_force.decision
    version = applied.get((person, violation))
    return in_force.pair(violation)[0] if version is None else version
