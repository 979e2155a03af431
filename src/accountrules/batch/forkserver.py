"""The process that starts batch workers, and what it loads before it starts any.

Workers are started with the ``forkserver`` method (``spawn`` where there is none), never ``fork``: the calling
process may hold a durable_rules Host, whose threads a fork would copy in a broken state. The forkserver imports
`PRELOAD` once (the modules a worker runs and the default rule pack, `accountrules.batch.preload`), and every
worker forked from it starts with them. A command that is about to run workers calls `start` first thing, so that
the forkserver loads them while the command loads its own; a pool starts it otherwise.

This module imports nothing of the engine: starting the forkserver early costs the caller nothing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from multiprocessing.context import BaseContext
from typing import Any

#: What the forkserver imports before it forks any worker; the workers of a consistency check need `CHECKING` too.
PRELOAD = ["accountrules.batch.preload"]
CHECKING = [*PRELOAD, "accountrules.batch.check"]
#: The name of every worker process.
WORKER_NAME = "accountrules-worker"
#: How long a stopping worker may take to exit before it is terminated.
STOP_SECONDS = 5.0


def start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def context(checking: bool = False) -> BaseContext:
    """The multiprocessing context that starts workers, its forkserver set to load `PRELOAD` (`CHECKING` for the
    workers of a consistency check) when it starts."""
    method = start_method()
    chosen = multiprocessing.get_context(method)
    if method == "forkserver":
        chosen.set_forkserver_preload(CHECKING if checking else PRELOAD)
    return chosen


def start(checking: bool = False) -> None:
    """Start the forkserver now (if it is not running), without waiting for it to load what it preloads."""
    if start_method() == "forkserver":
        from multiprocessing import forkserver

        context(checking)
        forkserver.ensure_running()


def stop_helpers() -> None:
    """Stop the helper processes multiprocessing started for the workers (the forkserver and the resource
    tracker) and wait for them, so that a program that is done with its pools leaves no process behind. Left
    running, they outlive the program by a moment and end as children of init, which may never reap them
    (a zombie). Workers still running (a pool left unfinished by an error) are stopped first: the forkserver
    does not end while they live. The next pool starts them again."""
    from multiprocessing import forkserver, resource_tracker

    for child in multiprocessing.active_children():
        if child.name == WORKER_NAME:
            child.terminate()
            child.join(STOP_SECONDS)

    helpers: tuple[Any, ...] = (forkserver._forkserver, resource_tracker._resource_tracker)
    # the forkserver, told to stop, would first tear down all it preloaded (a tenth of a second at the end of
    # every command); it holds nothing to save, so it is ended at once and then reaped as usual
    with contextlib.suppress(OSError, TypeError, AttributeError):  # not running, or already gone
        os.kill(helpers[0]._forkserver_pid, signal.SIGKILL)
    for helper in helpers:
        with contextlib.suppress(OSError, ChildProcessError, AttributeError):  # not running, or already reaped
            helper._stop()
