"""The quick consistency pass says "fine" exactly when the detailed walk finds no problem."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accountrules.models import Case
from accountrules.validation import _consistent, _cross_references
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
