"""Each golden case pins the rules it names: a pack that extends the default and removes one of them fails it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from accountrules.engine import Engine
from accountrules.rulepack import load_default
from accountrules.rulepack.goldens import GoldenCase, golden_files, load_goldens, run_golden

GOLDENS = load_goldens(golden_files(load_default().tests_dir))
PINNED: dict[str, list[GoldenCase]] = defaultdict(list)
for _golden in GOLDENS:
    for _rule in _golden.rules:
        PINNED[_rule].append(_golden)


def _without(tmp_path: Path, rule_id: str) -> Engine:
    pack = tmp_path / f"without-{rule_id}"
    pack.mkdir()
    (pack / "pack.yaml").write_text(
        f'name: without-{rule_id.lower()}\nversion: "1"\nextends: default\nremove: [{rule_id}]\n', encoding="utf-8"
    )
    return Engine.from_path(pack)


def test_every_default_rule_is_pinned_by_a_golden_case() -> None:
    """Every rule of the default pack is named by at least one golden case."""
    unpinned = sorted({r.id for r in load_default().rules} - set(PINNED))
    assert unpinned == []


def test_golden_cases_name_only_rules_of_the_pack() -> None:
    """The rules a golden case names exist in the default pack."""
    known = {r.id for r in load_default().rules}
    assert sorted(set(PINNED) - known) == []


def test_every_principle_has_golden_cases() -> None:
    """D1 to D13 each have a golden file, and SPEC §3's example has one too."""
    principles = {g.principle for g in GOLDENS}
    assert {f"D{i}" for i in range(1, 14)} <= principles
    assert "D1-D13" in principles


@pytest.mark.parametrize("rule_id", sorted(PINNED))
def test_removing_a_pinned_rule_fails_its_golden_cases(tmp_path: Path, rule_id: str) -> None:
    """Without the rule, every golden case that names it gets a different determination."""
    engine = _without(tmp_path, rule_id)
    still_passing = [g.id for g in PINNED[rule_id] if run_golden(engine, g).passed]
    assert still_passing == []


def test_golden_cases_pass_with_the_default_pack() -> None:
    """The baseline: with every rule in place, every golden case passes."""
    engine = Engine.default()
    failing = [g.id for g in GOLDENS if not run_golden(engine, g).passed]
    assert failing == []
