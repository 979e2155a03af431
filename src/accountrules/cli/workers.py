"""Starting the forkserver of local workers, for ``batch`` and ``check``. It imports nothing of the command line
(typer, rich) nor of the engine: `accountrules.cli.main` calls `start_workers_early` before it imports them, so
that the forkserver loads what workers run while this process loads the command."""

from __future__ import annotations


def start_workers_early(args: list[str]) -> None:
    """Start the forkserver of local workers before the command line is parsed when ``args`` ask for ``batch`` or
    ``check`` with local workers. Only a guess from the words: a command line it misreads starts the forkserver
    later (in the command, `start_workers`) or for nothing (the command stops it on the way out)."""
    if not args or args[0] not in ("batch", "check"):
        return
    workers = None
    for i, word in enumerate(args[1:], 1):
        if word in ("-h", "--help") or word.startswith("--dask"):
            return
        if word in ("-w", "--workers"):
            workers = args[i + 1] if i + 1 < len(args) else None
        elif word.startswith("--workers="):
            workers = word.partition("=")[2]
        elif word.startswith("-w") and not word.startswith("--"):
            workers = word[2:]
    if workers is None or (workers.isdigit() and int(workers) > 0):
        start_workers(1, None, args[0] == "check")


def start_workers(workers: int, dask: str | None, checking: bool = False) -> None:
    """Start the forkserver of local workers now: it loads what they run (for a consistency check, the check's
    models too) while this process loads the rest."""
    if workers and dask is None:
        from accountrules.batch.forkserver import start

        start(checking)
