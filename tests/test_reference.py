"""The reference a new user reads: every case field described, every value labelled, in the schema itself."""

import json
from typing import Any

from typer.testing import CliRunner

from accountrules import vocabulary
from accountrules.cli import app
from accountrules.models import Case


def _objects(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"Case": schema, **schema.get("$defs", {})}


def test_every_case_field_has_a_description() -> None:
    """Every field of every object of the case schema carries a description."""
    undescribed = [
        f"{name}.{field}"
        for name, definition in _objects(Case.model_json_schema()).items()
        for field, spec in definition.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undescribed == []


def test_every_case_object_has_a_description() -> None:
    """Every object of the case schema says what it is."""
    schema = Case.model_json_schema()
    assert [n for n, d in _objects(schema).items() if d.get("type") == "object" and not d.get("description")] == []


def test_schema_command_prints_the_descriptions() -> None:
    """`accountrules schema case` prints the same described schema."""
    result = CliRunner().invoke(app, ["schema", "case"])
    printed = json.loads(result.stdout)
    assert (
        printed["properties"]["decided_on"]["description"]
        == (Case.model_json_schema()["properties"]["decided_on"]["description"])
    )


def test_every_enumeration_value_has_both_labels() -> None:
    """Every value of every enumeration the reference lists has a Chinese and an English label."""
    unlabelled = [
        value
        for _, literal in vocabulary.ENUMERATIONS
        for value in vocabulary.values(literal)
        if value not in vocabulary.LABELS and value != "none"
    ]
    assert unlabelled == []
