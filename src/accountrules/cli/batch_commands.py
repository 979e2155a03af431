"""``accountrules batch`` and ``accountrules check``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the batch and consistency commands to ``app``."""
