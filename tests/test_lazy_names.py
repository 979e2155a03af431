"""The packages' public names are imported on first use (accountrules.lazy)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_importing_the_packages_loads_neither_engine_nor_batch_machinery() -> None:
    """`import accountrules, accountrules.batch` imports no engine or batch module until a name is read."""
    probe = (
        "import sys, accountrules, accountrules.batch\n"
        "print(sorted(m for m in sys.modules if m.startswith(('accountrules.engine', 'accountrules.batch.'))))\n"
        "accountrules.batch.stream\n"
        "print('accountrules.batch.api' in sys.modules, 'stream' in vars(accountrules.batch))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "True True"]


@pytest.mark.parametrize("package", ["accountrules", "accountrules.batch"])
def test_an_unknown_name_is_an_attribute_error_naming_the_package(package: str) -> None:
    """Reading a name a package does not have fails as for any module, naming the package."""
    module = __import__(package, fromlist=["_"])
    with pytest.raises(AttributeError) as caught:
        module.Nope  # noqa: B018 - the read is the test
    assert str(caught.value) == f"module {package!r} has no attribute 'Nope'"


@pytest.mark.parametrize(("package", "name"), [("accountrules", "Engine"), ("accountrules.batch", "open_source")])
def test_dir_lists_public_names_before_they_are_read(package: str, name: str) -> None:
    """`dir()` of a package shows its public names, read or not."""
    assert name in dir(__import__(package, fromlist=["_"]))
