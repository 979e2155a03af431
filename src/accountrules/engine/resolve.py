"""Resolution (SPEC D11): from findings, modifiers, tallies and refusals to one form and measure per person.

One generic procedure driven by the pack's `Policy`: which kinds pick one candidate, which responsibilities
are capped, how tallies become modifiers, where each modifier puts the form, and every tie-break order.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accountrules.engine.firings import Firing, MeasureWhat, ModifierWhat, RefusalWhat, TallyWhat
from accountrules.rulepack.policy import Merge, Policy, Scale
from accountrules.rulepack.versions import Sanctions
from accountrules.vocabulary import FORM_MEASURES, MEASURE_PLACES


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding firing, read through its named content."""

    firing: Firing

    @property
    def kind(self) -> str:
        return self.firing.found.kind

    @property
    def responsibility(self) -> str:
        return self.firing.found.responsibility

    @property
    def scope(self) -> str:
        return self.firing.found.scope

    @property
    def range(self) -> tuple[int, int]:
        found = self.firing.found
        return int(found.low), int(found.high)


@dataclass(frozen=True, slots=True)
class Attached:
    """A modifier or refusal as it bears on one finding, with the rule it came from."""

    kind: str
    rule: str
    detail: str | None = None
    #: The version whose rules gave it (its citations read as that version numbers them).
    version: str | None = None


@dataclass(slots=True)
class Resolved:
    """One finding after D11."""

    finding: Finding
    effective: tuple[int, int]
    form: int
    measure: str
    deciding: Attached | None
    refused: list[Attached]
    adjustments: list[Firing] = field(default_factory=list)
    #: Measures recommended beside ``measure`` (V2, V4), each with the rule that adds it.
    also: list[Attached] = field(default_factory=list)
    #: The version whose rules gave this result (None for a pack resolved without versions).
    version: str | None = None
    #: The measure V9 replaced by ``measure`` (a removal from a party post the person does not hold), if any.
    replaced: str | None = None
    #: The id of the policy's measure scale that ``measure`` was read from, if a declared one.
    scale: str | None = None


@dataclass
class Outcome:
    """A person's result: their heaviest resolved finding (raised one grade where the policy merges several
    violations), and all their refusals and finding rules."""

    person: str
    best: Resolved | None
    resolved: list[Resolved]
    refused: list[Attached]
    findings: list[str]
    #: Where several violations were merged (合并处理): the heaviest finding before the raise (the government
    #: sanction reads it), the finding whose measure was raised, and the violations merged, sorted.
    unraised: Resolved | None = None
    raised_from: Resolved | None = None
    merged: tuple[str, ...] = ()


#: A pair's firings without their person, violation and facts: (rule, effect, decision, what) each.
FiringKey = tuple[Any, ...]
#: What `Resolver.resolve_pair` is given, ids and version left out: findings, adjustments, without a party post.
PairKey = tuple[tuple[FiringKey, ...], tuple[FiringKey, ...], bool]
#: One resolved finding of a pair: the finding's position, effective range, form, measure, deciding modifier,
#: refusals, the positions of the adjustments that apply to it, the measures beside, the measure V9 replaced, the
#: measure scale its measure was read from (modifiers, refusals and measures beside as given by no version).
PairResult = tuple[
    int,
    tuple[int, int],
    int,
    str,
    Attached | None,
    tuple[Attached, ...],
    tuple[int, ...],
    tuple[Attached, ...],
    str | None,
    str | None,
]
#: Like pairs whose resolution a resolver keeps (a few hundred bytes each).
PAIR_MEMO = 8192


def _replaced(placed: str, candidate: str) -> str | None:
    """The measure V9 replaced: the one placed, when the candidate differs from it."""
    return placed if candidate != placed else None


#: Each measure's place in its form, lightest first, by (form, measure).
_MEASURE_RANKS: dict[tuple[int, str], int] = {
    (form, measure): rank for form, measures in FORM_MEASURES.items() for rank, measure in enumerate(measures)
}
#: A firing without its person, violation and facts: what `Resolver.resolve_pair` keeps like pairs by. D11 never
#: reads the facts, and they never order a pair's firings (two distinct firings of a pair differ before them).
_WITHOUT_IDS = operator.itemgetter(0, 1, 4, 5)


def _measure_rank(form: int, measure: str) -> int:
    return _MEASURE_RANKS[(form, measure)]


def _places(order: Sequence[str]) -> tuple[dict[str, int], int]:
    """Each item's first place in ``order`` (``list.index`` as a look-up), and the place of any other item."""
    places: dict[str, int] = {}
    for place, item in enumerate(order):
        places.setdefault(item, place)
    return places, len(order)


