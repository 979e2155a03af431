"""The calibration set of real published decisions: every case is valid and every case has its source."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from accountrules import Case, Engine
from accountrules.validation import load_case

PUBLISHED = Path(__file__).resolve().parent / "published"
CASES = sorted((PUBLISHED / "cases").glob("*.json"))
SOURCE_FIELDS = ("title", "url", "publisher", "date", "note")


def sources() -> dict[str, Any]:
    """sources.yaml, one entry per case file."""
    loaded = yaml.safe_load((PUBLISHED / "sources.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_set_holds_at_least_36_cases() -> None:
    """The calibration set holds at least 36 published decisions."""
    assert len(CASES) >= 36


@pytest.mark.parametrize("case_file", CASES, ids=lambda p: p.stem)
def test_published_case_validates(case_file: Path) -> None:
    """Each published case is valid and its case_id is pub-NNN after its file name."""
    assert load_case(case_file).case_id == f"pub-{case_file.name[:3]}"


def test_sources_cover_exactly_the_case_files() -> None:
    """sources.yaml has one entry per case file and no other."""
    assert sorted(sources()) == [path.name for path in CASES]


def test_every_source_names_title_address_body_date_and_note() -> None:
    """Each source entry gives the notice's title, address, publishing body, date and a mapping note."""
    incomplete = {name: [f for f in SOURCE_FIELDS if not entry.get(f)] for name, entry in sources().items()}
    assert {name: missing for name, missing in incomplete.items() if missing} == {}


# --- the agreement figures of benchmarks/published.py, pinned as measured (a pack change that moves them must
# update them here on purpose). Each tuple follows the script's METRICS: people, recommended, form_equal, within,
# below, above, measures_recorded, measures_shared, gov_recorded, gov_equal, gov_extra.

PINNED_OVERALL = (185, 185, 149, 167, 15, 3, 176, 91, 38, 16, 12)
PINNED_BY_PERIOD = {
    "acct2016+disc2015": (87, 87, 66, 75, 11, 1, 85, 44, 9, 0, 4),
    "acct2016+disc2018": (25, 25, 22, 25, 0, 0, 23, 10, 3, 0, 1),
    "acct2019+disc2018": (31, 31, 29, 30, 1, 0, 29, 18, 10, 7, 1),
    "acct2019+disc2023": (26, 26, 18, 23, 2, 1, 23, 11, 13, 7, 2),
    "undated": (16, 16, 14, 14, 1, 1, 16, 8, 3, 2, 4),
}
PINNED_BY_KIND = {
    "offender": (99, 99, 79, 91, 6, 2, 95, 46, 24, 10, 10),
    "principal_leader": (36, 36, 28, 32, 4, 0, 34, 20, 5, 0, 0),
    "leader_in_charge": (24, 24, 18, 19, 5, 0, 22, 9, 6, 4, 2),
    "discipline_inspection": (8, 8, 8, 8, 0, 0, 8, 5, 0, 0, 0),
    "other": (18, 18, 16, 17, 0, 1, 17, 11, 3, 2, 0),
}


def load_script() -> ModuleType:
    """benchmarks/published.py as a module."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "published.py"
    spec = importlib.util.spec_from_file_location("published_benchmark", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


SCRIPT = load_script()


@pytest.fixture(scope="module")
def figures(engine: Engine) -> dict[str, Any]:
    """The script's figures for the default pack."""
    return SCRIPT.measure(engine, CASES)  # type: ignore[no-any-return]


def counts(group: dict[str, int]) -> tuple[int, ...]:
    return tuple(group[metric] for metric in SCRIPT.METRICS)


MOVED = (
    "the published-decision figures moved: if the pack changed on purpose, run `python benchmarks/published.py` "
    "and update the pins here and the tables in tests/published/README.md and README.md"
)


def test_overall_figures_are_pinned(figures: dict[str, Any]) -> None:
    """Over every recorded person, the default pack's agreement counts are those measured."""
    assert counts(figures["overall"]) == PINNED_OVERALL, MOVED


