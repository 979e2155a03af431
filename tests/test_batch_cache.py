"""The determination cache: keyed by the facts the rules see, blind to names and ids, bounded, and exact."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, model_serializer

from accountrules import Engine
from accountrules.engine.cache import (
    DeterminationCache,
    FactPlan,
    _ids_alone,
    _Labels,
    _Node,
    _Stored,
    _token,
    _tokened,
    _Written,
    canonicalize,
    slots,
)
from accountrules.engine.flatten import flatten
from accountrules.models import LIST_ORDERS, Determination, PersonId, ViolationId
from accountrules.validation import parse_case
from tests.strategies import cases

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"
BENCH_CASE = ROOT / "benchmarks" / "case_10x3.json"

#: Ids as archives write them: anything without whitespace.
ID_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Z", "C"), blacklist_characters="\\\"'"), min_size=1, max_size=6
)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def renamed(case: dict[str, Any], seed: int, keep_violation_order: bool = True) -> dict[str, Any]:
    """``case`` with other ids, names, title, unit name, amounts, date and list orders; the same facts.

    People get ids in any order; violations and decisions keep the order of their ids (what the cache key
    keeps of ids, see engine/cache.py), violations unless told otherwise."""
    rng = random.Random(seed)
    out = copy.deepcopy(case)
    people = {p["id"]: f"{rng.choice('甲乙丙丁XYZ')}{rng.randrange(10**6)}-{i}" for i, p in enumerate(case["people"])}
    vids = sorted(v["id"] for v in case["violations"])
    fresh = sorted(f"{rng.choice('ABCabc')}{rng.randrange(10**5):05d}{i}" for i in range(len(vids)))
    if not keep_violation_order:
        rng.shuffle(fresh)
    violations = dict(zip(vids, fresh, strict=True))
    dids = sorted(d["id"] for d in case.get("decisions", []))
    decisions = dict(zip(dids, sorted(f"决定{rng.randrange(10**4):04d}-{i}" for i in range(len(dids))), strict=True))
    out["case_id"] = f"C-{rng.randrange(10**8)}"
    out["title"] = f"案件{rng.randrange(1000)}"
    out["unit"]["name"] = f"某单位{rng.randrange(1000)}"
    for p in out["people"]:
        p["id"] = people[p["id"]]
        p["name"] = f"{rng.choice('赵钱孙李')}某{rng.randrange(100)}"
        p["position"] = rng.choice(["科员", "副局长", ""])
    for v in out["violations"]:
        v["id"] = violations[v["id"]]
        v["offenders"] = [people[o] for o in v["offenders"]]
        v["summary"] = f"摘要{rng.randrange(100)}"
    for c in out.get("conduct", []):
        c["person"], c["violation"] = people[c["person"]], violations[c["violation"]]
        rng.shuffle(c["acts"])
    for d in out.get("decisions", []):
        d["id"] = decisions[d["id"]]
        d["violation"] = violations[d["violation"]]
        for key in ("participants", "advocates", "objectors"):
            d[key] = [people[p] for p in d.get(key, [])]
    out["recorded"] = {people[p]: r for p, r in case.get("recorded", {}).items()}
    for key in ("people", "violations", "conduct", "decisions"):
        rng.shuffle(out.get(key, []))
    return out


def key_of(engine: Engine, case: dict[str, Any]) -> bytes:
    cached = engine.with_cache()
    assert cached.cache is not None
    return cached.cache.canonical(parse_case(case)).key


# ---------------------------------------------------------------------------------------------------------------
# exact: cached == uncached


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), seeds=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)))
def test_a_cached_determination_is_the_uncached_one_byte_for_byte(
    engine: Engine, case: dict[str, Any], seeds: tuple[int, int]
) -> None:
    """A like case served from the cache gives the same JSON as evaluating it, ids and names restored."""
    cached = engine.with_cache()
    assert cached.cache is not None
    first, second = renamed(case, seeds[0]), renamed(case, seeds[1])
    assert cached.evaluate(first).to_json() == engine.evaluate(first).to_json()  # a miss: stored
    expected = engine.evaluate(second)
    assert cached.evaluate(second).to_json() == expected.to_json()  # a hit: restored
    assert cached.evaluate(second) == expected
    parsed = parse_case(second)
    text = cached.cache.determine_json(parsed, cached.cache.canonical(parsed), lambda: expected)
    assert text.decode("utf-8") == expected.to_json(indent=None)
    assert (cached.cache.stats.hits, cached.cache.stats.misses) == (3, 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), seed=st.integers(0, 10**6), odd=st.lists(ID_TEXT, min_size=12, max_size=12, unique=True))
def test_any_ids_are_restored_exactly(engine: Engine, case: dict[str, Any], seed: int, odd: list[str]) -> None:
    """Ids of any characters (and violations renamed out of order) still give the uncached bytes."""
    base = renamed(case, seed, keep_violation_order=False)
    mapping = {p["id"]: odd[i] for i, p in enumerate(base["people"])}
    text = json.dumps(base, ensure_ascii=False)
    for old, new in mapping.items():
        text = text.replace(json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False))
    strange = json.loads(text)
    cached = engine.with_cache()
    cached.evaluate(case)
    assert cached.evaluate(strange).to_json() == engine.evaluate(strange).to_json()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), seeds=st.lists(st.integers(0, 10**6), min_size=4, max_size=4))
def test_like_cases_as_json_from_one_entry_whatever_the_order_of_their_ids(
    engine: Engine, case: dict[str, Any], seeds: list[int]
) -> None:
    """Renamings of one case, their people's ids in any order, and the first again, are served as JSON from one
    entry with the bytes an evaluation gives."""
    cached = engine.with_cache()
    assert cached.cache is not None
    for seed in [*seeds, seeds[0]]:
        parsed = parse_case(renamed(case, seed))
        expected = engine.evaluate(parsed)
        text = cached.cache.determine_json(parsed, cached.cache.canonical(parsed), lambda e=expected: e)
        assert text.decode("utf-8") == expected.to_json(indent=None)
    assert (cached.cache.stats.hits, cached.cache.stats.misses) == (4, 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), seeds=st.lists(st.integers(0, 10**6), min_size=4, max_size=4))
def test_like_cases_as_models_from_one_entry_whatever_the_order_of_their_ids(
    engine: Engine, case: dict[str, Any], seeds: list[int]
) -> None:
    """Renamings of one case, their people's ids in any order, each twice, then the first again, are restored as
    models from one entry equal to an evaluation (a list's order found for one order of the ids is not reused for
    another)."""
    cached = engine.with_cache()
    assert cached.cache is not None
    for seed in [*seeds, seeds[0]]:
        parsed = parse_case(renamed(case, seed))
        expected = engine.evaluate(parsed)
        for _ in range(2):
            restored = cached.cache.determine(parsed, cached.cache.canonical(parsed), lambda e=expected: e)
            assert restored == expected
            assert restored.to_json() == expected.to_json()
    assert (cached.cache.stats.hits, cached.cache.stats.misses) == (9, 1)


@settings(max_examples=60, deadline=None)
@given(case=cases(max_people=8))
def test_the_direct_reading_of_a_case_is_its_flattened_facts(engine: Engine, case: dict[str, Any]) -> None:
    """`FactPlan.canonical` (read from the case) equals `canonicalize` of the flattened facts (the definition)."""
    plan = FactPlan.for_pack(engine.pack)
    assert plan.direct is not None
    parsed = parse_case(case)
    assert plan.canonical(parsed) == canonicalize(parsed, flatten(parsed, engine.policy), plan)


# ---------------------------------------------------------------------------------------------------------------
# what splits the cache and what does not


def test_names_titles_summaries_and_ids_do_not_split_the_cache(engine: Engine) -> None:
    """Ten renamed and reshuffled copies of one case share one key."""
    case = load(BENCH_CASE)
    keys = {key_of(engine, renamed(case, seed)) for seed in range(10)}
    assert keys == {key_of(engine, case)}


def test_a_fact_the_rules_read_splits_the_cache(engine: Engine) -> None:
    """One more act, one flag or another severity gives another key."""
    case = load(SPEC_EXAMPLE)
    more_acts = copy.deepcopy(case)
    more_acts["conduct"][0]["acts"].append("defied_orders")
    flagged = copy.deepcopy(case)
    flagged["violations"][0]["long_term_spread"] = True
    graver = copy.deepcopy(case)
    graver["violations"][0]["severity"] = "grave"
    keys = [key_of(engine, c) for c in (case, more_acts, flagged, graver)]
    assert len(set(keys)) == 4


def test_a_fact_no_rule_reads_does_not_split_the_cache(engine: Engine) -> None:
    """The unit's level is not asserted by the default pack, so it is not part of the key."""
    case = load(SPEC_EXAMPLE)
    other = copy.deepcopy(case)
    other["unit"]["level"] = "village"
    assert key_of(engine, other) == key_of(engine, case)


