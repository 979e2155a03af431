"""Shared fixtures."""

from __future__ import annotations

import pytest

from accountrules import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine of the default rule pack (one per process, as the library shares it)."""
    return Engine.default()
