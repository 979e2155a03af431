"""Resolution kept per like (person, violation) pair: bound to each case's own firings, bounded, changing nothing."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings

from accountrules import Engine
from accountrules.engine.firings import FindingWhat, Firing, ModifierWhat
from accountrules.engine.resolve import Attached, Resolver
from tests.strategies import cases


def pair(person: str, violation: str) -> tuple[list[Firing], list[Firing]]:
    """An offence finding [1, 2] and 从轻 on it, for ``person`` on ``violation``."""
    finding = Firing(
        "O-X", "finding", person, violation, None, FindingWhat("offence", "direct", "individual", 1, 2), ()
    )
    lighter = Firing("M-X", "modifier", person, violation, None, ModifierWhat("lighter", ("offence",)), ())
    return [finding], [lighter]


def test_a_like_pair_under_other_ids_is_resolved_once_and_bound_to_its_own_firings(engine: Engine) -> None:
    """The second pair, alike but for its ids, is a hit of the memo and its result holds its own firings."""
    resolver = Resolver(engine.policy, engine.pack.sanctions)
    first = resolver.resolve_pair(*pair("p1", "v1"), False, "v2019")
    findings, adjustments = pair("R7", "W3")
    second = resolver.resolve_pair(findings, adjustments, False, "v2019")
    assert resolver.memo.cache_info().hits == 1
    assert [(r.finding.firing, r.adjustments) for r in second] == [(findings[0], adjustments)]
    assert [(r.form, r.measure, r.deciding, r.version) for r in second] == [
        (r.form, r.measure, r.deciding, r.version) for r in first
    ]


def test_a_like_pair_whose_rules_matched_other_facts_is_resolved_once(engine: Engine) -> None:
    """A pair alike but for the facts its rules matched is a hit of the memo (D11 never reads the facts), and its
    result holds its own firings."""
    resolver = Resolver(engine.policy, engine.pack.sanctions)
    findings, adjustments = pair("p1", "v1")
    resolver.resolve_pair(findings, adjustments, False, "v2019")
    other = [findings[0]._replace(facts=(("act", "concealed"),))]
    second = resolver.resolve_pair(other, adjustments, False, "v2019")
    assert resolver.memo.cache_info().hits == 1
    assert [r.finding.firing for r in second] == other


def test_a_like_pair_under_another_version_is_resolved_once_and_stamped_with_that_version(engine: Engine) -> None:
    """The same pair judged by another version is a hit of the memo (the version only stamps what D11 gives), and
    its deciding modifier is given by that version."""
    resolver = Resolver(engine.policy, engine.pack.sanctions)
    resolver.resolve_pair(*pair("p1", "v1"), False, "v2016")
    second = resolver.resolve_pair(*pair("p1", "v1"), False, "v2019")
    assert resolver.memo.cache_info().hits == 1
    assert [(r.deciding, r.version) for r in second] == [(Attached("lighter", "M-X", None, "v2019"), "v2019")]


def test_the_memo_keeps_at_most_the_pairs_it_is_given(engine: Engine) -> None:
    """A resolver that keeps two pairs keeps two after resolving three unlike ones."""
    resolver = Resolver(engine.policy, engine.pack.sanctions, pair_memo=2)
    findings, adjustments = pair("p1", "v1")
    for on, without_post in ((adjustments, False), (adjustments, True), ([], False)):
        resolver.resolve_pair(findings, on, without_post, "v2019")
    assert resolver.memo.cache_info().currsize == 2


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_the_memo_changes_no_determination(case: dict[str, Any]) -> None:
    """A generated case gets the same bytes from the shared engine, whose memo other cases filled, as from an
    engine that keeps no pair."""
    engine = Engine.default().with_runtime("compiled")
    plain = copy.copy(engine)
    plain._resolver = Resolver(engine.policy, engine.pack.sanctions, pair_memo=0)
    assert engine.evaluate(case).to_json() == plain.evaluate(case).to_json()