def test_like_people_share_a_class(engine: Engine) -> None:
    """People the rules cannot tell apart share a class; the others each have their own."""
    case = load(BENCH_CASE)
    cached = engine.with_cache()
    assert cached.cache is not None
    classes = cached.cache.canonical(parse_case(case)).classes
    assert classes["p09"] == classes["p10"]  # two offenders of v3 with no conduct
    assert len({classes[p] for p in ("p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09")}) == 9


# ---------------------------------------------------------------------------------------------------------------
# bounded, and nothing shared


def test_the_cache_keeps_at_most_max_entries(engine: Engine) -> None:
    """With room for 3, five distinct cases leave the 3 most recent and count 2 evictions."""
    cached = engine.with_cache(max_entries=3)
    assert cached.cache is not None
    case = load(SPEC_EXAMPLE)
    for violations_in_period in range(5):
        variant = copy.deepcopy(case)
        variant["unit_record"]["violations_in_period"] = violations_in_period
        cached.evaluate(variant)
    stats = cached.cache.stats
    assert (len(cached.cache), stats.entries, stats.evictions, stats.misses) == (3, 3, 2, 5)


def test_the_cache_keeps_at_most_max_bytes(engine: Engine) -> None:
    """A byte bound smaller than two determinations keeps one."""
    variants = []
    for spread in (False, True):
        variant = load(BENCH_CASE)
        variant["unit_record"]["long_term_spread"] = spread
        variants.append(variant)
    sizes = [len(engine.evaluate(v).to_json(indent=None)) for v in variants]
    cached = engine.with_cache(max_bytes=max(sizes) + min(sizes) // 2)
    assert cached.cache is not None
    for variant in variants:
        cached.evaluate(variant)
    assert (len(cached.cache), cached.cache.stats.bytes, cached.cache.stats.evictions) == (1, sizes[1], 1)


def test_a_layout_kept_for_json_counts_against_max_bytes(engine: Engine) -> None:
    """A cache with room for one determination's JSON and little more drops it once a hit keeps its layout."""
    case = parse_case(load(BENCH_CASE))
    size = len(engine.evaluate(case).to_json(indent=None).encode("utf-8"))
    cached = engine.with_cache(max_bytes=size + 100)
    assert cached.cache is not None
    key = cached.cache.canonical(case)
    cached.cache.determine_json(case, key, lambda: engine.evaluate(case))
    assert (len(cached.cache), cached.cache.stats.bytes) == (1, size)
    cached.cache.determine_json(case, key, _never)
    assert (len(cached.cache), cached.cache.stats.bytes, cached.cache.stats.evictions) == (0, 0, 1)


def test_an_order_comparing_an_id_with_a_constant_is_not_laid_out_by_id_order() -> None:
    """Order keys that compare an id only with ids or "" follow the ids' order; one compared with text does not."""
    assert _ids_alone([("\x00p0", 1), ("", 0), ("\x00p1", 0)])
    assert not _ids_alone([("\x00p0", 1), ("rule", 0)])


def _listed(model: BaseModel) -> list[BaseModel]:
    """Every item of every list of models that `LIST_ORDERS` orders, in ``model`` and the models inside it."""
    out: list[BaseModel] = []
    for value in model.__dict__.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, BaseModel):
                if type(item) in LIST_ORDERS and isinstance(value, list):
                    out.append(item)
                out.extend(_listed(item))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), seed=st.integers(0, 10**6))
