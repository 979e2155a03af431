"""``accountrules rules verify``, ``rules test`` and ``accountrules explain``."""

from __future__ import annotations

import typer


def register(app: typer.Typer, rules_app: typer.Typer) -> None:
    """Add the rule-pack tooling and explanation commands."""
