"""Every error the library raises is in the tree of `accountrules.errors`; every durable_rules failure maps to it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from durable import engine as durable_engine

import accountrules
from accountrules import errors
from accountrules.engine import durable as durable_module
from accountrules.engine.durable import DurableRuntime
from accountrules.engine.firings import Evaluation
from accountrules.engine.flatten import flatten
from accountrules.errors import (
    AccountRulesError,
    EvaluationError,
    RulePackError,
    UnknownPersonError,
    UnknownRuleError,
    UsageError,
)
from accountrules.rulepack import RulePack, load_default
from accountrules.validation import load_case

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"


def error_classes() -> list[type[BaseException]]:
    """The exception classes errors.py defines, in the order it defines them."""
    return [
        value
        for value in vars(errors).values()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == errors.__name__
    ]


def tree_lines(root: type[BaseException] = AccountRulesError) -> list[str]:
    """The tree of `accountrules.errors` as its docstring draws it: each class with the builtins it refines."""
    classes = error_classes()

    def children(parent: type) -> list[type]:
        return [c for c in classes if parent in c.__bases__]

    def builtins(cls: type) -> str:
        names = [b.__name__ for b in cls.__bases__ if not issubclass(b, AccountRulesError) and b is not Exception]
        return f" ({', '.join(names)})" if names else ""

    def walk(cls: type, prefix: str) -> Iterator[str]:
        kids = children(cls)
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            yield f"{prefix}{'└── ' if last else '├── '}{kid.__name__}{builtins(kid)}"
            yield from walk(kid, prefix + ("    " if last else "│   "))

    return [root.__name__, *walk(root, "")]


def drawn_tree() -> list[str]:
    """The tree in the docstring of `accountrules.errors`, without the words after each class."""
    doc = errors.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip("\n")[4:].split(":", 1)[0] for line in block.splitlines()]


def test_the_docstring_draws_the_tree_of_errors() -> None:
    """The drawing in errors.py holds exactly its classes, each under its parent and with its builtins."""
    assert drawn_tree() == tree_lines()


def test_every_error_class_of_the_library_is_in_errors_py() -> None:
    """No module defines an exception of its own outside errors.py (private helpers that never leave it aside)."""
    outside = []
    for module in pkgutil.walk_packages(accountrules.__path__, "accountrules."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        for name, value in vars(loaded).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.name
                and not name.startswith("_")
                and module.name != "accountrules.errors"
            ):
                outside.append(f"{module.name}.{name}")
    assert outside == []


def test_a_missing_rule_is_an_unknown_rule_error_that_reads_as_written(engine: Any) -> None:
    """`RulePack.rule` names the pack and suggests the id; the error is also a KeyError, printed without quotes."""
    with pytest.raises(UnknownRuleError) as info:
        engine.pack.rule("O-LIFESAVIN")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "no rule 'O-LIFESAVIN' in pack 'default'. Did you mean 'O-LIFESAVING'?"


def test_a_person_missing_from_a_determination_is_an_unknown_person_error(engine: Any) -> None:
    """`Determination.person` names the case and the people it holds."""
    determination = engine.evaluate(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    with pytest.raises(UnknownPersonError) as info:
        determination.person("p9")
    assert str(info.value) == "no person 'p9' in the determination of case 2023-017 (people are: p1, p2, p3)"


def test_an_unknown_template_to_verify_is_a_usage_error(engine: Any) -> None:
    """`verify(only=…)` with a template that does not exist names the templates there are."""
    from accountrules.tooling.verify import verify

    with pytest.raises(UsageError, match=r"^no template 'nowhere'; the templates are offence, "):
        verify(engine.pack, only=["nowhere"])


# --- every durable_rules failure path ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_default()


@pytest.fixture
def runtime(pack: RulePack) -> DurableRuntime:
    """A runtime of its own (its own Host), so that a failure left in it touches no other test."""
    return DurableRuntime(pack)


def spec_facts(pack: RulePack) -> list[dict[str, Any]]:
    return flatten(load_case(SPEC_EXAMPLE), pack.policy)


def test_a_refused_ruleset_is_a_rule_pack_error(pack: RulePack, monkeypatch: pytest.MonkeyPatch) -> None:
    """durable_rules refusing to register the compiled rulesets is a RulePackError naming the pack."""

    def refuse(self: Any, rulesets: Any) -> None:
        raise Exception("Ruleset with name facts already registered")

    monkeypatch.setattr(durable_engine.Host, "register_rulesets", refuse)
    with pytest.raises(RulePackError) as info:
        DurableRuntime(pack)
    assert info.value.detail == "durable_rules refused the compiled pack: Ruleset with name facts already registered"
    assert info.value.path == pack.path


def raise_on_assert(error: BaseException) -> Callable[..., Any]:
    def assert_facts(self: Any, ruleset: str, facts: Any, complete: Any = None) -> Any:
        raise error

    return assert_facts


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (Exception("boom"), "stage 'facts': the rule engine failed: boom"),
        (
            durable_engine.MessageNotHandledException({"t": "x"}),
            "stage 'facts': a fact matched no rule (the sink rule is missing)",
        ),
        (durable_engine.MessageObservedException({"t": "x"}), "stage 'facts': two facts had the same identity"),
    ],
    ids=["bare-exception", "message-not-handled", "message-observed"],
)
def test_a_failed_assertion_is_an_evaluation_error(
    runtime: DurableRuntime, pack: RulePack, monkeypatch: pytest.MonkeyPatch, error: BaseException, message: str
) -> None:
    """Each way durable_rules refuses a batch of facts becomes an EvaluationError that says which."""
    monkeypatch.setattr(durable_engine.Host, "assert_facts", raise_on_assert(error))
    with pytest.raises(EvaluationError) as info:
        runtime.run("facts", spec_facts(pack))
    assert str(info.value) == message


def test_an_action_error_recorded_by_the_engine_is_an_evaluation_error(
    runtime: DurableRuntime, pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An action that fails is named with its rule."""

    def broken(self: Evaluation, rule_id: str, matches: list[Any]) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(Evaluation, "record", broken)
    with pytest.raises(
        EvaluationError, match=r"^a rule failed while evaluating: rule '[A-Z-]+': RuntimeError: injected"
    ):
        runtime.run("facts", spec_facts(pack))