def test_an_order_reads_the_same_key_from_the_tokened_fields_as_from_a_tokened_model(
    engine: Engine, case: dict[str, Any], seed: int
) -> None:
    """The order key of each listed item, read from `_tokened`'s fields, is the one read from a copy of the item
    whose single ids are tokens of their labels."""
    parsed = parse_case(renamed(case, seed))
    determination = engine.evaluate(parsed)
    cached = engine.with_cache()
    assert cached.cache is not None
    canonical = cached.cache.canonical(parsed)
    labels = _Labels(canonical.people, canonical.violations)
    items = _listed(determination)
    assert items
    for item in items:
        update = {}
        for slot in slots(type(item)):
            value = item.__dict__[slot.name]
            if slot.what in ("person", "violation") and not slot.many and value is not None:
                update[slot.name] = _token((labels.people if slot.what == "person" else labels.violations)[value])
        order = LIST_ORDERS[type(item)]
        assert order(_tokened(item, labels)) == order(item.model_copy(update=update))


def test_a_restored_determination_shares_nothing_mutable_with_the_cache(engine: Engine) -> None:
    """Changing a list of one result does not change the next result of a like case."""
    cached = engine.with_cache()
    case = load(SPEC_EXAMPLE)
    cached.evaluate(case)
    first = cached.evaluate(case)
    first.people[0].findings.append("CHANGED")
    first.trace[0].facts["changed"] = True
    assert cached.evaluate(case).to_json() == engine.evaluate(case).to_json()


