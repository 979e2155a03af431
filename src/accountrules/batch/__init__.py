"""Archives of cases: streaming evaluation, consistency checks of recorded decisions, and their report.

The public names are imported on first use, so that a command that is about to start worker processes can start
their forkserver (`accountrules.batch.forkserver`) before it pays for the engine's imports itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accountrules.lazy import exports

if TYPE_CHECKING:
    from accountrules.batch.api import check_consistency, evaluate_many, stream
    from accountrules.batch.check import ConsistencyReport
    from accountrules.batch.records import Record, RecordError, Source, open_source

_HOMES = {
    "ConsistencyReport": "accountrules.batch.check",
    "Record": "accountrules.batch.records",
    "RecordError": "accountrules.batch.records",
    "Source": "accountrules.batch.records",
    "check_consistency": "accountrules.batch.api",
    "evaluate_many": "accountrules.batch.api",
    "open_source": "accountrules.batch.records",
    "stream": "accountrules.batch.api",
}

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


__getattr__, __dir__ = exports(__name__, _HOMES, globals(), __all__)
