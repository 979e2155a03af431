"""Every error the library raises, under one root; each leaf also subclasses the builtin it refines::

    AccountRulesError
    ├── CaseValidationError (ValueError): a case breaks SPEC §3; each problem names its JSON path and the fix
    │   └── CaseLimitError: a valid case asks for more work than the limits allow
    ├── RulePackError (ValueError): a rule pack or its golden tests cannot be used; the file, the line and the fix
    ├── EvaluationError (RuntimeError): the rule engine failed on a valid case; the case is not at fault
    ├── ArchiveError (ValueError): an archive itself cannot be read on (cut short, corrupt, not one array)
    ├── InstallationError (ImportError): the rule engine's compiled extension cannot be loaded
    └── UsageError (ValueError): an argument names what is not there, or asks for what cannot be done
        ├── UnknownPersonError (KeyError): the person asked for is not in the case or the determination
        └── UnknownRuleError (KeyError): the rule asked for is not in the pack

Every failure of durable_rules (a refused ruleset, a failed assertion, an unmatched or duplicate fact, an error
inside an action, a stage that never finishes) reaches callers as a `RulePackError` or an `EvaluationError`:
`accountrules.engine.durable` translates each one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class AccountRulesError(Exception):
    """Root of all accountrules errors."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, at a JSON path (``violations[0].offenders[1]``)."""

    path: str
    message: str
    #: The line of a YAML case file the problem concerns, when the case was read from YAML.
    line: int | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"line {self.line}: {text}" if self.line is not None else text


class CaseValidationError(AccountRulesError, ValueError):
    """A case is not valid JSON or breaks the contract of SPEC §3.

    ``problems`` lists every problem found, each naming its JSON path and, where one exists, the fix.
    """

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        prefix = f"{source}: " if source else ""
        lines = [f"{prefix}{p}" for p in self.problems]
        super().__init__("\n".join(lines) if lines else f"{prefix}invalid case")


class CaseLimitError(CaseValidationError):
    """A valid case asks for more work than the limits allow (people × violations, or more facts than the rule
    engine can tell apart); the message says which limit and how to raise it."""

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__([Problem("", message)], source)


class RulePackError(AccountRulesError, ValueError):
    """A rule pack cannot be loaded: the message names the file, the line and the fix.

    ``problems`` lists every problem found (the error itself when there is one); ``path``, ``line`` and
    ``detail`` are those of the first.
    """

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.detail = message
        self.problems: tuple[RulePackError, ...] = (self,)
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(f"{where}{message}")

    @classmethod
    def of(cls, problems: Sequence[RulePackError]) -> RulePackError:
        """One error for the problems of a pack, one line each, in the order found."""
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        error = cls(first.detail, first.path, first.line)
        error.problems = tuple(problems)
        error.args = ("\n".join(str(p) for p in problems),)
        return error


class EvaluationError(AccountRulesError, RuntimeError):
    """The rule engine failed while evaluating a valid case; the case is not at fault."""


class ArchiveError(AccountRulesError, ValueError):
    """The archive itself cannot be read on: compressed data cut short or corrupt, or a ``.json`` archive that is
    not exactly one array. The records before the fault were read."""


class InstallationError(AccountRulesError, ImportError):
    """The rule engine's compiled extension cannot be loaded; the message gives the command that repairs it."""


class UsageError(AccountRulesError, ValueError):
    """An argument names something that is not there, or asks for something that cannot be done."""

    def __str__(self) -> str:
        return Exception.__str__(self)  # the message as written, even for the KeyError leaves


class UnknownPersonError(UsageError, KeyError):
    """The person asked for is not in the case or the determination."""


class UnknownRuleError(UsageError, KeyError):
    """The rule asked for is not in the pack."""
