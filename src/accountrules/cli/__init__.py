"""The ``accountrules`` command: a thin typer layer over the library.

`main` starts the forkserver of a ``batch`` or ``check`` with local workers before it imports the command line's
libraries (typer, rich) and the commands, which take longer to import than the forkserver takes to start; ``app``
is imported on first use."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from accountrules.lazy import exports

if TYPE_CHECKING:
    from accountrules.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point (`accountrules.cli.app.main`), the forkserver of local workers started first."""
    from accountrules.cli.workers import start_workers_early

    start_workers_early(sys.argv[1:])
    from accountrules.cli.app import main as run

    run()


__getattr__, __dir__ = exports(__name__, {"app": "accountrules.cli.app"}, globals(), __all__)