def test_with_cache_leaves_the_shared_engine_uncached(engine: Engine) -> None:
    """`with_cache` returns another engine; the process-wide one stays as it was."""
    cached = engine.with_cache()
    assert isinstance(cached.cache, DeterminationCache)
    assert engine.cache is None
    assert Engine.default().cache is None


def test_a_cache_adopts_what_another_evaluated(engine: Engine) -> None:
    """Entries one cache made (`fresh`) serve like cases from another cache (`adopt`) without evaluating."""
    case = load(BENCH_CASE)
    first, second = engine.with_cache(), engine.with_cache()
    assert first.cache is not None
    assert second.cache is not None
    first.cache.keep_fresh = True
    first.evaluate(case)
    fresh = first.cache.fresh()
    assert len(fresh) == 1
    assert first.cache.fresh() == []
    second.cache.adopt(fresh)
    like = parse_case(renamed(case, 4))

    def never() -> Any:
        raise AssertionError("evaluated again")

    text = second.cache.determine_json(like, second.cache.canonical(like), never)
    assert text.decode("utf-8") == engine.evaluate(like).to_json(indent=None)
    assert second.cache.determine(like, second.cache.canonical(like), never) == engine.evaluate(like)
    assert (second.cache.stats.hits, second.cache.stats.misses) == (2, 0)


def test_json_stored_by_one_cache_serves_another_as_json_and_as_a_model(engine: Engine) -> None:
    """An entry `determine_json` stored (kept as its JSON until asked for) and another cache adopted gives a like
    case's JSON and model without evaluating."""
    case = load(BENCH_CASE)
    first, second = engine.with_cache(), engine.with_cache()
    assert first.cache is not None
    assert second.cache is not None
    first.cache.keep_fresh = True
    parsed = parse_case(case)
    first.cache.determine_json(parsed, first.cache.canonical(parsed), lambda: engine.evaluate(parsed))
    second.cache.adopt(first.cache.fresh())
    like = [parse_case(renamed(case, seed)) for seed in (5, 6)]
    text = second.cache.determine_json(like[0], second.cache.canonical(like[0]), _never)
    model = second.cache.determine(like[1], second.cache.canonical(like[1]), _never)
    assert text.decode("utf-8") == engine.evaluate(like[0]).to_json(indent=None)
    assert model == engine.evaluate(like[1])


