"""The example cases shipped with accountrules, which the page offers to load.

A wheel carries them as ``accountrules/examples`` (see pyproject.toml); a source checkout reads the repository's
``examples/cases``. They are looked up by name in a fixed list, never by a path taken from a request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Example:
    """One example case: its name (the file's stem), its title and its JSON text."""

    name: str
    title: str
    text: bytes


def examples_path() -> Path:
    """The folder of example cases inside the wheel, or the repository's ``examples/cases``."""
    shipped = resources.files("accountrules") / "examples"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[3] / "examples" / "cases"


@cache
def examples() -> dict[str, Example]:
    """Every example case by name, in the order of their names."""
    found = {}
    for path in sorted(examples_path().glob("*.json")):
        text = path.read_bytes()
        title = json.loads(text).get("title", "")
        found[path.stem] = Example(path.stem, title, text)
    return found