def test_an_action_error_swallowed_into_the_state_is_an_evaluation_error(
    runtime: DurableRuntime, pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An action error that only durable_rules' session state holds is found there and raised."""

    def broken(self: Evaluation, rule_id: str, matches: list[Any]) -> None:
        raise RuntimeError("unrecorded")

    monkeypatch.setattr(Evaluation, "record", broken)
    monkeypatch.setattr(Evaluation, "fail", lambda self, rule_id, error: None)
    with pytest.raises(EvaluationError, match=r"^stage 'facts': a rule action failed: exception caught unrecorded"):
        runtime.run("facts", spec_facts(pack))


def test_ctrl_c_during_an_action_is_an_interruption_not_a_failed_case(
    runtime: DurableRuntime, pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while durable_rules runs an action (which would swallow it as 'exception caught') is raised as
    KeyboardInterrupt after the stage is cleared, and the next run of the runtime is correct."""
    expected = runtime.run("facts", spec_facts(pack))
    original = Evaluation.record
    calls: list[str] = []

    def interrupted(self: Evaluation, rule_id: str, matches: list[Any]) -> None:
        calls.append(rule_id)
        if len(calls) == 1:
            raise KeyboardInterrupt
        original(self, rule_id, matches)

    monkeypatch.setattr(Evaluation, "record", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runtime.run("facts", spec_facts(pack))
    assert runtime.run("facts", spec_facts(pack)) == expected


def test_ctrl_c_while_waiting_for_a_stage_leaves_a_clean_session(
    runtime: DurableRuntime, pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the runtime waits for a stage's last action: KeyboardInterrupt, and the next run meets none
    of the interrupted case's facts (it used to fail: 'two facts had the same identity')."""
    expected = runtime.run("facts", spec_facts(pack))
    original = threading.Event.wait

    def interrupted(self: threading.Event, timeout: float | None = None) -> bool:
        original(self, timeout)
        raise KeyboardInterrupt

    monkeypatch.setattr(threading.Event, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runtime.run("facts", spec_facts(pack))
    monkeypatch.setattr(threading.Event, "wait", original)
    assert runtime.run("facts", spec_facts(pack)) == expected


def test_a_stalled_stage_is_an_evaluation_error_and_every_later_run_too(
    pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage whose last rule never fires breaks the runtime: this run and the next say so."""
    monkeypatch.setattr(durable_module._Stage, "_sentinel", lambda self, c: None)
    monkeypatch.setattr(durable_module, "WAIT_SECONDS", 0.2)
    stalled = DurableRuntime(pack)
    message = (
        "the rule engine did not finish stage 'facts' within 0 s; its session cannot be cleared safely, "
        "so this process must be restarted"
    )
    for _ in range(2):
        with pytest.raises(EvaluationError) as info:
            stalled.run("facts", spec_facts(pack))
        assert str(info.value) == message
    assert stalled.broken == message


def test_a_session_that_cannot_be_cleared_is_an_evaluation_error_that_breaks_the_runtime(
    runtime: DurableRuntime, pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """durable_rules failing to delete a session after a run leaves the runtime unusable, and says so."""

    def refuse(self: Any, ruleset: str, sid: str) -> None:
        raise Exception("Could not delete state")

    monkeypatch.setattr(durable_engine.Host, "delete_state", refuse)
    message = (
        "the rule engine could not clear its session of stage 'facts' (Exception: Could not delete state); "
        "this process must be restarted"
    )
    with pytest.raises(EvaluationError) as info:
        runtime.run("facts", spec_facts(pack))
    assert str(info.value) == message
    assert runtime.broken == message


def test_a_firing_that_cannot_be_read_is_an_evaluation_error(
    runtime: DurableRuntime, pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matched facts that a rule's effect cannot read (a field missing) are an EvaluationError naming the rule."""
    original = Evaluation.record

    def without_fields(self: Evaluation, rule_id: str, matches: list[Any]) -> None:
        original(self, rule_id, [{alias: {} for alias in match} for match in matches])

    monkeypatch.setattr(Evaluation, "record", without_fields)
    with pytest.raises(EvaluationError, match=r"^rule '[A-Z-]+' matched facts it cannot read: KeyError"):
        runtime.run("facts", spec_facts(pack))


# --- the public names ----------------------------------------------------------------------------------------------


PUBLIC = [
    "AccountRulesError",
    "Case",
    "CaseLimitError",
    "CaseLimits",
    "CaseValidationError",
    "ConsistencyReport",
    "Determination",
    "Engine",
    "EvaluationError",
    "PersonResult",
    "RecordError",
    "RulePack",
    "RulePackError",
    "TraceStep",
    "check_consistency",
    "evaluate_many",
    "load_pack",
]


def test_all_is_the_public_api() -> None:
    """`accountrules.__all__` is the public API of SPEC §7, sorted, and nothing else."""
    assert accountrules.__all__ == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    """Each public name is importable from the package root and listed by dir()."""
    assert getattr(accountrules, name) is not None
    assert name in dir(accountrules)


def test_the_public_engine_has_the_methods_of_spec_7() -> None:
    """`accountrules.Engine` builds from the default pack or a path and evaluates one case, many, or explains."""
    engine = accountrules.Engine.default()
    assert isinstance(engine, accountrules.Engine)
    assert all(callable(getattr(engine, m)) for m in ("evaluate", "evaluate_many", "explain", "from_path"))


def test_every_error_derives_from_the_root() -> None:
    """Every exception class of errors.py is an AccountRulesError."""
    assert [c.__name__ for c in error_classes() if not issubclass(c, AccountRulesError)] == []


# --- arguments of the wrong kind -----------------------------------------------------------------------------


ONE_TEXT = (
    "cases: give an iterable of cases (dicts, JSON texts or Cases), not one str; evaluate one case with "
    "engine.evaluate, or read an archive file with accountrules.batch.open_source(path)"
)


def test_evaluate_many_refuses_one_text_instead_of_iterating_its_characters() -> None:
    """`evaluate_many("archive.jsonl")` is a usage error, not one error record per character."""
    with pytest.raises(UsageError) as caught:
        accountrules.Engine.default().evaluate_many("archive.jsonl")
    assert str(caught.value) == ONE_TEXT


def test_check_consistency_refuses_one_text() -> None:
    """`check_consistency(text)` is the same usage error."""
    with pytest.raises(UsageError) as caught:
        accountrules.check_consistency(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    assert str(caught.value) == ONE_TEXT


def test_explain_names_a_person_that_is_not_text() -> None:
    """`engine.explain(case, 5)`: a usage error saying what to give, not an AttributeError."""
    with pytest.raises(UsageError) as caught:
        accountrules.Engine.default().explain(SPEC_EXAMPLE.read_text(encoding="utf-8"), 5)  # type: ignore[arg-type]
    assert str(caught.value) == "person: give the id of a person as text, such as 'p1'; got int"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (5, "give the folder of a rule pack as a str or a Path; got int"),
        (SPEC_EXAMPLE, f"{SPEC_EXAMPLE}: is a file, not a rule pack; give the folder that holds pack.yaml"),
    ],
)
def test_from_path_says_what_it_takes(given: Any, message: str) -> None:
    """A number or a file given as a rule pack folder: the message says what to give."""
    with pytest.raises(AccountRulesError) as caught:
        accountrules.Engine.from_path(given)
    assert str(caught.value) == message


def test_create_app_refuses_the_core_engine_with_what_to_give() -> None:
    """The core engine (without explain) given to the service: a usage error naming the engine to give."""
    from accountrules.engine import Engine as CoreEngine
    from accountrules.server import create_app

    with pytest.raises(UsageError) as caught:
        create_app(CoreEngine.default())  # type: ignore[arg-type]
    assert str(caught.value) == (
        "create_app takes accountrules.Engine (the engine with explain), the folder of a rule pack, or None; "
        "got accountrules.engine.Engine: build it with accountrules.Engine.default() or Engine.from_path(folder)"
    )