def test_a_miss_stored_at_once_serves_a_like_case_byte_for_byte(engine: Engine) -> None:
    """While like cases come often, a miss is stored at once from the model at hand, and a like case whose ids
    sort otherwise gets the bytes an evaluation gives."""
    case = load(BENCH_CASE)
    cached = engine.with_cache()
    assert cached.cache is not None
    cached.cache.stats.hits = 1  # like cases have been coming: the next miss is stored at once
    parsed = parse_case(case)
    cached.cache.determine_json(parsed, cached.cache.canonical(parsed), lambda: engine.evaluate(parsed))
    for seed in (5, 6, 7):
        like = parse_case(renamed(case, seed))
        text = cached.cache.determine_json(like, cached.cache.canonical(like), _never)
        assert text.decode("utf-8") == engine.evaluate(like).to_json(indent=None)


def prefixed(case: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``case`` with ``prefix`` before every person's, violation's and decision's id: its ids sort as before."""
    text = json.dumps(case, ensure_ascii=False)
    ids = [item["id"] for key in ("people", "violations", "decisions") for item in case.get(key, [])]
    for old in ids:
        text = text.replace(json.dumps(old, ensure_ascii=False), json.dumps(prefix + old, ensure_ascii=False))
    out: dict[str, Any] = json.loads(text)
    return out


def stored_at_once(engine: Engine, case: dict[str, Any]) -> tuple[Engine, Any]:
    """A cached engine that evaluated ``case`` while like cases were coming, and the entry it keeps."""
    cached = engine.with_cache()
    assert cached.cache is not None
    cached.cache.stats.hits = 1
    parsed = parse_case(case)
    key = cached.cache.canonical(parsed)
    cached.cache.determine_json(parsed, key, lambda: engine.evaluate(parsed))
    return cached, cached.cache._entries[key.key]


def test_a_like_case_whose_ids_sort_alike_is_served_from_the_written_json(engine: Engine) -> None:
    """A miss stored at once keeps its JSON laid out for its case's ids; a like case whose ids sort alike fills in
    its own ids from it, byte for byte, and the entry stays as written."""
    case = load(BENCH_CASE)
    cached, entry = stored_at_once(engine, case)
    assert cached.cache is not None
    assert isinstance(entry.stored, _Written)
    like = parse_case(prefixed(case, "甲"))
    text = cached.cache.determine_json(like, cached.cache.canonical(like), _never)
    assert text.decode("utf-8") == engine.evaluate(like).to_json(indent=None)
    assert isinstance(entry.stored, _Written)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), seed=st.integers(0, 10**6))
def test_a_miss_kept_as_written_serves_like_cases_byte_for_byte(
    engine: Engine, case: dict[str, Any], seed: int
) -> None:
    """A miss laid out at once serves a like case whose ids sort alike and one renamed in any order with the
    bytes an evaluation gives, and a model equal to an evaluation."""
    cached, _ = stored_at_once(engine, case)
    assert cached.cache is not None
    for like in (prefixed(case, "丙"), renamed(case, seed)):
        parsed = parse_case(like)
        expected = engine.evaluate(parsed)
        text = cached.cache.determine_json(parsed, cached.cache.canonical(parsed), _never)
        assert text.decode("utf-8") == expected.to_json(indent=None)
    assert cached.cache.determine(parsed, cached.cache.canonical(parsed), _never) == expected


