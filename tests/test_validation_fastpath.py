"""The quick passes of the reader: the consistency pass says "fine" exactly when the detailed walk finds no
problem, and pydantic's reading is kept only when the text repeats no key."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountrules.errors import CaseValidationError
from accountrules.models import Case
from accountrules.validation import _consistent, _cross_references, parse_case_text
from tests.strategies import cases


def paths_of_lists(case: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every list of ids (or acts, roles, areas) in the case, as a path from the root."""
    paths: list[tuple[Any, ...]] = []
    for i in range(len(case["people"])):
        paths += [("people", i, "roles"), ("people", i, "oversees")]
    for i in range(len(case["violations"])):
        paths.append(("violations", i, "offenders"))
    for i in range(len(case["conduct"])):
        paths.append(("conduct", i, "acts"))
    for i in range(len(case["decisions"])):
        paths += [("decisions", i, "participants"), ("decisions", i, "advocates"), ("decisions", i, "objectors")]
    return paths


def at(case: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = case
    for part in path:
        node = node[part]
    return node


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, Any]:
    """A valid case with up to two changes that may break a cross-reference rule of SPEC §3."""
    case = copy.deepcopy(draw(cases()))
    for _ in range(draw(st.integers(0, 2))):
        change = draw(
            st.sampled_from(["repeat", "dangle", "duplicate-id", "repeat-entry", "offender-act", "record", "backwards"])
        )
        if change == "repeat":
            lists = [p for p in paths_of_lists(case) if at(case, p)]
            if lists:
                items = at(case, draw(st.sampled_from(lists)))
                items.append(draw(st.sampled_from(items)))
        elif change == "dangle":
            lists = [p for p in paths_of_lists(case) if at(case, p) and p[-1] not in {"roles", "oversees", "acts"}]
            if lists:
                items = at(case, draw(st.sampled_from(lists)))
                items[draw(st.integers(0, len(items) - 1))] = "nobody"
        elif change == "duplicate-id":
            key = draw(st.sampled_from(["people", "violations", "decisions"]))
            if case[key]:
                case[key].append(copy.deepcopy(draw(st.sampled_from(case[key]))))
        elif change == "repeat-entry" and case["conduct"]:
            entry = copy.deepcopy(draw(st.sampled_from(case["conduct"])))
            case["conduct"].append({**entry, "acts": []})
        elif change == "offender-act":
            violation = draw(st.sampled_from(case["violations"]))
            case["conduct"].append({"person": violation["offenders"][0], "violation": violation["id"], "acts": []})
            case["conduct"][-1]["acts"].append(
                draw(st.sampled_from(["concealed", "confessed", "failed_to_stop", "pilot_error"]))
            )
        elif change == "record":
            person = draw(st.sampled_from([p["id"] for p in case["people"]] + ["nobody"]))
            form = draw(st.integers(0, 4))
            measures = draw(st.lists(st.sampled_from(["warning", "post_adjustment"]), max_size=2))
            measure = draw(st.sampled_from(["warning", "reminder"]))
            case["recorded"] = {person: {"form": form, "measure": measure, "measures": measures}}
        elif change == "backwards":
            first, second = sorted(
                draw(st.lists(st.sampled_from(["2019-08-31", "2019-09-01"]), min_size=2, max_size=2))
            )
            if draw(st.booleans()):
                draw(st.sampled_from(case["violations"])).update(began_on=second, ended_on=first)
            else:
                draw(st.sampled_from(case["people"]))["in_office"] = {"from": second, "to": first}
    return case


@settings(max_examples=300, deadline=None)
@given(data=damaged())
def test_the_quick_pass_agrees_with_the_detailed_walk(data: dict[str, Any]) -> None:
    """On valid and damaged cases alike, `_consistent` is true exactly when no problem is found."""
    case = Case.model_validate(data)
    assert _consistent(case) is (not list(_cross_references(case)))


def objects_in(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every non-empty JSON object in ``value``."""
    if isinstance(value, dict):
        found = [path] if value else []
        for key, item in value.items():
            found += objects_in(item, (*path, key))
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in objects_in(item, (*path, i))]
    return []


def written(value: Any, repeat: tuple[tuple[Any, ...], int] | None, colon: str, path: tuple[Any, ...] = ()) -> str:
    """``value`` as JSON with ``colon`` between keys and values, the object at ``repeat[0]`` writing its key at
    position ``repeat[1]`` a second time, with the same value, last."""
    if isinstance(value, dict):
        items = list(value.items())
        if repeat is not None and repeat[0] == path:
            items.append(items[repeat[1]])
        inner = ", ".join(f"{json.dumps(k)}{colon}{written(v, repeat, colon, (*path, k))}" for k, v in items)
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(written(v, repeat, colon, (*path, i)) for i, v in enumerate(value)) + "]"
    return json.dumps(value, ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(data=cases(), choice=st.data())
def test_a_repeated_key_is_refused_in_any_object(data: dict[str, Any], choice: st.DataObject) -> None:
    """A key written twice in any object of a case is refused, however the keys are spaced and whether or not
    the case's texts hold colons, as bytes and as text alike."""
    data = copy.deepcopy(data)
    data["title"] = choice.draw(st.sampled_from(["", "10:30 会议", '"a": 1', "：全角"]), label="title")
    path = choice.draw(st.sampled_from(objects_in(data)), label="object")
    key = choice.draw(st.integers(0, len(at(data, path)) - 1), label="key")
    text = written(data, (path, key), choice.draw(st.sampled_from([": ", ":", " : ", "\t:"]), label="colon"))
    repeated = list(at(data, path))[key]
    for payload in (text, text.encode()):
        with pytest.raises(CaseValidationError) as caught:
            parse_case_text(payload)
        assert [p.message for p in caught.value.problems] == [
            f"the key '{repeated}' appears twice in one object; keep one"
        ]


@settings(max_examples=100, deadline=None)
@given(data=cases(), colon=st.sampled_from([": ", ":", " : "]))
def test_a_case_repeating_no_key_reads_as_its_data(data: dict[str, Any], colon: str) -> None:
    """Without a repeated key, the text reads as the case its data validates to, however the keys are spaced."""
    assert parse_case_text(written(data, None, colon).encode()) == Case.model_validate(data)
