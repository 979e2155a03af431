"""The reference a new user reads: every case field described, every value labelled, in the schema itself."""

import importlib.util
import json
from pathlib import Path
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


def test_every_enumeration_value_says_what_it_means() -> None:
    """Every value of every enumeration the reference lists says what it means in practice."""
    unexplained = [
        value
        for _, literal in vocabulary.ENUMERATIONS
        for value in vocabulary.values(literal)
        if not vocabulary.meaning(value, literal)
    ]
    assert unexplained == []


def test_every_form_says_what_it_means() -> None:
    """Each of forms 0 to 4 says what it means in practice."""
    assert sorted(f for f, text in vocabulary.FORM_MEANINGS.items() if text) == sorted(vocabulary.FORM_LABELS)


def test_one_id_of_two_enumerations_has_a_meaning_in_each() -> None:
    """`dereliction` the act and `dereliction` the violation kind are explained apart."""
    assert vocabulary.meaning("dereliction", vocabulary.Act) != vocabulary.meaning(
        "dereliction", vocabulary.ViolationKind
    )


def test_the_vocabulary_page_shows_labels_and_meanings() -> None:
    """The generated vocabulary page has a row per value with both labels and its meaning, forms first."""
    spec = importlib.util.spec_from_file_location("hooks", Path(__file__).resolve().parents[1] / "docs" / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = hooks.vocabulary_tables()
    assert page.startswith("### 四种形态 Forms (`form`)")
    assert f"| `4` | 第四种形态 | fourth form | {vocabulary.FORM_MEANINGS[4]} |" in page
    assert (
        f"| `concealed` | 瞒案不报、掩盖问题 | concealed | {vocabulary.meaning('concealed', vocabulary.Act)} |" in page
    )
    assert f"| `none` | 不予问责 | not held accountable | {vocabulary.MEANINGS[vocabulary.Measure]['none']} |" in page
