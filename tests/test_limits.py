"""Limits on the work one case may ask for: people × violations, configurable, enforced wherever cases enter."""

from __future__ import annotations

from typing import Any

import pytest

from accountrules import Case, CaseLimitError, CaseLimits, CaseValidationError, Engine, evaluate_many
from accountrules.batch.records import RecordError


def grid(people: int, violations: int) -> dict[str, Any]:
    """A case of ``people`` staff members and ``violations`` violations, each committed by the first person."""
    return {
        "case_id": f"grid-{people}x{violations}",
        "unit": {"name": "u", "level": "county"},
        "people": [{"id": f"p{i}", "roles": ["staff"]} for i in range(people)],
        "violations": [
            {"id": f"v{j}", "kind": "four_winds", "severity": "minor", "area": "other", "offenders": ["p0"]}
            for j in range(violations)
        ],
    }


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def test_default_limit_refuses_a_case_of_more_work(engine: Engine) -> None:
    """317 people × 316 violations = 100,172 is more than the default 100,000: a CaseLimitError saying how to
    raise the limit, also a CaseValidationError."""
    with pytest.raises(CaseLimitError) as caught:
        engine.evaluate(grid(317, 316))
    assert str(caught.value) == (
        "the case has 317 people × 316 violations = 100,172, more than the 100,000 one case may take; split the "
        "case, or raise the limit (--max-work, or CaseLimits(max_work=…) in the library)"
    )
    assert isinstance(caught.value, CaseValidationError)


def test_a_case_at_the_limit_is_evaluated(engine: Engine) -> None:
    """A 3 × 2 case passes a limit of exactly 6."""
    determination = engine.with_limits(CaseLimits(max_work=6)).evaluate(grid(3, 2))
    assert [(p.person, p.form) for p in determination.people] == [("p0", 1)]


def test_a_lower_limit_refuses_a_small_case(engine: Engine) -> None:
    """With max_work 5, a 3 × 2 case is refused; the engine it was derived from still accepts it."""
    with pytest.raises(CaseLimitError, match="= 6, more than the 5 one case may take"):
        engine.with_limits(CaseLimits(max_work=5)).evaluate(grid(3, 2))
    assert engine.evaluate(grid(3, 2)).case_id == "grid-3x2"


def test_zero_lifts_the_limit(engine: Engine) -> None:
    """max_work 0 accepts a 400 × 300 case, which the default limit refuses."""
    case = Case.model_validate(grid(400, 300))
    with pytest.raises(CaseLimitError):
        CaseLimits().check(case)
    CaseLimits(max_work=0).check(case)


def test_explain_obeys_the_limit(engine: Engine) -> None:
    """explain refuses what evaluate refuses."""
    with pytest.raises(CaseLimitError):
        engine.with_limits(CaseLimits(max_work=5)).explain(grid(3, 2), "p0")


@pytest.mark.parametrize("workers", [0, 1])
def test_batch_turns_a_case_over_the_limit_into_an_error_record(workers: int) -> None:
    """evaluate_many, in this process or in a worker, refuses an oversized case as that record's error only."""
    results = list(evaluate_many(None, [grid(3, 2), grid(2, 2)], workers=workers, limits=CaseLimits(max_work=5)))
    assert isinstance(results[0], RecordError)
    assert results[0].error.startswith("the case has 3 people × 2 violations = 6, more than the 5")
    assert not isinstance(results[1], RecordError)
