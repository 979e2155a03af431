"""Fuzzing the ways in: cases of the schema mutated at random, and raw bytes, as a case and as an archive.

Whatever comes in, the library answers with a determination or an `AccountRulesError` (a record error in an
archive), never any other exception; an archive's readable records are never lost. The examples are few and
small, so the whole file runs within a minute in CI; `--hypothesis-seed` replays a failure.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountrules import AccountRulesError, Determination, Engine
from accountrules.batch.records import ArchiveError, RecordError, json_array_records, jsonl_records
from accountrules.batch.worker import Processor
from accountrules.validation import parse_case_text
from tests.strategies import cases

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: JSON values a mutation puts in place of another: every JSON type, and the values that broke readers before
#: (numbers of many digits, control characters, surrogates, dates that are not strings).
HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["\x1f", "\x1b[2J", "go__flush", "p 1", "", "-0.0", "2023-09-01T00:00:00", "1693526400"]),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)

ENGINE = Engine.default()


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value that a mutation can change."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*here, index))
    return found


@st.composite
def mutated_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A valid case with one to three places replaced, removed or given an extra key."""
    case = copy.deepcopy(draw(cases(max_people=4, max_violations=2)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(case) if p]
        path = draw(st.sampled_from(paths))
        parent: Any = case
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "remove":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = draw(HOSTILE_VALUES)
        else:
            parent[path[-1]] = draw(HOSTILE_VALUES)
    return case


@FUZZ
@given(mutated_cases())
def test_a_mutated_case_is_evaluated_or_refused(case: dict[str, Any]) -> None:
    """A case changed at random is determined or refused with an AccountRulesError, and the engine stays
    healthy either way."""
    text = json.dumps(case, ensure_ascii=False)
    try:
        determination = ENGINE.evaluate(text)
    except AccountRulesError:
        pass
    else:
        assert isinstance(determination, Determination)
    assert ENGINE.healthy


@FUZZ
@given(st.binary(max_size=300))
def test_raw_bytes_are_a_case_or_a_validation_error(data: bytes) -> None:
    """Any bytes given as a case file are read as one case or refused with an AccountRulesError."""
    with contextlib.suppress(AccountRulesError):
        parse_case_text(data)


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=60), mutated_cases().map(lambda c: json.dumps(c).encode())), max_size=4))
def test_every_line_of_an_archive_gets_a_result(lines: list[bytes]) -> None:
    """Each non-blank line of a JSON-lines archive, whatever its bytes, gets a determination or an error
    record: none is lost, none doubled."""
    data = b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines)
    processor = Processor(ENGINE, "json")
    records = list(jsonl_records(io.BytesIO(data)))
    assert len(records) == sum(1 for line in data.split(b"\n") if line.strip())
    for record in records:
        ok, value = processor.process(record)
        assert ok or isinstance(value, RecordError)


@FUZZ
@given(st.binary(max_size=400))
def test_raw_bytes_as_a_json_archive_give_records_or_an_archive_error(data: bytes) -> None:
    """Any bytes read as a `.json` archive give records, then end or stop with an ArchiveError."""
    processor = Processor(ENGINE, "json")
    try:
        for record in json_array_records(io.BytesIO(data)):
            ok, value = processor.process(record)
            assert ok or isinstance(value, RecordError)
    except ArchiveError:
        pass