def test_a_like_case_whose_ids_sort_otherwise_gets_the_written_json_stored_in_labels(engine: Engine) -> None:
    """A like case whose ids sort otherwise than the written case's has the entry stored in labels first, and
    gets the bytes an evaluation gives; so does a model asked for."""
    case = load(BENCH_CASE)
    cached, entry = stored_at_once(engine, case)
    assert cached.cache is not None
    reordered = parse_case(renamed(case, 8))
    text = cached.cache.determine_json(reordered, cached.cache.canonical(reordered), _never)
    assert text.decode("utf-8") == engine.evaluate(reordered).to_json(indent=None)
    assert isinstance(entry.stored, _Stored)
    again, _ = stored_at_once(engine, case)
    assert again.cache is not None
    model = again.cache.determine(reordered, again.cache.canonical(reordered), _never)
    assert model == engine.evaluate(reordered)


def test_a_person_and_a_violation_sharing_an_id_are_stored_in_labels_at_once(engine: Engine) -> None:
    """A case whose ids cannot say one order (a person and a violation share an id) is stored in labels, not as
    written JSON, and a like case is served byte for byte."""
    case = load(BENCH_CASE)
    shared = json.loads(json.dumps(case, ensure_ascii=False).replace('"v1"', '"p01"'))
    cached, entry = stored_at_once(engine, shared)
    assert cached.cache is not None
    assert isinstance(entry.stored, _Stored)
    like = parse_case(prefixed(shared, "乙"))
    text = cached.cache.determine_json(like, cached.cache.canonical(like), _never)
    assert text.decode("utf-8") == engine.evaluate(like).to_json(indent=None)


def test_text_that_reads_like_a_stored_fill_is_written_as_it_is(engine: Engine) -> None:
    """A determination whose own text holds what stands for a fill while it is stored (no pack's text does) is
    still served with its bytes."""
    parsed = parse_case(load(SPEC_EXAMPLE))
    determination = engine.evaluate(parsed)
    first = determination.trace[0].model_copy(update={"title": "\x00\x030"})
    odd = determination.model_copy(update={"trace": [first, *determination.trace[1:]]})
    cached = engine.with_cache()
    assert cached.cache is not None
    cached.cache.stats.hits = 1  # stored at once, as JSON parts
    canonical = cached.cache.canonical(parsed)
    cached.cache.determine_json(parsed, canonical, lambda: odd)
    assert cached.cache.determine_json(parsed, canonical, _never).decode("utf-8") == odd.to_json(indent=None)


# ---------------------------------------------------------------------------------------------------------------
# one writer: the cache's model and JSON come from the output models' declaration


EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))


def hits(engine: Engine, first: dict[str, Any], second: dict[str, Any]) -> tuple[str, str]:
    """``second`` served from a cache that evaluated ``first``: as a model's JSON, and as `determine_json`."""
    cached = engine.with_cache()
    assert cached.cache is not None
    cached.evaluate(first)
    parsed = parse_case(second)
    model = cached.cache.determine(parsed, cached.cache.canonical(parsed), _never)
    text = cached.cache.determine_json(parsed, cached.cache.canonical(parsed), _never)
    return model.to_json(indent=None), text.decode("utf-8")


def _never() -> Any:
    raise AssertionError("a like case was evaluated again")


def test_every_example_renamed_is_served_byte_for_byte(engine: Engine) -> None:
    """Each example, renamed, comes from the cache (model and JSON) with the bytes an evaluation gives."""
    assert len(EXAMPLES) == len(list((ROOT / "examples" / "expected").glob("*.json")))
    for path in EXAMPLES:
        case = load(path)
        second = renamed(case, 11)
        expected = engine.evaluate(second).to_json(indent=None)
        assert hits(engine, case, second) == (expected, expected), path.name


def test_a_generated_archive_is_served_byte_for_byte(engine: Engine) -> None:
    """Over a generated archive whose patterns repeat, every case's cached JSON is its uncached JSON."""
    from accountrules.batch.synth import CorpusSpec, generate

    cached = engine.with_cache()
    assert cached.cache is not None
    records = list(generate(CorpusSpec(cases=300, seed=5, patterns=40), engine))
    for record in records:
        parsed = parse_case(json.loads(record.text))
        expected = engine.evaluate(parsed)
        key = cached.cache.canonical(parsed)
        text = cached.cache.determine_json(parsed, key, lambda expected=expected: expected)
        assert text.decode("utf-8") == expected.to_json(indent=None), record.text
        assert cached.cache.determine(parsed, key, _never).to_json() == expected.to_json(), record.text
    assert cached.cache.stats.misses < 150  # most of the archive's cases were served from the cache


