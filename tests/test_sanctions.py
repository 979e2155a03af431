"""The correspondence of party measures and government sanctions (SPEC §9.3 V3, V9): beside a party measure kept,
instead of one the person cannot receive, and rising with the party measure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from accountrules import RulePackError
from accountrules.rulepack import load_default, load_pack
from accountrules.rulepack.versions import Correspondence, Sanctions

PARTY_MEASURES = ["warning", "serious_warning", "removal_from_party_post", "probation", "expulsion"]
TABLE = {
    "warning": "gov_warning",
    "serious_warning": "gov_major_demerit",
    "removal_from_party_post": "gov_removal",
    "probation": "gov_removal",
    "expulsion": "gov_dismissal",
}


def sanctions(**correspondence: Any) -> Sanctions:
    return Sanctions.model_validate(
        {"party_measures": PARTY_MEASURES, "correspondence": {"cites": ["gov2020:7"], "table": TABLE, **correspondence}}
    )


def test_the_default_pack_gives_a_government_sanction_beside_a_party_measure_from_removal_up() -> None:
    """Beside a warning or a serious warning kept, none; beside a removal, probation or expulsion, 撤职 or 开除."""
    correspondence = load_default().sanctions.correspondence
    assert [correspondence.beside_measure(m) for m in PARTY_MEASURES] == [
        None,
        None,
        "gov_removal",
        "gov_removal",
        "gov_dismissal",
    ]


def test_the_default_pack_gives_a_government_sanction_instead_of_every_party_measure() -> None:
    """Instead of a party measure the person cannot receive, the table's sanction for each of the five."""
    correspondence = load_default().sanctions.correspondence
    assert [correspondence.instead_of(m) for m in PARTY_MEASURES] == list(TABLE.values())


def test_without_a_beside_table_the_table_serves_beside_too() -> None:
    """A pack that does not tell them apart gives the same sanction beside a party measure as instead of it."""
    correspondence = Correspondence.model_validate({"cites": ["gov2020:7"], "table": TABLE})
    assert correspondence.beside_measure("warning") == "gov_warning"


def test_a_beside_table_whose_heavier_measure_carries_a_lighter_sanction_is_refused() -> None:
    """Probation with 警告 beside it after removal with 撤职 is refused, naming both."""
    with pytest.raises(ValidationError) as caught:
        sanctions(beside={"removal_from_party_post": "gov_removal", "probation": "gov_warning"})
    assert caught.value.errors()[0]["msg"] == (
        "Value error, correspondence.beside: 'probation' carries gov_warning, lighter than 'gov_removal' beside the "
        "lighter measure before it; a heavier party measure must not carry a lighter government sanction"
    )


def test_a_beside_table_that_drops_a_heavier_measure_is_refused() -> None:
    """No sanction beside expulsion after one beside probation is lighter too."""
    with pytest.raises(ValidationError) as caught:
        sanctions(beside={"probation": "gov_removal"})
    assert caught.value.errors()[0]["msg"].startswith(
        "Value error, correspondence.beside: 'expulsion' carries none, lighter than 'gov_removal'"
    )


def test_a_beside_table_naming_a_measure_that_is_no_party_measure_is_refused() -> None:
    """An organisational measure has no place in the table of party measures."""
    with pytest.raises(ValidationError) as caught:
        sanctions(beside={"post_adjustment": "gov_removal"})
    assert caught.value.errors()[0]["msg"] == (
        "Value error, correspondence.beside: 'post_adjustment' is not one of the party measures"
    )


def test_a_pack_with_a_non_monotone_table_is_refused_naming_its_file(tmp_path: Path) -> None:
    """The loader names sanctions.yaml when its table falls with the party measure."""
    (tmp_path / "pack.yaml").write_text('name: falling\nversion: "1"\nextends: default\n', encoding="utf-8")
    table = "\n".join(f"    {m}: {g}" for m, g in {**TABLE, "expulsion": "gov_warning"}.items())
    (tmp_path / "sanctions.yaml").write_text(
        f"party_measures: [{', '.join(PARTY_MEASURES)}]\ncorrespondence:\n  cites: [gov2020:7]\n  table:\n{table}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulePackError) as caught:
        load_pack(tmp_path)
    assert str(tmp_path / "sanctions.yaml") in str(caught.value)
    assert "'expulsion' carries gov_warning, lighter than 'gov_removal'" in str(caught.value)
