"""The one module that talks to durable_rules: compiling rules onto it and running a case through it.

durable_rules 2.0.28 is unmaintained and has sharp edges, each guarded here (tests in
``tests/test_durable_hazards.py``):

- A ruleset holds at most 1024 live sessions (MemoryError at the 1025th), and session ids are compared by a
  32-bit hash, so two case ids may share a session: every case runs in the one fixed session ``SID``, which
  is deleted after each case.
- ``delete_state`` on a session where nothing was stored, or where no action has run, kills the process: a
  session is deleted only after a successful run; after a failed assertion a ``go`` marker is asserted first,
  which fires the sentinel rule and makes the session safe to delete.
- A fact that no rule's pattern accepts raises MessageNotHandledException and then no action runs for the
  whole batch: every ruleset has a *sink* rule that accepts any fact and never fires.
- ``none()`` is evaluated when facts arrive: every rule waits for a ``go`` fact asserted after all others,
  and negated patterns come after it, so they see every fact whatever the assertion order.
- Errors inside actions are swallowed into the session state: actions record their errors, and the state
  is checked after every case.
- Actions may run on the Host's timer thread: firings go to an `Evaluation` owned by the engine, and the
  engine waits for a sentinel rule that fires after all others.
- ``$or`` fires once per true branch: the `Evaluation` keeps one firing per (rule, effect).
- Each action costs about 20 µs of durable_rules' own Python: every rule is compiled with a ``cap``, so one
  action receives all of a rule's matches at once.
- durable_rules tells facts apart by a 32-bit FNV-1a hash of the text of their ``id`` alone (``storeMessage``
  in its ``state.c``): two facts whose ids hash alike are "the same fact" (MessageObservedException), whatever
  their content, and a session's markers can be hit the same way. Facts therefore never carry ids built from
  the case: the n-th fact asserted in a stage has the n-th of `IDENTITIES` fixed-width identities, which
  tests/test_durable_hazards.py proves pairwise distinct under that hash, and the cleanup marker has one
  reserved for it. A stage that would need more is refused before anything is asserted.
- Facts asserted inside an action that no rule matches vanish: actions never assert facts; later stages are
  separate rulesets fed by the engine.
- Each Host starts two timer threads that never stop: one Host per process, on which every rule pack (and
  every edit of one) registers its own rulesets.
- Those threads log what fails in them (``Error dispatching timers`` and a traceback) to the ``durable``
  logger; with no handler anywhere, Python's last-resort handler prints it on stderr, in the middle of a
  command's output (seen on a busy machine, the results unchanged). None of it concerns a case: the engine runs
  no timers, waits for its own sentinel and reads each session's errors itself. So the logger gets a handler
  that drops it; an application that configures logging still receives it.
- The C core holds the GIL and has no locks: access to a Host is serialized.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from accountrules.errors import InstallationError

try:
    from durable import engine as durable_engine
except ImportError as exc:  # the C extension was built without the define Python 3.13 needs
    if "PyEval_CallObject" not in str(exc):
        raise
    raise InstallationError(
        "the rule engine durable_rules was compiled without the define Python 3.13 needs; rebuild it with: "
        'CC="gcc -DPyEval_CallObject=PyObject_CallObject" '
        f"{sys.executable} -m pip install --no-cache-dir --force-reinstall durable-rules==2.0.28"
    ) from None

from accountrules.engine.firings import Evaluation, Firing, FiringBuilder
from accountrules.errors import CaseLimitError, EvaluationError, RulePackError
from accountrules.rulepack.pack import RulePack, once_per_pack
from accountrules.rulepack.spec import Pattern, Ref, Rule, Test, leaf_tests

# durable_rules reads the clock with datetime.utcfromtimestamp, deprecated since Python 3.12; its warning is
# about durable's own code, and under ``-W error`` it would abort every action.
warnings.filterwarnings("ignore", message=r"datetime\.datetime\.utcfromtimestamp", category=DeprecationWarning)

SID = "0"
#: The stages a case runs through, in order: its own facts, then the facts resolution adds.
STAGES = ("facts", "resolved")

#: The characters of identities: printable ASCII that JSON writes as itself and durable_rules' parser reads as
#: plain text (no quote, apostrophe, backslash or dollar sign).
IDENTITY_ALPHABET = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in "\"'\\$")
#: How many identities a stage may use: the first this many four-character strings over `IDENTITY_ALPHABET`,
#: in the alphabet's order, have pairwise distinct FNV-1a hashes (the first collision is at 15,535,800).
IDENTITIES = 15_000_000
_PAIRS = tuple(a + b for a in IDENTITY_ALPHABET for b in IDENTITY_ALPHABET)


def identity(index: int) -> str:
    """The ``index``-th identity (0 ≤ index < `IDENTITIES`): four characters, in the alphabet's order."""
    high, low = divmod(index, len(_PAIRS))
    return _PAIRS[high] + _PAIRS[low]