def test_rules_in_force_and_notes_get_the_cases_ids(engine: Engine) -> None:
    """A renamed case's lighter_new people and its notes' person and violation are its own ids on a hit."""
    case = load(ROOT / "examples" / "cases" / "15-rules-in-force.json")
    second = renamed(case, 3)
    model_json, text = hits(engine, case, second)
    served = json.loads(text)
    people = {p["id"] for p in second["people"]}
    violations = {v["id"] for v in second["violations"]}
    lighter = [p for entry in served["rules_in_force"] for p in entry["lighter_new"]]
    assert len(lighter) == 1
    assert set(lighter) <= people
    assert {e["violation"] for e in served["rules_in_force"]} == violations
    noted = [n for n in served["notes"] if "person" in n]
    assert len(noted) == 1
    assert noted[0]["person"] in people
    assert {n["violation"] for n in served["notes"] if "violation" in n} <= violations
    assert model_json == text == engine.evaluate(second).to_json(indent=None)


class _Reviewed(Determination):
    """A determination with two more fields: a plain one and a person's id."""

    reviewed_by: PersonId
    remark: str = "复核 reviewed"


def test_a_field_added_to_the_output_model_reaches_the_cached_output(engine: Engine) -> None:
    """A new field, and a new person id field, come back from the cache as model and JSON, the id restored."""
    first, second = load(BENCH_CASE), renamed(load(BENCH_CASE), 9)
    parsed = [parse_case(first), parse_case(second)]
    evaluated = [engine.evaluate(c) for c in (first, second)]
    # the first person of each case by fact profile: the same label in both
    cache = DeterminationCache(FactPlan.for_pack(engine.pack))
    keys = [cache.canonical(c) for c in parsed]
    reviewer = [min(k.people, key=k.people.__getitem__) for k in keys]
    expected = [_Reviewed(**d.__dict__, reviewed_by=r) for d, r in zip(evaluated, reviewer, strict=True)]
    cache.determine(parsed[0], keys[0], lambda: expected[0])
    restored = cache.determine(parsed[1], keys[1], _never)
    assert isinstance(restored, _Reviewed)
    assert (restored.reviewed_by, restored.remark) == (reviewer[1], "复核 reviewed")
    assert restored.to_json() == expected[1].to_json()
    assert cache.determine_json(parsed[1], keys[1], _never).decode("utf-8") == expected[1].to_json(indent=None)


class _Listed(BaseModel):
    who: PersonId


class _Unordered(Determination):
    listed: list[_Listed]


def test_a_list_holding_ids_without_a_declared_order_is_refused(engine: Engine) -> None:
    """An output list of models holding ids must declare its order in LIST_ORDERS, or the cache names the fix."""
    with pytest.raises(TypeError, match=r"_Unordered.listed lists _Listed, .* accountrules.models.LIST_ORDERS"):
        slots(_Unordered)


class _ViolationFirst(BaseModel):
    """An output model whose serializer writes its fields in another order than they are declared."""

    model_config = ConfigDict(frozen=True)

    person: PersonId
    note: str
    violation: ViolationId

    @model_serializer(mode="plain")
    def _violation_first(self) -> dict[str, Any]:
        return {"violation": self.violation, "note": self.note, "person": self.person}


def test_a_stored_model_keeps_the_order_its_serializer_writes() -> None:
    """A model kept for JSON only is cut where its serializer puts each id, not where its fields are declared."""
    node = _Node(
        _ViolationFirst(person="张三", note="a", violation="问题1"),
        json_only=True,
        labels=_Labels({"张三": "p0"}, {"问题1": "v0"}),
    )
    assert node.parts == (b'{"violation":', "v0", b',"note":"a","person":', "p0", b"}")
