"""The calibration set of real published decisions: every case is valid and every case has its source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

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
