"""The project's licence: the file and the package metadata agree."""

from importlib.metadata import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_package_declares_apache_2() -> None:
    """The installed package declares the Apache-2.0 licence and ships its file."""
    meta = metadata("accountrules")
    assert (meta["License-Expression"], meta.get_all("License-File")) == ("Apache-2.0", ["LICENSE"])


def test_licence_file_is_apache_2() -> None:
    """LICENSE holds the Apache License, version 2.0."""
    head = (ROOT / "LICENSE").read_text(encoding="utf-8").split()[:5]
    assert head == ["Apache", "License", "Version", "2.0,", "January"]
