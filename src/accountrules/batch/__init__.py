"""Archives of cases: streaming evaluation, consistency checks of recorded decisions, and their report."""

from accountrules.batch.api import check_consistency, evaluate_many, stream
from accountrules.batch.check import ConsistencyReport
from accountrules.batch.records import Record, RecordError, Source, open_source

__all__ = [
    "ConsistencyReport",
    "Record",
    "RecordError",
    "Source",
    "check_consistency",
    "evaluate_many",
    "open_source",
    "stream",
]
