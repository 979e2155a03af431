"""The one module that talks to durable_rules: compiling rules onto it and running a case through it.

durable_rules 2.0.28 is unmaintained and has sharp edges, each guarded here (tests in
``tests/test_durable_hazards.py``):

- A ruleset holds at most 1024 live sessions (MemoryError at the 1025th), and session ids are compared by a
  32-bit hash, so two case ids may share a session: every case runs in the one fixed session ``SID``, which
  is deleted after each case.
- ``delete_state`` on a session where nothing was stored kills the process: a session is deleted only after
  facts were stored in it; after a failed assertion a marker fact is stored first.
- A fact that no rule's pattern accepts raises MessageNotHandledException and then no action runs for the
  whole batch: every ruleset has a *sink* rule that accepts any fact and never fires.
- ``none()`` is evaluated when facts arrive: every rule waits for a ``go`` fact asserted after all others,
  and negated patterns come after it, so they see every fact whatever the assertion order.
- Errors inside actions are swallowed into the session state: actions record their errors, and the state
  is checked after every case.
- Actions may run on the Host's timer thread: firings go to an `Evaluation` owned by the engine, and the
  engine waits for a sentinel rule that fires after all others.
- ``$or`` fires once per true branch: the `Evaluation` keeps one firing per (rule, effect).
- Identical facts raise MessageObservedException: every fact carries an identity made from its content.
- Facts asserted inside an action that no rule matches vanish: actions never assert facts; later stages are
  separate rulesets fed by the engine.
- Each Host starts two timer threads that never stop: one Host per rule pack per process, reused.
- The C core holds the GIL and has no locks: access to a Host is serialized.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from durable import engine as durable_engine

from accountrules.engine.firings import Evaluation
from accountrules.errors import EvaluationError, RulePackError
from accountrules.rulepack.pack import RulePack
from accountrules.rulepack.spec import Pattern, Ref, Rule, Test

SID = "0"
GO = {"t": "go__", "id": "go__"}
_FLUSH = {"t": "flush__", "id": "flush__"}
_ALIAS_PREFIX = "x_"
_SENTINEL = "sentinel__"
_SINK = "sink__"
#: How long to wait for actions that another thread is running (they take microseconds).
WAIT_SECONDS = 30.0

_OPS = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def _operand(value: Any) -> Any:
    return {_ALIAS_PREFIX + value.alias: value.field} if isinstance(value, Ref) else value


def compile_test(test: Test) -> dict[str, Any]:
    """One condition as a durable_rules expression."""
    if test.op == "eq":
        return {test.field: _operand(test.value)}
    if test.op in _OPS:
        return {_OPS[test.op]: {test.field: _operand(test.value)}}
    if test.op == "in":
        options = [{test.field: v} for v in test.value]
        return options[0] if len(options) == 1 else {"$or": options}
    if test.op == "not_in":
        return {"$and": [{"$neq": {test.field: v}} for v in test.value]}
    if test.op == "any":
        return {"$or": [{"$and": [compile_test(t) for t in alternative]} for alternative in test.value]}
    raise ValueError(f"unknown operator {test.op!r}")


def compile_pattern(pattern: Pattern) -> dict[str, Any]:
    return {"$and": [{"t": pattern.fact}, *(compile_test(t) for t in pattern.tests)]}


def compile_rule(rule: Rule) -> dict[str, Any]:
    """A rule as a durable_rules rule: its facts, then ``go``, then its negations."""
    terms: list[dict[str, Any]] = [{_ALIAS_PREFIX + p.alias: compile_pattern(p)} for p in rule.positive()]
    terms.append({"go__": {"t": GO["t"]}})
    terms.extend({f"n{i}$not": compile_pattern(p)} for i, p in enumerate(rule.negative()))
    return {"all": terms, "pri": -rule.salience}


class _Stage:
    """One stage of a pack, registered as one durable_rules ruleset."""

    def __init__(self, name: str, rules: tuple[Rule, ...], evaluations: dict[str, Evaluation]) -> None:
        self.name = name
        self.rules = {r.id: r for r in rules}
        self.fact_types = sorted({p.fact for r in rules for p in r.patterns})
        self._evaluations = evaluations
        definition: dict[str, Any] = {}
        for rule in rules:
            definition[rule.id] = {**compile_rule(rule), "run": self._action(rule)}
        last = max((-r.salience for r in rules), default=0) + 1
        definition[_SENTINEL] = {"all": [{"go__": {"t": GO["t"]}}], "pri": last, "run": self._sentinel}
        definition[_SINK] = {"all": [{"f": {"$ex": {"t": 1}}}, {"z": {"t": "never__"}}], "run": self._never}
        self.definition = definition

    def _action(self, rule: Rule) -> Callable[[Any], None]:
        aliases = [p.alias for p in rule.positive()]
        rule_id = rule.id

        def action(c: Any) -> None:
            evaluation = self._evaluations.get(c.s["sid"])
            if evaluation is None:
                return
            try:
                matched = {a: dict(getattr(c, _ALIAS_PREFIX + a).items()) for a in aliases}
                evaluation.record(rule_id, matched)
            except Exception as exc:
                evaluation.fail(rule_id, exc)
                raise

        return action

    def _sentinel(self, c: Any) -> None:
        evaluation = self._evaluations.get(c.s["sid"])
        if evaluation is not None:
            evaluation.done.set()

    @staticmethod
    def _never(c: Any) -> None:  # pragma: no cover - its join never completes
        raise AssertionError("the sink rule fired")


class DurableRuntime:
    """The Host of one rule pack in this process, and the serialized access to it."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self._evaluations: dict[str, Evaluation] = {}
        self._lock = threading.Lock()
        self.stages = {
            stage: _Stage(stage, pack.stage_rules(stage), self._evaluations) for stage in ("facts", "resolved")
        }
        try:
            self._host = durable_engine.Host()
            self._host.register_rulesets({s.name: s.definition for s in self.stages.values()})
        except Exception as exc:  # durable raises bare Exception and its C module's error type
            raise RulePackError(f"durable_rules refused the compiled pack: {exc}", pack.path) from None

    def run(self, stage: str, facts: Iterable[dict[str, Any]], evaluation: Evaluation) -> None:
        """Assert ``facts`` into a clean session of ``stage`` and wait until every action has run."""
        wanted = set(self.stages[stage].fact_types)
        batch = [{**f, "sid": SID} for f in facts if f["t"] in wanted]
        batch.append({**GO, "sid": SID})
        with self._lock:
            self._evaluations[SID] = evaluation
            try:
                self._assert(stage, batch)
                if not evaluation.done.wait(WAIT_SECONDS):
                    raise EvaluationError(f"the rule engine did not finish stage '{stage}' in {WAIT_SECONDS:.0f} s")
                self._check_state(stage)
            finally:
                self._evaluations.pop(SID, None)
                self._delete(stage)
        if evaluation.errors:
            raise EvaluationError("a rule failed while evaluating: " + "; ".join(evaluation.errors))

    def _assert(self, stage: str, batch: list[dict[str, Any]]) -> None:
        try:
            self._host.assert_facts(stage, batch)
        except durable_engine.MessageNotHandledException:
            self._store_marker(stage)
            raise EvaluationError(f"stage '{stage}': a fact matched no rule (the sink rule is missing)") from None
        except durable_engine.MessageObservedException:
            self._store_marker(stage)
            raise EvaluationError(f"stage '{stage}': two facts had the same identity") from None
        except EvaluationError:
            raise
        except Exception as exc:
            self._store_marker(stage)
            raise EvaluationError(f"stage '{stage}': the rule engine failed: {exc}") from None

    def _store_marker(self, stage: str) -> None:
        """Store one fact so that the session can be deleted safely (deleting an empty one crashes)."""
        try:
            self._host.get_state(stage, SID)
        except Exception:
            return  # no session was created; nothing to delete
        self._host.assert_fact(stage, {**_FLUSH, "sid": SID})

    def _check_state(self, stage: str) -> None:
        state = self._host.get_state(stage, SID)
        if "exception" in state:
            first_line = str(state["exception"]).split(", traceback")[0]
            raise EvaluationError(f"stage '{stage}': a rule action failed: {first_line}")

    def _delete(self, stage: str) -> None:
        try:
            self._host.get_state(stage, SID)
        except Exception:
            return
        self._host.delete_state(stage, SID)


_RUNTIMES: dict[str, DurableRuntime] = {}
_RUNTIMES_LOCK = threading.Lock()


def runtime_for(pack: RulePack) -> DurableRuntime:
    """The one runtime (and Host) of ``pack`` in this process."""
    with _RUNTIMES_LOCK:
        runtime = _RUNTIMES.get(pack.digest)
        if runtime is None:
            runtime = _RUNTIMES[pack.digest] = DurableRuntime(pack)
        return runtime
