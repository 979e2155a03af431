"""accountrules: declarative 问责 rules; who bears what responsibility for a violation case, and why.

The public names are imported on first use, so that ``accountrules evaluate`` does not pay for batch machinery
it does not run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accountrules.lazy import exports

if TYPE_CHECKING:
    from accountrules.api import Engine
    from accountrules.batch import ConsistencyReport, RecordError, check_consistency, evaluate_many
    from accountrules.errors import (
        AccountRulesError,
        CaseLimitError,
        CaseValidationError,
        EvaluationError,
        RulePackError,
    )
    from accountrules.models import Case, Determination, PersonResult, TraceStep
    from accountrules.rulepack import RulePack, load_pack
    from accountrules.validation import CaseLimits

_HOMES = {
    "AccountRulesError": "accountrules.errors",
    "Case": "accountrules.models",
    "CaseLimitError": "accountrules.errors",
    "CaseLimits": "accountrules.validation",
    "CaseValidationError": "accountrules.errors",
    "ConsistencyReport": "accountrules.batch",
    "Determination": "accountrules.models",
    "Engine": "accountrules.api",
    "EvaluationError": "accountrules.errors",
    "PersonResult": "accountrules.models",
    "RecordError": "accountrules.batch",
    "RulePack": "accountrules.rulepack",
    "RulePackError": "accountrules.errors",
    "TraceStep": "accountrules.models",
    "check_consistency": "accountrules.batch",
    "evaluate_many": "accountrules.batch",
    "load_pack": "accountrules.rulepack",
}

__all__ = [
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


__getattr__, __dir__ = exports(__name__, _HOMES, globals(), __all__)
