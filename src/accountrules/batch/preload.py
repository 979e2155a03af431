"""Imported once by the forkserver that starts batch workers (`accountrules.batch.forkserver`): the modules a
worker runs and the default rule pack, loaded there once, so that every worker forked from it starts with them
instead of reading and validating the pack again. Nothing here starts a thread (a fork copies none)."""

from __future__ import annotations

import contextlib

from accountrules.batch import worker  # noqa: F401 - loaded for the workers forked from here
from accountrules.errors import AccountRulesError
from accountrules.rulepack.pack import load_default

# a pack that cannot be loaded is loaded again by the worker that needs it, which says what is wrong with it
with contextlib.suppress(AccountRulesError, OSError):
    load_default()
