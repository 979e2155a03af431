"""SPEC §8 budgets for one case: library p50 (10 people, 3 violations) and the CLI's cold start.

Run with ``python -m pytest benchmarks/test_bench_evaluate.py --benchmark-enable``; figures, never assertions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accountrules import Engine
from accountrules.engine.durable import runtime_for
from accountrules.engine.flatten import flatten
from accountrules.rulepack.stored import OFF_VARIABLE
from accountrules.validation import load_case

HERE = Path(__file__).resolve().parent
CASE = HERE / "case_10x3.json"
SPEC_EXAMPLE = HERE.parent / "examples" / "cases" / "spec-example.json"


@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = Engine.default()
    case = load_case(CASE)
    for _ in range(200):  # warm-up
        engine.evaluate_valid(case)
    return engine


def test_evaluate_10_people_3_violations(benchmark, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The whole library path for one validated case: both durable_rules stages, resolution, determination."""
    case = load_case(CASE)
    result = benchmark(engine.evaluate_valid, case)
    assert len(result.people) == 10


def test_evaluate_10_people_3_violations_compiled(benchmark, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The same with the compiled runtime (``--engine compiled``): the same determination, the rules matched by
    generated Python instead of durable_rules."""
    case = load_case(CASE)
    compiled = engine.with_runtime("compiled")
    for _ in range(200):  # warm-up
        compiled.evaluate_valid(case)
    result = benchmark(compiled.evaluate_valid, case)
    assert result == engine.evaluate_valid(case)


def test_evaluate_from_json_text(benchmark, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """As above, from JSON text in and JSON text out, as an embedding system would call it."""
    text = CASE.read_text(encoding="utf-8")
    benchmark(lambda: engine.evaluate(text).to_json())


def test_durable_facts_stage_alone(benchmark, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The first durable_rules stage on its own: the share of the budget the rule engine itself takes."""
    facts = flatten(load_case(CASE), engine.policy)
    benchmark(runtime_for(engine.pack).run, "facts", facts)


def _evaluate_command() -> list[str]:
    script = Path(sys.executable).parent / "accountrules"
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "accountrules"]
    return [*launcher, "evaluate", str(SPEC_EXAMPLE), "--format", "json"]


def test_cli_cold_start(benchmark) -> None:  # type: ignore[no-untyped-def]
    """``accountrules evaluate`` in a new process, from start to the JSON on stdout, the default pack kept by the
    warm-up run (`accountrules.rulepack.stored`), as every run after the first."""
    command = _evaluate_command()

    def run() -> None:
        subprocess.run(command, check=True, capture_output=True)

    benchmark.pedantic(run, rounds=10, iterations=1, warmup_rounds=1)


def test_cli_cold_start_reading_the_yaml(benchmark) -> None:  # type: ignore[no-untyped-def]
    """The same with ``ACCOUNTRULES_NO_CACHE=1``: the pack read and validated from its YAML, as on the first run
    after an installation or an edit of the pack."""
    command = _evaluate_command()
    env = {**os.environ, OFF_VARIABLE: "1"}

    def run() -> None:
        subprocess.run(command, check=True, capture_output=True, env=env)

    benchmark.pedantic(run, rounds=10, iterations=1, warmup_rounds=1)
