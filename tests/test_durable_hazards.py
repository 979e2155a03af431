"""Each measured hazard of durable_rules 2.0.28, shown on durable_rules itself and guarded in the engine.

The demonstrations that can kill the process run in a subprocess; the one under valgrind runs only when asked
(``python -m pytest -m valgrind``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from durable import engine as durable_engine

from accountrules import Engine, EvaluationError
from accountrules.engine import durable as runtime_module
from accountrules.engine.firings import Evaluation
from accountrules.engine.flatten import flatten
from accountrules.validation import load_case

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"
BENCH_CASE = ROOT / "benchmarks" / "case_10x3.json"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def case_json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


# --- a ruleset holds at most 1024 live sessions -------------------------------------------------------------


def test_durable_refuses_the_1025th_live_session() -> None:
    """durable_rules raises MemoryError when a ruleset holds 1025 sessions."""
    # the script itself, past the bound, now and then dies of a segmentation fault in durable_rules' C core (1 run
    # in 40 on a busy machine, exit status 139, its line cut short): such a run says nothing about the bound and is
    # run again; the engine never comes near the bound (one session per case, deleted after it)
    for _ in range(3):
        result = run_python(SESSIONS_SCRIPT)
        if result.returncode == 0:
            break
    assert result.stdout.strip() == "MemoryError at 1025"


SESSIONS_SCRIPT = """
        from durable.engine import Host
        host = Host()
        host.register_rulesets({"r": {"a": {"all": [{"m": {"t": "x"}}], "run": lambda c: None}}})
        for sid in range(1100):
            try:
                host.assert_fact("r", {"t": "y", "id": 1, "sid": str(sid)})
            except MemoryError:
                print("MemoryError at", sid + 1)
                break
            except Exception:
                pass
"""


@pytest.mark.slow
def test_engine_evaluates_more_cases_than_durable_has_sessions(engine: Engine) -> None:
    """1,100 evaluations in one process all succeed: every case runs in the one fixed session."""
    base = case_json(SPEC_EXAMPLE)
    expected = engine.evaluate(base).people
    for i in range(1100):
        assert engine.evaluate({**base, "case_id": f"case-{i}"}).people == expected


# --- deleting a session that holds nothing kills the process --------------------------------------------------


EMPTY_SESSION_DELETE = """
from durable.engine import Host
host = Host()
host.register_rulesets({"r": {"a": {"all": [{"m": {"t": "x"}}], "run": lambda c: None}}})
try:
    host.assert_facts("r", [{"t": "unmatched", "id": 1, "sid": "0"}])
except Exception:
    pass
host.delete_state("r", "0")
print("survived")
"""


@pytest.mark.valgrind
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind shows the uninitialised read")
def test_durable_reads_uninitialised_memory_deleting_an_empty_session() -> None:
    """delete_state after a failed assertion (nothing stored, no action run) reads uninitialised memory."""
    result = subprocess.run(
        ["valgrind", "-q", sys.executable, "-c", EMPTY_SESSION_DELETE],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONMALLOC": "malloc"},
    )
    assert "Conditional jump or move depends on uninitialised value(s)" in result.stderr
    assert "deleteStateNode" in result.stderr


@pytest.mark.skipif(
    sys.version_info[:2] != (3, 11), reason="the uninitialised read becomes a crash under Python 3.11's allocator"
)
def test_durable_crashes_deleting_an_empty_session() -> None:
    """Under Python 3.11 that read is a segmentation fault: the process dies."""
    result = run_python(EMPTY_SESSION_DELETE)
    assert result.returncode == -11
    assert "survived" not in result.stdout


def test_engine_clears_a_session_left_empty_by_a_failed_assertion() -> None:
    """After an assertion stored nothing, the engine stores a marker before deleting, and goes on working."""
    result = run_python(
        f"""
        from accountrules import Engine
        engine = Engine.default()
        runtime = engine._runtime
        try:
            runtime._host.assert_facts(runtime.rulesets["facts"], [{{"id": "no-type", "sid": "0"}}])
        except Exception as exc:
            print("refused:", type(exc).__name__)
        runtime._discard("facts")
        d = engine.evaluate(open({str(SPEC_EXAMPLE)!r}, encoding="utf-8").read())
        print("p3 form", d.person("p3").form)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["refused: MessageNotHandledException", "p3 form 3"]


