"""Loaded rule packs kept on disk between runs, so that a command does not read and validate the same YAML again.

A pack loaded from its files is pickled into the user's cache folder (``$XDG_CACHE_HOME/accountrules``, else
``~/.cache/accountrules``), one file per pack folder, written whole or not at all. A later load uses it only when
the ``*.yaml`` files of every folder the pack was read from hold the same bytes, and the code that reads packs
(this layer and the ones below it, Python, pydantic and PyYAML) is the same; otherwise the files are read again
and the entry replaced. A cache that cannot be read, is damaged or cannot be written is passed over in silence:
the pack is then read from its files, as without a cache. ``ACCOUNTRULES_NO_CACHE=1`` turns it off.

An entry is code the process runs (a pickle), so it is trusted only as the process's own: the folder and the
entry must belong to the user the process runs as and be writable by nobody else; otherwise the folder is not
used at all. The folder keeps the `MAX_ENTRIES` packs used last; loading a pack from its entry marks it used.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import pydantic_core

from accountrules.rulepack.facts import FACTS

#: Set to 1 (or true, yes) to read every pack from its files and keep nothing on disk.
OFF_VARIABLE = "ACCOUNTRULES_NO_CACHE"
#: Changes when what an entry holds changes shape.
FORMAT = 1
#: The most packs the folder keeps: the least recently used go first.
MAX_ENTRIES = 32
#: The modules whose code shapes a loaded pack: this layer and every layer below it (tests/test_architecture.py
#: keeps the rule packs from importing anything above).
_READERS = ("rulepack", "models.py", "validation.py", "vocabulary.py", "errors.py", "lazy.py")

Loaded = TypeVar("Loaded")


def enabled() -> bool:
    return os.environ.get(OFF_VARIABLE, "").strip().lower() not in {"1", "true", "yes"}


def folder() -> Path:
    """Where loaded packs are kept: ``$XDG_CACHE_HOME/accountrules/packs``, else ``~/.cache/accountrules/packs``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "accountrules" / "packs"


def fingerprint(directory: Path) -> str:
    """What the ``*.yaml`` files of ``directory`` hold, names and bytes (read as a pack's files are read)."""
    from accountrules.rulepack.yamlfile import read_pack_file

    digest = hashlib.sha256()
    for file in sorted(directory.glob("*.yaml")):
        digest.update(file.name.encode() + b"\0" + read_pack_file(file) + b"\0")
    return digest.hexdigest()


@cache
def _code() -> str:
    """What the code that reads packs is: the source of this layer and the layers below, the Python, pydantic and
    PyYAML versions."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version} {pydantic.VERSION} {pydantic_core.__version__}".encode())
    package = Path(__file__).resolve().parents[1]
    for name in _READERS:
        path = package / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    yaml = importlib.util.find_spec("yaml")
    if yaml is not None and yaml.origin is not None:  # PyYAML's version, without importing it
        stat = os.stat(yaml.origin)
        digest.update(f"{yaml.origin} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def load(root: Path, read: Callable[[], Loaded], sources: Callable[[Loaded], Iterable[Path]]) -> Loaded:
    """The pack in folder ``root`` as ``read`` loads it from its files, from the cache when the folders it was read
    from (``sources`` of what ``read`` returned) are as they were then; a fresh load is stored for next time."""
    if not enabled():
        return read()
    try:
        entry = folder() / (hashlib.sha256(str(root).encode()).hexdigest()[:32] + ".pickle")
        code = _code()
        if entry.parent.exists() and not _private(os.stat(entry.parent)):
            return read()  # a folder others can write to: its entries cannot be trusted, nor ours kept there
    except Exception:  # no home folder, the package's source unreadable: no cache
        return read()
    kept = _kept(entry, code)
    if kept is not None:
        return kept  # type: ignore[no-any-return]  # what `read` returned when it was stored
    value = read()
    with contextlib.suppress(Exception):  # an unwritable cache, or a pack that cannot be pickled: read next time
        _store(entry, code, value, sources(value))
        _prune(entry.parent)
    return value


def _private(status: os.stat_result) -> bool:
    """Whether a file or folder belongs to the user the process runs as and nobody else can write to it."""
    owner = os.geteuid() if hasattr(os, "geteuid") else status.st_uid  # no owners to compare on Windows
    return status.st_uid == owner and not status.st_mode & 0o022


def _prune(directory: Path) -> None:
    """Remove the least recently used entries beyond `MAX_ENTRIES`."""
    entries = sorted((e.stat().st_mtime_ns, e.name, e) for e in directory.glob("*.pickle"))
    for _, _, stale in entries[: max(len(entries) - MAX_ENTRIES, 0)]:
        stale.unlink(missing_ok=True)


def _kept(entry: Path, code: str) -> Any:
    """The value stored in ``entry`` when it is still current and the process's own, else None; a value found
    marks the entry used."""
    try:
        with entry.open("rb") as stream:
            if not _private(os.fstat(stream.fileno())):
                return None
            header = pickle.load(stream)
            if header["code"] != code:
                return None
            for directory, expected in header["sources"]:
                if fingerprint(Path(directory)) != expected:
                    return None
            value = _Reader(stream).load()
        with contextlib.suppress(OSError):
            os.utime(entry)
        return value
    except Exception:  # absent, damaged, written by other code, or a source folder gone: read the files
        return None


def _store(entry: Path, code: str, value: Any, sources: Iterable[Path]) -> None:
    header = {"code": code, "sources": [(str(d), fingerprint(d)) for d in sources]}
    data = io.BytesIO()
    pickle.dump(header, data, protocol=pickle.HIGHEST_PROTOCOL)
    _Writer(data, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=entry.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.getvalue())
        os.replace(temporary, entry)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _Writer(pickle.Pickler):
    """Pickles the fact schema the case model declares by name, so that a loaded pack shares the process's own."""

    def persistent_id(self, obj: Any) -> str | None:
        return "FACTS" if obj is FACTS else None


class _Reader(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        if pid == "FACTS":
            return FACTS
        raise pickle.UnpicklingError(f"unknown shared object {pid!r}")
