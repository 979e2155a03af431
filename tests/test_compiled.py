"""The compiled runtime gives exactly what durable_rules, the engine of record, gives: the same firings over the
whole space ``rules verify`` enumerates, the same determinations on generated cases, packs and archives."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.batch.api import evaluate_many
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.cli import app
from accountrules.cli.common import RuleEngine
from accountrules.engine.compiled import DEFAULT_ENGINE, ENGINES, compiled_for
from accountrules.engine.durable import runtime_for
from accountrules.errors import UsageError
from accountrules.rulepack.pack import load_default, load_pack
from accountrules.tooling.space import templates
from accountrules.tooling.verify import DEFAULT_CAP, version_view
from accountrules.validation import parse_case
from tests.strategies import cases

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "tests" / "packs"
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))


def differing_firings(engine: Engine, case: dict[str, Any]) -> list[str]:
    """The stages in which the two runtimes fire differently on ``case`` (with what differs)."""
    durable, compiled = runtime_for(engine.pack), compiled_for(engine.pack)
    evaluation = engine.evaluation(parse_case(case, model=engine.pack.facts.case_model))
    out = []
    for stage, run in (("facts", evaluation.first), ("resolved", evaluation.second)):
        expected, got = durable.run(stage, run.facts), compiled.run(stage, run.facts)
        if got != expected:
            out.append(f"{stage}: {sorted(set(expected) ^ set(got))}")
    return out


def test_both_runtimes_fire_alike_over_the_whole_verify_space() -> None:
    """Every case of every template `rules verify` enumerates, in each version of the regulations, gets the same
    firings in both stages (a case two versions share is run once)."""
    engine = Engine.default()
    pack = engine.pack
    seen: set[str] = set()
    for version in pack.versions.ids:
        for template in templates(version_view(pack, version)):
            for assignment in template.assignments(template.depth_for(DEFAULT_CAP)):
                case = template.case(assignment)
                key = json.dumps(case, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                assert differing_firings(engine, case) == [], (version, template.name, case)
    assert len(seen) > 13_000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_both_runtimes_determine_generated_cases_alike(case: dict[str, Any]) -> None:
    """A generated case gets the same determination, byte for byte, from either runtime."""
    engine = Engine.default()
    expected = engine.with_runtime("durable").evaluate(case).to_json()
    assert engine.with_runtime("compiled").evaluate(case).to_json() == expected


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_both_runtimes_determine_the_examples_alike(path: Path) -> None:
    """Each example case gets the same determination from either runtime."""
    engine = Engine.default()
    text = path.read_text(encoding="utf-8")
    assert engine.with_runtime("compiled").evaluate(text).to_json() == engine.evaluate(text).to_json()


@pytest.mark.parametrize("name", sorted(p.name for p in PACKS.iterdir() if (p / "pack.yaml").exists()))
def test_both_runtimes_fire_alike_on_other_packs(name: str) -> None:
    """A custom pack's rules, compiled, fire as on durable_rules over a sample of that pack's verify space."""
    try:
        engine = Engine(load_pack(PACKS / name))
    except Exception as exc:  # a pack kept broken on purpose for the loader's tests
        pytest.skip(f"the pack does not load: {exc}")
    checked = 0
    for template in templates(engine.pack):
        for assignment in template.assignments(template.depth_for(200))[::7]:
            assert differing_firings(engine, template.case(assignment)) == []
            checked += 1
    assert checked > 0


def test_the_engine_of_record_is_the_default() -> None:
    """An engine matches with durable_rules unless told otherwise."""
    assert Engine.default().runtime == DEFAULT_ENGINE == "durable"
    assert Engine.default().with_runtime("compiled").runtime == "compiled"


def test_an_unknown_runtime_is_refused_by_name() -> None:
    """Asking for a runtime that does not exist names the choices."""
    with pytest.raises(UsageError, match="no rule engine 'fast'; choose one of: durable, compiled"):
        Engine.default().with_runtime("fast")


def test_the_command_line_offers_exactly_the_library_runtimes() -> None:
    """``--engine`` lists the library's runtimes, the default first."""
    assert tuple(e.value for e in RuleEngine) == ENGINES