#: The last identity is kept for the marker that clears a session: no fact of a stage can ever share it.
_FLUSH_IDENTITY = identity(IDENTITIES - 1)
GO = {"t": "go__"}
_ALIAS_PREFIX = "x_"
_SENTINEL = "sentinel__"
_SINK = "sink__"
#: Matches delivered to one action call; more than any case produces, so each rule runs once per stage.
CAP = 1_000_000
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
    return {"all": terms, "pri": -rule.salience, "cap": CAP}


@dataclass(frozen=True)
class StageRules:
    """One stage of a pack as every runtime reads it, with no rule-engine host behind it: its rules, the builder
    of each rule's firings, and the fields of each fact type its rules read (nothing else is asserted)."""

    name: str
    rules: tuple[Rule, ...]
    builders: dict[str, FiringBuilder]
    fields: dict[str, tuple[str, ...]]


@once_per_pack
def stage_rules_for(pack: RulePack) -> dict[str, StageRules]:
    """The stages of ``pack``, made once per pack in this process. Making them starts no durable_rules Host (whose
    threads a fork would copy broken), so the compiled runtime and the cache's reading of facts can be made before
    a process forks its workers."""
    stages = {}
    for name in STAGES:
        rules = pack.stage_rules(name)
        builders = {r.id: FiringBuilder(r, pack.policy) for r in rules}
        stages[name] = StageRules(name, rules, builders, _fields_read(rules))
    return stages


class _Stage:
    """One stage of a pack, registered as one durable_rules ruleset."""

    def __init__(self, stage: StageRules, evaluations: dict[str, Evaluation]) -> None:
        self.name = stage.name
        self.builders = stage.builders
        #: For each fact type the rules read, the fields they read: nothing else is asserted.
        self.fields = stage.fields
        self._evaluations = evaluations
        rules = stage.rules
        definition: dict[str, Any] = {}
        for rule in rules:
            definition[rule.id] = {**compile_rule(rule), "run": self._action(rule)}
        last = max((-r.salience for r in rules), default=0) + 1
        definition[_SENTINEL] = {"all": [{"go__": {"t": GO["t"]}}], "pri": last, "run": self._sentinel}
        definition[_SINK] = {"all": [{"f": {"$ex": {"t": 1}}}, {"z": {"t": "never__"}}], "run": self._never}
        self.definition = definition

    def _action(self, rule: Rule) -> Callable[[Any], None]:
        aliases = [(_ALIAS_PREFIX + p.alias, p.alias) for p in rule.positive()]
        rule_id = rule.id

        def action(c: Any) -> None:
            evaluation = self._evaluations.get(c.s["sid"])
            if evaluation is None:
                return
            try:
                frames = (
                    [dict(frame.items()) for frame in c.m]
                    if c.m is not None
                    else [{name: dict(getattr(c, name).items()) for name, _ in aliases}]
                )
                evaluation.record(rule_id, [{alias: frame[name] for name, alias in aliases} for frame in frames])
            except KeyboardInterrupt:  # Ctrl-C while the action ran: durable_rules would swallow it into its state
                evaluation.interrupted = True
                raise
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


def _fields_read(rules: Iterable[Rule]) -> dict[str, tuple[str, ...]]:
    read: dict[str, set[str]] = {}
    for rule in rules:
        facts_of = {p.alias: p.fact for p in rule.positive()}
        for pattern in rule.patterns:
            fields = read.setdefault(pattern.fact, {"t", "id"})
            for test in leaf_tests(pattern.tests):
                fields.add(test.field)
                if isinstance(test.value, Ref):
                    read[facts_of[test.value.alias]].add(test.value.field)
        for _, alias, name in rule.fact_keys:
            read[facts_of[alias]].add(name)
        for ref in rule.effect_refs():
            read[facts_of[ref.alias]].add(ref.field)
    return {fact: tuple(sorted(fields)) for fact, fields in read.items()}


_HOST: Any = None
#: Serializes every use of the one Host (its C core has no locks).
_HOST_LOCK = threading.Lock()
_RULESET_NUMBERS = itertools.count()

# durable_rules' own logger, which its timer threads write to: see the module's docstring
logging.getLogger("durable").addHandler(logging.NullHandler())


def _shared_host() -> Any:
    """The one durable_rules Host of this process: every pack registers its rulesets on it, so that loading
    another pack (or the same pack edited) starts no new timer threads."""
    global _HOST
    with _HOST_LOCK:
        if _HOST is None:
            _HOST = durable_engine.Host()
        return _HOST


