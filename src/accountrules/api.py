"""The library's `Engine`: the core engine with the archive and explanation methods of SPEC §7.

The core (`accountrules.engine.Engine`) evaluates one case and imports nothing above it. This class, at the top of
the layers, adds `evaluate_many` (from batch) and `explain` (from tooling), both of which run the core engine;
they are loaded on first use, so that evaluating one case does not pay for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from accountrules.engine.evaluate import CaseInput, coerce_case
from accountrules.engine.evaluate import Engine as CoreEngine

if TYPE_CHECKING:
    from accountrules.batch.records import RecordError
    from accountrules.models import Determination
    from accountrules.tooling.explain import Explanation


class Engine(CoreEngine):
    """Evaluates cases with one rule pack: one case (`evaluate`), an archive (`evaluate_many`), or why a person
    got their result (`explain`). Build one with `default` or `from_path`."""

    def evaluate_many(
        self, cases: Iterable[CaseInput], workers: int = 0, **options: Any
    ) -> Iterator[Determination | RecordError]:
        """Evaluate ``cases`` in order, in ``workers`` processes; see `accountrules.batch.evaluate_many`."""
        from accountrules.batch.api import evaluate_many  # loaded on first use, as batch machinery is heavy

        return evaluate_many(self, cases, workers=workers, **options)

    def explain(self, case: CaseInput, person: str) -> Explanation:
        """Why ``person`` got their result, why other rules did not name them, and which single change of facts
        would move their form; see `accountrules.tooling.explain`."""
        from accountrules.tooling.explain import explain

        return explain(self, coerce_case(case), person)


__all__ = ["Engine"]
