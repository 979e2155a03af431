"""Imported once by the forkserver that starts batch workers (`accountrules.batch.forkserver`): the modules a
worker runs, the default rule pack, its engine and its compiled runtime, made there once, so that every worker
forked from it starts with them instead of making them again. Nothing here starts a thread (a fork copies none).

Ctrl-C is the supervisor's to handle: the forkserver ignores SIGINT from here on, and a worker forked from it is
given the SIGINT handling the forkserver had when it finished preloading (this), so it ignores Ctrl-C from its
first instant, not only once it runs `worker_main`; a Ctrl-C while it starts prints no traceback from it."""

from __future__ import annotations

import contextlib
import gc
import signal

from accountrules.batch import worker  # noqa: F401 - loaded for the workers forked from here
from accountrules.engine.compiled import compiled_for
from accountrules.engine.evaluate import Engine
from accountrules.errors import AccountRulesError
from accountrules.rulepack.pack import load_default

signal.signal(signal.SIGINT, signal.SIG_IGN)

# a pack that cannot be loaded is loaded again by the worker that needs it, which says what is wrong with it
with contextlib.suppress(AccountRulesError, OSError):
    # the default pack's engine and compiled runtime too, which start no durable_rules Host: a worker that runs
    # the compiled runtime starts with them made, and one that runs durable_rules makes only its Host
    compiled_for(load_default())
    Engine.default()

# what is loaded here lives as long as the workers: moved out of the collector's reach, a worker's collections no
# longer walk it (nor write to its pages, which then stay shared with the forkserver)
gc.freeze()
