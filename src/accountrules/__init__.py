"""accountrules: declarative 问责 rules; who bears what responsibility for a violation case, and why."""

from accountrules.batch import ConsistencyReport, RecordError, check_consistency, evaluate_many
from accountrules.engine import Engine
from accountrules.errors import AccountRulesError, CaseValidationError, EvaluationError, RulePackError
from accountrules.models import Case, Determination, PersonResult, TraceStep
from accountrules.rulepack import RulePack, load_pack

__all__ = [
    "AccountRulesError",
    "Case",
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