class DurableRuntime:
    """The rulesets of one rule pack on the process's Host, and the serialized access to them."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self._evaluations: dict[str, Evaluation] = {}
        self._lock = _HOST_LOCK
        self._broken = ""
        self.stages = {name: _Stage(stage, self._evaluations) for name, stage in stage_rules_for(pack).items()}
        number = next(_RULESET_NUMBERS)
        #: The name of each stage's ruleset on the Host, unique in this process.
        self.rulesets = {stage: f"{stage}_{number}" for stage in self.stages}
        self._host = _shared_host()
        try:
            with self._lock:
                self._host.register_rulesets({self.rulesets[s.name]: s.definition for s in self.stages.values()})
        except Exception as exc:  # durable raises bare Exception and its C module's error type
            raise RulePackError(f"durable_rules refused the compiled pack: {exc}", pack.path) from None

    @property
    def broken(self) -> str:
        """Why this runtime can no longer be used (a stage that never finished), or empty."""
        return self._broken

    def run(self, stage: str, facts: Iterable[dict[str, Any]]) -> list[Firing]:
        """Assert ``facts`` into a clean session of ``stage``, wait until every action has run, and return
        the distinct firings."""
        evaluation = Evaluation(self.stages[stage].builders)
        fields = self.stages[stage].fields
        batch = [{name: f[name] for name in fields[f["t"]]} for f in facts if f["t"] in fields]
        batch.append(dict(GO))
        if len(batch) >= IDENTITIES:
            raise CaseLimitError(
                f"the case gives the rule engine {len(batch):,} facts in stage '{stage}', more than the "
                f"{IDENTITIES - 1:,} it can tell apart; split the case"
            )
        for index, fact in enumerate(batch):
            fact["id"] = identity(index)
            fact["sid"] = SID
        with self._lock:
            if self._broken:
                raise EvaluationError(self._broken)
            self._evaluations[SID] = evaluation
            try:
                self._assert(stage, batch)
                if not evaluation.done.wait(WAIT_SECONDS):
                    self._broken = (
                        f"the rule engine did not finish stage '{stage}' within {WAIT_SECONDS:.0f} s; "
                        "its session cannot be cleared safely, so this process must be restarted"
                    )
                    raise EvaluationError(self._broken)
                swallowed = self._state_error_and_delete(stage)
            except KeyboardInterrupt:  # Ctrl-C before the session was cleared: cleared now, or the next case
                self._discard(stage)  # would meet this one's facts
                raise
            finally:
                self._evaluations.pop(SID, None)
        if evaluation.interrupted:  # the stage is cleared: the interruption is the caller's to act on
            raise KeyboardInterrupt
        if evaluation.errors:
            raise EvaluationError("a rule failed while evaluating: " + "; ".join(evaluation.errors))
        if swallowed:
            raise EvaluationError(f"stage '{stage}': a rule action failed: {swallowed}")
        return evaluation.firings()

    def _assert(self, stage: str, batch: list[dict[str, Any]]) -> None:
        try:
            self._host.assert_facts(self.rulesets[stage], batch)
        except Exception as exc:  # durable raises its own exceptions, bare Exception and its C module's error
            self._discard(stage)
            if isinstance(exc, durable_engine.MessageNotHandledException):
                raise EvaluationError(f"stage '{stage}': a fact matched no rule (the sink rule is missing)") from None
            if isinstance(exc, durable_engine.MessageObservedException):
                raise EvaluationError(f"stage '{stage}': two facts had the same identity") from None
            raise EvaluationError(f"stage '{stage}': the rule engine failed: {exc}") from None

    def _discard(self, stage: str) -> None:
        """Clear the session after a failed assertion. Deleting a session in which no action has run kills
        the process, so a marker is asserted first: it fires the sentinel (and any rule the stored facts
        complete, whose firings are ignored because no evaluation is registered any more). A session that
        cannot be cleared would spoil every later case: the runtime is then marked broken."""
        self._evaluations.pop(SID, None)
        try:
            self._host.get_state(self.rulesets[stage], SID)
        except Exception:
            return  # no session was created; nothing to clear
        try:
            self._host.assert_facts(self.rulesets[stage], [{**GO, "id": _FLUSH_IDENTITY, "sid": SID}])
            self._host.delete_state(self.rulesets[stage], SID)
        except Exception as exc:  # durable's own exceptions, bare Exception and its C module's error
            self._break(stage, exc)

    def _state_error_and_delete(self, stage: str) -> str:
        """The error an action left in the session's state (durable_rules swallows them there), if any; the
        session is deleted either way (or the runtime marked broken when it cannot be)."""
        try:
            state = self._host.get_state(self.rulesets[stage], SID)
            self._host.delete_state(self.rulesets[stage], SID)
        except Exception as exc:  # durable's own exceptions, bare Exception and its C module's error
            self._break(stage, exc)
            raise EvaluationError(self._broken) from None
        return str(state["exception"]).split(", traceback")[0] if "exception" in state else ""

    def _break(self, stage: str, exc: Exception) -> None:
        self._broken = (
            f"the rule engine could not clear its session of stage '{stage}' ({type(exc).__name__}: {exc}); "
            "this process must be restarted"
        )


@once_per_pack
def runtime_for(pack: RulePack) -> DurableRuntime:
    """The one runtime (and Host) of ``pack`` in this process."""
    return DurableRuntime(pack)
