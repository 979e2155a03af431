"""``accountrules new``: a commented case template to fill in."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the new command to ``app``."""
    app.command("new")(new)


def new() -> None:
    """新案件 Print a commented case template in YAML that validates as it stands: accountrules new > case.yaml"""
    from accountrules.tooling.casefile import case_template

    typer.echo(case_template(), nl=False)