class Resolver:
    """D11 for one pack; ``sanctions`` gives the substitutions for people without a party post (V9)."""

    def __init__(self, policy: Policy, sanctions: Sanctions | None = None, pair_memo: int = PAIR_MEMO) -> None:
        self.policy = policy
        self.sanctions = sanctions
        self.memo = functools.lru_cache(maxsize=pair_memo)(self._resolve_pair)
        #: Each modifier, refusal or measure beside as given by the rules of a version, by (it, version): drawn
        #: from the pack's kinds, rules and versions alone.
        self._stamps: dict[tuple[Attached, str | None], Attached] = {}
        #: The policy's orders as look-ups (the pack is immutable): responsibilities and deciding modifiers.
        self._responsibility_places = _places(policy.responsibility_order)
        self._deciding_places = _places(policy.deciding_order)

    def effective(self, finding: Finding) -> tuple[int, int]:
        lo, hi = finding.range
        return (lo, lo) if finding.responsibility in self.policy.cap_at_lowest else (lo, hi)

    def candidate_key(self, finding: Finding) -> tuple[int, int, int, str]:
        lo, hi = self.effective(finding)
        return (hi, lo, -self.policy.responsibility_rank(finding.responsibility), finding.firing.rule)

    def select(self, findings: Iterable[Firing]) -> list[Finding]:
        """The findings that stand: every finding of a ``pick: all`` kind, the best candidate of the others."""
        groups: dict[tuple[object, ...], list[Finding]] = defaultdict(list)
        standing: list[Finding] = []
        for firing in findings:
            finding = Finding(firing)
            kind = self.policy.finding_kinds[finding.kind]
            if kind.pick == "one":
                groups[(finding.kind, firing.person, firing.violation, firing.decision)].append(finding)
            else:
                standing.append(finding)
        # the rule id is the last key: equal candidates from two rules still give one stable winner
        standing.extend(max(group, key=self.candidate_key) for group in groups.values())
        return sorted(standing, key=lambda f: f.firing)

    def resolve_pair(
        self, findings: list[Firing], adjustments: list[Firing], without_post: bool, version: str | None
    ) -> list[Resolved]:
        """D11 for the findings of one (person, violation) and the adjustments on it, under ``version``: every
        finding that stands (`select`), resolved, in the order of their firings (``without_post``: a V9 person).

        Nothing here reads the person's or the violation's id, the facts matched or the version (which only
        stamps the modifiers, refusals and measures given), so the work is done once per like pair (the same rules
        firing with the same effects) and kept (`pair_memo` pairs, the least recently used given up first); the
        result is then bound to this pair's own firings and version."""
        key = (tuple(map(_WITHOUT_IDS, findings)), tuple(map(_WITHOUT_IDS, adjustments)), without_post)
        stamp = self._stamp
        return [
            Resolved(
                Finding(findings[index]),
                effective,
                form,
                measure,
                None if deciding is None else stamp(deciding, version),
                [stamp(r, version) for r in refused] if refused else [],
                [adjustments[i] for i in applying],
                [stamp(a, version) for a in also] if also else [],
                version,
                replaced,
                scale,
            )
            for index, effective, form, measure, deciding, refused, applying, also, replaced, scale in self.memo(key)
        ]

    def _stamp(self, attached: Attached, version: str | None) -> Attached:
        """``attached`` as given by the rules of ``version``; made once and shared (it is frozen)."""
        key = (attached, version)
        stamped = self._stamps.get(key)
        if stamped is None:
            stamped = self._stamps[key] = Attached(attached.kind, attached.rule, attached.detail, version)
        return stamped

    def _resolve_pair(self, key: PairKey) -> tuple[PairResult, ...]:
        """`resolve_pair` on a pair's firings without their ids: each result with its finding and adjustments as
        positions in the firings given."""
        finding_keys, adjustment_keys, without_post = key
        findings = [Firing(rule, effect, "", "", decision, what, ()) for rule, effect, decision, what in finding_keys]
        adjustments = [
            Firing(rule, effect, "", "", decision, what, ()) for rule, effect, decision, what in adjustment_keys
        ]
        position = {id(f): i for i, f in enumerate(findings + adjustments)}
        out = []
        for finding in self.select(findings):
            applying = [a for a in adjustments if finding.kind in a.adjustment.applies_to]
            item = self.resolve_one(finding, applying, without_post)
            out.append(
                (
                    position[id(finding.firing)],
                    item.effective,
                    item.form,
                    item.measure,
                    item.deciding,
                    tuple(item.refused),
                    tuple(position[id(a)] - len(findings) for a in applying),
                    tuple(item.also),
                    item.replaced,
                    item.scale,
                )
            )
        return tuple(out)

    def resolve_one(self, finding: Finding, adjustments: list[Firing], without_post: bool = False) -> Resolved:
        """D11 for one finding; the measures the adjustments add beside its own are kept when it reaches them."""
        resolved = self._place_finding(finding, adjustments, without_post)
        if resolved.form > 0 and resolved.replaced is None:
            scale = self.policy.scale_of(finding.kind, finding.responsibility, resolved.form, resolved.effective[1])
            resolved.scale = scale.id if scale is not None else None
        reached = (resolved.form, _measure_rank(resolved.form, resolved.measure))
        for adj in sorted(adjustments):
            what = adj.what
            if isinstance(what, MeasureWhat):
                least = (what.least_form, _measure_rank(what.least_form, what.least_measure))
                if reached >= least and all(a.kind != what.add for a in resolved.also):
                    resolved.also.append(Attached(what.add, adj.rule))
        return resolved

    def _place_finding(self, finding: Finding, adjustments: list[Firing], without_post: bool) -> Resolved:
        policy = self.policy
        lo, hi = self.effective(finding)
        modifiers: dict[str, str] = {}
        refused: list[Attached] = []
        tallies: dict[str, dict[str, str]] = defaultdict(dict)
        for adj in sorted(adjustments):
            what = adj.what
            if isinstance(what, ModifierWhat):
                modifiers.setdefault(what.kind, adj.rule)
            elif isinstance(what, TallyWhat):
                tallies[what.name].setdefault(str(what.token), adj.rule)
            elif isinstance(what, RefusalWhat):
                refused.append(Attached(what.kind, adj.rule))
        for name, tokens in tallies.items():
            for step in policy.tallies[name]:
                if len(tokens) >= step.at_least:
                    modifiers.setdefault(step.modifier, min(tokens.values()))
                    break
        if hi == 0:
            # nothing to place; a modifier that puts the form at zero anyway (免予问责) is still what decided it
            zero = [m for m in policy.mitigations if m in modifiers and policy.modifier_effects[m].at == "zero"]
            deciding_zero = Attached(zero[0], modifiers[zero[0]]) if zero else None
            return Resolved(finding, (lo, hi), 0, "none", deciding_zero, refused, adjustments)
        floor = policy.finding_kinds[finding.kind].floor

        def scale(form: int) -> Scale:
            return policy.scale_for(finding.kind, finding.responsibility, form, hi)

        aggravations = [m for m in policy.aggravations if m in modifiers]
        mitigations = [m for m in policy.mitigations if m in modifiers]
        if policy.unmitigated_from is not None and lo >= policy.unmitigated_from and not aggravations:
            refused.extend(Attached("outweighed", modifiers[m], m) for m in mitigations)
            start = self.measure(lo, "start", scale(lo))
            form, measure = self.candidate(lo, start, without_post)
            replaced = _replaced(start, measure)
            return Resolved(finding, (lo, hi), form, measure, None, refused, adjustments, replaced=replaced)
        if aggravations:
            options = []
            for tie, kind in enumerate(aggravations):
                placed = self.place(kind, lo, hi, floor, scale)
                form, measure = self.candidate(*placed, without_post)
                options.append((form, _measure_rank(form, measure), -tie, kind, measure, placed))
            form, _, _, kind, measure, placed = max(options)
            replaced = _replaced(placed[1], measure)
            deciding: Attached | None = Attached(kind, modifiers[kind])
            refused.extend(Attached("outweighed", modifiers[m], m) for m in mitigations)
        elif mitigations:
            kind = mitigations[0]
            placed = self.place(kind, lo, hi, floor, scale)
            form, measure = self.candidate(*placed, without_post)
            replaced = _replaced(placed[1], measure)
            deciding = Attached(kind, modifiers[kind])
        else:
            at = max(lo, floor)
            placed = (at, self.measure(at, "start", scale(at)))
            form, measure = self.candidate(*placed, without_post)
            replaced = _replaced(placed[1], measure)
            deciding = None
        return Resolved(finding, (lo, hi), form, measure, deciding, refused, adjustments, replaced=replaced)

    def place(self, modifier: str, lo: int, hi: int, floor: int, scale: Callable[[int], Scale]) -> tuple[int, str]:
        """Where ``modifier`` puts the form in [lo, hi], and with which measure of the finding's ``scale`` there."""
        effect = self.policy.modifier_effects[modifier]  # type: ignore[index]
        base = {"lo": lo, "hi": hi, "zero": 0}[effect.at]
        form = base + effect.shift
        if effect.shift > 0:
            form = max(base, min(form, effect.max))
        form = min(max(form, 0 if effect.below_floor else floor, 0), 4)
        # 从重's heavier measure is for a one-form range it stays in; a form shifted above the range starts lightest
        which = "lightest" if effect.measure == "heavier" and (lo != hi or form != hi) else effect.measure
        return form, self.measure(form, which, scale(form))

    def candidate(self, form: int, measure: str, without_post: bool) -> tuple[int, str]:
        """A (form, measure) as a candidate of D11: V9's substitute when the person holds no party post."""
        if without_post and self.sanctions is not None:
            return self.sanctions.substitute(form, measure) or (form, measure)
        return form, measure

    @staticmethod
    def measure(form: int, which: str, scale: Scale | None = None) -> str:
        """A measure of the finding's scale in ``form`` (the policy's ``measure_scales``; else the form's measures,
        starting at the lightest): its lightest, the one it starts at, the one after that (从重 on a one-form
        range: 严重警告, 留党察看) or its heaviest."""
        measures, start = scale if scale is not None else (FORM_MEASURES[form], 0)
        if which == "lightest":
            return measures[0]
        if which == "start":
            return measures[start]
        return measures[min(start + 1, len(measures) - 1)] if which == "heavier" else measures[-1]

    def person_key(self, item: Resolved) -> tuple[int, ...]:
        deciding, other = self._deciding_places
        rank = deciding.get(item.deciding.kind if item.deciding else "none", other)
        responsibilities, unranked = self._responsibility_places
        lo, hi = item.effective
        found = item.finding.firing.found
        return (
            item.form,
            _MEASURE_RANKS[(item.form, item.measure)],
            hi,
            lo,
            -responsibilities.get(found.responsibility, unranked),
            1 if found.scope == "individual" else 0,
            -rank,
        )

    def outcome(self, person: str, items: list[Resolved], without_post: bool = False) -> Outcome:
        """A person's result from their resolved findings (``without_post``: a V9 person): the heaviest, raised
        one grade where the policy merges several violations (`merged`)."""
        if len(items) == 1:
            best = items[0]
            findings = [best.finding.firing.rule]
        else:
            # max keeps the first of equals; items are sorted
            best = max(items, key=self.person_key)
            findings = sorted({i.finding.firing.rule for i in items})
        refusals: dict[tuple[str, str], Attached] = {}
        for item in items:
            for r in item.refused:
                key = (r.kind, r.detail or "")
                if key not in refusals or r.rule < refusals[key].rule:
                    refusals[key] = r
        refused = [refusals[k] for k in sorted(refusals)] if refusals else []
        outcome = Outcome(person, best, items, refused, findings)
        merge = self.policy.merge
        if merge is not None and len(items) >= merge.at_least:
            self.merged(outcome, merge, without_post)
        return outcome

    def merged(self, outcome: Outcome, merge: Merge, without_post: bool) -> None:
        """合并处理 on ``outcome``: with findings of the merge's kinds on enough distinct violations, each within
        its scale, the heaviest of them raised one grade (a grade a V9 person cannot receive passed
        over) becomes the person's result, when it is heavier than their heaviest finding. Monotone: more or
        heavier findings never give a lighter heaviest, nor a lighter raise of it."""
        counted = [
            item
            for item in outcome.resolved
            if item.finding.kind in merge.kinds
            and item.finding.firing.violation is not None
            and merge.counts(item.form, item.measure)
        ]
        violations = {str(item.finding.firing.violation) for item in counted}
        if len(violations) < merge.at_least:
            return
        heaviest = max(counted, key=self.person_key)
        sanctions = self.sanctions
        if without_post and sanctions is not None:
            raised = merge.raise_one(
                heaviest.form, heaviest.measure, lambda m: sanctions.substitute(MEASURE_PLACES[m][0], m) is None
            )
        else:
            raised = merge.raise_one(heaviest.form, heaviest.measure, lambda m: True)
        best = outcome.best
        if raised is None or best is None:
            return
        form = MEASURE_PLACES[raised][0]
        if (form, _MEASURE_RANKS[(form, raised)]) <= (best.form, _MEASURE_RANKS[(best.form, best.measure)]):
            return
        version = heaviest.version
        outcome.best = Resolved(
            heaviest.finding,
            heaviest.effective,
            form,
            raised,
            self._stamp(Attached(merge.modifier, merge.id), version),
            heaviest.refused,
            heaviest.adjustments,
            heaviest.also,
            version,
        )
        outcome.unraised, outcome.raised_from, outcome.merged = best, heaviest, tuple(sorted(violations))
