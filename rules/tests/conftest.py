"""Collects the golden YAML tests of this rule pack as pytest items (see accountrules.tooling.goldens)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accountrules.engine import Engine
from accountrules.tooling.goldens import GoldenCase, failure_report, load_golden_file, run_golden

PACK = Path(__file__).resolve().parent.parent


class GoldenFailure(Exception):
    """A golden case whose determination differs from what it expects."""


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent == Path(__file__).resolve().parent:
        return GoldenFile.from_parent(parent, path=file_path)
    return None


class GoldenFile(pytest.File):
    def collect(self) -> Any:
        for golden in load_golden_file(self.path):
            yield GoldenItem.from_parent(self, name=f"[{golden.index}] {golden.name}", golden=golden)


class GoldenItem(pytest.Item):
    def __init__(self, *, golden: GoldenCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.golden = golden

    def runtest(self) -> None:
        result = run_golden(Engine.from_path(PACK), self.golden)
        if not result.passed:
            raise GoldenFailure(failure_report(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GoldenFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.golden.line - 1, f"{self.golden.principle or 'golden'}: {self.golden.name}"