# --- session ids are compared by a 32-bit hash ------------------------------------------------------------------


def test_every_stage_runs_in_the_same_fixed_session(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Case ids never become session ids, so two cases can never share a session by a hash collision."""
    seen: list[str] = []
    original = durable_engine.Host.assert_facts

    def spy(self: Any, ruleset: str, facts: list[dict[str, Any]], complete: Any = None) -> Any:
        seen.extend(str(f["sid"]) for f in facts)
        return original(self, ruleset, facts, complete)

    monkeypatch.setattr(durable_engine.Host, "assert_facts", spy)
    for case_id in ("A", "B", "2023-017"):
        engine.evaluate({**case_json(SPEC_EXAMPLE), "case_id": case_id})
    assert set(seen) == {runtime_module.SID}


def test_a_case_evaluated_after_another_is_not_mixed_with_it(engine: Engine) -> None:
    """The session is deleted after each case: B after A gives what B alone gives."""
    a, b = case_json(BENCH_CASE), case_json(SPEC_EXAMPLE)
    alone = engine.evaluate(b).to_json()
    engine.evaluate(a)
    assert engine.evaluate(b).to_json() == alone


# --- errors inside actions are swallowed into the session state ------------------------------------------------


def test_durable_swallows_an_action_error_into_the_state() -> None:
    """An exception in an action does not propagate; it is written to the session state."""
    host = durable_engine.Host()

    def broken(c: Any) -> None:
        raise ValueError("boom")

    host.register_rulesets({"swallow": {"a": {"all": [{"m": {"t": "x"}}], "run": broken}}})
    host.assert_facts("swallow", [{"t": "x", "id": 1, "sid": "0"}])
    assert "boom" in host.get_state("swallow", "0")["exception"]


def test_engine_reports_a_failing_action_and_recovers(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule whose action fails makes the evaluation fail loudly, naming the rule; the next one is clean."""

    def broken(self: Evaluation, rule_id: str, matches: list[Any]) -> None:
        raise RuntimeError("injected")

    with monkeypatch.context() as patch:
        patch.setattr(Evaluation, "record", broken)
        with pytest.raises(EvaluationError, match=r"rule '[A-Z-]+': RuntimeError: injected"):
            engine.evaluate(case_json(SPEC_EXAMPLE))
    assert engine.evaluate(case_json(SPEC_EXAMPLE)).person("p3").form == 3


def test_engine_reads_errors_left_in_the_state(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even an action error the engine did not record itself is found in the session state after the case."""

    def broken(self: Evaluation, rule_id: str, matches: list[Any]) -> None:
        raise RuntimeError("unrecorded")

    with monkeypatch.context() as patch:
        patch.setattr(Evaluation, "record", broken)
        patch.setattr(Evaluation, "fail", lambda self, rule_id, error: None)
        with pytest.raises(EvaluationError, match="a rule action failed: exception caught unrecorded"):
            engine.evaluate(case_json(SPEC_EXAMPLE))
    assert engine.evaluate(case_json(SPEC_EXAMPLE)).person("p1").form == 2


# --- facts asserted inside an action that no rule matches vanish ----------------------------------------------


def test_durable_drops_a_fact_asserted_in_an_action_that_no_rule_matches() -> None:
    """The orphan fact asserted by an action is nowhere to be found afterwards."""
    host = durable_engine.Host()

    def emit(c: Any) -> None:
        c.assert_fact({"t": "orphan", "id": "o"})

    host.register_rulesets({"vanish": {"a": {"all": [{"m": {"t": "x"}}], "run": emit}}})
    host.assert_facts("vanish", [{"t": "x", "id": 1, "sid": "0"}])
    assert [f["t"] for f in host.get_facts("vanish", "0")] == ["x"]


def test_engine_feeds_resolved_facts_to_a_separate_stage(engine: Engine) -> None:
    """Resolution results reach the second stage as asserted facts: D13 fires on a resolved form of 2."""
    determination = engine.evaluate(case_json(SPEC_EXAMPLE))
    steps = [s for s in determination.trace if s.rule == "P-PUBLICIZE-FORM"]
    assert [(s.facts, s.effect) for s in steps] == [({"form": 2, "kind": "leader"}, "publicize")]


# --- one unmatched fact in a batch: MessageNotHandledException, no action at all ------------------------------


def test_durable_refuses_a_batch_with_one_unmatched_fact() -> None:
    """A single fact that no pattern accepts fails the whole batch, and no action runs."""
    ran: list[int] = []
    host = durable_engine.Host()
    host.register_rulesets({"batch": {"a": {"all": [{"m": {"t": "x"}}], "run": lambda c: ran.append(1)}}})
    with pytest.raises(durable_engine.MessageNotHandledException):
        host.assert_facts("batch", [{"t": "x", "id": 1, "sid": "0"}, {"t": "y", "id": 2, "sid": "0"}])
    assert ran == []


def test_engine_accepts_facts_that_no_rule_pattern_accepts(engine: Engine) -> None:
    """A role no rule tests (staff) is absorbed by the sink rule; every other firing still happens."""
    facts = flatten(load_case(SPEC_EXAMPLE), engine.policy)
    extra = {"t": "role", "id": "extra-role", "person": "p3", "role": "team_member"}
    runtime = runtime_module.runtime_for(engine.pack)
    assert runtime.run("facts", [*facts, extra]) == runtime.run("facts", facts)


# --- none() is evaluated when facts arrive ---------------------------------------------------------------------


def test_durable_negation_depends_on_assertion_order() -> None:
    """A negation placed before the last positive fact sees only the facts that arrived before it."""
    fired: list[str] = []
    host = durable_engine.Host()
    rule = {
        "all": [
            {"r": {"t": "role"}},
            {"n$not": {"$and": [{"t": "conduct"}, {"p": {"r": "p"}}]}},
            {"g": {"t": "go"}},
        ],
        "run": lambda c: fired.append(c.r.p),
    }
    # the second rule fires on every run: deleting a session in which no action ran would crash
    host.register_rulesets({"order": {"a": rule, "b": {"all": [{"g": {"t": "go"}}], "run": lambda c: None}}})
    role, conduct, go = ({"t": "role", "p": "p1", "id": 1}, {"t": "conduct", "p": "p1", "id": 2}, {"t": "go", "id": 3})
    for facts in ([conduct, role, go], [role, conduct, go]):
        host.assert_facts("order", [{**f, "sid": "0"} for f in facts])
        host.delete_state("order", "0")
    assert fired == ["p1"]  # fired only when the role came before the conduct


def test_engine_results_do_not_depend_on_fact_order(engine: Engine) -> None:
    """Twenty shuffles of the facts of a case with negations (missing leaders, no failure) give one result."""
    facts = flatten(load_case(BENCH_CASE), engine.policy)
    runtime = runtime_module.runtime_for(engine.pack)
    expected = runtime.run("facts", facts)
    assert any(f.effect == "missing" for f in expected)
    rng = random.Random(7)
    for _ in range(20):
        shuffled = facts[:]
        rng.shuffle(shuffled)
        assert runtime.run("facts", shuffled) == expected


# --- actions may run on the Host's timer thread ---------------------------------------------------------------


def test_engine_collects_actions_run_on_the_timer_thread(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the synchronous action path disabled, the Host's timer thread runs the actions; nothing is lost."""
    expected = engine.evaluate(case_json(SPEC_EXAMPLE)).to_json()
    threads: set[str] = set()
    record = Evaluation.record

    def spy(self: Evaluation, rule_id: str, matches: list[Any]) -> None:
        threads.add(threading.current_thread().name)
        record(self, rule_id, matches)

    def deferred(self: Any, state_handle: Any, complete: Any) -> None:
        complete(None, None)  # leave the actions queued for the timer thread

    with monkeypatch.context() as patch:
        patch.setattr(Evaluation, "record", spy)
        patch.setattr(durable_engine.Ruleset, "do_actions", deferred)
        got = engine.evaluate(case_json(SPEC_EXAMPLE)).to_json()
    assert got == expected
    assert threading.main_thread().name not in threads


# --- the timer threads log their failures, which Python prints on stderr -----------------------------------------

_FAILING_TIMER_PASS = """
    import time
    from durable import engine
    {setup}
    host = engine.Host()
    host.set_rulesets({{"r": {{"rule": {{"all": [{{"m": {{"t": "x"}}}}], "run": lambda c: None}}}}}})

    def refused(self):
        raise RuntimeError("Could not assert timers, error code: 307")

    engine.Ruleset.dispatch_timers = refused
    time.sleep(0.6)  # the timer thread passes over the ruleset every 0.2 s
    print("done")
"""


def test_durable_prints_a_failed_timer_pass_on_stderr() -> None:
    """A timer pass that fails in durable_rules' own thread is printed, traceback and all, on stderr."""
    result = run_python(_FAILING_TIMER_PASS.format(setup=""))
    assert result.stdout == "done\n"
    assert "Error dispatching timers" in result.stderr
    assert "Traceback" in result.stderr


def test_engine_keeps_durable_timer_failures_off_stderr() -> None:
    """Once the engine's runtime is imported, the same failure prints nothing; a configured logger still gets it."""
    quiet = run_python(_FAILING_TIMER_PASS.format(setup="import accountrules.engine.durable"))
    assert (quiet.stdout, quiet.stderr) == ("done\n", "")
    configured = run_python(
        _FAILING_TIMER_PASS.format(setup="import accountrules.engine.durable, logging; logging.basicConfig()")
    )
    assert "ERROR:durable:Error dispatching timers" in configured.stderr


# --- $or fires once per true branch -----------------------------------------------------------------------------


def test_durable_or_fires_once_per_true_branch() -> None:
    """A fact for which both branches of an $or hold fires the action twice."""
    fired: list[int] = []
    host = durable_engine.Host()
    expression = {"$and": [{"t": "v"}, {"$or": [{"a": True}, {"b": True}]}]}
    host.register_rulesets({"or": {"a": {"all": [{"m": expression}], "run": lambda c: fired.append(1)}}})
    host.assert_facts("or", [{"t": "v", "a": True, "b": True, "id": 1, "sid": "0"}])
    assert fired == [1, 1]


def test_engine_keeps_one_finding_when_both_branches_hold(engine: Engine) -> None:
    """Long-term spread and major corruption both hold for U-MANY-PROBLEMS-SERIOUS: one finding, one step."""
    case = case_json(SPEC_EXAMPLE)
    case["unit_record"] = {"violations_in_period": 4, "major_corruption_in_period": 2, "long_term_spread": True}
    determination = engine.evaluate(case)
    assert [s.rule for s in determination.trace].count("U-MANY-PROBLEMS-SERIOUS") == 1
    assert determination.person("p1").findings == ["L-IMPLEMENT-PRINCIPAL", "U-MANY-PROBLEMS-SERIOUS"]


# --- identical facts raise MessageObservedException -------------------------------------------------------------


def test_durable_refuses_identical_facts() -> None:
    """Two facts with the same content in one batch are refused."""
    host = durable_engine.Host()
    host.register_rulesets({"same": {"a": {"all": [{"m": {"t": "x"}}], "run": lambda c: None}}})
    with pytest.raises(durable_engine.MessageObservedException):
        host.assert_facts("same", [{"t": "x", "sid": "0"}, {"t": "x", "sid": "0"}])


FNV_OFFSET, FNV_PRIME, WORD = 2166136261, 16777619, 0xFFFFFFFF


def fnv1a32(text: bytes) -> int:
    """The hash durable_rules gives a fact's id (``fnv1Hash32`` over the id's text in ``state.c``)."""
    state = FNV_OFFSET
    for byte in text:
        state = ((state ^ byte) * FNV_PRIME) & WORD
    return state


def test_durable_takes_two_facts_whose_ids_hash_alike_for_one() -> None:
    """Ids '40189' and '797186' share a 32-bit FNV-1a hash: durable_rules refuses the second, unlike fact."""
    assert fnv1a32(b"40189") == fnv1a32(b"797186")
    host = durable_engine.Host()
    host.register_rulesets({"hash": {"a": {"all": [{"m": {"t": "x"}}], "run": lambda c: None}}})
    host.assert_facts("hash", [{"t": "x", "n": 1, "id": "40189", "sid": "0"}, {"t": "x", "id": "40188", "sid": "0"}])
    with pytest.raises(durable_engine.MessageObservedException):
        host.assert_facts("hash", [{"t": "x", "n": 2, "id": "797186", "sid": "0"}])


def colliding_identities(count: int) -> list[tuple[int, int]]:
    """Every pair among the first ``count`` identities that durable_rules' hash cannot tell apart, found
    exhaustively. An identity is a three-character prefix (state ``s`` after it) and a last character ``c``;
    its hash is ``(s ^ c) * prime``, a bijection of ``s ^ c``. As ``c < 128``, two identities can only
    collide when their prefixes' states agree above the lowest 7 bits; only those pairs of prefixes are
    compared, character by character."""
    alphabet = [ord(c) for c in runtime_module.IDENTITY_ALPHABET]
    size = len(alphabet)
    prefixes = -(-count // size)
    first = [((FNV_OFFSET ^ a) * FNV_PRIME) & WORD for a in alphabet]
    second = [((s ^ b) * FNV_PRIME) & WORD for s in first for b in alphabet]
    third = [((s ^ c) * FNV_PRIME) & WORD for s in second[: -(-prefixes // size)] for c in alphabet][:prefixes]
    buckets: dict[int, list[int]] = {}
    for k, state in enumerate(third):
        buckets.setdefault(state >> 7, []).append(k)
    position = {c: j for j, c in enumerate(alphabet)}
    found = []
    for group in buckets.values():
        for i, k in enumerate(group):
            for other in group[i + 1 :]:
                low_bits = third[k] ^ third[other]  # below 128 in a bucket: the last characters may cancel it
                for j, c in enumerate(alphabet):
                    j2 = position.get(c ^ low_bits)
                    if j2 is not None and k * size + j < count and other * size + j2 < count:
                        found.append((k * size + j, other * size + j2))
    return sorted((min(pair), max(pair)) for pair in found)


def test_identities_are_read_as_durable_rules_hashes_them() -> None:
    """The exhaustive search reads identities as they are written: the hash of the text of each of a sample
    of identities is the one the search computes from its prefix and last character."""
    alphabet = runtime_module.IDENTITY_ALPHABET
    for index in (0, 1, 89, 90, 8099, 8100, 729_000, runtime_module.IDENTITIES - 1):
        text = runtime_module.identity(index)
        assert len(text) == 4
        assert text == "".join(alphabet[(index // len(alphabet) ** k) % len(alphabet)] for k in (3, 2, 1, 0))
        assert json.dumps(text, ensure_ascii=False) == f'"{text}"'


def test_no_two_identities_of_the_range_collide() -> None:
    """All IDENTITIES identities (every fact of a stage, and the marker that clears a session) have distinct
    hashes in durable_rules: no two facts of a case can ever be taken for one another."""
    assert colliding_identities(runtime_module.IDENTITIES) == []


def test_the_search_finds_the_first_collision_past_the_range() -> None:
    """One identity more than the range holds would collide: the search is not blind."""
    pairs = colliding_identities(15_535_801)
    assert pairs[-1][1] == 15_535_800
    a, b = (runtime_module.identity(i).encode() for i in pairs[-1])
    assert fnv1a32(a) == fnv1a32(b)


def test_engine_asserts_facts_under_identities_of_the_range(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each stage asserts its n facts (the go marker last) under identities 0 … n-1, whatever the case's ids."""
    batches: list[list[str]] = []
    original = durable_engine.Host.assert_facts

    def spy(self: Any, ruleset: str, facts: list[dict[str, Any]], complete: Any = None) -> Any:
        batches.append([str(f["id"]) for f in facts])
        return original(self, ruleset, facts, complete)

    monkeypatch.setattr(durable_engine.Host, "assert_facts", spy)
    engine.evaluate(case_json(SPEC_EXAMPLE))
    assert [len(b) for b in batches] == [17, 11]
    assert all(b == [runtime_module.identity(i) for i in range(len(b))] for b in batches)


def test_ids_whose_old_identities_collided_are_evaluated(engine: Engine) -> None:
    """People 'p38868' and 'p534306', whose content-built identities once collided, are both determined."""
    case = {
        "case_id": "c",
        "unit": {"name": "u", "level": "county"},
        "people": [{"id": "p38868", "roles": ["principal_leader"]}, {"id": "p534306", "roles": ["staff"]}],
        "violations": [
            {"id": "v1", "kind": "four_winds", "severity": "serious", "area": "other", "offenders": ["p534306"]}
        ],
    }
    determination = engine.evaluate(case)
    assert [(p.person, p.responsibility, p.form) for p in determination.people] == [
        ("p38868", "undetermined", None),
        ("p534306", "direct", 2),
    ]


@pytest.mark.slow
def test_ten_thousand_people_are_evaluated(engine: Engine) -> None:
    """A case of 10,000 people, where content-built identities collided by chance, is determined."""
    people = [{"id": f"p{i}", "roles": ["staff"]} for i in range(10_000)]
    case = {
        "case_id": "c",
        "unit": {"name": "u", "level": "county"},
        "people": people,
        "violations": [{"id": "v1", "kind": "four_winds", "severity": "minor", "area": "other", "offenders": ["p0"]}],
    }
    determination = engine.evaluate(case)
    assert [(p.person, p.form) for p in determination.people] == [("p0", 1)]


def test_a_duplicated_fact_gets_its_own_identity(engine: Engine) -> None:
    """A fact given twice is two facts to durable_rules, and changes nothing: firings are kept once."""
    facts = flatten(load_case(SPEC_EXAMPLE), engine.policy)
    runtime = runtime_module.runtime_for(engine.pack)
    assert runtime.run("facts", [*facts, facts[0]]) == runtime.run("facts", facts)


def test_a_failed_assertion_leaves_no_session_behind(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """When durable_rules fails part-way through a batch, the session is cleared: the engine stays healthy
    and the next case gets exactly its own result."""
    expected = engine.evaluate(case_json(SPEC_EXAMPLE)).to_json()
    runtime = engine._runtime
    original = durable_engine.Host.assert_facts

    def half(self: Any, ruleset: str, facts: list[dict[str, Any]], complete: Any = None) -> Any:
        monkeypatch.setattr(durable_engine.Host, "assert_facts", original)  # only the case's batch fails
        original(self, ruleset, facts[: len(facts) // 2], complete)
        raise durable_engine.MessageObservedException(facts[0])

    monkeypatch.setattr(durable_engine.Host, "assert_facts", half)
    with pytest.raises(EvaluationError, match="two facts had the same identity"):
        engine.evaluate(case_json(BENCH_CASE))
    with pytest.raises(Exception, match="Could not get state"):  # no session is left
        runtime._host.get_state(runtime.rulesets["facts"], runtime_module.SID)
    assert engine.healthy
    assert engine.evaluate(case_json(SPEC_EXAMPLE)).to_json() == expected


def test_a_session_that_cannot_be_cleared_makes_the_engine_unhealthy(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the session of a failed case cannot be deleted, `healthy` turns false and later cases are refused
    with the reason, never evaluated in a spoilt session."""
    result = run_python(
        f"""
        from durable import engine as durable_engine
        from accountrules import Engine, EvaluationError
        engine = Engine.default()
        host = engine._runtime._host
        def refuse(*args, **kwargs):
            raise durable_engine.MessageObservedException({{}})
        def cannot_delete(*args, **kwargs):
            raise RuntimeError("delete failed")
        host.assert_facts, host.delete_state = refuse, cannot_delete
        host.get_state = lambda ruleset, sid: {{}}
        for _ in range(2):
            try:
                engine.evaluate(open({str(SPEC_EXAMPLE)!r}, encoding="utf-8").read())
            except EvaluationError as exc:
                print(engine.healthy, str(exc)[:60])
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "False stage 'facts': two facts had the same identity",
        "False the rule engine could not clear its session of stage 'facts'",
    ]


# --- each Host starts two timer threads that never stop ---------------------------------------------------------


def test_one_host_per_pack_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking again for the default pack, by name or by path, reuses its engine and host: no new Host (and so
    no new pair of timer threads) is ever started."""
    first = Engine.default()
    started: list[object] = []
    original = durable_engine.Host.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        started.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(durable_engine.Host, "__init__", counting)
    for _ in range(5):
        again = Engine.from_path(ROOT / "rules")
        assert again is first
        assert Engine.default()._runtime is first._runtime
    assert started == []


# --- the C core holds the GIL and has no locks ------------------------------------------------------------------


def test_engine_is_safe_to_call_from_several_threads(engine: Engine) -> None:
    """Eight threads evaluating two cases at once get exactly the sequential results."""
    cases = [case_json(SPEC_EXAMPLE), case_json(BENCH_CASE)]
    expected = [engine.evaluate(c).to_json() for c in cases]
    results: dict[tuple[int, int], str] = {}

    def work(worker: int) -> None:
        for round_ in range(10):
            index = (worker + round_) % 2
            results[(worker, round_)] = engine.evaluate(cases[index]).to_json()

    pool = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert all(results[(w, r)] == expected[(w + r) % 2] for w in range(8) for r in range(10))


def test_loading_edited_packs_starts_no_new_host(tmp_path: Path) -> None:
    """Ten edits of a pack, each loaded and evaluated, register their rulesets on the process's one Host: only
    the first load starts a Host (and so a chain of timer threads)."""
    result = run_python(
        f"""
        import shutil
        from pathlib import Path
        from durable import engine as durable_engine
        from accountrules import Engine
        started = []
        original = durable_engine.Host.__init__
        def counting(self, *args, **kwargs):
            started.append(self)
            original(self, *args, **kwargs)
        durable_engine.Host.__init__ = counting
        case = open({str(SPEC_EXAMPLE)!r}, encoding="utf-8").read()
        pack = Path({str(tmp_path / "pack")!r})
        shutil.copytree({str(ROOT / "tests" / "packs" / "tiny")!r}, pack)
        Engine.from_path(pack).evaluate(case)
        for edit in range(10):
            (pack / "pack.yaml").write_text(f'name: tiny\\nversion: "{{edit + 2}}"\\n', encoding="utf-8")
            Engine.from_path(pack).evaluate(case)
        print(len(started))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1"]
