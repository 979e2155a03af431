"""Loaded rule packs kept on disk between runs (accountrules.rulepack.stored): used only while the files and the
code that read them are unchanged, and passed over when absent, damaged or unwritable."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from accountrules import RulePackError
from accountrules.rulepack import pack as pack_module
from accountrules.rulepack import stored
from accountrules.rulepack.facts import FACTS
from accountrules.rulepack.pack import default_pack_path, load_pack
from accountrules.rulepack.yamlfile import read_yaml

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "packs" / "tiny"
TINY_FILES = ["citations.yaml", "pack.yaml", "policy.yaml", "rules.yaml"]
#: The default pack's files the tiny pack, which has neither, takes from it.
FALLBACKS = ["versions.yaml", "sanctions.yaml"]


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, switched on."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(stored.OFF_VARIABLE, raising=False)
    return tmp_path / "cache" / "accountrules" / "packs"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the YAML files the loader parses, in order (cleared by the test between loads)."""
    names: list[str] = []

    def counting(path: Path) -> Any:
        names.append(path.name)
        return read_yaml(path)

    monkeypatch.setattr(pack_module, "read_yaml", counting)
    return names


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    copy = tmp_path / "tiny"
    shutil.copytree(TINY, copy)
    return copy


def loads(path: Path, parsed: list[str]) -> tuple[Any, list[str]]:
    """The pack in ``path`` and the files parsed to load it."""
    parsed.clear()
    loaded = load_pack(path)
    return loaded, sorted(set(parsed))


def test_a_second_load_parses_no_yaml(tiny: Path, parsed: list[str]) -> None:
    """The first load parses every file the pack is read from; the second, from the cache, none."""
    first, first_parsed = loads(tiny, parsed)
    second, second_parsed = loads(tiny, parsed)
    assert (first_parsed, second_parsed) == (sorted([*TINY_FILES, *FALLBACKS]), [])
    assert second == first
    assert [r.id for r in second.rules] == [r.id for r in first.rules]


def test_the_default_pack_comes_back_equal_and_sharing_the_fact_schema(parsed: list[str]) -> None:
    """The default pack from the cache equals the one read from its files, rule for rule, and reads the
    process's own fact schema (not a copy)."""
    first, _ = loads(default_pack_path(), parsed)
    second, second_parsed = loads(default_pack_path(), parsed)
    assert second_parsed == []
    assert second == first
    assert second.rules == first.rules
    assert (second.digest, second.facts is FACTS, second.base) == (first.digest, True, None)


def test_an_edited_file_is_read_again(tiny: Path, parsed: list[str]) -> None:
    """A pack whose file changed after it was cached is read from its files, with the change."""
    loads(tiny, parsed)
    meta = tiny / "pack.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("Four rules", "Four edited rules"), encoding="utf-8")
    edited, edited_parsed = loads(tiny, parsed)
    assert edited.description == "Four edited rules, enough to explain a result in a few lines."
    assert "pack.yaml" in edited_parsed
    assert loads(tiny, parsed)[1] == []


def test_a_new_file_is_read(tiny: Path, parsed: list[str]) -> None:
    """A rule file added beside the cached ones is read, with the rest."""
    loads(tiny, parsed)
    shutil.copy(tiny / "rules.yaml", tiny / "more.yaml")
    with pytest.raises(RulePackError, match=r"duplicate rule id 'L-PRINCIPAL' \(first at more.yaml:"):
        load_pack(tiny)


def test_a_file_broken_after_caching_gives_its_error(tiny: Path, parsed: list[str]) -> None:
    """A rule file spoilt after its pack was cached is reported as without a cache: file, line, what is wrong."""
    loads(tiny, parsed)
    rules = tiny / "rules.yaml"
    text = rules.read_text(encoding="utf-8").replace("act: {act: failed_to_implement}", "act: {act: x}")
    rules.write_text(text, encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(tiny)
    assert str(caught.value) == (
        f"{rules}:17: rule 'L-PRINCIPAL' reads fact 'act.act' value 'x', which is not one of its values."
    )


def test_a_change_in_an_extended_pack_is_read(tmp_path: Path, parsed: list[str]) -> None:
    """A pack that extends another is read again when the other one's files change."""
    shutil.copytree(TINY, tmp_path / "base")
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "pack.yaml").write_text("name: child\nversion: '1'\nextends: ../base\n", encoding="utf-8")
    first, _ = loads(tmp_path / "child", parsed)
    (tmp_path / "base" / "pack.yaml").write_text("name: base\nversion: '2'\n", encoding="utf-8")
    second, second_parsed = loads(tmp_path / "child", parsed)
    assert (first.base.version, second.base.version) == ("1", "2")
    assert "pack.yaml" in second_parsed