def test_figures_by_period_are_pinned(figures: dict[str, Any]) -> None:
    """Per version period of the conduct, the agreement counts are those measured."""
    assert {name: counts(group) for name, group in figures["by_period"].items()} == PINNED_BY_PERIOD, MOVED


def test_figures_by_kind_are_pinned(figures: dict[str, Any]) -> None:
    """Per kind of person, the agreement counts are those measured."""
    assert {name: counts(group) for name, group in figures["by_kind"].items()} == PINNED_BY_KIND, MOVED


def test_period_follows_the_last_day_of_the_conduct() -> None:
    """A case whose conduct ends on 2018-09-30 falls under the first version, one ending on 2018-10-01 the next."""
    case = load_case(CASES[0])

    def ending(day: dt.date) -> Case:
        violation = case.violations[0].model_copy(update={"began_on": day, "ended_on": day})
        return case.model_copy(update={"violations": [violation]})

    periods = (SCRIPT.conduct_period(ending(dt.date(2018, 9, 30))), SCRIPT.conduct_period(ending(dt.date(2018, 10, 1))))
    assert periods == ("acct2016+disc2015", "acct2016+disc2018")


def test_a_case_with_no_conduct_date_is_undated() -> None:
    """Conduct the notice does not date is counted apart, not under the decision's date."""
    undated = [path.name for path in CASES if SCRIPT.conduct_period(load_case(path)) == "undated"]
    assert undated == [
        "005-sanming-water-bureau.json",
        "032-youyu-poverty-registration-fraud.json",
        "033-hunyuan-land-compensation-fraud.json",
        "034-lingshui-boat-purchase-fraud.json",
        "035-quanjiao-relatives-minimum-living.json",
        "036-huishui-minimum-living-embezzlement.json",
        "038-songming-fault-tolerance.json",
        "040-honghe-langdi-allowances.json",
        "041-gdmu-discipline-secretary.json",
        "057-xiangyin-civil-affairs-mooncakes.json",
        "061-hongshan-xiamen-retreat.json",
        "062-chibi-tax-bureau-festival-goods.json",
    ]


def test_an_offender_counts_as_offender_whatever_the_role() -> None:
    """A leader answers as their role, the grassroots offender as offender, whatever role they hold."""
    case = load_case(PUBLISHED / "cases" / "007-zhangjiakou-kangbao.json")
    assert [SCRIPT.person_kind(case, pid) for pid in ("p1", "p3", "p4")] == [
        "principal_leader",
        "discipline_inspection",
        "offender",
    ]


def test_a_head_who_also_took_part_counts_by_role() -> None:
    """A discipline head who failed to stop others' violation and shared in it is counted as discipline head."""
    case = load_case(PUBLISHED / "cases" / "040-honghe-langdi-allowances.json")
    assert SCRIPT.person_kind(case, "p1") == "discipline_inspection"


def test_the_script_prints_json_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """`published.py --json` prints the figures with every group."""
    assert SCRIPT.main(["--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (counts(printed["overall"]), sorted(printed["by_kind"])) == (PINNED_OVERALL, sorted(PINNED_BY_KIND))


def test_the_script_refuses_a_pack_that_is_not_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --rules directory that does not exist ends with an error on stderr and exit 1, no traceback."""
    assert SCRIPT.main(["--rules", str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err.startswith("Error: ")


def test_each_person_row_shows_the_record_beside_the_recommendation(figures: dict[str, Any]) -> None:
    """The JSON lists every recorded person with the record as published, e.g. a non-member's demotion."""
    row = next(r for r in figures["people"] if r["case"].startswith("020-") and r["person"] == "p2")
    assert (len(figures["people"]), row["recorded"], sorted(row["recommendation"])) == (
        185,
        {"form": 3, "government_sanction": "gov_demotion"},
        ["form", "government_sanction", "measure", "measures", "range"],
    )
