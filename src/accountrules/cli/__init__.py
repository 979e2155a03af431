"""The ``accountrules`` command: a thin typer layer over the library."""

from accountrules.cli.app import app, main

__all__ = ["app", "main"]