def test_a_change_in_the_default_packs_versions_is_read(
    tiny: Path, tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pack that takes its versions from the default pack is read again when the default pack's change."""
    default = tmp_path / "default"
    shutil.copytree(default_pack_path(), default, ignore=shutil.ignore_patterns("tests"))
    monkeypatch.setattr(pack_module, "default_pack_path", lambda: default)
    loads(tiny, parsed)
    versions = default / "versions.yaml"
    versions.write_text(versions.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert loads(tiny, parsed)[1] == sorted([*TINY_FILES, *FALLBACKS])


def test_other_code_reads_the_files_again(tiny: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry stored by other code (another version of the package, pydantic or Python) is not used."""
    loads(tiny, parsed)
    monkeypatch.setattr(stored, "_code", lambda: "other code")
    assert loads(tiny, parsed)[1] == sorted([*TINY_FILES, *FALLBACKS])


@pytest.mark.parametrize(
    "spoil",
    [lambda data: b"", lambda data: data[: len(data) // 2], lambda data: b"not a pickle at all"],
    ids=["empty", "cut short", "garbage"],
)
def test_a_damaged_entry_is_passed_over_and_replaced(
    tiny: Path, parsed: list[str], cache: Path, spoil: Callable[[bytes], bytes]
) -> None:
    """A damaged cache file is ignored: the pack is read from its files, equal, and stored anew."""
    first, _ = loads(tiny, parsed)
    (entry,) = cache.iterdir()
    entry.write_bytes(spoil(entry.read_bytes()))
    second, second_parsed = loads(tiny, parsed)
    assert (second == first, second_parsed) == (True, sorted([*TINY_FILES, *FALLBACKS]))
    assert loads(tiny, parsed)[1] == []


def test_an_unwritable_cache_folder_reads_the_files_each_time(
    tiny: Path, parsed: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the cache folder cannot be made (its parent is a file), packs load from their files every time."""
    (tmp_path / "file").write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    first, first_parsed = loads(tiny, parsed)
    second, second_parsed = loads(tiny, parsed)
    assert (second == first, first_parsed, second_parsed) == (True, *[sorted([*TINY_FILES, *FALLBACKS])] * 2)


def test_the_variable_turns_the_cache_off(
    tiny: Path, parsed: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ACCOUNTRULES_NO_CACHE=1 every load reads the files, and nothing is written."""
    monkeypatch.setenv(stored.OFF_VARIABLE, "1")
    loads(tiny, parsed)
    assert loads(tiny, parsed)[1] == sorted([*TINY_FILES, *FALLBACKS])
    assert not cache.exists()


def test_the_folder_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$XDG_CACHE_HOME/accountrules/packs when it is an absolute path, else ~/.cache/accountrules/packs."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    found = [stored.folder()]
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    found.append(stored.folder())
    monkeypatch.delenv("XDG_CACHE_HOME")
    found.append(stored.folder())
    assert found == [
        tmp_path / "cache" / "accountrules" / "packs",
        tmp_path / "home" / ".cache" / "accountrules" / "packs",
        tmp_path / "home" / ".cache" / "accountrules" / "packs",
    ]


def test_a_kept_pack_needs_neither_pyyaml_nor_the_packs_validators(tmp_path: Path) -> None:
    """Evaluating a JSON case with the default pack kept by an earlier run imports no PyYAML and builds no
    validator of the pack's models; the run that read the YAML did both."""
    case = ROOT / "examples" / "cases" / "spec-example.json"
    probe = (
        "import sys\n"
        "from accountrules import Engine\n"
        "from accountrules.rulepack.policy import Policy\n"
        "from accountrules.rulepack.spec import RuleSpec\n"
        f"Engine.default().evaluate(open({str(case)!r}, encoding='utf-8').read())\n"
        "print('yaml' in sys.modules, RuleSpec.__pydantic_complete__, Policy.__pydantic_complete__)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs == ["True True True\n", "False False False\n"]


def test_an_entry_others_can_write_to_is_not_used(tiny: Path, parsed: list[str], cache: Path) -> None:
    """An entry that anyone else could have written is code nobody vouches for: the pack is read from its files,
    and the entry stored anew is the process's own again."""
    loads(tiny, parsed)
    (entry,) = cache.iterdir()
    entry.chmod(0o666)
    assert loads(tiny, parsed)[1] == sorted([*TINY_FILES, *FALLBACKS])
    assert (entry.stat().st_mode & 0o777, loads(tiny, parsed)[1]) == (0o600, [])


def test_a_folder_others_can_write_to_is_not_used(tiny: Path, parsed: list[str], cache: Path) -> None:
    """In a cache folder others can write to, no entry is read and none is written."""
    loads(tiny, parsed)
    (entry,) = cache.iterdir()
    entry.unlink()
    cache.chmod(0o777)
    first, second = loads(tiny, parsed)[1], loads(tiny, parsed)[1]
    assert (first, second, list(cache.iterdir())) == (*[sorted([*TINY_FILES, *FALLBACKS])] * 2, [])


def test_the_folder_keeps_the_packs_used_last(
    tmp_path: Path, parsed: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond `MAX_ENTRIES` packs, storing one removes the least recently used; a pack loaded from its entry
    counts as used."""
    monkeypatch.setattr(stored, "MAX_ENTRIES", 2)
    copies = [tmp_path / name for name in ("a", "b", "c")]
    for copy in copies:
        shutil.copytree(TINY, copy)
    entry = {copy.name: cache / (hashlib.sha256(str(copy).encode()).hexdigest()[:32] + ".pickle") for copy in copies}
    loads(copies[0], parsed)
    loads(copies[1], parsed)
    os.utime(entry["a"], ns=(10**9, 10**9))  # a, then b, as if used long ago
    os.utime(entry["b"], ns=(2 * 10**9, 2 * 10**9))
    assert loads(copies[0], parsed)[1] == []  # a is used: now the most recent
    loads(copies[2], parsed)
    assert sorted(p.name for p in cache.iterdir()) == sorted([entry["a"].name, entry["c"].name])