def test_evaluate_prints_the_same_json_with_either_engine() -> None:
    """``accountrules evaluate --engine compiled`` prints what the default prints."""
    runner = CliRunner()
    case = str(ROOT / "examples" / "cases" / "spec-example.json")
    default = runner.invoke(app, ["evaluate", case, "--format", "json"])
    compiled = runner.invoke(app, ["evaluate", case, "--format", "json", "--engine", "compiled"])
    assert (default.exit_code, compiled.exit_code) == (0, 0)
    assert compiled.stdout == default.stdout


def test_evaluate_refuses_an_unknown_engine() -> None:
    """``--engine fast`` is a usage error naming the choices, without a traceback."""
    result = CliRunner().invoke(app, ["evaluate", "x.json", "--engine", "fast"])
    assert result.exit_code == 2
    assert "'fast' is not one of 'durable', 'compiled'" in result.output
    assert "Traceback" not in result.output


def test_batch_workers_give_the_same_bytes_with_either_engine(tmp_path: Path) -> None:
    """``batch --engine compiled`` with workers writes the bytes the default writes, error records included."""
    lines = [json.dumps(json.loads(p.read_text(encoding="utf-8")), ensure_ascii=False) for p in EXAMPLES]
    archive = tmp_path / "archive.jsonl"
    archive.write_text("\n".join([*lines, "{not json", '{"case_id": "x"}', *lines]) + "\n", encoding="utf-8")
    runner = CliRunner()
    written = {}
    for engine in ENGINES:
        out = tmp_path / f"{engine}.jsonl"
        result = runner.invoke(
            app, ["batch", str(archive), "-o", str(out), "--workers", "2", "--engine", engine, "--no-progress"]
        )
        assert result.exit_code == 1, result.output  # two bad records
        written[engine] = out.read_bytes()
    assert written["compiled"] == written["durable"]
    assert written["durable"].count(b'"error"') == 2


def test_evaluate_many_takes_the_runtime() -> None:
    """The library's batch function evaluates with the runtime it is given, with the same results."""
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    durable = list(evaluate_many(None, texts, as_json=True))
    compiled = list(evaluate_many(None, texts, as_json=True, runtime="compiled"))
    assert compiled == durable
    assert len(durable) == len(EXAMPLES)


def test_the_default_pack_compiles_every_rule() -> None:
    """Each rule of the default pack has its block of loops in the compiled source of its stage."""
    pack = load_default()
    runtime = compiled_for(pack)
    for stage in ("facts", "resolved"):
        blocks = re.findall(r"^ +# rule [A-Z0-9-]+$", runtime.stages[stage].source, flags=re.MULTILINE)
        assert len(blocks) == len(pack.stage_rules(stage))


def test_check_gives_the_same_report_with_either_engine(tmp_path: Path) -> None:
    """``check --engine compiled`` writes the consistency report the default writes."""
    archive = tmp_path / "archive.jsonl"
    spec = CorpusSpec(cases=80, seed=4, patterns=30, drift=0.2, omissions=0.1)
    archive.write_text("".join(g.text + "\n" for g in generate(spec, Engine.default())), encoding="utf-8")
    reports = {}
    for engine in ENGINES:
        out = tmp_path / f"{engine}.json"
        result = CliRunner().invoke(
            app, ["check", str(archive), "--json", str(out), "--workers", "0", "--engine", engine, "--no-progress"]
        )
        assert result.exit_code == 3, result.output  # the drift is found
        reports[engine] = out.read_bytes()
    assert reports["compiled"] == reports["durable"]


def test_an_engine_that_runs_only_the_compiled_runtime_starts_no_durable_host() -> None:
    """Evaluating with the compiled runtime (and its cache) leaves the process with one thread and no Host."""
    script = (
        "import threading\n"
        "from accountrules import Engine\n"
        "from accountrules.engine import durable\n"
        f"text = open({str(EXAMPLES[0])!r}, encoding='utf-8').read()\n"
        "Engine.default().with_runtime('compiled').with_cache().evaluate(text)\n"
        "print(threading.active_count(), durable._HOST is None)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "True"]
